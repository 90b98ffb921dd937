package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

const deliveryCols = `id, event_id, rule, action_index, kind, payload, status, attempts, max_attempts,
	backoff_ns, max_backoff_ns, next_at, last_error, created_at, updated_at, once_key, destination, claims`

// scanDelivery reads one row of deliveryCols.
func scanDelivery(sc scanner) (*Delivery, error) {
	var d Delivery
	var payload []byte
	var backoff, maxBackoff, next, created, updated int64
	err := sc.Scan(&d.ID, &d.EventID, &d.Rule, &d.Action, &d.Kind, &payload, &d.Status, &d.Attempts,
		&d.MaxAttempts, &backoff, &maxBackoff, &next, &d.LastError, &created, &updated, &d.OnceKey, &d.Destination, &d.Claim)
	if err != nil {
		return nil, err
	}
	d.Payload = raw(payload)
	d.Backoff, d.MaxBackoff = time.Duration(backoff), time.Duration(maxBackoff)
	d.NextAt, d.CreatedAt, d.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	return &d, nil
}

// claimLookahead is how many due deliveries beyond n one query of a claim
// reads to find n that admit takes; claimQueries bounds the queries. Each
// query after the first passes over the destinations admit refused, so a
// long backlog for a full destination costs one query, not a scan.
const (
	claimLookahead = 64
	claimQueries   = 4
)

// ClaimDeliveries leases up to n pending deliveries that are due, in order,
// passing over those that admit refuses (admit nil takes all).
func (s *sqlStore) ClaimDeliveries(ctx context.Context, owner string, n int, lease time.Duration, admit func(destination string) bool) ([]*Delivery, error) {
	now := ms(s.now())
	var out []*Delivery
	err := s.b.write(ctx, func(tx q) error {
		out = out[:0]
		ids, err := s.admittedDeliveries(ctx, tx, now, n, admit)
		if err != nil {
			return fmt.Errorf("selecting deliveries: %w", err)
		}
		for _, id := range ids {
			d, err := scanDelivery(tx.row(ctx, `UPDATE deliveries SET lease_owner = ?, lease_until = ?,
				claims = claims + 1 WHERE id = ? RETURNING `+deliveryCols, owner, now+lease.Milliseconds(), id))
			if err != nil {
				return fmt.Errorf("leasing delivery %s: %w", id, err)
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	return out, nil
}

// admittedDeliveries returns the ids of the first n due deliveries that
// admit takes, asking it about each once, in order.
func (s *sqlStore) admittedDeliveries(ctx context.Context, tx q, now int64, n int, admit func(string) bool) ([]string, error) {
	if admit == nil {
		return claimIDs(ctx, tx, `SELECT id FROM deliveries WHERE status = 'pending'
			AND next_at <= ? AND lease_until <= ? ORDER BY next_at, seq LIMIT ?`+s.d.skipLocked, now, now, n)
	}
	var ids []string
	seen := map[string]bool{}
	var refused []string
	for range claimQueries {
		query := `SELECT id, destination FROM deliveries WHERE status = 'pending' AND next_at <= ? AND lease_until <= ?`
		args := []any{now, now}
		if len(refused) > 0 {
			query += ` AND destination NOT IN (?` + strings.Repeat(", ?", len(refused)-1) + `)`
			for _, d := range refused {
				args = append(args, d)
			}
		}
		look := n + claimLookahead
		r, err := tx.query(ctx, query+` ORDER BY next_at, seq LIMIT ?`+s.d.skipLocked, append(args, look)...)
		if err != nil {
			return nil, err
		}
		read := 0
		for len(ids) < n && r.Next() {
			read++
			var id, dest string
			if err := r.Scan(&id, &dest); err != nil {
				r.Close()
				return nil, err
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			if admit(dest) {
				ids = append(ids, id)
			} else if !slices.Contains(refused, dest) {
				refused = append(refused, dest)
			}
		}
		err = r.Err()
		r.Close()
		if err != nil {
			return nil, err
		}
		if len(ids) >= n || read < look {
			break // enough, or every due delivery was read
		}
	}
	return ids, nil
}

// Finish records an attempt of a claimed delivery and its new state.
func (s *sqlStore) Finish(ctx context.Context, owner string, d *Delivery, a *Attempt) error {
	switch d.Status {
	case DeliveryPending, DeliveryDelivered, DeliveryDead:
	default:
		return fmt.Errorf("finishing delivery %s: unknown status %q", d.ID, d.Status)
	}
	now := s.now()
	return s.b.write(ctx, func(tx q) error {
		n, err := tx.exec(ctx, `UPDATE deliveries SET status = ?, next_at = ?, attempts = ?, last_error = ?,
			updated_at = ?, lease_owner = '', lease_until = 0
			WHERE id = ? AND lease_owner = ? AND (CAST(? AS BIGINT) = 0 OR claims = ?)`,
			d.Status, ms(d.NextAt), d.Attempts, d.LastError, ms(now), d.ID, owner, d.Claim, d.Claim)
		if err != nil {
			return fmt.Errorf("finishing delivery %s: %w", d.ID, err)
		}
		if n == 0 {
			return leaseErr(ctx, tx, "deliveries", d.ID)
		}
		if a == nil {
			return nil
		}
		at := a.At
		if at.IsZero() {
			at = now
		}
		_, err = tx.exec(ctx, `INSERT INTO attempts (delivery_id, n, at, duration_ns, ok, detail)
			VALUES (?, ?, ?, ?, ?, ?)`, d.ID, a.N, ms(at), int64(a.Duration), boolInt(a.OK), a.Detail)
		if err != nil {
			return fmt.Errorf("recording attempt of %s: %w", d.ID, err)
		}
		return nil
	})
}

// RetryDelivery makes a dead or pending delivery due now with a fresh
// attempt budget. A delivered one is left alone, and so is an erased one:
// its payload is gone.
func (s *sqlStore) RetryDelivery(ctx context.Context, id string) error {
	now := ms(s.now())
	return s.b.write(ctx, func(tx q) error {
		if err := onceHeld(ctx, tx, id); err != nil {
			return err
		}
		n, err := tx.exec(ctx, `UPDATE deliveries SET status = 'pending', next_at = ?, attempts = 0,
			updated_at = ? WHERE id = ? AND status IN ('pending', 'dead') AND payload <> ? AND payload <> ?`,
			now, now, id, []byte(ErasedPayload), []byte(unrendered))
		if err != nil {
			return fmt.Errorf("retrying delivery %s: %w", id, err)
		}
		if n > 0 {
			return nil
		}
		var status string
		var payload []byte
		err = tx.row(ctx, `SELECT status, payload FROM deliveries WHERE id = ?`, id).Scan(&status, &payload)
		switch {
		case errors.Is(err, errNoRows):
			return fmt.Errorf("delivery %s: %w", id, ErrNotFound)
		case err != nil:
			return fmt.Errorf("retrying delivery %s: %w", id, err)
		case string(payload) == ErasedPayload:
			return fmt.Errorf("retrying delivery %s: %w: its personal data was erased", id, ErrNotRetryable)
		case string(payload) == unrendered:
			return fmt.Errorf("retrying delivery %s: %w: it was never rendered (see its error); fix the rule or the data and replay the event", id, ErrNotRetryable)
		}
		return fmt.Errorf("retrying delivery %s: %w: it is %s", id, ErrNotRetryable, status)
	})
}

// unrendered is the payload of a delivery whose action could not be
// rendered: there is nothing to send, so it cannot be retried.
const unrendered = "null"

// onceHeld refuses to make delivery id pending while another delivery
// holds its once key.
func onceHeld(ctx context.Context, tx q, id string) error {
	var holder string
	err := tx.row(ctx, `SELECT o.id FROM deliveries d JOIN deliveries o ON o.once_key = d.once_key
		WHERE d.id = ? AND d.once_key <> '' AND o.id <> d.id AND o.status IN ('pending', 'delivered')`, id).Scan(&holder)
	switch {
	case errors.Is(err, errNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("retrying delivery %s: %w", id, err)
	}
	return fmt.Errorf("retrying delivery %s: %w: its once key is held by delivery %s", id, ErrNotRetryable, holder)
}

// Deliveries lists deliveries, newest first.
func (s *sqlStore) Deliveries(ctx context.Context, status string, n int) ([]*Delivery, error) {
	r, err := s.b.reader().query(ctx, `SELECT `+deliveryCols+` FROM deliveries
		WHERE CAST(? AS TEXT) = '' OR status = ? ORDER BY seq DESC LIMIT ?`, status, status, limit(n))
	if err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	defer r.Close()
	var out []*Delivery
	for r.Next() {
		d, err := scanDelivery(r)
		if err != nil {
			return nil, fmt.Errorf("listing deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
