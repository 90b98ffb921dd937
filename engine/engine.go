// Package engine assembles the router from its stages — ingest, store,
// work, fetch, rules, actions, admin — and runs it. Run is the whole
// program that `hirewire serve` starts; tests and other binaries embed it
// the same way.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/engine/work"
)

// Options are what the embedding program decides; everything else comes
// from the config.
type Options struct {
	Logger  *slog.Logger
	Version string
	// Ready, if set, is called with the bound addresses once both
	// listeners accept connections.
	Ready func(webhook, admin net.Addr)
	Now   func() time.Time
}

// Router is one running hirewire node.
type Router struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	store    store.Store
	rules    *ruleState
	worker   *work.Worker
	webhook  *http.Server
	admin    *http.Server
	shutdown sync.Once
}

// New opens the store and loads the rules. Rules with errors are a start-up
// error: a router never starts on rules it cannot apply.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Router, error) {
	if err := cfg.CheckServe(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Router{cfg: cfg, opts: opts, log: opts.Logger, reg: prometheus.NewRegistry()}
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	kinds, err := buildKinds(cfg, r.log)
	if err != nil {
		return nil, err
	}
	r.rules = newRuleState(cfg, kinds, r.reg, r.log, opts.Now)
	if _, err := r.rules.reload(); err != nil {
		return nil, fmt.Errorf("loading rules: %w", err)
	}
	st, err := store.Open(ctx, cfg.Store, store.WithClock(opts.Now), store.WithLogger(r.log))
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	r.store = st
	fetcher, err := buildFetcher(cfg, st, r.reg, r.log, opts.Now)
	if err != nil {
		st.Close()
		return nil, err
	}
	r.worker = work.New(work.Options{
		Store: st, Rules: r.rules.current, Fetcher: fetcher, Objects: objectNames(cfg), Kinds: kinds,
		EraseOn: eraseOn(cfg), EventLease: eventLease(cfg), Owner: owner(), Concurrency: cfg.Workers, Now: opts.Now, Logger: r.log, Metrics: work.NewMetrics(r.reg),
		Scrub: r.scrub,
	})
	r.webhook = r.newServer(r.webhookHandler())
	r.admin = r.newServer(r.adminHandler())
	return r, nil
}

// minShownSecret is the shortest value from the environment that is cut
// out of what hirewire shows and keeps of peers' answers. Shorter ones are
// customer numbers, ports and the like, which would cut digits out of ids;
// credentials are longer.
const minShownSecret = 8

// secrets are the values from the environment in the config and in every
// rules version loaded (deliveries made with older rules are still shown),
// longest first so that one containing another is cut whole.
func (r *Router) secrets() []string {
	var out []string
	for _, v := range append(r.cfg.Secrets(), r.rules.secrets()...) {
		if len(v) >= minShownSecret && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// scrub cuts the secrets out of s.
func (r *Router) scrub(s string) string {
	for _, v := range r.secrets() {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// owner names this process as a lease holder.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), event.NewID(time.Now())[20:])
}

func (r *Router) newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelWarn),
	}
}

// Reload re-reads the rules now (SIGHUP).
func (r *Router) Reload() { _, _ = r.rules.reload() }

// Run serves until ctx is done, then shuts down in order: stop taking
// webhooks (finishing those in flight), let the worker finish or release
// its work, close the store.
func (r *Router) Run(ctx context.Context) error {
	defer r.store.Close()
	wl, err := net.Listen("tcp", r.cfg.Listen)
	if err != nil {
		return fmt.Errorf("webhook listener: %w", err)
	}
	al, err := net.Listen("tcp", r.cfg.AdminListen)
	if err != nil {
		wl.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	r.log.Info("hirewire started", "version", r.opts.Version, "webhook", wl.Addr().String(),
		"admin", al.Addr().String(), "store", redactStore(r.cfg.Store), "rules", short(r.rules.state().Version))
	if r.cfg.AdminToken == "" {
		r.log.Warn("admin_token is empty: the admin API answers only requests to localhost or a loopback address; set admin_token to reach it from elsewhere", "admin", al.Addr().String())
	}
	errc := make(chan error, 4)
	go func() { errc <- serve(r.webhook, wl) }()
	go func() { errc <- serve(r.admin, al) }()
	workDone := make(chan error, 1)
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	go func() { workDone <- r.worker.Run(workCtx) }()
	watchRules := r.rules.watch()
	go func() { errc <- watchRules(workCtx) }()
	pruned := r.retain(workCtx)
	if r.opts.Ready != nil {
		r.opts.Ready(wl.Addr(), al.Addr())
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	r.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	_ = r.webhook.Shutdown(sctx)
	stopWork()
	if err := <-workDone; err != nil {
		r.log.Error("releasing work failed", "err", err)
	}
	<-pruned
	_ = r.admin.Shutdown(sctx)
	return runErr
}

func serve(s *http.Server, l net.Listener) error {
	if err := s.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// redactStore keeps a postgres URL's credentials out of the log.
func redactStore(s string) string {
	if strings.HasPrefix(s, "sqlite:") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable store URL)"
	}
	// Only where it is: a password may be in the user part or the query.
	return u.Scheme + "://" + u.Host + u.Path
}
