package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

// retentionClock is a settable clock.
type retentionClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *retentionClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *retentionClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// processedEvents stores n processed events about distinct candidates,
// received now, and returns their ids.
func processedEvents(t *testing.T, st store.Store, now time.Time, n int) []string {
	t.Helper()
	ctx := t.Context()
	var ids []string
	for i := range n {
		e := &event.Event{ID: event.NewID(now), Source: "hrmanager", Type: "CandidateHired",
			Key: fmt.Sprintf("CandidateId:%d", i), Body: []byte(`{"Message":{"EventType":"CandidateHired"}}`),
			DedupKey: fmt.Sprint(i), ReceivedAt: now}
		if _, _, err := st.Ingest(ctx, e, 0, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	claimed, err := st.ClaimEvents(ctx, "test", n, time.Minute)
	if err != nil || len(claimed) != n {
		t.Fatalf("claimed %d events, %v; want %d", len(claimed), err, n)
	}
	for _, id := range ids {
		if err := st.Complete(ctx, "test", id, &store.Outcome{Status: store.StatusProcessed}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func openRetentionStore(t *testing.T, c *retentionClock) store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "h.db"), store.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRetainLoopPrunesAtStartAndEveryTick: history older than the
// retention goes at the next round; younger history stays.
func TestRetainLoopPrunesAtStartAndEveryTick(t *testing.T) {
	c := &retentionClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st := openRetentionStore(t, c)
	old := processedEvents(t, st, c.Now(), 1)[0]
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(t.Context())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { defer close(done); retainLoop(ctx, st, 30*24*time.Hour, tick, c.Now, log) }()
	tick <- time.Time{} // the first round has run
	if _, err := st.Event(t.Context(), old); err != nil {
		t.Fatalf("a fresh event was pruned: %v", err)
	}
	c.Add(30*24*time.Hour + time.Second)
	young := processedEvents(t, st, c.Now(), 1)[0]
	tick <- time.Time{}
	tick <- time.Time{} // the round after the first tick has run
	cancel()
	<-done
	if _, err := st.Event(t.Context(), old); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event past the retention: %v, want ErrNotFound", err)
	}
	if _, err := st.Event(t.Context(), young); err != nil {
		t.Errorf("event within the retention: %v", err)
	}
	if n := strings.Count(logs.String(), "pruned history past its retention"); n != 1 || !strings.Contains(logs.String(), "events=1") {
		t.Errorf("logs = %q, want one line saying one event was pruned", logs.String())
	}
}

// TestPruneGoesBatchByBatch: prune repeats batches until one is short.
func TestPruneGoesBatchByBatch(t *testing.T) {
	c := &retentionClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st := openRetentionStore(t, c)
	processedEvents(t, st, c.Now(), 5)
	c.Add(time.Hour)
	n, err := prune(t.Context(), st, c.Now(), 2)
	if err != nil || n != 5 {
		t.Fatalf("prune = %d, %v; want 5", n, err)
	}
	if recs, err := st.Events(t.Context(), store.EventFilter{}); err != nil || len(recs) != 0 {
		t.Errorf("events left: %d, %v", len(recs), err)
	}
}
