package store

import (
	"context"
	"fmt"
	"strings"
)

// maxRowsPerInsert bounds one multi-row INSERT (10 parameters a row, far
// below SQLite's limit of 32766).
const maxRowsPerInsert = 64

// newRow is an event of a group that is not a duplicate, as it will be
// inserted.
type newRow struct {
	req                       *ingestReq
	recv, lastSeen, notBefore int64
}

// ingestMany is the group commit of a store one process owns: dedup is
// decided in memory (the table confirming every hit, as in ingestOne), a
// duplicate of an event of the same group is folded into that event's row,
// and the new events go in with one multi-row INSERT per 64, instead of a
// statement per event, which is most of what ingest costs in SQLite.
func (s *sqlStore) ingestMany(ctx context.Context, tx q, batch []*ingestReq) ([]ingestRes, error) {
	results := make([]ingestRes, len(batch))
	var rows []*newRow
	inGroup := map[string]*newRow{}
	for i, r := range batch {
		e := r.e
		recv := ms(e.ReceivedAt)
		if recv == 0 {
			recv = ms(s.now())
		}
		hold := r.hold.Milliseconds()
		if r.window > 0 && e.DedupKey != "" {
			if first, ok := inGroup[e.DedupKey]; ok && first.recv > recv-r.window.Milliseconds() {
				first.fold(recv, hold)
				results[i] = ingestRes{id: first.req.e.ID, dup: true}
				continue
			}
			id, found, err := s.findDup(ctx, tx, e.DedupKey, recv, r.window.Milliseconds(), hold)
			if err != nil {
				return nil, err
			}
			if found {
				results[i] = ingestRes{id: id, dup: true}
				continue
			}
		}
		row := &newRow{req: r, recv: recv, lastSeen: recv, notBefore: recv + hold}
		rows = append(rows, row)
		if e.DedupKey != "" {
			inGroup[e.DedupKey] = row
		}
		results[i] = ingestRes{id: e.ID}
	}
	for len(rows) > 0 {
		n := min(len(rows), maxRowsPerInsert)
		if err := s.insertRows(ctx, tx, rows[:n]); err != nil {
			return nil, err
		}
		rows = rows[n:]
	}
	return results, nil
}

// fold records a duplicate received at recv on an event of the same
// group, as markDupSQL would on a stored one.
func (r *newRow) fold(recv, hold int64) {
	r.lastSeen = max(r.lastSeen, recv)
	if hold > 0 {
		r.notBefore = max(r.notBefore, recv+hold)
	}
}

// insertRows inserts rows with one statement and puts their keys in the
// dedup index. A taken id fails the statement, and so the group, whose
// requests are then retried one by one.
func (s *sqlStore) insertRows(ctx context.Context, tx q, rows []*newRow) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (id, source, event_type, obj_key, body, dedup_key,
		received_at, last_seen_at, not_before, status) VALUES `)
	args := make([]any, 0, 9*len(rows))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')")
		e := r.req.e
		args = append(args, e.ID, e.Source, e.Type, e.Key, blob(e.Body), e.DedupKey, r.recv, r.lastSeen, r.notBefore)
	}
	b.WriteString(" RETURNING id, seq")
	res, err := tx.query(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("inserting %d events: %w", len(rows), err)
	}
	defer res.Close()
	seqs := make(map[string]int64, len(rows))
	for res.Next() {
		var id string
		var seq int64
		if err := res.Scan(&id, &seq); err != nil {
			return fmt.Errorf("inserting %d events: %w", len(rows), err)
		}
		seqs[id] = seq
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("inserting %d events: %w", len(rows), err)
	}
	for _, r := range rows {
		seq, ok := seqs[r.req.e.ID]
		if !ok {
			return fmt.Errorf("inserting event %s: no row returned", r.req.e.ID)
		}
		if r.req.e.DedupKey != "" {
			s.dedupIdx.put(r.req.e.DedupKey, seq, r.recv)
		}
	}
	return nil
}
