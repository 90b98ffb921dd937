package store

import (
	"context"
	"fmt"
	"time"
)

// defaultPruneLimit is the batch Prune deletes when given none.
const defaultPruneLimit = 1000

// pruneSQL picks the oldest events past retention that nothing waits on:
// finished, and no delivery still to be sent.
const pruneSQL = `DELETE FROM events WHERE id IN (SELECT e.id FROM events e
	WHERE e.received_at < ? AND e.status IN ('processed', 'failed')
	AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
	ORDER BY e.seq LIMIT ?)`

// Prune deletes up to limit finished events received before before; their
// deliveries and attempts go with them (ON DELETE CASCADE). An event the
// in-memory dedup index still names is found missing there, and ingest
// asks the table instead.
func (s *sqlStore) Prune(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = defaultPruneLimit
	}
	var n int64
	err := s.b.write(ctx, func(tx q) error {
		var err error
		if n, err = tx.exec(ctx, pruneSQL, ms(before), limit); err != nil {
			return fmt.Errorf("deleting events: %w", err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM api_calls WHERE at <= ?`, ms(s.now())-day); err != nil {
			return fmt.Errorf("deleting api calls: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning history: %w", err)
	}
	return int(n), nil
}
