package storetest

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// testClaimConcurrent has two nodes on one database claim and complete
// events from four goroutines each: every event is processed exactly once
// and events about one object in arrival order.
func testClaimConcurrent(t *testing.T, h *Harness) {
	skipSingleProcess(t, h)
	const events, objects = 120, 6
	order := map[string][]string{} // key → ids in arrival order
	for i := range events {
		key := fmt.Sprintf("candidate:%d", i%objects)
		id, _ := h.Ingest(h.Event("CandidateUpdated", key, i), 0, 0)
		order[key] = append(order[key], id)
	}
	second := NewHarness(t, h.URL)
	second.Clock = h.Clock
	var mu sync.Mutex
	done := map[string][]string{} // key → ids in completion order
	var completed atomic.Int32
	// A generous bound so that a store that strands events fails the test
	// instead of hanging it.
	giveUp := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for w := range 8 {
		s := []store.Store{h.Store, second.Store}[w%2]
		owner := fmt.Sprintf("node%d-w%d", w%2, w)
		wg.Go(func() {
			for completed.Load() < events && time.Now().Before(giveUp) {
				evs, err := s.ClaimEvents(h.Ctx, owner, 3, time.Hour)
				if err != nil {
					t.Errorf("claiming: %v", err)
					return
				}
				if len(evs) == 0 {
					time.Sleep(time.Millisecond)
					continue
				}
				for _, e := range evs {
					mu.Lock()
					done[e.Key] = append(done[e.Key], e.ID)
					mu.Unlock()
					if err := s.Complete(h.Ctx, owner, e.ID, &store.Outcome{}); err != nil {
						t.Errorf("completing %s: %v", e.ID, err)
					}
					completed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	for key, want := range order {
		if got := done[key]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s processed as %v, want %v", key, got, want)
		}
	}
}

// skipSingleProcess skips tests of several nodes on one database for
// SQLite, whose file is locked by the one process that uses it.
func skipSingleProcess(t *testing.T, h *Harness) {
	if strings.HasPrefix(h.URL, "sqlite:") {
		t.Skip("several nodes need PostgreSQL: an SQLite store is locked to one process")
	}
}
