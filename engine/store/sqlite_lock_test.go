package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

// TestSQLiteOneProcessAndOrphanedLeases: a second open of the same file is
// refused, and after the owner is gone without releasing its claims (a
// crash) the next open can claim the work at once, not an hour later.
func TestSQLiteOneProcessAndOrphanedLeases(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, url); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open: %v", err)
	}
	now := time.Now()
	e := &event.Event{ID: event.NewID(now), Source: "hrmanager", Type: "CandidateHired", Key: "CandidateId:1",
		Body: []byte(`{"Message":{"EventType":"CandidateHired","CandidateId":1}}`), DedupKey: "k1", ReceivedAt: now, LastSeenAt: now}
	if _, _, err := st.Ingest(ctx, e, time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	got, err := st.ClaimEvents(ctx, "crashed-node", 10, time.Hour)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	st.Close() // without ReleaseAll, as after kill -9
	st, err = store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err = st.ClaimEvents(ctx, "next-node", 10, time.Hour)
	if err != nil || len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("after reopen: %v %v", got, err)
	}
}
