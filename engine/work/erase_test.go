package work

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/fetch"
	"github.com/hirewire/hirewire/engine/store"
)

// candidateAPI answers Candidates/json/?canid=N with a candidate N named
// Kari and counts the calls.
type candidateAPI struct {
	*httptest.Server
	mu    sync.Mutex
	calls []string
}

func newCandidateAPI(t *testing.T) *candidateAPI {
	a := &candidateAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("canid")
		a.mu.Lock()
		a.calls = append(a.calls, id)
		a.mu.Unlock()
		fmt.Fprintf(w, `{"Total":1,"Items":[{"Id":%s,"FirstName":"Kari","Email":"kari@example.com"}]}`, id)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *candidateAPI) Calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// fetcher returns a real Fetcher of candidates on the env's store.
func (v *env) fetcher(api string) *fetch.Fetcher {
	v.t.Helper()
	f, err := fetch.New(fetch.Options{BaseURL: api, Store: v.store, Now: v.clock.Now, Objects: []fetch.ObjectConfig{{
		Name: "candidate", ID: "event.CandidateId", Get: "Candidates/json/?canid={{ id }}", Select: "Items[0]",
		TTL: time.Hour, RefreshOn: []string{"CandidateUpdated"}}}})
	if err != nil {
		v.t.Fatal(err)
	}
	return f
}

const eraseRules = `rules:
  - name: welcome
    on: CandidateRegistered
    actions: [{rec: {text: "hello {{ candidate.FirstName }}"}}]
  - name: farewell
    on: "CandidateDeleted*"
    actions: [{rec: {text: "forgotten: {{ candidate == nil && previous.candidate == nil }}"}}]
`

// TestDeletionEventsEraseTheCandidate: each of HR Manager's deletion
// events erases the cached copies of its candidate before the rules run;
// the rules see no candidate, and no API call fetches it back.
func TestDeletionEventsEraseTheCandidate(t *testing.T) {
	v := newEnv(t)
	api := newCandidateAPI(t)
	f := v.fetcher(api.URL)
	w := v.worker(v.rules(eraseRules, "candidate"), func(o *Options) { o.Fetcher, o.Objects = f, []string{"candidate"} })
	v.run(w)
	for i, typ := range []string{"CandidateDeleted", "CandidateDeletedByUser", "CandidateDeletedOwn"} {
		cid := 100 + i
		key := fmt.Sprintf("candidate:%d", cid)
		reg := v.waitEvent(v.ingest(key, map[string]any{"EventType": "CandidateRegistered", "CandidateId": cid}))
		if _, err := v.store.Snapshot(v.ctx, "candidate", fmt.Sprint(cid)); err != nil {
			t.Fatalf("%s: no copy after registration: %v (trace %s)", typ, err, reg.Trace)
		}
		del := v.waitEvent(v.ingest(key, map[string]any{"EventType": typ, "CandidateId": cid}))
		if _, err := v.store.Snapshot(v.ctx, "candidate", fmt.Sprint(cid)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: copy still stored (%v)", typ, err)
		}
		want := []string{fmt.Sprintf("candidate %d", cid), "1 stored event"}
		if tr := trace(t, del); !slices.Equal(tr.Erased, want) || tr.Objects["candidate"] != nil {
			t.Errorf("%s: trace erased %v, objects %v; want the candidate erased and not shown", typ, tr.Erased, tr.Objects)
		}
	}
	if calls := api.Calls(); !slices.Equal(calls, []string{"100", "101", "102"}) {
		t.Errorf("API calls %v, want one per registration and none for the deletions", calls)
	}
	var texts []string
	for _, r := range v.rec.Rendered() {
		texts = append(texts, r.Text)
	}
	want := strings.Repeat("hello Kari,forgotten: true,", 3)
	if got := strings.Join(texts, ",") + ","; got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
}

// TestEraseOnIsConfigurable: an empty EraseOn erases nothing, and another
// mapping erases on the types it names.
func TestEraseOnIsConfigurable(t *testing.T) {
	v := newEnv(t)
	f := v.fetcher(newCandidateAPI(t).URL)
	set := v.rules(eraseRules+`  - name: gdpr
    on: GdprRequest
    actions: [{rec: {text: x}}]
`, "candidate")
	w := v.worker(set, func(o *Options) {
		o.Fetcher, o.Objects, o.EraseOn = f, []string{"candidate"}, map[string]string{"GdprRequest": "candidate"}
	})
	v.run(w)
	v.waitEvent(v.ingest("candidate:7", map[string]any{"EventType": "CandidateRegistered", "CandidateId": 7}))
	v.waitEvent(v.ingest("candidate:7", map[string]any{"EventType": "CandidateDeleted", "CandidateId": 7}))
	if _, err := v.store.Snapshot(v.ctx, "candidate", "7"); err != nil {
		t.Fatalf("CandidateDeleted erased although EraseOn does not name it: %v", err)
	}
	v.waitEvent(v.ingest("candidate:7", map[string]any{"EventType": "GdprRequest", "CandidateId": 7}))
	if _, err := v.store.Snapshot(v.ctx, "candidate", "7"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GdprRequest did not erase: %v", err)
	}
}

// failingEraser is a Fetcher whose Erase fails until healed.
type failingEraser struct {
	mu     sync.Mutex
	healed bool
	erased []string
}

func (f *failingEraser) Fetch(context.Context, *event.Event, map[string]any, []string) (fetch.Result, error) {
	return fetch.Result{}, errors.New("fetch not expected")
}

func (f *failingEraser) ObjectID(name string, fields map[string]any) (string, error) {
	return fmt.Sprint(fields["CandidateId"]), nil
}

func (f *failingEraser) Erase(_ context.Context, object, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.healed {
		return errors.New("database is locked")
	}
	f.erased = append(f.erased, object+" "+id)
	return nil
}

// TestFailedEraseWaitsAndRetries: an event whose erasure fails is held
// with the reason and erased on a later try, never processed without it.
func TestFailedEraseWaitsAndRetries(t *testing.T) {
	v := newEnv(t)
	fe := &failingEraser{}
	w := v.worker(v.rules(eraseRules, "candidate"), func(o *Options) { o.Fetcher, o.Objects = fe, []string{"candidate"} })
	id := v.ingest("candidate:9", map[string]any{"EventType": "CandidateDeleted", "CandidateId": 9})
	v.run(w)
	var rec *store.EventRecord
	v.eventually("the event to be held", func() bool {
		rec = v.event(id)
		return rec.Reason != ""
	})
	if rec.Status != store.StatusPending || !strings.Contains(rec.Reason, "erasing candidate failed: database is locked") {
		t.Fatalf("event %s: %q; want pending with the reason", rec.Status, rec.Reason)
	}
	fe.mu.Lock()
	fe.healed = true
	fe.mu.Unlock()
	v.clock.Add(fetchRetry)
	w.Notify()
	rec = v.waitEvent(id)
	fe.mu.Lock()
	defer fe.mu.Unlock()
	if rec.Status != store.StatusProcessed || !slices.Equal(fe.erased, []string{"candidate 9"}) {
		t.Errorf("event %s, erased %v; want processed after erasing candidate 9", rec.Status, fe.erased)
	}
}

const historyRules = `rules:
  - name: welcome
    on: CandidateRegistered
    actions: [{rec: {text: "hello {{ candidate.FirstName }}"}}]
  - name: only-ola
    on: CandidateRegistered
    when: candidate.FirstName == "Ola"
    actions: [{rec: {text: x}}]
`

// TestDeletionErasesStoredHistory: a deletion event erases what the
// stored events of its candidate hold of her — the copy in their traces,
// what conditions saw, payloads and peer answers — and kills their
// deliveries still to be sent; another candidate's history is untouched.
func TestDeletionErasesStoredHistory(t *testing.T) {
	v := newEnv(t)
	f := v.fetcher(newCandidateAPI(t).URL)
	v.rec.send = func(context.Context, actions.Message) (string, error) {
		return "", errors.New("HTTP 503: cannot greet Kari now")
	}
	w := v.worker(v.rules(historyRules, "candidate"), func(o *Options) { o.Fetcher, o.Objects = f, []string{"candidate"} })
	v.run(w)
	kari := v.waitEvent(v.ingest("CandidateId:100", map[string]any{"EventType": "CandidateRegistered", "CandidateId": 100}))
	other := v.waitEvent(v.ingest("CandidateId:200", map[string]any{"EventType": "CandidateRegistered", "CandidateId": 200}))
	for _, rec := range []*store.EventRecord{kari, other} {
		v.eventually("a first failed attempt", func() bool { return len(v.event(rec.ID).Deliveries[0].History) == 1 })
	}
	del := v.waitEvent(v.ingest("CandidateId:100", map[string]any{"EventType": "CandidateDeleted", "CandidateId": 100}))
	if tr := trace(t, del); !slices.Equal(tr.Erased, []string{"candidate 100", "1 stored event"}) {
		t.Errorf("deletion trace erased %v", tr.Erased)
	}
	checkKariErased(t, v.event(kari.ID))
	if rec := v.event(other.ID); !strings.Contains(string(rec.Trace), "Kari") || !strings.Contains(string(rec.Deliveries[0].Payload), "Kari") {
		t.Errorf("another candidate's history lost its data: %s %s", rec.Trace, rec.Deliveries[0].Payload)
	}
	v.clock.Add(2 * time.Hour)
	w.Notify()
	v.eventually("the other candidate's retry", func() bool { return len(v.event(other.ID).Deliveries[0].History) == 2 })
	for _, m := range v.rec.Sent() {
		if strings.HasPrefix(m.ID, kari.ID) && m.Attempt > 1 {
			t.Errorf("an erased delivery was sent again: %s %s", m.ID, m.Payload)
		}
	}
}

// checkKariErased checks that an event keeps its verdicts and deliveries
// but no data of the erased candidate.
func checkKariErased(t *testing.T, rec *store.EventRecord) {
	t.Helper()
	if strings.Contains(string(rec.Trace), "Kari") {
		t.Errorf("trace still holds the candidate: %s", rec.Trace)
	}
	var tr erasedTrace
	if err := json.Unmarshal(rec.Trace, &tr); err != nil || tr.Objects["candidate"] != "erased" || tr.ErasedAt.IsZero() {
		t.Errorf("trace = %s, want the candidate marked erased with erased_at", rec.Trace)
	}
	if v := verdict(tr.Trace, "only-ola"); v.Verdict != "not matched" || v.Saw != nil {
		t.Errorf("verdict after erasure = %+v, want not matched with nothing seen", v)
	}
	d := rec.Deliveries[0]
	if d.Status != store.DeliveryDead || d.LastError != store.ErasedError || string(d.Payload) != store.ErasedPayload {
		t.Errorf("delivery = %s %q %s, want dead and erased", d.Status, d.LastError, d.Payload)
	}
	if len(d.History) != 1 || d.History[0].Detail != "" {
		t.Errorf("attempts = %+v, want one with no detail", d.History)
	}
}

// TestEraseKeepsOtherObjectsHistory: a deletion event whose ordering key
// names another object (order_by ranks ProjectId first) erases the
// candidate's copies but leaves the project's history alone.
func TestEraseKeepsOtherObjectsHistory(t *testing.T) {
	v := newEnv(t)
	f := v.fetcher(newCandidateAPI(t).URL)
	w := v.worker(v.rules(historyRules, "candidate"), func(o *Options) { o.Fetcher, o.Objects = f, []string{"candidate"} })
	v.run(w)
	reg := v.waitEvent(v.ingest("ProjectId:7", map[string]any{"EventType": "CandidateRegistered", "CandidateId": 100, "ProjectId": 7}))
	del := v.waitEvent(v.ingest("ProjectId:7", map[string]any{"EventType": "CandidateDeleted", "CandidateId": 100, "ProjectId": 7}))
	if tr := trace(t, del); !slices.Equal(tr.Erased, []string{"candidate 100"}) {
		t.Errorf("deletion trace erased %v, want only the cached copy", tr.Erased)
	}
	if rec := v.event(reg.ID); !strings.Contains(string(rec.Trace), "Kari") {
		t.Errorf("the project's history was erased: %s", rec.Trace)
	}
}

func TestEraseTraceRedactsErrorsAndKeepsNumbers(t *testing.T) {
	w := New(Options{Now: func() time.Time { return time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC) }})
	in := mustJSON(Trace{
		Objects: map[string]any{"candidate": map[string]any{"Email": "kari@example.com"}, "position": map[string]any{"Id": json.Number("9007199254740993")}},
		Rules: []Verdict{{Rule: "r", Verdict: "error", Why: "when: kari@example.com is not a number", Actions: []ActionNote{
			{Result: "skipped: when: bad kari@example.com"}, {Result: "dead: cannot render: kari@example.com"}, {Result: "delivery r.0"}}}},
	})
	out := w.eraseTrace("candidate")(in)
	if strings.Contains(string(out), "kari@") || !strings.Contains(string(out), "9007199254740993") {
		t.Fatalf("erased trace = %s", out)
	}
	again := w.eraseTrace("candidate")(out)
	if string(again) != string(out) {
		t.Errorf("erasing twice changed the trace:\n%s\n%s", out, again)
	}
	if got := w.eraseTrace("candidate")(json.RawMessage("not json")); string(got) != `{"erased_at":"2025-03-04T09:00:00Z"}` {
		t.Errorf("unreadable trace became %s", got)
	}
}
