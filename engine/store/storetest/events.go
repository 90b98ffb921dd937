package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

func testReplay(t *testing.T, h *Harness) {
	e := h.Event("CandidateHired", "candidate:1", 1)
	id, _ := h.Ingest(e, time.Hour, 0)
	h.Claim("w1", time.Minute)
	complete(h, "w1", id)
	h.Clock.Advance(time.Minute)
	newID, err := h.Store.Replay(h.Ctx, id, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if newID == id || newID == "" {
		t.Fatalf("Replay id = %q", newID)
	}
	rec := h.Record(newID)
	if rec.Status != store.StatusPending || !bytes.Equal(rec.Body, e.Body) || rec.Type != e.Type || rec.Key != e.Key || !rec.ReceivedAt.Equal(h.Clock.Now()) {
		t.Errorf("replayed event = %+v", rec)
	}
	if got := h.Claim("w1", time.Minute); len(got) != 1 || got[0] != newID {
		t.Errorf("claim after replay = %v, want [%s]", got, newID)
	}
	if _, err := h.Store.Replay(h.Ctx, "no-such", h.Clock.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Replay of an unknown id = %v, want ErrNotFound", err)
	}
}

func testEvents(t *testing.T, h *Harness) {
	var ids []string
	for i, typ := range []string{"CandidateHired", "CandidateUpdated", "CandidateHired"} {
		id, _ := h.Ingest(h.Event(typ, "", i), 0, 0)
		ids = append(ids, id)
		h.Clock.Advance(time.Millisecond)
	}
	h.Claim("w1", time.Minute)
	complete(h, "w1", ids[0])
	complete(h, "w1", ids[1])
	complete(h, "w1", ids[2])
	if err := h.Store.Complete(h.Ctx, "w1", ids[2], &store.Outcome{Status: store.StatusFailed}); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("completing a completed event = %v, want ErrLeaseLost", err)
	}
	for _, c := range []struct {
		f    store.EventFilter
		want []string
	}{
		{store.EventFilter{}, []string{ids[2], ids[1], ids[0]}},
		{store.EventFilter{Limit: 2}, []string{ids[2], ids[1]}},
		{store.EventFilter{Type: "CandidateHired"}, []string{ids[2], ids[0]}},
		{store.EventFilter{Type: "CandidateHired", Status: store.StatusProcessed}, []string{ids[2], ids[0]}},
		{store.EventFilter{Status: store.StatusFailed}, nil},
	} {
		recs, err := h.Store.Events(h.Ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Events(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
	st, err := h.Store.Stats(h.Ctx)
	if err != nil || st.Events[store.StatusProcessed] != 3 || len(st.Events) != 1 || len(st.Deliveries) != 0 {
		t.Errorf("Stats = %+v, %v", st, err)
	}
	if _, err := h.Store.Event(h.Ctx, "no-such"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Event of an unknown id = %v, want ErrNotFound", err)
	}
}
