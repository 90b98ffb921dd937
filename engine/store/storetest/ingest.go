package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

func testIngestDurable(t *testing.T, h *Harness) {
	e := h.Event("CandidateHired", "candidate:987654", 1)
	id, dup := h.Ingest(e, 10*time.Minute, 20*time.Second)
	if id != e.ID || dup {
		t.Fatalf("Ingest = %s, %v; want %s, false", id, dup, e.ID)
	}
	h.Reopen()
	rec := h.Record(id)
	if rec.Source != e.Source || rec.Type != e.Type || rec.Key != e.Key || rec.DedupKey != e.DedupKey {
		t.Errorf("stored %+v, want the fields of %+v", rec.Event, e)
	}
	if !bytes.Equal(rec.Body, e.Body) {
		t.Errorf("body = %s, want %s", rec.Body, e.Body)
	}
	if !rec.ReceivedAt.Equal(start) || !rec.LastSeenAt.Equal(start) || !rec.NotBefore.Equal(start.Add(20*time.Second)) {
		t.Errorf("times = %v %v %v, want %v, same, +20s", rec.ReceivedAt, rec.LastSeenAt, rec.NotBefore, start)
	}
	if rec.Status != store.StatusPending || rec.Attempts != 0 || len(rec.Deliveries) != 0 {
		t.Errorf("status %q attempts %d deliveries %d, want pending 0 0", rec.Status, rec.Attempts, len(rec.Deliveries))
	}
}

func testDuplicateWithinWindow(t *testing.T, h *Harness) {
	first := h.Event("CandidateUpdated", "candidate:987654", 1)
	id, _ := h.Ingest(first, 10*time.Minute, 0)
	h.Clock.Advance(10*time.Minute - time.Millisecond)
	again := h.Event("CandidateUpdated", "candidate:987654", 1)
	got, dup := h.Ingest(again, 10*time.Minute, 0)
	if got != id || !dup {
		t.Fatalf("duplicate = %s, %v; want %s, true", got, dup, id)
	}
	rec := h.Record(id)
	if !rec.LastSeenAt.Equal(h.Clock.Now()) || !rec.ReceivedAt.Equal(start) {
		t.Errorf("LastSeenAt %v ReceivedAt %v, want %v and %v", rec.LastSeenAt, rec.ReceivedAt, h.Clock.Now(), start)
	}
	if _, err := h.Store.Event(h.Ctx, again.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the duplicate was stored: Event = %v", err)
	}
	other := h.Event("CandidateUpdated", "candidate:987654", 2)
	if got, dup := h.Ingest(other, 10*time.Minute, 0); dup || got != other.ID {
		t.Errorf("a different event = %s, %v; want %s, false", got, dup, other.ID)
	}
}

func testDuplicateAfterWindow(t *testing.T, h *Harness) {
	id, _ := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 10*time.Minute, 0)
	h.Clock.Advance(10 * time.Minute)
	e := h.Event("CandidateUpdated", "candidate:1", 1)
	got, dup := h.Ingest(e, 10*time.Minute, 0)
	if dup || got == id || got != e.ID {
		t.Fatalf("after the window = %s, %v; want the new id %s, false", got, dup, e.ID)
	}
	// Without a window nothing is a duplicate.
	e = h.Event("CandidateUpdated", "candidate:1", 1)
	if got, dup := h.Ingest(e, 0, 0); dup || got != e.ID {
		t.Errorf("no window = %s, %v; want %s, false", got, dup, e.ID)
	}
}

func testDebounceHold(t *testing.T, h *Harness) {
	const hold = 20 * time.Second
	id, _ := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, hold)
	for range 3 {
		h.Clock.Advance(15 * time.Second)
		if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, hold); got != id || !dup {
			t.Fatalf("burst duplicate = %s, %v; want %s, true", got, dup, id)
		}
		if ids := h.Claim("w1", time.Minute); len(ids) != 0 {
			t.Fatalf("claimed %v during the burst", ids)
		}
	}
	last := h.Clock.Now()
	if rec := h.Record(id); !rec.NotBefore.Equal(last.Add(hold)) {
		t.Fatalf("NotBefore = %v, want %v", rec.NotBefore, last.Add(hold))
	}
	h.Clock.Advance(hold - time.Millisecond)
	if ids := h.Claim("w1", time.Minute); len(ids) != 0 {
		t.Fatalf("claimed %v before the hold ended", ids)
	}
	h.Clock.Advance(time.Millisecond)
	if ids := h.Claim("w1", time.Minute); len(ids) != 1 || ids[0] != id {
		t.Fatalf("claimed %v after the hold, want [%s]", ids, id)
	}
	// A copy that comes once processing has begun may announce an edit
	// the processing did not see (webhooks carry only ids): it is a new
	// event, held in turn, and later copies of the burst fold into it.
	h.Clock.Advance(time.Second)
	again, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, hold)
	if dup || again == id {
		t.Fatalf("copy while the first is processed = %s, %v; want a new event", again, dup)
	}
	if rec := h.Record(again); !rec.NotBefore.Equal(h.Clock.Now().Add(hold)) {
		t.Errorf("new event NotBefore = %v, want held until %v", rec.NotBefore, h.Clock.Now().Add(hold))
	}
	complete(h, "w1", id)
	h.Clock.Advance(time.Second)
	if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, hold); got != again || !dup {
		t.Fatalf("copy during the new event's hold = %s, %v; want %s, true", got, dup, again)
	}
	h.Clock.Advance(hold)
	if ids := h.Claim("w1", time.Minute); len(ids) != 1 || ids[0] != again {
		t.Fatalf("claimed %v after the second hold, want [%s]", ids, again)
	}
	complete(h, "w1", again)
	// Without a hold, a copy of a processed event is still a duplicate
	// within the window, and holds nothing.
	before := h.Record(again).NotBefore
	h.Clock.Advance(time.Second)
	if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, 0); got != again || !dup {
		t.Fatalf("duplicate of a processed event = %s, %v", got, dup)
	}
	if rec := h.Record(again); !rec.NotBefore.Equal(before) || !rec.LastSeenAt.Equal(h.Clock.Now()) {
		t.Errorf("processed event: NotBefore %v (was %v), LastSeenAt %v", rec.NotBefore, before, rec.LastSeenAt)
	}
	// With a hold, a copy of a processed event is a new event.
	if got, dup := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), time.Hour, hold); dup || got == again {
		t.Errorf("debounced copy of a processed event = %s, %v; want a new event", got, dup)
	}
}

func testIngestIDTaken(t *testing.T, h *Harness) {
	e := h.Event("CandidateHired", "candidate:1", 1)
	h.Ingest(e, time.Minute, 0)
	copyOf := *e
	copyOf.DedupKey = "another"
	if _, _, err := h.Store.Ingest(h.Ctx, &copyOf, time.Minute, 0); err == nil {
		t.Fatal("ingesting an id twice succeeded")
	}
	next := h.Event("CandidateHired", "candidate:2", 2)
	if id, dup := h.Ingest(next, time.Minute, 0); id != next.ID || dup {
		t.Errorf("after a failed ingest = %s, %v", id, dup)
	}
}

func testIngestConcurrent(t *testing.T, h *Harness) {
	const workers, each = 64, 20
	var wg sync.WaitGroup
	ids := make(chan string, workers*each)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := h.Event("CandidateUpdated", fmt.Sprintf("candidate:%d", w), w*each+i)
				id, dup, err := h.Store.Ingest(h.Ctx, e, time.Hour, 0)
				if err != nil || dup || id != e.ID {
					errs <- fmt.Errorf("ingest %d/%d = %s, %v, %v", w, i, id, dup, err)
				}
				ids <- id
			}
		})
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %s returned twice", id)
		}
		seen[id] = true
	}
	h.Reopen()
	st, err := h.Store.Stats(h.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events[store.StatusPending] != workers*each {
		t.Errorf("stored %d pending events, want %d", st.Events[store.StatusPending], workers*each)
	}
}

func testIngestAfterClose(t *testing.T, h *Harness) {
	if err := h.Store.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err := h.Store.Ingest(h.Ctx, h.Event("CandidateHired", "", 1), 0, 0)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ingest after Close = %v, want ErrUnavailable", err)
	}
}
