package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// TestGroupFoldsDuplicates: a group with two copies of one event and a
// third event stores two rows; the copy answers with the first's id and
// moves its last-seen time and debounce hold, as a copy of a stored event
// would.
func TestGroupFoldsDuplicates(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	t0 := time.UnixMilli(1_700_000_000_000)
	mk := func(id, key string, at time.Time) *ingestReq {
		return &ingestReq{
			e: &event.Event{ID: id, Source: "hrmanager", Type: "CandidateUpdated", Key: "CandidateId:1",
				Body: []byte(`{}`), DedupKey: key, ReceivedAt: at, LastSeenAt: at},
			window: time.Minute, hold: 20 * time.Second, res: make(chan ingestRes, 1),
		}
	}
	batch := []*ingestReq{mk("A", "k1", t0), mk("B", "k1", t0.Add(3*time.Second)), mk("C", "k2", t0)}
	s.commitBatch(batch)
	var res []ingestRes
	for _, r := range batch {
		res = append(res, <-r.res)
	}
	if res[0] != (ingestRes{id: "A"}) || res[1] != (ingestRes{id: "A", dup: true}) || res[2] != (ingestRes{id: "C"}) {
		t.Fatalf("results %+v", res)
	}
	rec, err := st.Event(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	if !rec.LastSeenAt.Equal(t0.Add(3*time.Second)) || !rec.NotBefore.Equal(t0.Add(23*time.Second)) {
		t.Errorf("A: last seen %v, not before %v; want the copy's time and hold", rec.LastSeenAt, rec.NotBefore)
	}
	if _, err := st.Event(ctx, "B"); err == nil {
		t.Error("the copy was stored as an event of its own")
	}
	// A copy in a later group is found through the index.
	later := mk("D", "k2", t0.Add(time.Second))
	s.commitBatch([]*ingestReq{later, mk("E", "k3", t0)})
	if r := <-later.res; r.id != "C" || !r.dup {
		t.Errorf("later copy: %+v, want a duplicate of C", r)
	}
}
