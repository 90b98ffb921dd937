package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store/storetest"
)

// TestTwoNodesShareOnePostgresQueue runs two routers on one PostgreSQL
// store, posts events to both, and checks that every event is processed
// once and forwarded once, whichever node received it or worked it, and
// that duplicates are caught across nodes.
func TestTwoNodesShareOnePostgresQueue(t *testing.T) {
	url := storetest.FreshSchema(t, storetest.PostgresURL(t))
	s := newSink(t)
	rules := fmt.Sprintf(`rules:
  - name: forward
    on: CandidateUpdated
    actions:
      - http: {url: %q, json: {id: "{{ event.Id }}"}}
`, s.URL+"/events")
	a := startNode(t, writeConfigStore(t, t.TempDir(), url, rules, ""))
	b := startNode(t, writeConfigStore(t, t.TempDir(), url, rules, ""))
	const total = 200
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total; i += 8 {
				target := []*node{a, b}[i%2]
				body := hook("CandidateUpdated", map[string]any{"CandidateId": i % 20, "N": i})
				code, ans := postHook(t, target.webhook+"/hooks/hrmanager", body)
				if code != http.StatusAccepted {
					t.Errorf("event %d: %d %v", i, code, ans)
					continue
				}
				// The same payload at the other node is a duplicate.
				other := []*node{b, a}[i%2]
				if code, dup := postHook(t, other.webhook+"/hooks/hrmanager", body); code != http.StatusOK || dup["id"] != ans["id"] {
					t.Errorf("copy of event %d at the other node: %d %v", i, code, dup)
				}
				mu.Lock()
				ids[ans["id"].(string)] = true
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	count := func() map[string]int {
		got := map[string]int{}
		for _, r := range s.requests("/events") {
			var v struct{ ID string }
			if json.Unmarshal(r.Body, &v) == nil {
				got[v.ID]++
			}
		}
		return got
	}
	eventually(t, 30*time.Second, "every event to be forwarded", func() bool { return len(count()) == len(ids) })
	time.Sleep(300 * time.Millisecond) // room for a wrong second forward
	for id, n := range count() {
		if !ids[id] || n != 1 {
			t.Errorf("event %s forwarded %d times (known: %v)", id, n, ids[id])
		}
	}
}
