package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// postgresBackend is a Postgres database that many nodes share: claims
// skip rows other nodes hold, and budget checks lock the method's row.
type postgresBackend struct{ pool *pgPool }

// openPostgres connects to url; its parameters (search_path, sslmode, …)
// apply to every connection.
func openPostgres(ctx context.Context, url string, o options) (Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parse error quotes the url, which may hold a password.
		return nil, errors.New("parsing postgres store url: invalid connection string")
	}
	b := &postgresBackend{pool: newPGPool(cfg, 8)}
	c, err := b.pool.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	b.pool.release(c)
	return newSQLStore(ctx, b, postgresDialect, o)
}

// write runs fn in a transaction on a pooled connection.
func (b *postgresBackend) write(ctx context.Context, fn func(tx q) error) error {
	c, err := b.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer b.pool.release(c)
	tx, err := c.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := fn(pgxQ{tx}); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// writeThen is write: a Postgres commit is durable when it returns.
func (b *postgresBackend) writeThen(ctx context.Context, fn func(tx q) error, then func(error)) error {
	if err := b.write(ctx, fn); err != nil {
		return err
	}
	then(nil)
	return nil
}

func (b *postgresBackend) reader() q { return pgReader{b.pool} }

// broken is nil: Postgres itself stops when it cannot make a commit
// durable.
func (b *postgresBackend) broken() error { return nil }

func (b *postgresBackend) close() error {
	b.pool.close()
	return nil
}

// pgReader runs each read on a pooled connection, returned when done.
type pgReader struct{ pool *pgPool }

func (r pgReader) exec(ctx context.Context, query string, args ...any) (int64, error) {
	c, err := r.pool.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer r.pool.release(c)
	return pgxQ{c}.exec(ctx, query, args...)
}

func (r pgReader) query(ctx context.Context, query string, args ...any) (rows, error) {
	c, err := r.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := c.Query(ctx, rebind(query), args...)
	if err != nil {
		r.pool.release(c)
		return nil, err
	}
	return &pgRows{Rows: rs, done: func() { r.pool.release(c) }}, nil
}

func (r pgReader) row(ctx context.Context, query string, args ...any) row {
	return pgLazyRow{r: r, ctx: ctx, query: query, args: args}
}

func (r pgReader) script(ctx context.Context, sql string) error {
	c, err := r.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer r.pool.release(c)
	return pgxQ{c}.script(ctx, sql)
}

// pgRows gives its connection back when closed.
type pgRows struct {
	pgx.Rows
	done   func()
	closed bool
}

func (r *pgRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.done()
	}
}

// pgLazyRow runs its query when scanned, so the connection is held only
// for the scan.
type pgLazyRow struct {
	r     pgReader
	ctx   context.Context
	query string
	args  []any
}

func (l pgLazyRow) Scan(dest ...any) error {
	c, err := l.r.pool.acquire(l.ctx)
	if err != nil {
		return err
	}
	defer l.r.pool.release(c)
	return pgxQ{c}.row(l.ctx, l.query, l.args...).Scan(dest...)
}
