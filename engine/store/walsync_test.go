package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
