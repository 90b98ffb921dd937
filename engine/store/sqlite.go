package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteBackend is an SQLite file in WAL mode: one write connection, which
// serialises every write of this process, and a pool of readers.
type sqliteBackend struct {
	w     *sql.DB
	r     *sql.DB
	cache *stmtCache
}

const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"

// openSQLite opens (creating if need be) the database file at path.
func openSQLite(ctx context.Context, path string, o options) (Store, error) {
	if path == "" {
		return nil, errors.New("opening sqlite store: no path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating store directory: %w", err)
	}
	w, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("opening sqlite readers: %w", err)
	}
	r.SetMaxOpenConns(4)
	b := &sqliteBackend{w: w, r: r, cache: &stmtCache{db: w, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}}
	return newSQLStore(ctx, b, sqliteDialect, o)
}

// write runs fn in an IMMEDIATE transaction on the write connection; the
// commit is fsync'd (synchronous=FULL).
func (b *sqliteBackend) write(ctx context.Context, fn func(tx q) error) error {
	tx, err := b.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := fn(sqlTx{tx: tx, cache: b.cache}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	b.cache.prepare(ctx)
	return nil
}

func (b *sqliteBackend) reader() q { return sqlDB{b.r} }

func (b *sqliteBackend) close() error {
	b.cache.close()
	return errors.Join(b.r.Close(), b.w.Close())
}
