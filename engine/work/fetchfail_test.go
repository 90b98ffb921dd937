package work

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
