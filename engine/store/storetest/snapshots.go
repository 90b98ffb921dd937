package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

func testSnapshotPrior(t *testing.T, h *Harness) {
	if _, err := h.Store.Snapshot(h.Ctx, "candidate", "987654"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Snapshot before any = %v, want ErrNotFound", err)
	}
	t1 := h.Clock.Now()
	first := &store.Snapshot{Object: "candidate", ID: "987654", Data: json.RawMessage(`{"Status":"New"}`), FetchedAt: t1}
	if err := h.Store.PutSnapshot(h.Ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := h.Store.Snapshot(h.Ctx, "candidate", "987654")
	if err != nil || string(got.Data) != `{"Status":"New"}` || got.Prior != nil || !got.FetchedAt.Equal(t1) || !got.PriorAt.IsZero() {
		t.Fatalf("first snapshot = %+v, %v", got, err)
	}
	h.Clock.Advance(time.Minute)
	second := &store.Snapshot{Object: "candidate", ID: "987654", Data: json.RawMessage(`{"Status":"Hired"}`)}
	if err := h.Store.PutSnapshot(h.Ctx, second); err != nil {
		t.Fatal(err)
	}
	got, err = h.Store.Snapshot(h.Ctx, "candidate", "987654")
	if err != nil || string(got.Data) != `{"Status":"Hired"}` || string(got.Prior) != `{"Status":"New"}` ||
		!got.FetchedAt.Equal(h.Clock.Now()) || !got.PriorAt.Equal(t1) {
		t.Fatalf("second snapshot = %+v, %v", got, err)
	}
	// A copy fetched earlier that is stored later (two flights, two nodes)
	// does not replace the newer one.
	late := &store.Snapshot{Object: "candidate", ID: "987654", Data: json.RawMessage(`{"Status":"Interview"}`), FetchedAt: t1.Add(time.Second)}
	if err := h.Store.PutSnapshot(h.Ctx, late); err != nil {
		t.Fatal(err)
	}
	got, err = h.Store.Snapshot(h.Ctx, "candidate", "987654")
	if err != nil || string(got.Data) != `{"Status":"Hired"}` || string(got.Prior) != `{"Status":"New"}` {
		t.Fatalf("after an older copy = %+v, %v; want the newer copy kept", got, err)
	}
	if _, err := h.Store.Snapshot(h.Ctx, "position", "987654"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("objects share ids: %v", err)
	}
	if err := h.Store.DeleteSnapshot(h.Ctx, "candidate", "987654"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.Snapshot(h.Ctx, "candidate", "987654"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Snapshot after delete = %v, want ErrNotFound", err)
	}
}

// testServeSnapshot: the first event given a copy is told so, again when
// it asks again; any other event is not, until a newer copy is stored; a
// copy that is not the stored one is never first.
func testServeSnapshot(t *testing.T, h *Harness) {
	at := h.Clock.Now()
	put := func(status string, at time.Time) {
		t.Helper()
		snap := &store.Snapshot{Object: "candidate", ID: "1", Data: json.RawMessage(`{"Status":"` + status + `"}`), FetchedAt: at}
		if err := h.Store.PutSnapshot(h.Ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	serve := func(fetched time.Time, ev string) bool {
		t.Helper()
		first, err := h.Store.ServeSnapshot(h.Ctx, "candidate", "1", fetched, ev)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	put("New", at)
	for _, c := range []struct {
		ev   string
		want bool
	}{{"e1", true}, {"e1", true}, {"e2", false}} {
		if got := serve(at, c.ev); got != c.want {
			t.Errorf("serving %s = %v, want %v", c.ev, got, c.want)
		}
	}
	later := at.Add(time.Minute)
	put("Hired", later)
	if serve(at, "e3") {
		t.Error("a replaced copy was served as first")
	}
	if !serve(later, "e2") || serve(later, "e1") {
		t.Error("the new copy: want e2 first and e1 not")
	}
	if serve(later, "e9") || func() bool { f, _ := h.Store.ServeSnapshot(h.Ctx, "candidate", "404", later, "e9"); return f }() {
		t.Error("served first for a copy already given, or one that does not exist")
	}
}
