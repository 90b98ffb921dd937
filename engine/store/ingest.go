package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// ingestReq is one Ingest call waiting for the group commit.
type ingestReq struct {
	e      *event.Event
	window time.Duration
	hold   time.Duration
	res    chan ingestRes
}

type ingestRes struct {
	id  string
	dup bool
	err error
}

// Ingest hands e to the writer goroutine and waits until the transaction
// that holds it has committed. If ctx ends first, the event may still be
// committed; the sender's retry is then a duplicate.
func (s *sqlStore) Ingest(ctx context.Context, e *event.Event, window, hold time.Duration) (string, bool, error) {
	if e.ID == "" {
		return "", false, fmt.Errorf("ingesting event: no id")
	}
	r := &ingestReq{e: e, window: window, hold: hold, res: make(chan ingestRes, 1)}
	if err := s.batcher.submit(ctx, r); err != nil {
		return "", false, err
	}
	select {
	case res := <-r.res:
		return res.id, res.dup, res.err
	case <-ctx.Done():
		return "", false, ctx.Err()
	case <-s.batcher.done:
		select {
		case res := <-r.res:
			return res.id, res.dup, res.err
		default:
			return "", false, ErrUnavailable
		}
	}
}

// commitBatch stores a group of events in one transaction and answers
// each caller once the commit is on disk (the fsync may still run while
// the next group is inserted). If a request fails, the group is rolled
// back and each request runs alone, so one bad event fails only itself.
func (s *sqlStore) commitBatch(batch []*ingestReq) {
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	s.commitGroup(batch)
}

func (s *sqlStore) commitGroup(batch []*ingestReq) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	batch = slices.Clone(batch) // the batcher reuses its slice; answer may run later
	results := make([]ingestRes, len(batch))
	failed := false
	answer := func(syncErr error) {
		for i, r := range batch {
			res := results[i]
			if syncErr != nil && res.err == nil {
				res = ingestRes{err: fmt.Errorf("committing events: %w (%w)", ErrUnavailable, syncErr)}
			}
			r.res <- res
		}
	}
	err := s.b.writeThen(ctx, func(tx q) error {
		if s.d.ingestLock != "" {
			if _, err := tx.exec(ctx, s.d.ingestLock); err != nil {
				return err
			}
		}
		if s.dedupIdx != nil && len(batch) > 1 {
			many, err := s.ingestMany(ctx, tx, batch)
			if err != nil {
				failed = true
				return err
			}
			copy(results, many)
			return nil
		}
		for i, r := range batch {
			results[i] = s.ingestOne(ctx, tx, r)
			if results[i].err != nil {
				failed = true
				return results[i].err
			}
		}
		return nil
	}, answer)
	if err == nil {
		return // answered once the commit is on disk
	}
	if s.dedupIdx != nil {
		s.dedupIdx.reset() // it may name rows that were rolled back
	}
	switch {
	case failed && len(batch) > 1:
		for _, r := range batch {
			s.commitGroup([]*ingestReq{r})
		}
		return
	case failed: // results[0] tells the one caller what was wrong
	default:
		s.log.Error("committing events", "events", len(batch), "err", err)
		err = fmt.Errorf("committing events: %w (%w)", ErrUnavailable, err)
		for i := range results {
			results[i] = ingestRes{err: err}
		}
	}
	answer(nil)
}

// batchTimeout bounds one group commit, so that a hung database fails the
// waiting senders instead of holding them forever.
const batchTimeout = 30 * time.Second

// ingestOne does one request's dedup check and insert inside the group's
// transaction.
func (s *sqlStore) ingestOne(ctx context.Context, tx q, r *ingestReq) ingestRes {
	e := r.e
	recv := ms(e.ReceivedAt)
	if recv == 0 {
		recv = ms(s.now())
	}
	hold := r.hold.Milliseconds()
	if r.window > 0 && e.DedupKey != "" {
		id, found, err := s.findDup(ctx, tx, e.DedupKey, recv, r.window.Milliseconds(), hold)
		if err != nil || found {
			return ingestRes{id: id, dup: found, err: err}
		}
	}
	var seq int64
	err := tx.row(ctx, `INSERT INTO events (id, source, event_type, obj_key, body, dedup_key,
		received_at, last_seen_at, not_before, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
		ON CONFLICT (id) DO NOTHING RETURNING seq`,
		e.ID, e.Source, e.Type, e.Key, blob(e.Body), e.DedupKey, recv, recv, recv+hold).Scan(&seq)
	if errors.Is(err, errNoRows) {
		return ingestRes{err: fmt.Errorf("inserting event %s: id taken", e.ID)}
	}
	if err != nil {
		return ingestRes{err: fmt.Errorf("inserting event %s: %w", e.ID, err)}
	}
	if s.dedupIdx != nil && e.DedupKey != "" {
		s.dedupIdx.put(e.DedupKey, seq, recv)
	}
	return ingestRes{id: e.ID}
}

// findDup looks for an event with key received less than window before
// recv and, if there is one, records the duplicate on it. The in-memory
// index says which row to try; the table decides.
func (s *sqlStore) findDup(ctx context.Context, tx q, key string, recv, window, hold int64) (string, bool, error) {
	x := s.dedupIdx
	if x == nil {
		return s.dedup(ctx, tx, key, recv, window, hold)
	}
	since := recv - window
	if err := x.cover(ctx, tx, since, window); err != nil {
		return "", false, err
	}
	seq, ok := x.lookup(key, since)
	if !ok {
		return "", false, nil
	}
	var id string
	err := tx.row(ctx, markDupSQL+`seq = ? AND dedup_key = ? AND received_at > ?`+debounceOpen+` RETURNING id`,
		recv, recv, hold, recv+hold, recv+hold, seq, key, since, hold, recv).Scan(&id)
	switch {
	case errors.Is(err, errNoRows): // not the row the index said: ask the table
		return s.dedup(ctx, tx, key, recv, window, hold)
	case err != nil:
		return "", false, fmt.Errorf("recording duplicate: %w", err)
	}
	return id, true, nil
}

// markDupSQL records a duplicate received at ? on the first event: it was
// last seen then, and a pending first event is held for the debounce
// (hold ms) after it. The caller appends the condition naming the row,
// and debounceOpen.
const markDupSQL = `UPDATE events SET
	last_seen_at = CASE WHEN last_seen_at < ? THEN ? ELSE last_seen_at END,
	not_before = CASE WHEN status = 'pending' AND CAST(? AS BIGINT) > 0 AND not_before < ? THEN ? ELSE not_before END
	WHERE `

// debounceOpen (hold ms, now ms) limits a duplicate of a debounced type
// (hold > 0) to a first event whose processing has not begun: one being
// processed, or done, may have read the object before the edit this copy
// announces (webhooks carry only ids), so the copy is a new event, held
// and processed in turn. Without a hold any event in the window will do.
const debounceOpen = ` AND (CAST(? AS BIGINT) = 0 OR (status IN ('pending', 'waiting_for_api') AND lease_until <= ?))`

// dedup finds the latest event with key received less than window before
// recv in the table; if there is one it records the duplicate and pushes
// the debounce hold of a pending first event.
func (s *sqlStore) dedup(ctx context.Context, tx q, key string, recv, window, hold int64) (string, bool, error) {
	var id string
	err := tx.row(ctx, `SELECT id FROM events WHERE dedup_key = ? AND received_at > ?
		ORDER BY received_at DESC LIMIT 1`, key, recv-window).Scan(&id)
	if errors.Is(err, errNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("checking duplicates: %w", err)
	}
	n, err := tx.exec(ctx, markDupSQL+`id = ?`+debounceOpen, recv, recv, hold, recv+hold, recv+hold, id, hold, recv)
	if err != nil {
		return "", false, fmt.Errorf("recording duplicate of %s: %w", id, err)
	}
	return id, n == 1, nil
}
