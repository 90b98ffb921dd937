package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// complete marks a claimed event processed with no deliveries.
func complete(h *Harness, owner, id string) {
	h.T.Helper()
	if err := h.Store.Complete(h.Ctx, owner, id, &store.Outcome{Status: store.StatusProcessed}); err != nil {
		h.T.Fatalf("completing %s: %v", id, err)
	}
}

func testClaimPerKeyOrder(t *testing.T, h *Harness) {
	a1, _ := h.Ingest(h.Event("CandidateUpdated", "candidate:1", 1), 0, 0)
	h.Clock.Advance(time.Millisecond)
	b1, _ := h.Ingest(h.Event("PositionPublished", "position:7", 2), 0, 0)
	h.Clock.Advance(time.Millisecond)
	a2, _ := h.Ingest(h.Event("CandidateHired", "candidate:1", 3), 0, 0)
	n1, _ := h.Ingest(h.Event("PositionPublished", "", 4), 0, 0)
	n2, _ := h.Ingest(h.Event("PositionPublished", "", 5), 0, 0)
	if got, want := h.Claim("w1", time.Minute), []string{a1, b1, n1, n2}; !slices.Equal(got, want) {
		t.Fatalf("first claim = %v, want %v (a2 waits for a1)", got, want)
	}
	for _, id := range []string{b1, n1, n2} {
		complete(h, "w1", id)
	}
	// a1 deferred into the future still blocks a2.
	if err := h.Store.Defer(h.Ctx, "w1", a1, 0, store.StatusWaiting, h.Clock.Now().Add(time.Hour), "quota"); err != nil {
		t.Fatal(err)
	}
	if got := h.Claim("w2", time.Minute); len(got) != 0 {
		t.Fatalf("claimed %v while a1 waits", got)
	}
	h.Clock.Advance(time.Hour)
	if got := h.Claim("w2", time.Minute); !slices.Equal(got, []string{a1}) {
		t.Fatalf("claim after the wait = %v, want [%s]", got, a1)
	}
	complete(h, "w2", a1)
	if got := h.Claim("w2", time.Minute); !slices.Equal(got, []string{a2}) {
		t.Fatalf("claim after a1 = %v, want [%s]", got, a2)
	}
}

func testLeaseExpiry(t *testing.T, h *Harness) {
	id, _ := h.Ingest(h.Event("CandidateHired", "candidate:1", 1), 0, 0)
	evs, err := h.Store.ClaimEvents(h.Ctx, "w1", 5, 30*time.Second)
	if err != nil || len(evs) != 1 || evs[0].Attempts != 1 {
		t.Fatalf("claim = %v, %v; want one event with 1 attempt", evs, err)
	}
	h.Clock.Advance(30*time.Second - time.Millisecond)
	if got := h.Claim("w2", time.Minute); len(got) != 0 {
		t.Fatalf("claimed %v under a live lease", got)
	}
	h.Clock.Advance(time.Millisecond)
	evs, err = h.Store.ClaimEvents(h.Ctx, "w2", 5, time.Minute)
	if err != nil || len(evs) != 1 || evs[0].ID != id || evs[0].Attempts != 2 {
		t.Fatalf("reclaim = %v, %v; want %s with 2 attempts", evs, err, id)
	}
	err = h.Store.Complete(h.Ctx, "w1", id, &store.Outcome{Status: store.StatusProcessed})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Complete by the old owner = %v, want ErrLeaseLost", err)
	}
	err = h.Store.Defer(h.Ctx, "w1", id, 0, store.StatusPending, h.Clock.Now(), "")
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Defer by the old owner = %v, want ErrLeaseLost", err)
	}
	err = h.Store.Defer(h.Ctx, "w1", "no-such-event", 0, store.StatusPending, h.Clock.Now(), "")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Defer of an unknown id = %v, want ErrNotFound", err)
	}
	complete(h, "w2", id)
}

func testDefer(t *testing.T, h *Harness) {
	id, _ := h.Ingest(h.Event("CandidateHired", "candidate:1", 1), 0, 0)
	h.Claim("w1", time.Minute)
	until := h.Clock.Now().Add(5 * time.Minute)
	if err := h.Store.Defer(h.Ctx, "w1", id, 0, store.StatusWaiting, until, "candidate Candidates: quota"); err != nil {
		t.Fatal(err)
	}
	rec := h.Record(id)
	if rec.Status != store.StatusWaiting || rec.Reason != "candidate Candidates: quota" || !rec.NotBefore.Equal(until) {
		t.Errorf("deferred = %s %q %v", rec.Status, rec.Reason, rec.NotBefore)
	}
	if got := h.Claim("w1", time.Minute); len(got) != 0 {
		t.Fatalf("claimed %v before the deferral ended", got)
	}
	h.Clock.Advance(5 * time.Minute)
	if got := h.Claim("w1", time.Minute); !slices.Equal(got, []string{id}) {
		t.Fatalf("claim after deferral = %v", got)
	}
	if err := h.Store.Defer(h.Ctx, "w1", id, 0, store.StatusProcessed, until, ""); err == nil {
		t.Error("Defer accepted status processed")
	}
	// The claim above made attempt 2. When it outlives its lease and the
	// same owner claims the event again (attempt 3), only the newer claim
	// may defer it.
	h.Clock.Advance(2 * time.Minute)
	if got := h.Claim("w1", time.Minute); !slices.Equal(got, []string{id}) {
		t.Fatalf("claim after the lease = %v", got)
	}
	err := h.Store.Defer(h.Ctx, "w1", id, 2, store.StatusPending, h.Clock.Now().Add(time.Hour), "stale")
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Defer by the stale claim = %v, want ErrLeaseLost", err)
	}
	if err := h.Store.Defer(h.Ctx, "w1", id, 3, store.StatusPending, h.Clock.Now(), "live"); err != nil {
		t.Errorf("Defer by the live claim: %v", err)
	}
	if rec := h.Record(id); rec.Reason != "live" {
		t.Errorf("reason %q, want the live claim's", rec.Reason)
	}
}

// delivery returns a pending delivery of event id for action i.
func delivery(id string, i int, payload string, next time.Time) *store.Delivery {
	return &store.Delivery{
		ID: id + ".announce-hire." + string(rune('0'+i)), Rule: "announce-hire", Action: i, Kind: "slack",
		Payload: json.RawMessage(payload), MaxAttempts: 12, Backoff: 10 * time.Second,
		MaxBackoff: time.Hour, NextAt: next,
	}
}

func testCompleteOnlyByItsClaim(t *testing.T, h *Harness) {
	id, _ := h.Ingest(h.Event("CandidateHired", "candidate:1", 1), 0, 0)
	first, err := h.Store.ClaimEvents(h.Ctx, "w1", 1, time.Minute)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %v %v", first, err)
	}
	now := h.Clock.Now()
	outcome := func(attempt int, payload string) *store.Outcome {
		return &store.Outcome{Status: store.StatusProcessed, RulesVersion: "abc123", Trace: json.RawMessage(`{"rules":[]}`),
			ProcessedAt: now, Attempt: attempt, Deliveries: []*store.Delivery{delivery(id, 0, payload, now)}}
	}
	// The first claim runs past its lease; the same node claims it again.
	h.Clock.Advance(time.Minute)
	second, err := h.Store.ClaimEvents(h.Ctx, "w1", 1, time.Minute)
	if err != nil || len(second) != 1 || second[0].Attempts != first[0].Attempts+1 {
		t.Fatalf("second claim: %v %v", second, err)
	}
	if err := h.Store.Complete(h.Ctx, "w1", id, outcome(first[0].Attempts, `{"text":"stale"}`)); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("completion by the expired claim = %v, want ErrLeaseLost", err)
	}
	if err := h.Store.Complete(h.Ctx, "w1", id, outcome(second[0].Attempts, `{"text":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Complete(h.Ctx, "w1", id, outcome(second[0].Attempts, `{"text":"again"}`)); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("completing a completed event = %v, want ErrLeaseLost", err)
	}
	rec := h.Record(id)
	if rec.Status != store.StatusProcessed || rec.RulesVersion != "abc123" || len(rec.Deliveries) != 1 || string(rec.Deliveries[0].Payload) != `{"text":"a"}` {
		t.Errorf("record = %s %s %+v", rec.Status, rec.RulesVersion, rec.Deliveries)
	}
	if d := rec.Deliveries[0]; d.Status != store.DeliveryPending || d.MaxAttempts != 12 || !d.NextAt.Equal(now) {
		t.Errorf("delivery %+v", d)
	}
	if got := h.Claim("w2", time.Minute); len(got) != 0 {
		t.Errorf("claimed processed events %v", got)
	}
	if err := h.Store.Complete(h.Ctx, "w1", "no-such-event", outcome(0, `{}`)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Complete of an unknown id = %v, want ErrNotFound", err)
	}
}
