package work

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions/webhook"
	"github.com/hirewire/hirewire/engine/store"
)

// TestEventsAboutOneObjectKeepArrivalOrder: with eight at once, the events
// about each candidate are evaluated in the order they arrived, though
// rendering takes a random while, and every event gets its delivery.
func TestEventsAboutOneObjectKeepArrivalOrder(t *testing.T) {
	v := newEnv(t)
	v.rec.delay = func() { time.Sleep(time.Duration(rand.IntN(800)) * time.Microsecond) }
	set := v.rules(`rules:
  - name: note
    on: "Candidate*"
    actions:
      - rec: {text: "{{ event.CandidateId }}-{{ event.Seq }}"}
`)
	const cands, perCand = 4, 12
	var ids []string
	for seq := range perCand {
		for c := range cands {
			ids = append(ids, v.ingest(fmt.Sprintf("candidate:%d", c), map[string]any{
				"EventType": "CandidateUpdated", "CandidateId": c, "Seq": seq}))
		}
	}
	v.run(v.worker(set, func(o *Options) { o.Concurrency = 8 }))
	for _, id := range ids {
		rec := v.waitEvent(id)
		if d := v.waitDelivery(id, id+".note.0"); d.Status != store.DeliveryDelivered {
			t.Errorf("delivery of %s: %s %s", id, d.Status, d.LastError)
		}
		if rec.Status != store.StatusProcessed {
			t.Errorf("event %s: %s", id, rec.Status)
		}
	}
	got := v.rec.Rendered()
	if len(got) != cands*perCand {
		t.Fatalf("%d renders, want %d", len(got), cands*perCand)
	}
	next := map[any]int{}
	for _, r := range got {
		if r.Seq != next[r.Key] {
			t.Fatalf("candidate %v: event %v evaluated when %d was due; order: %v", r.Key, r.Seq, next[r.Key], got)
		}
		next[r.Key]++
	}
}

// TestFailingConditionIsRecordedAndOthersRun: a `when` that fails at run
// time gives that rule the verdict "error" with the reason, counts in
// metrics, and the event is still processed with the other rules; an
// action's failing `when` skips that action and counts too.
func TestFailingConditionIsRecordedAndOthersRun(t *testing.T) {
	v := newEnv(t)
	set := v.rules(`rules:
  - name: broken
    on: CandidateHired
    when: event.Missing.Field == 1
    actions: [{rec: {text: never}}]
  - name: fine
    on: CandidateHired
    actions:
      - rec: {text: "hired {{ event.CandidateId }}"}
      - rec: {text: never}
        when: event.Missing.Field == 2
  - name: other
    on: ProjectCreated
    actions: [{rec: {text: never}}]
  - name: small-ids
    on: CandidateHired
    when: event.CandidateId < 3 && event.Type == "CandidateHired"
    actions: [{rec: {text: never}}]
`)
	w := v.worker(set, nil)
	id := v.ingest("candidate:5", map[string]any{"EventType": "CandidateHired", "CandidateId": 5})
	v.run(w)
	rec := v.waitEvent(id)
	if rec.Status != store.StatusProcessed {
		t.Fatalf("status %s, want processed", rec.Status)
	}
	tr := trace(t, rec)
	if b := verdict(tr, "broken"); b.Verdict != "error" || !strings.Contains(b.Why, "cannot fetch Field") {
		t.Errorf("broken: %+v, want verdict error with the reason", b)
	}
	if f := verdict(tr, "fine"); f.Verdict != "matched" || len(f.Actions) != 2 || !strings.HasPrefix(f.Actions[1].Result, "skipped: when: ") {
		t.Errorf("fine: %+v, want matched, its second action skipped with the error", f)
	}
	if o := verdict(tr, "other"); o.Verdict != "skipped" {
		t.Errorf("other: %+v, want skipped", o)
	}
	s := verdict(tr, "small-ids")
	if s.Verdict != "not matched" || len(s.Saw) != 2 || s.Saw[0].Expr != "event.CandidateId" || s.Saw[0].Value != "5" ||
		s.Saw[1].Value != `"CandidateHired"` {
		t.Errorf("small-ids: %+v, want not matched, saying it saw event.CandidateId = 5", s)
	}
	if len(rec.Deliveries) != 1 || rec.Deliveries[0].ID != id+".fine.0" {
		t.Errorf("deliveries %+v, want only fine's", rec.Deliveries)
	}
	if n := counter(t, w.opts.Metrics.RuleErrors); n != 2 {
		t.Errorf("rule errors metric %v, want 2: the rule's when and an action's", n)
	}
}

// TestRenderFailureIsDeadAndSiblingsDeliver: an action whose templates
// cannot render for this event becomes a dead delivery with the reason,
// never sent, and the rule's other actions (here a real HTTP forward) are
// delivered.
func TestRenderFailureIsDeadAndSiblingsDeliver(t *testing.T) {
	v := newEnv(t)
	var mu sync.Mutex
	var keys, bodies []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		keys, bodies = append(keys, r.Header.Get("Idempotency-Key")), append(bodies, string(b))
		mu.Unlock()
	}))
	t.Cleanup(sink.Close)
	v.kinds["http"] = webhook.New(webhook.Options{})
	set := v.rules(`rules:
  - name: hire
    on: CandidateHired
    actions:
      - rec: {text: "{{ event.Missing.Field }}"}
      - http: {url: "` + sink.URL + `/hires", json: {id: "{{ event.CandidateId }}"}}
      - rec: {text: "ok {{ event.CandidateId }}"}
`)
	w := v.worker(set, nil)
	id := v.ingest("candidate:6", map[string]any{"EventType": "CandidateHired", "CandidateId": 6})
	v.run(w)
	v.waitEvent(id)
	dead := v.waitDelivery(id, id+".hire.0")
	if dead.Status != store.DeliveryDead || !strings.HasPrefix(dead.LastError, "render: ") ||
		!strings.Contains(dead.LastError, "cannot fetch Field") || dead.Attempts != 0 {
		t.Errorf("hire.0: %s after %d attempts: %q; want dead, never tried, with the reason", dead.Status, dead.Attempts, dead.LastError)
	}
	for _, n := range []string{".hire.1", ".hire.2"} {
		if d := v.waitDelivery(id, id+n); d.Status != store.DeliveryDelivered {
			t.Errorf("%s: %s %q", n, d.Status, d.LastError)
		}
	}
	mu.Lock()
	if len(keys) != 1 || keys[0] != id+".hire.1" || bodies[0] != `{"id":6}` {
		t.Errorf("forwarded %v %v, want one body {\"id\":6} keyed %s.hire.1", keys, bodies, id)
	}
	mu.Unlock()
	if sent := v.rec.Sent(); len(sent) != 1 || sent[0].ID != id+".hire.2" {
		t.Errorf("rec sent %+v, want only hire.2", sent)
	}
	notes := verdict(trace(t, v.event(id)), "hire").Actions
	if len(notes) != 3 || !strings.HasPrefix(notes[0].Result, "dead: cannot render: ") {
		t.Errorf("trace notes %+v, want the render failure first", notes)
	}
	if n := counter(t, w.opts.Metrics.DeadDeliveries); n != 1 {
		t.Errorf("dead deliveries metric %v, want 1", n)
	}
}

// TestUndecodableEventFails: an event whose body is not a JSON object is
// marked failed with the reason instead of being retried forever.
func TestUndecodableEventFails(t *testing.T) {
	v := newEnv(t)
	set := v.rules("rules:\n  - {name: any, on: \"*\", actions: [{rec: {text: x}}]}\n")
	id := v.ingest("", map[string]any{"EventType": "CandidateHired"})
	// Ingest only stores JSON objects, so spoil the claimed copy.
	events, err := v.store.ClaimEvents(v.ctx, "node-a", 1, time.Minute)
	if err != nil || len(events) != 1 {
		t.Fatalf("claim: %v %v", events, err)
	}
	e := events[0]
	e.Body = []byte(`[1,2]`)
	v.worker(set, nil).process(v.ctx, e)
	rec := v.event(id)
	if rec.Status != store.StatusFailed || !strings.Contains(trace(t, rec).Error, "not a JSON object") {
		t.Errorf("status %s, trace %s; want failed with the reason", rec.Status, rec.Trace)
	}
}
