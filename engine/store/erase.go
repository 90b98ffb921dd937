package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// erasedEvents selects the finished events whose history an Erasure
// forgets. Finding them scans the table: an index on obj_key would be
// written at a random page by every ingest, to serve a rare request.
const erasedEvents = `SELECT id FROM events WHERE obj_key = ? AND obj_key <> '' AND id <> ?
	AND status IN ('processed', 'failed')`

// erasedTraces reads the traces of the same events.
const erasedTraces = `SELECT id, trace FROM events WHERE obj_key = ? AND obj_key <> '' AND id <> ?
	AND status IN ('processed', 'failed')`

// ErasePersonal forgets the personal data that the traces, delivery
// payloads and attempt details of er.Key's finished events hold.
func (s *sqlStore) ErasePersonal(ctx context.Context, er Erasure) (int, error) {
	if er.Key == "" {
		return 0, nil
	}
	now := s.now()
	redact := er.Trace
	if redact == nil {
		redact = func(json.RawMessage) json.RawMessage { return erasedMarker(now) }
	}
	var n int
	err := s.b.write(ctx, func(tx q) error {
		traces, err := eventTraces(ctx, tx, er.Key, er.Keep)
		if err != nil {
			return err
		}
		n = len(traces)
		for id, trace := range traces {
			if _, err := tx.exec(ctx, `UPDATE events SET trace = ? WHERE id = ?`, blob(redact(trace)), id); err != nil {
				return fmt.Errorf("erasing trace of %s: %w", id, err)
			}
		}
		return eraseDeliveries(ctx, tx, er.Key, er.Keep, ms(now))
	})
	if err != nil {
		return 0, fmt.Errorf("erasing personal data of %s: %w", er.Key, err)
	}
	return n, nil
}

// erasedMarker is the trace of an erased event when the caller gives no
// redaction of its own.
func erasedMarker(now time.Time) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"erased_at": now.UTC().Format(time.RFC3339)})
	return b
}

// eventTraces reads the traces of the events an erasure concerns.
func eventTraces(ctx context.Context, tx q, key, keep string) (map[string]json.RawMessage, error) {
	r, err := tx.query(ctx, erasedTraces, key, keep)
	if err != nil {
		return nil, fmt.Errorf("finding events: %w", err)
	}
	defer r.Close()
	out := map[string]json.RawMessage{}
	for r.Next() {
		var id string
		var trace []byte
		if err := r.Scan(&id, &trace); err != nil {
			return nil, fmt.Errorf("finding events: %w", err)
		}
		out[id] = raw(trace)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("finding events: %w", err)
	}
	return out, nil
}

// eraseDeliveries blanks the payloads and attempt details of the events'
// deliveries, and kills the pending ones. Dropping the lease makes the
// Finish of an attempt in flight fail, so it cannot revive the delivery.
//
// The deliveries go first: on Postgres that UPDATE waits for the row lock
// of a Finish in flight, and the attempts UPDATE after it, a statement of
// its own, then sees the attempt that Finish committed. The other way
// round the attempt would be missed and keep its detail.
func eraseDeliveries(ctx context.Context, tx q, key, keep string, now int64) error {
	_, err := tx.exec(ctx, `UPDATE deliveries SET payload = ?,
		last_error = CASE WHEN status = 'pending' OR last_error <> '' THEN CAST(? AS TEXT) ELSE '' END,
		status = CASE WHEN status = 'pending' THEN 'dead' ELSE status END,
		lease_owner = '', lease_until = 0, updated_at = ?
		WHERE event_id IN (`+erasedEvents+`)`, []byte(ErasedPayload), ErasedError, now, key, keep)
	if err != nil {
		return fmt.Errorf("erasing deliveries: %w", err)
	}
	_, err = tx.exec(ctx, `UPDATE attempts SET detail = '' WHERE detail <> '' AND delivery_id IN
		(SELECT id FROM deliveries WHERE event_id IN (`+erasedEvents+`))`, key, keep)
	if err != nil {
		return fmt.Errorf("erasing attempts: %w", err)
	}
	return nil
}
