package storetest

import (
	"sync"
	"testing"
	"time"
)

// testDuplicateAfterReopen: duplicates are found in what an earlier run
// of the store committed.
func testDuplicateAfterReopen(t *testing.T, h *Harness) {
	id, _ := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 10*time.Minute, 0)
	h.Reopen()
	h.Clock.Advance(time.Minute)
	if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 10*time.Minute, 0); got != id || !dup {
		t.Errorf("after reopening = %s, %v; want %s, true", got, dup, id)
	}
}

// testDuplicateOfReplay: a replayed copy is the latest event of its
// class, so a later duplicate lands on it.
func testDuplicateOfReplay(t *testing.T, h *Harness) {
	first, _ := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 10*time.Minute, 0)
	h.Clock.Advance(time.Minute)
	replay, err := h.Store.Replay(h.Ctx, first, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Minute)
	if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 10*time.Minute, 0); got != replay || !dup {
		t.Errorf("after a replay = %s, %v; want the replay %s, true", got, dup, replay)
	}
}

// testWiderWindowLater: a call with a wider window than the calls before
// it still sees the older events.
func testWiderWindowLater(t *testing.T, h *Harness) {
	old, _ := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Minute, 0)
	h.Clock.Advance(5 * time.Minute)
	h.Ingest(h.Event("CandidateUpdated", "candidate:2", 2), time.Minute, 0)
	h.Clock.Advance(5 * time.Minute)
	h.Ingest(h.Event("CandidateUpdated", "candidate:3", 3), time.Minute, 0)
	if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, 0); got != old || !dup {
		t.Errorf("with a wider window = %s, %v; want %s, true", got, dup, old)
	}
	if _, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:2", 2), time.Minute, 0); dup {
		t.Error("a narrow window again still matched an event 5 minutes old")
	}
}

// testDuplicatesInOneGroup: copies that arrive together, likely in one
// group commit, become one event.
func testDuplicatesInOneGroup(t *testing.T, h *Harness) {
	const n = 32
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		e := h.Event("CandidateUpdated", "candidate:1", 7)
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, _, err := h.Store.Ingest(h.Ctx, e, 10*time.Minute, 0)
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("copies got ids %v, want one id", ids)
		}
	}
}
