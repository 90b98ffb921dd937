package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Option configures Open.
type Option func(*options)

type options struct {
	now       func() time.Time
	logger    *slog.Logger
	batchSize int
}

// WithClock makes the store read the time from now instead of time.Now,
// for leases, due times and bookkeeping. Tests move it by hand.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithLogger sets where the store reports trouble it cannot return.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithBatchSize caps how many ingests one group commit takes (256).
func WithBatchSize(n int) Option {
	return func(o *options) { o.batchSize = n }
}

// Open connects to the store named by url and brings its schema up to
// date: "sqlite:PATH" (the directory is created) or "postgres://…" /
// "postgresql://…" (many nodes may share one database).
func Open(ctx context.Context, url string, opts ...Option) (Store, error) {
	o := options{now: time.Now, logger: slog.New(slog.NewTextHandler(io.Discard, nil)), batchSize: 256}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite:"), o)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url, o)
	}
	scheme, _, ok := strings.Cut(url, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("store %q: want sqlite:PATH or postgres://…", redact(url))
	}
	return nil, fmt.Errorf("store scheme %q unknown: want sqlite or postgres", scheme)
}

// redact hides what may be a password in a store URL that failed to parse.
func redact(url string) string {
	if i := strings.Index(url, "@"); i >= 0 {
		return "…" + url[i:]
	}
	return url
}
