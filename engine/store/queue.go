package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// claimEventsSQL picks due events in arrival order, skipping any event
// while an earlier unfinished event is about the same object.
const claimEventsSQL = `SELECT id FROM events e
	WHERE e.status IN ('pending', 'waiting_for_api') AND e.not_before <= ? AND e.lease_until <= ?
	AND (e.obj_key = '' OR NOT EXISTS (SELECT 1 FROM events p WHERE p.obj_key = e.obj_key
		AND p.seq < e.seq AND p.status IN ('pending', 'waiting_for_api')))
	ORDER BY e.seq LIMIT ?`

// ClaimEvents leases up to n due events to owner.
func (s *sqlStore) ClaimEvents(ctx context.Context, owner string, n int, lease time.Duration) ([]*event.Event, error) {
	now := ms(s.now())
	var out []*event.Event
	err := s.b.write(ctx, func(tx q) error {
		out = out[:0]
		ids, err := claimIDs(ctx, tx, claimEventsSQL+s.d.skipLocked, now, now, n)
		if err != nil {
			return fmt.Errorf("selecting events: %w", err)
		}
		for _, id := range ids {
			rec, err := scanEvent(tx.row(ctx, `UPDATE events SET lease_owner = ?, lease_until = ?,
				attempts = attempts + 1 WHERE id = ? RETURNING `+eventCols, owner, now+lease.Milliseconds(), id))
			if err != nil {
				return fmt.Errorf("leasing event %s: %w", id, err)
			}
			out = append(out, &rec.Event)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming events: %w", err)
	}
	return out, nil
}

// Defer releases a claimed event and holds it until the given time. A
// non-zero attempt must be the claim's (the event's Attempts when it was
// claimed), so that a claim that outlived its lease cannot defer the event
// from under the claim that took over.
func (s *sqlStore) Defer(ctx context.Context, owner, id string, attempt int, status string, until time.Time, reason string) error {
	if status != StatusPending && status != StatusWaiting {
		return fmt.Errorf("deferring event %s: status %q is not pending or waiting", id, status)
	}
	return s.b.write(ctx, func(tx q) error {
		n, err := tx.exec(ctx, `UPDATE events SET status = ?, not_before = ?, reason = ?,
			lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ? AND (CAST(? AS BIGINT) = 0 OR attempts = ?)`,
			status, ms(until), reason, id, owner, attempt, attempt)
		if err != nil {
			return fmt.Errorf("deferring event %s: %w", id, err)
		}
		if n == 0 {
			return leaseErr(ctx, tx, "events", id)
		}
		return nil
	})
}

// Complete stores the outcome of a claimed event and its deliveries, if
// the claim still holds the event.
func (s *sqlStore) Complete(ctx context.Context, owner, id string, out *Outcome) error {
	status := out.Status
	if status == "" {
		status = StatusProcessed
	}
	if status != StatusProcessed && status != StatusFailed {
		return fmt.Errorf("completing event %s: status %q is not processed or failed", id, status)
	}
	now := s.now()
	at := out.ProcessedAt
	if at.IsZero() {
		at = now
	}
	return s.b.write(ctx, func(tx q) error {
		n, err := tx.exec(ctx, `UPDATE events SET status = ?, rules_version = ?, trace = ?, processed_at = ?,
			reason = '', lease_owner = '', lease_until = 0
			WHERE id = ? AND lease_owner = ? AND (CAST(? AS BIGINT) = 0 OR attempts = ?)
			AND status IN ('pending', 'waiting_for_api')`,
			status, out.RulesVersion, blob(out.Trace), ms(at), id, owner, out.Attempt, out.Attempt)
		if err != nil {
			return fmt.Errorf("completing event %s: %w", id, err)
		}
		if n == 0 {
			return notHeld(ctx, tx, id)
		}
		for _, d := range out.Deliveries {
			if err := insertDelivery(ctx, tx, id, d, at, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// notHeld says why a claim could not complete event id: it does not
// exist, or the claim no longer holds it.
func notHeld(ctx context.Context, tx q, id string) error {
	var one int
	err := tx.row(ctx, `SELECT 1 FROM events WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, errNoRows):
		return fmt.Errorf("events %s: %w", id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("checking event %s: %w", id, err)
	}
	return fmt.Errorf("events %s: %w", id, ErrLeaseLost)
}

// insertDelivery creates d unless a delivery with its id exists.
func insertDelivery(ctx context.Context, tx q, eventID string, orig *Delivery, at, now time.Time) error {
	c := *orig
	d := &c
	if d.EventID == "" {
		d.EventID = eventID
	}
	if d.Status == "" {
		d.Status = DeliveryPending
	}
	if d.NextAt.IsZero() {
		d.NextAt = at
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	if err := checkOnce(ctx, tx, d); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO deliveries (id, event_id, rule, action_index, kind, payload,
		status, attempts, max_attempts, backoff_ns, max_backoff_ns, next_at, last_error, created_at, updated_at, once_key, destination)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.EventID, d.Rule, d.Action, d.Kind, blob(d.Payload), d.Status, d.Attempts, d.MaxAttempts,
		int64(d.Backoff), int64(d.MaxBackoff), ms(d.NextAt), d.LastError, ms(d.CreatedAt), ms(d.UpdatedAt), d.OnceKey, d.Destination)
	if err != nil {
		return fmt.Errorf("creating delivery %s: %w", d.ID, err)
	}
	return nil
}

// checkOnce makes a pending delivery skipped when another delivery holds
// its once key (pending or delivered). The unique index deliveries_once
// backs this up when two nodes complete events at once: the later
// transaction fails and its event is completed again, then skipped here.
func checkOnce(ctx context.Context, tx q, d *Delivery) error {
	if d.OnceKey == "" || d.Status != DeliveryPending {
		return nil
	}
	var holder string
	err := tx.row(ctx, `SELECT id FROM deliveries WHERE once_key = ? AND status IN ('pending', 'delivered') AND id <> ?`,
		d.OnceKey, d.ID).Scan(&holder)
	switch {
	case errors.Is(err, errNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("checking once key of delivery %s: %w", d.ID, err)
	}
	d.Status = DeliverySkipped
	d.LastError = fmt.Sprintf("once: %q was already used by delivery %s", d.OnceKey, holder)
	return nil
}

// ReleaseAll drops every lease owner holds.
func (s *sqlStore) ReleaseAll(ctx context.Context, owner string) error {
	return s.b.write(ctx, func(tx q) error {
		for _, table := range []string{"events", "deliveries"} {
			_, err := tx.exec(ctx, `UPDATE `+table+` SET lease_owner = '', lease_until = 0 WHERE lease_owner = ?`, owner)
			if err != nil {
				return fmt.Errorf("releasing %s of %s: %w", table, owner, err)
			}
		}
		return nil
	})
}
