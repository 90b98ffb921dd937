package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCrashLosesNothingAcknowledged posts 2,000 events from concurrent
// clients, kills the router with SIGKILL midway, restarts it, and checks that
// every event that was answered 2xx is forwarded (at least once).
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	const total, clients = 2000, 16
	s := newSink(t)
	rules := fmt.Sprintf(`rules:
  - name: forward
    on: CandidateUpdated
    actions:
      - http: {url: %q, json: {id: "{{ event.Id }}", n: "{{ event.N }}"}}
`, s.URL+"/events")
	cfg := writeConfig(t, t.TempDir(), rules, "")
	n := startNode(t, cfg)
	url := n.webhook + "/hooks/hrmanager"

	var mu sync.Mutex
	acked := map[string]bool{}
	var sent atomic.Int64
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	next := make(chan int)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := hook("CandidateUpdated", map[string]any{"CandidateId": i, "N": i})
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				sent.Add(1)
				if err != nil {
					continue // the router is down: not acknowledged
				}
				var ans struct{ ID string }
				_ = json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked[ans.ID] = true
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < total; i++ {
		if i == total/2 {
			n.kill()
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if len(acked) < total/4 {
		t.Fatalf("only %d events acknowledged before the crash", len(acked))
	}
	t.Logf("%d of %d events acknowledged; restarting", len(acked), total)

	startNode(t, cfg)
	forwarded := func() map[string]bool {
		got := map[string]bool{}
		for _, r := range s.requests("/events") {
			var b struct{ ID string }
			if json.Unmarshal(r.Body, &b) == nil {
				got[b.ID] = true
			}
		}
		return got
	}
	eventually(t, 60*time.Second, "every acknowledged event to be forwarded", func() bool {
		got := forwarded()
		for id := range acked {
			if !got[id] {
				return false
			}
		}
		return true
	})
}
