package work

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/fetch"
	"github.com/hirewire/hirewire/engine/store"
)

// TestUnusableAnswerFailsTheEventOnly: an API answer that asking again
// cannot change (HTTP 400) fails that event at once, visibly, with the
// reason; it does not retry and spend the budget, and the next event
// about the same candidate is processed.
func TestUnusableAnswerFailsTheEventOnly(t *testing.T) {
	v := newEnv(t)
	calls := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			http.Error(w, "bad canid", http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"Items":[{"Id":1,"FirstName":"Kari"}]}`))
	}))
	defer api.Close()
	set := v.rules(`rules:
  - {name: hi, on: "Candidate*", actions: [{rec: {text: "hi {{ candidate.FirstName }}"}}]}
`, "candidate")
	w := v.worker(set, func(o *Options) { o.Fetcher = v.fetcher(api.URL); o.Objects = []string{"candidate"} })
	first := v.ingest("CandidateId:1", map[string]any{"EventType": "CandidateUpdated", "CandidateId": 1})
	second := v.ingest("CandidateId:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	v.run(w)
	rec := v.waitEvent(first)
	if rec.Status != store.StatusFailed || !strings.Contains(string(rec.Trace), "HTTP 400") || rec.Attempts != 1 {
		t.Errorf("first event: %s after %d attempts, trace %s; want failed once with the 400", rec.Status, rec.Attempts, rec.Trace)
	}
	if rec := v.waitEvent(second); rec.Status != store.StatusProcessed || len(rec.Deliveries) != 1 {
		t.Errorf("second event: %s %+v, want processed with its delivery", rec.Status, rec.Deliveries)
	}
}

// TestFailingIDExpressionFailsTheEventOnly: an id expression that fails on
// an event's fields fails every time, so the event fails at once with the
// reason instead of waiting for ever and holding back the object's later
// events.
func TestFailingIDExpressionFailsTheEventOnly(t *testing.T) {
	v := newEnv(t)
	f, err := fetch.New(fetch.Options{Fixtures: t.TempDir(), Now: v.clock.Now, Objects: []fetch.ObjectConfig{{
		Name: "candidate", ID: "event.Ids[0]", Get: "Candidates/json/?canid={{ id }}", TTL: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	set := v.rules(`rules:
  - {name: hi, on: "Candidate*", actions: [{rec: {text: "hi {{ candidate?.FirstName }}"}}]}
`, "candidate")
	w := v.worker(set, func(o *Options) { o.Fetcher = f; o.Objects = []string{"candidate"} })
	first := v.ingest("CandidateId:1", map[string]any{"EventType": "CandidateUpdated", "CandidateId": 1, "Ids": []any{}})
	second := v.ingest("CandidateId:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	v.run(w)
	rec := v.waitEvent(first)
	if rec.Status != store.StatusFailed || !strings.Contains(string(rec.Trace), "id:") || rec.Attempts != 1 {
		t.Errorf("first event: %s after %d attempts, trace %s; want failed once, naming the id expression", rec.Status, rec.Attempts, rec.Trace)
	}
	if rec := v.waitEvent(second); rec.Status != store.StatusFailed && rec.Status != store.StatusProcessed {
		t.Errorf("second event: %s, want it worked on, not held back", rec.Status)
	}
}
