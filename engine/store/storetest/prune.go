package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

const month = 30 * 24 * time.Hour

func testPrune(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	var sent *store.Delivery
	done := finished(h, "CandidateId:1", store.StatusProcessed, `{}`, func(id string) []*store.Delivery {
		sent = delivery(id, 0, `{}`, now)
		dead := delivery(id, 1, `{}`, now)
		dead.Status = store.DeliveryDead
		return []*store.Delivery{sent, dead}
	})
	claimDeliveries(h, "sender")
	finishDelivery(h, "sender", sent, store.DeliveryDelivered, "HTTP 200")
	failed := finished(h, "CandidateId:2", store.StatusFailed, `{"error":"bad body"}`, nil)
	retrying := finished(h, "CandidateId:3", store.StatusProcessed, `{}`, func(id string) []*store.Delivery {
		return []*store.Delivery{delivery(id, 0, `{}`, now.Add(time.Hour))}
	})
	waiting, _ := h.Ingest(h.Event("CandidateUpdated", "CandidateId:4", 1), 0, 0)
	h.Claim("events", time.Minute)
	if err := h.Store.Defer(h.Ctx, "events", waiting, 0, store.StatusWaiting, now.Add(2*month), "quota"); err != nil {
		t.Fatal(err)
	}
	pending, _ := h.Ingest(h.Event("CandidateUpdated", "CandidateId:5", 2), 0, 2*month)
	takeCall(h, h.Store, "Candidates", now, 8, 200)
	h.Clock.Advance(month)
	recent := finished(h, "CandidateId:6", store.StatusProcessed, `{}`, nil)
	h.Clock.Advance(time.Hour)
	before := h.Clock.Now().Add(-month)

	for i, want := range []int{1, 1, 0} {
		if n, err := h.Store.Prune(h.Ctx, before, 1); err != nil || n != want {
			t.Fatalf("prune %d = %d, %v; want %d (one per batch of 1)", i+1, n, err, want)
		}
	}
	for _, id := range []string{done, failed} {
		if _, err := h.Store.Event(h.Ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old finished event %s: %v, want ErrNotFound", id, err)
		}
	}
	for _, id := range []string{retrying, waiting, pending, recent} {
		h.Record(id)
	}
	if n := count(h, `SELECT COUNT(*) FROM deliveries WHERE event_id = ?`, done); n != 0 {
		t.Errorf("%d deliveries of a pruned event remain", n)
	}
	if n := count(h, `SELECT COUNT(*) FROM attempts WHERE delivery_id = ?`, sent.ID); n != 0 {
		t.Errorf("%d attempts of a pruned delivery remain", n)
	}
	if n := count(h, `SELECT COUNT(*) FROM api_calls`); n != 0 {
		t.Errorf("%d API calls older than a day remain", n)
	}
	if ds := h.Record(retrying).Deliveries; len(ds) != 1 || ds[0].Status != store.DeliveryPending {
		t.Errorf("the old event with a delivery still to send lost it: %+v", ds)
	}
}

// testPruneThenDuplicate: once the event a dedup key names is pruned, the
// same payload is a new event, and the next one its duplicate.
func testPruneThenDuplicate(t *testing.T, h *Harness) {
	first, _ := h.Ingest(h.Event("CandidateHired", "CandidateId:1", 1), time.Hour, 0)
	h.Claim("events", time.Minute)
	complete(h, "events", first)
	if n, err := h.Store.Prune(h.Ctx, h.Clock.Now().Add(time.Millisecond), 0); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	h.Clock.Advance(time.Minute)
	second, dup := h.Ingest(h.Event("CandidateHired", "CandidateId:1", 1), time.Hour, 0)
	if dup || second == first {
		t.Fatalf("after the first was pruned: id %s, duplicate %v; want a new event", second, dup)
	}
	h.Clock.Advance(time.Minute)
	if id, dup := h.Ingest(h.Event("CandidateHired", "CandidateId:1", 1), time.Hour, 0); !dup || id != second {
		t.Errorf("third = %s, duplicate %v; want a duplicate of %s", id, dup, second)
	}
}
