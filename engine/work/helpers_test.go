package work

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/rules"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// clock is a settable time source, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one worker under test: a real SQLite store, a fake clock and the
// recording action kind "rec".
type env struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	store store.Store
	rec   *recKind
	kinds map[string]actions.Kind
	logs  *lockedBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	c := newClock()
	st, err := store.Open(ctx, "sqlite:"+t.TempDir()+"/h.db", store.WithClock(c.Now))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &recKind{}
	return &env{t: t, ctx: ctx, clock: c, store: st, rec: rec, kinds: map[string]actions.Kind{"rec": rec}, logs: &lockedBuffer{}}
}

// rules parses a rules file against the env's kinds and objects.
func (v *env) rules(src string, objects ...string) *rules.Set {
	v.t.Helper()
	set, err := rules.Parse("rules.yaml", []byte(src), rules.Options{Objects: objects, Kinds: v.kinds, Now: v.clock.Now})
	if err != nil {
		v.t.Fatalf("rules: %v", err)
	}
	return set
}

// worker returns a Worker on the env with the given rules; change fills in
// further options.
func (v *env) worker(set *rules.Set, change func(*Options)) *Worker {
	opts := Options{
		Store: v.store, Rules: func() *rules.Set { return set }, Kinds: v.kinds, Owner: "node-a",
		Poll: 5 * time.Millisecond, Now: v.clock.Now,
		Logger: slog.New(slog.NewTextHandler(v.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if change != nil {
		change(&opts)
	}
	return New(opts)
}

// ingest stores an HR Manager event with the given Message fields; key
// orders it with other events about the same object.
func (v *env) ingest(key string, msg map[string]any) string {
	v.t.Helper()
	body, err := json.Marshal(map[string]any{"Message": msg, "CustomerId": 1885})
	if err != nil {
		v.t.Fatal(err)
	}
	now := v.clock.Now()
	e := &event.Event{ID: event.NewID(now), Source: "hrmanager", Type: msg["EventType"].(string), Key: key, Body: body,
		DedupKey: fmt.Sprintf("%x", body), ReceivedAt: now, LastSeenAt: now}
	id, dup, err := v.store.Ingest(v.ctx, e, 0, 0)
	if err != nil || dup {
		v.t.Fatalf("ingest: %v (duplicate %v)", err, dup)
	}
	return id
}

// run runs w until stop is called; stop returns Run's error.
func (v *env) run(w *Worker) (stop func() error) {
	ctx, cancel := context.WithCancel(v.ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	v.t.Cleanup(func() { _ = stop() })
	return stop
}

// event reads one event back from the store.
func (v *env) event(id string) *store.EventRecord {
	v.t.Helper()
	rec, err := v.store.Event(v.ctx, id)
	if err != nil {
		v.t.Fatalf("event %s: %v", id, err)
	}
	return rec
}

// waitEvent waits until event id is processed and returns it.
func (v *env) waitEvent(id string) *store.EventRecord {
	v.t.Helper()
	var rec *store.EventRecord
	v.eventually("event "+id+" to be processed", func() bool {
		rec = v.event(id)
		return rec.Status == store.StatusProcessed || rec.Status == store.StatusFailed
	})
	return rec
}

// waitDelivery waits until the delivery is no longer pending.
func (v *env) waitDelivery(eventID, deliveryID string) *store.Delivery {
	v.t.Helper()
	var d *store.Delivery
	v.eventually("delivery "+deliveryID+" to settle", func() bool {
		d = findDelivery(v.event(eventID), deliveryID)
		return d != nil && d.Status != store.DeliveryPending
	})
	return d
}

func (v *env) eventually(what string, cond func() bool) {
	v.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			v.t.Fatalf("timed out waiting for %s\nlog:\n%s", what, v.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func findDelivery(rec *store.EventRecord, id string) *store.Delivery {
	for _, d := range rec.Deliveries {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// trace decodes an event's trace.
func trace(t *testing.T, rec *store.EventRecord) Trace {
	t.Helper()
	var tr Trace
	if err := json.Unmarshal(rec.Trace, &tr); err != nil {
		t.Fatalf("trace of %s: %v: %s", rec.ID, err, rec.Trace)
	}
	return tr
}

func verdict(tr Trace, rule string) Verdict {
	for _, v := range tr.Rules {
		if v.Rule == rule {
			return v
		}
	}
	return Verdict{}
}

// recKind is an action kind "rec" with one template, text. It records what
// it rendered (with the event's CandidateId and Seq, in order) and what it
// sent; send, when set, decides how a send goes.
type recKind struct {
	mu       sync.Mutex
	rendered []rendered
	sent     []actions.Message
	send     func(ctx context.Context, m actions.Message) (string, error)
	delay    func() // called before each render, to shuffle timing
}

type rendered struct {
	Key  any
	Seq  any
	Text string
}

var _ actions.Kind = (*recKind)(nil)

func (k *recKind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	f, err := actions.Fields(spec, "text")
	if err := errors.Join(err, actions.Require(spec, f, "text")); err != nil {
		return nil, err
	}
	t, err := env.TemplateAt(f["text"])
	if err != nil {
		return nil, err
	}
	return &recAction{kind: k, text: t}, nil
}

func (k *recKind) Send(ctx context.Context, m actions.Message) (string, error) {
	k.mu.Lock()
	k.sent = append(k.sent, m)
	send := k.send
	k.mu.Unlock()
	if send != nil {
		return send(ctx, m)
	}
	return "recorded", nil
}

func (k *recKind) Rendered() []rendered {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]rendered(nil), k.rendered...)
}

func (k *recKind) Sent() []actions.Message {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]actions.Message(nil), k.sent...)
}

type recAction struct {
	kind *recKind
	text *tmpl.Template
}

func (a *recAction) Refs() []string { return a.text.Refs() }

func (a *recAction) Render(vars map[string]any) (json.RawMessage, error) {
	if a.kind.delay != nil {
		a.kind.delay()
	}
	s, err := a.text.Render(vars)
	if err != nil {
		return nil, err
	}
	ev, _ := vars["event"].(map[string]any)
	a.kind.mu.Lock()
	a.kind.rendered = append(a.kind.rendered, rendered{Key: ev["CandidateId"], Seq: ev["Seq"], Text: s})
	a.kind.mu.Unlock()
	return json.Marshal(map[string]string{"text": s})
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

var _ io.Writer = (*lockedBuffer)(nil)

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// counter reads a counter's value.
func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// gauge reads a gauge's value.
func gauge(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
