package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

const eventCols = `id, source, event_type, obj_key, body, dedup_key, received_at, last_seen_at,
	not_before, attempts, status, reason, rules_version, trace, processed_at`

// scanEvent reads one row of eventCols.
func scanEvent(sc scanner) (*EventRecord, error) {
	var r EventRecord
	var body, trace []byte
	var recv, seen, notBefore, processed int64
	err := sc.Scan(&r.ID, &r.Source, &r.Type, &r.Key, &body, &r.DedupKey, &recv, &seen,
		&notBefore, &r.Attempts, &r.Status, &r.Reason, &r.RulesVersion, &trace, &processed)
	if err != nil {
		return nil, err
	}
	r.Body, r.Trace = raw(body), raw(trace)
	r.ReceivedAt, r.LastSeenAt, r.NotBefore = fromMS(recv), fromMS(seen), fromMS(notBefore)
	r.ProcessedAt = fromMS(processed)
	return &r, nil
}

// Event returns one event with its deliveries and their attempts.
func (s *sqlStore) Event(ctx context.Context, id string) (*EventRecord, error) {
	rd := s.b.reader()
	rec, err := scanEvent(rd.row(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, id))
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("event %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading event %s: %w", id, err)
	}
	if rec.Deliveries, err = eventDeliveries(ctx, rd, id); err != nil {
		return nil, fmt.Errorf("reading deliveries of %s: %w", id, err)
	}
	return rec, nil
}

// eventDeliveries loads the deliveries of one event with their history.
func eventDeliveries(ctx context.Context, rd q, id string) ([]*Delivery, error) {
	r, err := rd.query(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE event_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	var out []*Delivery
	byID := map[string]*Delivery{}
	for r.Next() {
		d, err := scanDelivery(r)
		if err != nil {
			r.Close()
			return nil, err
		}
		out = append(out, d)
		byID[d.ID] = d
	}
	r.Close()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return out, addHistory(ctx, rd, id, byID)
}

// addHistory attaches every attempt of the event's deliveries, in order.
func addHistory(ctx context.Context, rd q, id string, byID map[string]*Delivery) error {
	r, err := rd.query(ctx, `SELECT a.delivery_id, a.n, a.at, a.duration_ns, a.ok, a.detail
		FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = ? ORDER BY a.seq`, id)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
		var a Attempt
		var at, dur int64
		var ok int
		if err := r.Scan(&a.DeliveryID, &a.N, &at, &dur, &ok, &a.Detail); err != nil {
			return err
		}
		a.At, a.Duration, a.OK = fromMS(at), time.Duration(dur), ok != 0
		if d := byID[a.DeliveryID]; d != nil {
			d.History = append(d.History, &a)
		}
	}
	return r.Err()
}

// Events lists recent events, newest first.
func (s *sqlStore) Events(ctx context.Context, f EventFilter) ([]*EventRecord, error) {
	r, err := s.b.reader().query(ctx, `SELECT `+eventCols+` FROM events
		WHERE (CAST(? AS TEXT) = '' OR event_type = ?) AND (CAST(? AS TEXT) = '' OR status = ?)
		ORDER BY seq DESC LIMIT ?`, f.Type, f.Type, f.Status, f.Status, limit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	defer r.Close()
	var out []*EventRecord
	for r.Next() {
		rec, err := scanEvent(r)
		if err != nil {
			return nil, fmt.Errorf("listing events: %w", err)
		}
		out = append(out, rec)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	return out, nil
}

// Replay stores a copy of event id, received at now, as a new event that
// bypasses the dedup check.
func (s *sqlStore) Replay(ctx context.Context, id string, now time.Time) (string, error) {
	newID := event.NewID(now)
	at := ms(now)
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	if s.dedupIdx != nil {
		defer s.dedupIdx.reset() // the copy is now the latest of its key
	}
	err := s.b.write(ctx, func(tx q) error {
		if s.d.ingestLock != "" {
			if _, err := tx.exec(ctx, s.d.ingestLock); err != nil {
				return err
			}
		}
		n, err := tx.exec(ctx, `INSERT INTO events (id, source, event_type, obj_key, body, dedup_key,
			received_at, last_seen_at, not_before, status)
			SELECT CAST(? AS TEXT), source, event_type, obj_key, body, dedup_key,
			CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), 'pending' FROM events WHERE id = ?`,
			newID, at, at, at, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("event %s: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("replaying event %s: %w", id, err)
	}
	return newID, nil
}

// Stats counts events and deliveries by status.
func (s *sqlStore) Stats(ctx context.Context) (Stats, error) {
	if err := s.b.broken(); err != nil {
		return Stats{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	st := Stats{Events: map[string]int{}, Deliveries: map[string]int{}}
	for table, m := range map[string]map[string]int{"events": st.Events, "deliveries": st.Deliveries} {
		if err := countByStatus(ctx, s.b.reader(), table, m); err != nil {
			return Stats{}, fmt.Errorf("counting %s: %w", table, err)
		}
	}
	return st, nil
}

func countByStatus(ctx context.Context, rd q, table string, m map[string]int) error {
	r, err := rd.query(ctx, `SELECT status, COUNT(*) FROM `+table+` GROUP BY status`)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
		var status string
		var n int
		if err := r.Scan(&status, &n); err != nil {
			return err
		}
		m[status] = n
	}
	return r.Err()
}
