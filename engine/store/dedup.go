package store

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
)

// dedupIndex remembers where the latest event of each dedup key is, for a
// store that one process owns (SQLite: the file lock). It spares ingest an
// index on dedup_key in the table: such an index is written at a random
// page for every event, which made each group commit write many pages.
//
// The table stays the truth. An entry only says which row to try; the
// duplicate's UPDATE checks key and window on that row, and a miss there
// falls back to reading the table. Every committed event received at or
// after from has its entry (the latest one per key wins); older ones are
// loaded from the table when a window reaches back past from. The index is
// used by the writer goroutine only, inside its transactions.
type dedupIndex struct {
	seed      maphash.Seed
	m         map[uint64]dedupEntry
	from      int64 // every event received at or after from is in m
	maxWindow int64 // widest window asked for; older entries are pruned
	maxRecv   int64 // latest receipt seen
	prunedAt  int64 // maxRecv at the last prune
}

// minPruneEvery spaces prunes (ms of receipt time) when windows are tiny.
const minPruneEvery = 1000

// dedupEntry locates one event: its row and when it was received.
type dedupEntry struct{ seq, recv int64 }

func newDedupIndex() *dedupIndex {
	return &dedupIndex{seed: maphash.MakeSeed(), m: map[uint64]dedupEntry{}, from: math.MaxInt64}
}

func (x *dedupIndex) hash(key string) uint64 { return maphash.String(x.seed, key) }

// reset forgets everything, so that the next lookup reads the table: after
// a transaction that was rolled back, or a write the index did not see.
func (x *dedupIndex) reset() {
	clear(x.m)
	x.from = math.MaxInt64
}

// put records that the event at seq with key was received at recv.
func (x *dedupIndex) put(key string, seq, recv int64) {
	h := x.hash(key)
	if old, ok := x.m[h]; !ok || recv > old.recv || recv == old.recv && seq > old.seq {
		x.m[h] = dedupEntry{seq: seq, recv: recv}
	}
	x.maxRecv = max(x.maxRecv, recv)
}

// lookup returns the row of the latest event with key received after
// since, if the index knows one; cover must have been called for since.
func (x *dedupIndex) lookup(key string, since int64) (int64, bool) {
	e, ok := x.m[x.hash(key)]
	if !ok || e.recv <= since {
		return 0, false
	}
	return e.seq, true
}

// cover makes sure that every event received after since is in the index,
// loading from the table what is missing, and prunes entries that no
// window reaches any more.
func (x *dedupIndex) cover(ctx context.Context, tx q, since, window int64) error {
	x.maxWindow = max(x.maxWindow, window)
	x.prune()
	if since+1 >= x.from {
		return nil
	}
	r, err := tx.query(ctx, `SELECT seq, dedup_key, received_at FROM events
		WHERE received_at > ? AND received_at < ? AND dedup_key <> ''`, since, x.from)
	if err != nil {
		return fmt.Errorf("loading dedup keys: %w", err)
	}
	defer r.Close()
	for r.Next() {
		var seq, recv int64
		var key string
		if err := r.Scan(&seq, &key, &recv); err != nil {
			return fmt.Errorf("loading dedup keys: %w", err)
		}
		x.put(key, seq, recv)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("loading dedup keys: %w", err)
	}
	x.from = since + 1
	return nil
}

// prune drops the entries older than the widest window, each time a
// quarter of that window has passed, so every entry is visited a few
// times in its life and memory follows the traffic of one window.
func (x *dedupIndex) prune() {
	if x.maxRecv-x.prunedAt < max(x.maxWindow/4, minPruneEvery) {
		return
	}
	x.prunedAt = x.maxRecv
	cutoff := x.maxRecv - x.maxWindow
	for h, e := range x.m {
		if e.recv <= cutoff {
			delete(x.m, h)
		}
	}
	x.from = max(x.from, cutoff+1)
}
