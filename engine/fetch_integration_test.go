package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hrmAPI is HR Manager's REST API for router tests: it answers
// Candidates/json/?canid=N and Positions/json/?posid=N from the sample
// answers in testdata, with the asked id and the status the test set.
type hrmAPI struct {
	*httptest.Server
	samples map[string][]byte // method → sample answer
	mu      sync.Mutex
	calls   []string          // "Candidates 5", in order
	status  map[string]string // candidate id → Status
	// throttle answers the next calls 204 with Retry-After: 1.
	throttle int
	// hold, if set, is waited for before answering normally once.
	hold chan struct{}
}

func newHRMAPI(t *testing.T) *hrmAPI {
	a := &hrmAPI{samples: map[string][]byte{}, status: map[string]string{}}
	for _, m := range []string{"Candidates", "Positions"} {
		b, err := os.ReadFile(filepath.Join("testdata", m+".json"))
		must(t, err)
		a.samples[m] = b
	}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *hrmAPI) serve(w http.ResponseWriter, r *http.Request) {
	method, id := "", ""
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2/1885/Candidates/json/"):
		method, id = "Candidates", r.URL.Query().Get("canid")
	case strings.HasSuffix(r.URL.Path, "/v2/1885/Positions/json/"):
		method, id = "Positions", r.URL.Query().Get("posid")
	}
	if method == "" || r.Header.Get("apikey") != "test-api-key" {
		http.Error(w, "unknown method or key", http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	a.calls = append(a.calls, method+" "+id)
	throttled, hold := a.throttle > 0, a.hold
	if throttled {
		a.throttle--
	} else {
		a.hold = nil
	}
	status := a.status[id]
	a.mu.Unlock()
	if throttled {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if hold != nil {
		<-hold
	}
	var body map[string]any
	_ = json.Unmarshal(a.samples[method], &body)
	item := body["Items"].([]any)[0].(map[string]any)
	item["Id"] = json.Number(id)
	if status != "" {
		item["Status"] = status
	}
	_ = json.NewEncoder(w).Encode(body)
}

// Calls returns the calls made so far ("Candidates 5").
func (a *hrmAPI) Calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

func (a *hrmAPI) SetStatus(id, status string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status[id] = status
}

// config is the source settings for a router that uses this API.
func (a *hrmAPI) config(perHour int) string {
	return fmt.Sprintf(`    api:
      base_url: %s/v2/1885
      api_key: test-api-key
      budget: {per_hour: %d, per_day: 200}
    objects:
      candidate:
        id: event.CandidateId
        get: "Candidates/json/?canid={{ id }}"
        select: "Items[0]"
        ttl: 15m
        refresh_on: [CandidateUpdated, CandidateStatusUpdated, CandidateHired]
      position:
        id: event.ProjectId
        get: "Positions/json/?posid={{ id }}"
        select: "Items[0]"
        ttl: 1h
        refresh_on: [PositionPublished, PositionUnpublished, ProjectUpdated]`, a.URL, perHour)
}

// TestEventBeyondTheBudgetWaits: with two calls an hour, the third
// candidate's event waits for the API, says so, and fails nothing.
func TestEventBeyondTheBudgetWaits(t *testing.T) {
	api := newHRMAPI(t)
	s := newSink(t)
	tr := startRouter(t, api.config(2), `rules:
  - name: welcome
    on: CandidateRegistered
    actions:
      - http: {url: "`+s.URL+`/welcome", json: {name: "{{ candidate.FirstName }}", id: "{{ candidate.Id }}"}}
`)
	var ids []string
	for c := 1; c <= 3; c++ {
		code, ans := tr.Post(t, map[string]any{"EventType": "CandidateRegistered", "CandidateId": c})
		if code != http.StatusAccepted {
			t.Fatalf("post %d: %d %v", c, code, ans)
		}
		ids = append(ids, ans["id"].(string))
	}
	byStatus := map[string][]map[string]any{}
	eventually(t, 10*time.Second, "two events processed and one waiting", func() bool {
		byStatus = map[string][]map[string]any{}
		for _, id := range ids {
			ev := tr.Event(t, id)
			byStatus[ev["status"].(string)] = append(byStatus[ev["status"].(string)], ev)
		}
		return len(byStatus["processed"]) == 2 && len(byStatus["waiting_for_api"]) == 1
	})
	waiting := byStatus["waiting_for_api"][0]
	if why, _ := waiting["reason"].(string); !strings.Contains(why, "Candidates budget spent") {
		t.Errorf("waiting event's reason %q, want it to name the spent budget", why)
	}
	if calls := api.Calls(); len(calls) != 2 {
		t.Errorf("API calls %v, want 2 (the budget)", calls)
	}
	eventually(t, 10*time.Second, "two welcomes", func() bool { return len(s.Bodies("/welcome")) == 2 })
	for _, b := range s.Bodies("/welcome") {
		if !strings.Contains(string(b), `"name":"Kari"`) {
			t.Errorf("welcome %s, want the candidate's first name", b)
		}
	}
	var failed struct{ Events []any }
	tr.AdminDo(t, http.MethodGet, "/api/events?status=failed", &failed)
	if len(failed.Events) != 0 {
		t.Errorf("failed events %v, want none", failed.Events)
	}
	if strings.Contains(tr.Logs.String(), "test-api-key") {
		t.Error("the API key appears in the log")
	}
}

// TestThrottledEventWaitsThenCompletes: HR Manager answers 204 (with
// Retry-After: 1); the event waits, with the reason, and is processed on
// the next call.
func TestThrottledEventWaitsThenCompletes(t *testing.T) {
	api := newHRMAPI(t)
	api.throttle, api.hold = 1, make(chan struct{})
	s := newSink(t)
	tr := startRouter(t, api.config(8), `rules:
  - name: welcome
    on: CandidateRegistered
    actions:
      - http: {url: "`+s.URL+`/welcome", json: {name: "{{ candidate.FirstName }}"}}
`)
	_, ans := tr.Post(t, map[string]any{"EventType": "CandidateRegistered", "CandidateId": 11})
	id := ans["id"].(string)
	// The second call is held until the wait has been seen.
	ev := tr.WaitStatus(t, id, "waiting_for_api")
	close(api.hold)
	if why, _ := ev["reason"].(string); !strings.Contains(why, "HTTP 204") {
		t.Errorf("reason %q, want the throttling named", why)
	}
	tr.WaitStatus(t, id, "processed")
	eventually(t, 10*time.Second, "the welcome", func() bool { return len(s.Bodies("/welcome")) == 1 })
	if calls := api.Calls(); strings.Join(calls, ",") != "Candidates 11,Candidates 11" {
		t.Errorf("API calls %v, want the throttled one and one more", calls)
	}
}

// TestRulesSeeTheChangeAnEventBrought: previous.candidate is the copy
// before the event, so a status change fires and an update that leaves
// the status alone does not.
func TestRulesSeeTheChangeAnEventBrought(t *testing.T) {
	api := newHRMAPI(t)
	api.SetStatus("21", "New")
	s := newSink(t)
	tr := startRouter(t, api.config(8), `rules:
  - name: welcome
    on: CandidateRegistered
    actions:
      - http: {url: "`+s.URL+`/welcome", json: {name: "{{ candidate.FirstName }}"}}
  - name: status-changed
    on: [CandidateStatusUpdated, CandidateUpdated]
    when: previous.candidate?.Status != candidate.Status
    actions:
      - http: {url: "`+s.URL+`/changed", json: {name: "{{ candidate.FirstName }}", from: "{{ previous.candidate?.Status }}", to: "{{ candidate.Status }}"}}
`)
	post := func(typ string) map[string]any {
		_, ans := tr.Post(t, map[string]any{"EventType": typ, "CandidateId": 21})
		return tr.WaitStatus(t, ans["id"].(string), "processed")
	}
	post("CandidateRegistered")
	api.SetStatus("21", "Interview")
	if ev := post("CandidateStatusUpdated"); !containsAny(asList(ev["matched"]), "status-changed") {
		t.Fatalf("a status change did not fire: %s", ev["trace"])
	}
	if ev := post("CandidateUpdated"); containsAny(asList(ev["matched"]), "status-changed") {
		t.Errorf("an update that left the status alone fired: %s", ev["trace"])
	}
	eventually(t, 10*time.Second, "the change to be forwarded", func() bool { return len(s.Bodies("/changed")) == 1 })
	if got := string(s.Bodies("/changed")[0]); got != `{"from":"New","name":"Kari","to":"Interview"}` {
		t.Errorf("forwarded %s", got)
	}
	if calls := api.Calls(); len(calls) != 3 {
		t.Errorf("API calls %v, want one per event (the updates ask for fresh data)", calls)
	}
}

// TestObjectsFetchedOnlyWhenARuleNeedsThem: an event whose matching rules
// do not refer to an object costs no call for it, though the event names
// it and other rules use it.
func TestObjectsFetchedOnlyWhenARuleNeedsThem(t *testing.T) {
	api := newHRMAPI(t)
	tr := startRouter(t, api.config(8), `rules:
  - name: project-note
    on: ProjectCreated
    when: event.ProjectId > 0
    actions: [{log: {message: "project {{ event.ProjectId }}"}}]
  - name: candidates
    on: "Candidate*"
    when: candidate.FirstName != ""
    actions: [{log: {message: "candidate {{ candidate.FirstName }}"}}]
  - name: hire-position
    on: CandidateHired
    actions: [{log: {message: "hired into {{ position.Name }}"}}]
`)
	_, ans := tr.Post(t, map[string]any{"EventType": "ProjectCreated", "ProjectId": 143568, "CandidateId": 31})
	ev := tr.WaitStatus(t, ans["id"].(string), "processed")
	if !containsAny(asList(ev["matched"]), "project-note") {
		t.Errorf("project-note did not match: %s", ev["trace"])
	}
	if calls := api.Calls(); len(calls) != 0 {
		t.Errorf("API calls %v for an event no object rule could match", calls)
	}
	_, ans = tr.Post(t, map[string]any{"EventType": "CandidateHired", "ProjectId": 143568, "CandidateId": 31})
	tr.WaitStatus(t, ans["id"].(string), "processed")
	if calls := strings.Join(api.Calls(), ","); calls != "Candidates 31,Positions 143568" && calls != "Positions 143568,Candidates 31" {
		t.Errorf("API calls %s, want the candidate and the position once each", calls)
	}
}

// TestDeletedCandidateIsForgotten: CandidateDeleted erases the cached
// copy, so the rules of the deletion see no candidate and a later event
// about that id has to ask the API again.
func TestDeletedCandidateIsForgotten(t *testing.T) {
	api := newHRMAPI(t)
	tr := startRouter(t, api.config(8), `rules:
  - name: seen
    on: CandidateRegistered
    actions: [{log: {message: "candidate {{ candidate.FirstName }}"}}]
  - name: gone
    on: CandidateDeleted
    when: candidate == nil
    actions: [{log: {message: "candidate {{ event.CandidateId }} forgotten"}}]
`)
	post := func(msg map[string]any) map[string]any {
		_, ans := tr.Post(t, msg)
		return tr.WaitStatus(t, ans["id"].(string), "processed")
	}
	post(map[string]any{"EventType": "CandidateRegistered", "CandidateId": 41})
	post(map[string]any{"EventType": "CandidateRegistered", "CandidateId": 41, "Again": true})
	if calls := api.Calls(); len(calls) != 1 {
		t.Fatalf("API calls %v, want one: the second event is served from the cache", calls)
	}
	ev := post(map[string]any{"EventType": "CandidateDeleted", "CandidateId": 41})
	if !containsAny(asList(ev["matched"]), "gone") || !strings.Contains(fmt.Sprint(ev["trace"]), "candidate 41") {
		t.Errorf("deletion: matched %v, trace %v; want gone matched and the erasure traced", ev["matched"], ev["trace"])
	}
	if strings.Contains(fmt.Sprint(ev["trace"]), "Kari") {
		t.Errorf("the deletion's trace shows the candidate's data: %v", ev["trace"])
	}
	post(map[string]any{"EventType": "CandidateRegistered", "CandidateId": 41, "Again": 2})
	if calls := api.Calls(); len(calls) != 2 {
		t.Errorf("API calls %v, want a second call once the copy was erased", calls)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
