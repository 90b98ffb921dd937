package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteBackend is an SQLite file in WAL mode: one write connection, which
// serialises every write of this process, and a pool of readers.
type sqliteBackend struct {
	w     *sql.DB
	r     *sql.DB
	cache *stmtCache
	ckpt  *checkpointer
	wal   *walSyncer
	lock  *os.File
}

const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"

// sqliteWriterPragmas leave the fsync of each commit to the walSyncer
// (NORMAL: COMMIT writes the WAL but does not fsync it; every write
// returns, and every ingest is acknowledged, only after the WAL's fsync)
// and checkpoints to the checkpointer. The page cache holds the hot ends
// of the table and its indexes.
const sqliteWriterPragmas = "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
	"&_pragma=wal_autocheckpoint(0)&_pragma=cache_size(-16384)&_pragma=temp_store(MEMORY)&_txlock=immediate"

// openSQLite opens (creating if need be) the database file at path.
func openSQLite(ctx context.Context, path string, o options) (Store, error) {
	if path == "" {
		return nil, errors.New("opening sqlite store: no path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating store directory: %w", err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	st, err := openSQLiteDB(ctx, path, lock, o)
	if err != nil {
		lock.Close()
		return nil, err
	}
	if err := releaseOrphans(ctx, st.b.(*sqliteBackend).w); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// openSQLiteDB opens the connections of a locked database file.
// On failure the caller still owns lock.
func openSQLiteDB(ctx context.Context, path string, lock *os.File, o options) (*sqlStore, error) {
	w, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+sqliteWriterPragmas)
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
	c, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_pragma=synchronous(FULL)")
	if err != nil {
		_ = errors.Join(r.Close(), w.Close())
		return nil, fmt.Errorf("opening sqlite checkpointer: %w", err)
	}
	c.SetMaxOpenConns(1)
	b := &sqliteBackend{w: w, r: r, cache: &stmtCache{db: w, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}, lock: lock}
	b.ckpt = newCheckpointer(c, o.logger)
	b.wal = newWALSyncer(path)
	return newSQLStore(ctx, b, sqliteDialect, o)
}

// lockFile takes an exclusive lock that lives as long as the process
// holds the file open: one SQLite store belongs to one process.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening store lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("store %s is in use by another hirewire process (for several nodes use postgres://)", strings.TrimSuffix(path, ".lock"))
	}
	return f, nil
}

// releaseOrphans drops the leases of a process that ended without
// releasing them (a crash, kill -9). The file lock guarantees no live
// process holds any, so the work is taken up at once instead of when the
// leases would have run out.
func releaseOrphans(ctx context.Context, w *sql.DB) error {
	for _, table := range []string{"events", "deliveries"} {
		if _, err := w.ExecContext(ctx, "UPDATE "+table+" SET lease_owner = '', lease_until = 0 WHERE lease_owner != ''"); err != nil {
			return fmt.Errorf("releasing orphaned %s leases: %w", table, err)
		}
	}
	return nil
}

// write runs fn in an IMMEDIATE transaction on the write connection and
// returns once the commit is fsync'd.
func (b *sqliteBackend) write(ctx context.Context, fn func(tx q) error) error {
	if err := b.commit(ctx, fn); err != nil {
		return err
	}
	if err := b.wal.sync(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// writeThen commits fn and leaves the fsync to the syncer, which calls
// then after it.
func (b *sqliteBackend) writeThen(ctx context.Context, fn func(tx q) error, then func(error)) error {
	if err := b.commit(ctx, fn); err != nil {
		return err
	}
	b.wal.after(then)
	return nil
}

// commit runs fn in an IMMEDIATE transaction and commits it, not yet
// durably.
func (b *sqliteBackend) commit(ctx context.Context, fn func(tx q) error) error {
	if err := b.wal.broken(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
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
	b.ckpt.committed()
	b.cache.prepare(ctx)
	return nil
}

func (b *sqliteBackend) reader() q { return sqlDB{b.r} }

func (b *sqliteBackend) broken() error { return b.wal.broken() }

func (b *sqliteBackend) close() error {
	b.cache.close()
	b.wal.stop()
	err := errors.Join(b.ckpt.stop(), b.r.Close(), b.w.Close())
	b.lock.Close() // releases the flock
	return err
}
