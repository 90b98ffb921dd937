package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// processed ingests an event, completes it with the given deliveries and
// returns the event id.
func processed(h *Harness, mk func(id string) []*store.Delivery) string {
	h.T.Helper()
	id, _ := h.Ingest(h.Event("CandidateHired", "", int(h.Clock.Now().UnixNano())), 0, 0)
	if got := h.Claim("events", time.Minute); !slices.Contains(got, id) {
		h.T.Fatalf("claim = %v, want %s in it", got, id)
	}
	out := &store.Outcome{Status: store.StatusProcessed, Deliveries: mk(id)}
	if err := h.Store.Complete(h.Ctx, "events", id, out); err != nil {
		h.T.Fatal(err)
	}
	return id
}

// claimDeliveries claims up to 10 deliveries and returns their ids.
func claimDeliveries(h *Harness, owner string) []string {
	h.T.Helper()
	ds, err := h.Store.ClaimDeliveries(h.Ctx, owner, 10, 90*time.Second, nil)
	if err != nil {
		h.T.Fatalf("claiming deliveries: %v", err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

func testClaimDeliveriesDue(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	var now0, later string
	processed(h, func(id string) []*store.Delivery {
		a, b := delivery(id, 0, `{}`, now), delivery(id, 1, `{}`, now.Add(time.Minute))
		now0, later = a.ID, b.ID
		return []*store.Delivery{a, b}
	})
	if got := claimDeliveries(h, "d1"); !slices.Equal(got, []string{now0}) {
		t.Fatalf("claim = %v, want [%s]", got, now0)
	}
	h.Clock.Advance(time.Minute)
	if got := claimDeliveries(h, "d2"); !slices.Equal(got, []string{later}) {
		t.Fatalf("claim a minute later = %v, want [%s] (the other is leased)", got, later)
	}
	h.Clock.Advance(30*time.Second - time.Millisecond)
	if got := claimDeliveries(h, "d3"); len(got) != 0 {
		t.Fatalf("claimed %v under live leases", got)
	}
	h.Clock.Advance(time.Millisecond)
	if got := claimDeliveries(h, "d2"); !slices.Equal(got, []string{now0}) {
		t.Fatalf("claim after the lease ended = %v, want [%s]", got, now0)
	}
}

func testFinishAndRetry(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	var d *store.Delivery
	id := processed(h, func(id string) []*store.Delivery {
		d = delivery(id, 0, `{"text":"hi"}`, now)
		return []*store.Delivery{d}
	})
	claimDeliveries(h, "d1")
	d.Status, d.Attempts, d.NextAt, d.LastError = store.DeliveryPending, 1, now.Add(10*time.Second), "HTTP 503"
	a := &store.Attempt{DeliveryID: d.ID, N: 1, At: now, Duration: 1500 * time.Microsecond, Detail: "HTTP 503"}
	if err := h.Store.Finish(h.Ctx, "d2", d, a); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("Finish by another owner = %v, want ErrLeaseLost", err)
	}
	if err := h.Store.Finish(h.Ctx, "d1", d, a); err != nil {
		t.Fatal(err)
	}
	got := h.Record(id).Deliveries[0]
	if got.Attempts != 1 || got.LastError != "HTTP 503" || !got.NextAt.Equal(now.Add(10*time.Second)) || len(got.History) != 1 {
		t.Fatalf("after one attempt: %+v", got)
	}
	if hist := got.History[0]; hist.N != 1 || !hist.At.Equal(now) || hist.Duration != a.Duration || hist.OK || hist.Detail != "HTTP 503" {
		t.Errorf("attempt = %+v, want %+v", hist, a)
	}
	h.Clock.Advance(10 * time.Second)
	claimDeliveries(h, "d1")
	d.Status, d.Attempts, d.LastError = store.DeliveryDead, 2, "HTTP 400"
	if err := h.Store.Finish(h.Ctx, "d1", d, &store.Attempt{N: 2, Detail: "HTTP 400"}); err != nil {
		t.Fatal(err)
	}
	dead, err := h.Store.Deliveries(h.Ctx, store.DeliveryDead, 0)
	if err != nil || len(dead) != 1 || dead[0].ID != d.ID {
		t.Fatalf("dead deliveries = %v, %v", dead, err)
	}
	if err := h.Store.RetryDelivery(h.Ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	got = h.Record(id).Deliveries[0]
	if got.Status != store.DeliveryPending || got.Attempts != 0 || !got.NextAt.Equal(h.Clock.Now()) || len(got.History) != 2 {
		t.Errorf("after retry: %+v", got)
	}
	if ids := claimDeliveries(h, "d1"); !slices.Equal(ids, []string{d.ID}) {
		t.Fatalf("claim after retry = %v", ids)
	}
	d.Status, d.Attempts = store.DeliveryDelivered, 1
	if err := h.Store.Finish(h.Ctx, "d1", d, &store.Attempt{N: 1, OK: true, Detail: "HTTP 200"}); err != nil {
		t.Fatal(err)
	}
	if got := h.Record(id).Deliveries[0]; got.Status != store.DeliveryDelivered || !got.History[2].OK {
		t.Errorf("after delivery: %+v", got)
	}
	if err := h.Store.RetryDelivery(h.Ctx, d.ID); !errors.Is(err, store.ErrNotRetryable) {
		t.Errorf("retrying a delivered delivery = %v, want ErrNotRetryable", err)
	}
	unrendered := processed(h, func(id string) []*store.Delivery {
		u := delivery(id, 0, `null`, now)
		u.Status, u.LastError = store.DeliveryDead, "render: bad address"
		return []*store.Delivery{u}
	})
	if err := h.Store.RetryDelivery(h.Ctx, h.Record(unrendered).Deliveries[0].ID); !errors.Is(err, store.ErrNotRetryable) {
		t.Errorf("retrying a never rendered delivery = %v, want ErrNotRetryable", err)
	}
	if err := h.Store.RetryDelivery(h.Ctx, "no-such"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retrying an unknown delivery = %v, want ErrNotFound", err)
	}
	all, err := h.Store.Deliveries(h.Ctx, "", 10)
	if err != nil || len(all) != 2 {
		t.Errorf("all deliveries = %v, %v", all, err)
	}
}

func testReleaseAll(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	processed(h, func(id string) []*store.Delivery { return []*store.Delivery{delivery(id, 0, `{}`, now)} })
	h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 0, 0)
	if ev, ds := h.Claim("w1", time.Hour), claimDeliveries(h, "w1"); len(ev) != 1 || len(ds) != 1 {
		t.Fatalf("claimed %v and %v, want one of each", ev, ds)
	}
	if err := h.Store.ReleaseAll(h.Ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if ev, ds := h.Claim("w2", time.Hour), claimDeliveries(h, "w2"); len(ev) != 1 || len(ds) != 1 {
		t.Fatalf("after ReleaseAll claimed %v and %v, want one of each", ev, ds)
	}
}

// testClaimSkipsDestinations: a claim asks admit about each due delivery's
// destination, in order, and passes over those it refuses without leasing
// them; each delivery keeps its destination.
func testClaimSkipsDestinations(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	var toB string
	processed(h, func(id string) []*store.Delivery {
		var ds []*store.Delivery
		for i := range 3 {
			d := delivery(id, i, `{}`, now)
			d.Destination = "https://a.example"
			ds = append(ds, d)
		}
		b := delivery(id, 3, `{}`, now)
		b.Destination, toB = "https://b.example", b.ID
		return append(ds, b)
	})
	var asked []string
	admit := func(dest string) bool {
		asked = append(asked, dest)
		return dest != "https://a.example"
	}
	got, err := h.Store.ClaimDeliveries(h.Ctx, "d1", 1, time.Minute, admit)
	if err != nil || len(got) != 1 || got[0].ID != toB || got[0].Destination != "https://b.example" {
		t.Fatalf("claim refusing a = %v, %v; want only %s, with its destination", got, err, toB)
	}
	if want := []string{"https://a.example", "https://a.example", "https://a.example", "https://b.example"}; !slices.Equal(asked, want) {
		t.Errorf("admit asked about %v, want %v", asked, want)
	}
	if ids := claimDeliveries(h, "d1"); len(ids) != 3 {
		t.Errorf("claim taking all = %v, want the 3 to a (passed over, not leased)", ids)
	}
}

// testFinishOnlyByItsClaim: when a claim outlives its lease and the same
// owner claims the delivery again, only the newer claim may record an
// attempt; the stale one gets ErrLeaseLost and changes nothing.
func testFinishOnlyByItsClaim(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	processed(h, func(id string) []*store.Delivery { return []*store.Delivery{delivery(id, 0, `{}`, now)} })
	first, err := h.Store.ClaimDeliveries(h.Ctx, "node", 1, time.Minute, nil)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %v %v", first, err)
	}
	h.Clock.Advance(2 * time.Minute)
	second, err := h.Store.ClaimDeliveries(h.Ctx, "node", 1, time.Minute, nil)
	if err != nil || len(second) != 1 || second[0].Claim == first[0].Claim {
		t.Fatalf("second claim: %v %v", second, err)
	}
	stale := first[0]
	stale.Status, stale.Attempts, stale.NextAt = store.DeliveryPending, 1, h.Clock.Now().Add(10*time.Second)
	if err := h.Store.Finish(h.Ctx, "node", stale, &store.Attempt{N: 1, Detail: "HTTP 503"}); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("Finish by the stale claim = %v, want ErrLeaseLost", err)
	}
	live := second[0]
	live.Status, live.Attempts = store.DeliveryDelivered, 1
	if err := h.Store.Finish(h.Ctx, "node", live, &store.Attempt{N: 1, OK: true, Detail: "HTTP 200"}); err != nil {
		t.Fatalf("Finish by the live claim: %v", err)
	}
	rec := h.Record(live.EventID)
	if d := rec.Deliveries[0]; d.Status != store.DeliveryDelivered || len(d.History) != 1 || !d.History[0].OK {
		t.Errorf("delivery %s with %d attempts, want delivered once", d.Status, len(d.History))
	}
}
