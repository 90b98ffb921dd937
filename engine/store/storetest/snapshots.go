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
