package store

import (
	"context"
	"errors"
	"fmt"
)

// Snapshot returns the stored copy of one object.
func (s *sqlStore) Snapshot(ctx context.Context, object, id string) (*Snapshot, error) {
	snap := Snapshot{Object: object, ID: id}
	var data, prior []byte
	var fetched, priorAt int64
	err := s.b.reader().row(ctx, `SELECT data, fetched_at, prior, prior_at FROM snapshots
		WHERE object = ? AND id = ?`, object, id).Scan(&data, &fetched, &prior, &priorAt)
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("snapshot %s %s: %w", object, id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading snapshot %s %s: %w", object, id, err)
	}
	snap.Data, snap.Prior = raw(data), raw(prior)
	snap.FetchedAt, snap.PriorAt = fromMS(fetched), fromMS(priorAt)
	return &snap, nil
}

// PutSnapshot stores a fresh copy; the copy it replaces becomes Prior. A
// copy fetched before the stored one (stored late by another flight or
// node) is dropped.
func (s *sqlStore) PutSnapshot(ctx context.Context, snap *Snapshot) error {
	at := snap.FetchedAt
	if at.IsZero() {
		at = s.now()
	}
	return s.b.write(ctx, func(tx q) error {
		_, err := tx.exec(ctx, `INSERT INTO snapshots (object, id, data, fetched_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (object, id) DO UPDATE SET prior = snapshots.data, prior_at = snapshots.fetched_at,
			data = excluded.data, fetched_at = excluded.fetched_at
			WHERE excluded.fetched_at >= snapshots.fetched_at`,
			snap.Object, snap.ID, blob(snap.Data), ms(at))
		if err != nil {
			return fmt.Errorf("storing snapshot %s %s: %w", snap.Object, snap.ID, err)
		}
		return nil
	})
}

// DeleteSnapshot erases an object's copies.
func (s *sqlStore) DeleteSnapshot(ctx context.Context, object, id string) error {
	return s.b.write(ctx, func(tx q) error {
		_, err := tx.exec(ctx, `DELETE FROM snapshots WHERE object = ? AND id = ?`, object, id)
		if err != nil {
			return fmt.Errorf("deleting snapshot %s %s: %w", object, id, err)
		}
		return nil
	})
}
