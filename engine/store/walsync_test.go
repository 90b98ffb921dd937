package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// TestWALSyncerAnswersInOrderAfterFsync: callbacks queued before a sync
// are answered by it, in order; a WAL that cannot be opened fails them
// (so ingest answers 503) instead of acknowledging anything.
func TestWALSyncerAnswersInOrderAfterFsync(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	w := newWALSyncer(db)
	var got []int
	errs := make(chan error, 3)
	for i := range 3 {
		w.after(func(err error) { got = append(got, i); errs <- err })
	}
	for range 3 {
		if err := <-errs; err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("sync of a missing WAL: %v, want not-exist", err)
		}
	}
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		w.after(func(err error) { errs <- err })
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("sync: %v", err)
		}
	}
	w.stop()
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Errorf("answered in order %v", got)
	}
	// A WAL replaced behind the syncer's back is reopened.
	w = newWALSyncer(db)
	defer w.stop()
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+"-wal", []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Errorf("sync after the WAL was replaced: %v", err)
	}
}

// TestFailedFsyncStopsWrites: once an fsync of the WAL fails, nothing
// more is acknowledged, not even when later fsyncs would succeed: the
// sender of the event whose fsync failed gets an error, and so do its
// retry (which must not be answered "duplicate" of an event that may not
// be on disk) and every later write, until a restart.
func TestFailedFsyncStopsWrites(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wal := st.(*sqlStore).b.(*sqliteBackend).wal
	ev := func(key string) *event.Event {
		now := time.Now()
		return &event.Event{ID: event.NewID(now), Source: "hrmanager", Type: "CandidateHired", Key: "candidate:1",
			Body: []byte(`{"Message":{"EventType":"CandidateHired"}}`), DedupKey: key, ReceivedAt: now}
	}
	if _, _, err := st.Ingest(ctx, ev("a"), time.Minute, 0); err != nil {
		t.Fatalf("ingest before the failure: %v", err)
	}
	wal.mu.Lock()
	wal.syncFile = func(*os.File) error { return syscall.EIO }
	wal.mu.Unlock()
	if _, _, err := st.Ingest(ctx, ev("b"), time.Minute, 0); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ingest whose fsync failed: %v, want ErrUnavailable", err)
	}
	wal.mu.Lock()
	wal.syncFile = (*os.File).Sync // the disk "works" again
	wal.mu.Unlock()
	if id, dup, err := st.Ingest(ctx, ev("b"), time.Minute, 0); err == nil {
		t.Errorf("retry after a failed fsync answered id %s (duplicate %v), want an error", id, dup)
	}
	if _, _, err := st.Ingest(ctx, ev("c"), time.Minute, 0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a later ingest: %v, want ErrUnavailable", err)
	}
	if _, err := st.Stats(ctx); err == nil {
		t.Error("Stats (readiness) reports a store that refuses writes as healthy")
	}
}
