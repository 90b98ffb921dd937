package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// backend is what an SQL database gives the store: serialised write
// transactions and a querier for reads.
type backend interface {
	// write runs fn in one transaction and commits it durably.
	write(ctx context.Context, fn func(tx q) error) error
	// writeThen runs fn in one transaction and commits it, and calls then
	// once the commit is durable (or could not be made so), possibly later
	// and from another goroutine: the group commit goes on with the next
	// group meanwhile. then is not called when fn or the commit fails.
	writeThen(ctx context.Context, fn func(tx q) error, then func(error)) error
	// reader queries outside any write transaction.
	reader() q
	// broken returns why the backend refuses all writes until a restart,
	// or nil.
	broken() error
	close() error
}

// sqlStore implements Store over any backend; the SQL it speaks is the
// common part of SQLite and Postgres, and dialect holds the rest.
type sqlStore struct {
	b       backend
	d       dialect
	now     func() time.Time
	log     *slog.Logger
	batcher *batcher
	once    sync.Once
	// ingestMu orders the writes that dedupIdx must see: group commits
	// and replays.
	ingestMu sync.Mutex
	// dedupIdx is nil unless one process owns the database.
	dedupIdx *dedupIndex
}

var _ Store = (*sqlStore)(nil)

// newSQLStore migrates the database and starts the group-commit writer.
func newSQLStore(ctx context.Context, b backend, d dialect, o options) (*sqlStore, error) {
	if err := migrate(ctx, b, d, o.now()); err != nil {
		_ = b.close()
		return nil, fmt.Errorf("migrating %s schema: %w", d.name, err)
	}
	s := &sqlStore{b: b, d: d, now: o.now, log: o.logger}
	if d.exclusive {
		s.dedupIdx = newDedupIndex()
	}
	s.batcher = newBatcher(o.batchSize, s.commitBatch)
	go s.batcher.run()
	return s, nil
}

// Close stops taking events, answers the ones queued with ErrUnavailable
// and closes the database.
func (s *sqlStore) Close() error {
	var err error
	s.once.Do(func() {
		s.batcher.stop()
		err = s.b.close()
	})
	return err
}

// leaseErr tells why a write guarded by a lease matched no row: the record
// does not exist, or someone else holds it now.
func leaseErr(ctx context.Context, tx q, table, id string) error {
	var one int
	err := tx.row(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, errNoRows):
		return fmt.Errorf("%s %s: %w", table, id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("checking %s %s: %w", table, id, err)
	}
	return fmt.Errorf("%s %s: %w", table, id, ErrLeaseLost)
}

// scanner is a row or the current row of rows.
type scanner interface{ Scan(dest ...any) error }

// claimIDs runs a claim's SELECT and returns the ids it picked.
func claimIDs(ctx context.Context, tx q, query string, args ...any) ([]string, error) {
	r, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var ids []string
	for r.Next() {
		var id string
		if err := r.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, r.Err()
}

// limit applies the default page size to n.
func limit(n int) int {
	if n <= 0 {
		return 50
	}
	return n
}
