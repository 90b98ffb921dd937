package work

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/store"
)

// TestBackoffDoublesWithJitterUpToMax: the delay doubles from the base per
// failed attempt, stops at the max, and is jittered between half and all
// of that.
func TestBackoffDoublesWithJitterUpToMax(t *testing.T) {
	w := New(Options{})
	base, max := 10*time.Second, time.Hour
	for _, c := range []struct {
		n    int
		full time.Duration
	}{{1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {6, 320 * time.Second},
		{9, 2560 * time.Second}, {10, time.Hour}, {12, time.Hour}, {500, time.Hour}} {
		w.jitter = func() float64 { return 0 }
		if got := w.backoff(c.n, base, max); got != c.full/2 {
			t.Errorf("after %d failures, least delay %v, want %v", c.n, got, c.full/2)
		}
		w.jitter = func() float64 { return 1 }
		if got := w.backoff(c.n, base, max); got != c.full {
			t.Errorf("after %d failures, most delay %v, want %v", c.n, got, c.full)
		}
	}
	w.jitter = func() float64 { return 1 }
	if got := w.backoff(1, 0, 0); got != 10*time.Second {
		t.Errorf("no policy: %v, want the default 10s", got)
	}
}

// TestBackoffJitterSpreads: with the real random source, delays stay in
// [d/2, d] and are not all the same.
func TestBackoffJitterSpreads(t *testing.T) {
	w := New(Options{})
	seen := map[time.Duration]bool{}
	for range 200 {
		d := w.backoff(3, 10*time.Second, time.Hour)
		if d < 20*time.Second || d > 40*time.Second {
			t.Fatalf("delay %v outside [20s, 40s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct delays in 200: no jitter", len(seen))
	}
}

// TestSettle covers every way an attempt can end.
func TestSettle(t *testing.T) {
	c := newClock()
	w := New(Options{Now: c.Now})
	w.jitter = func() float64 { return 1 }
	fail := errors.New("503 Service Unavailable")
	for _, tc := range []struct {
		name     string
		attempts int
		err      error
		status   string
		next     time.Duration // after now, for pending
	}{
		{"delivered", 1, nil, store.DeliveryDelivered, 0},
		{"first failure waits the base", 1, fail, store.DeliveryPending, 10 * time.Second},
		{"third failure waits four times", 3, fail, store.DeliveryPending, 40 * time.Second},
		{"late failures wait the max", 11, fail, store.DeliveryPending, 5 * time.Minute},
		{"Retry-After longer than backoff wins", 1, actions.RetryAfter(fail, 2*time.Minute), store.DeliveryPending, 2 * time.Minute},
		{"Retry-After shorter than backoff is not faster", 2, actions.RetryAfter(fail, time.Second), store.DeliveryPending, 20 * time.Second},
		{"permanent is dead at once", 1, actions.Permanent(fail), store.DeliveryDead, 0},
		{"last attempt is dead", 12, fail, store.DeliveryDead, 0},
		{"last attempt is dead despite Retry-After", 12, actions.RetryAfter(fail, time.Second), store.DeliveryDead, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &store.Delivery{ID: "d", Kind: "rec", Attempts: tc.attempts, MaxAttempts: 12,
				Backoff: 10 * time.Second, MaxBackoff: 5 * time.Minute, LastError: "earlier"}
			a := &store.Attempt{N: tc.attempts}
			w.settle(d, a, "200 OK", tc.err)
			if d.Status != tc.status {
				t.Fatalf("status %s, want %s", d.Status, tc.status)
			}
			if tc.err == nil {
				if !a.OK || a.Detail != "200 OK" || d.LastError != "" {
					t.Errorf("attempt %+v, last error %q; want OK with the detail, error cleared", a, d.LastError)
				}
				return
			}
			if a.OK || a.Detail != tc.err.Error() || d.LastError != tc.err.Error() {
				t.Errorf("attempt %+v, last error %q; want the error recorded", a, d.LastError)
			}
			if tc.status == store.DeliveryPending && !d.NextAt.Equal(c.Now().Add(tc.next)) {
				t.Errorf("next attempt in %v, want %v", d.NextAt.Sub(c.Now()), tc.next)
			}
		})
	}
}

// TestRetriesUntilDelivered: failures are retried when their backoff has
// passed on the clock, each attempt is recorded, and a success ends it.
func TestRetriesUntilDelivered(t *testing.T) {
	v := newEnv(t)
	v.rec.send = func(_ context.Context, m actions.Message) (string, error) {
		if m.Attempt < 3 {
			return "", errors.New("502 Bad Gateway")
		}
		return "200 OK", nil
	}
	set := v.rules(`rules:
  - name: hire
    on: CandidateHired
    actions: [{rec: {text: hi}, retry: {attempts: 4, backoff: 1m, max_backoff: 90s}}]
`)
	w := v.worker(set, nil)
	w.jitter = func() float64 { return 1 }
	id := v.ingest("candidate:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	v.run(w)
	did := id + ".hire.0"
	for n, wait := range []time.Duration{time.Minute, 90 * time.Second} {
		var d *store.Delivery
		v.eventually("failed attempt", func() bool {
			d = findDelivery(v.event(id), did)
			return d != nil && d.Attempts == n+1
		})
		if d.Status != store.DeliveryPending || !d.NextAt.Equal(v.clock.Now().Add(wait)) {
			t.Fatalf("after attempt %d: %s, next at +%v; want pending at +%v", n+1, d.Status, d.NextAt.Sub(v.clock.Now()), wait)
		}
		v.clock.Add(wait)
		w.Notify()
	}
	d := v.waitDelivery(id, did)
	if d.Status != store.DeliveryDelivered || d.Attempts != 3 || len(d.History) != 3 || !d.History[2].OK {
		t.Fatalf("delivery %s after %d attempts, history %d; want delivered on the third", d.Status, d.Attempts, len(d.History))
	}
	if d.History[0].OK || d.History[0].Detail != "502 Bad Gateway" {
		t.Errorf("first attempt %+v, want the failure recorded", d.History[0])
	}
}

// TestUnknownKindIsDead: a delivery whose kind this build lacks is dead at
// the first attempt, with a reason that names the kind.
func TestUnknownKindIsDead(t *testing.T) {
	v := newEnv(t)
	id := v.ingest("", map[string]any{"EventType": "CandidateHired"})
	claimed, err := v.store.ClaimEvents(v.ctx, "seed", 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	err = v.store.Complete(v.ctx, "seed", id, &store.Outcome{Status: store.StatusProcessed, Deliveries: []*store.Delivery{{
		ID: id + ".fax.0", Rule: "fax", Kind: "fax", Payload: []byte(`{}`), MaxAttempts: 12,
		Backoff: time.Second, MaxBackoff: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	v.run(v.worker(v.rules("rules: []\n"), nil))
	d := v.waitDelivery(id, id+".fax.0")
	if d.Status != store.DeliveryDead || d.Attempts != 1 || !strings.Contains(d.LastError, `no action kind "fax"`) {
		t.Errorf("delivery %s after %d attempts: %q; want dead at once naming the kind", d.Status, d.Attempts, d.LastError)
	}
}

// TestPanickingSendIsDead: a kind that panics makes its delivery dead
// instead of ending the router.
func TestPanickingSendIsDead(t *testing.T) {
	v := newEnv(t)
	v.rec.send = func(context.Context, actions.Message) (string, error) { panic("nil map") }
	set := v.rules("rules:\n  - {name: p, on: CandidateHired, actions: [{rec: {text: x}}]}\n")
	id := v.ingest("", map[string]any{"EventType": "CandidateHired"})
	v.run(v.worker(set, nil))
	d := v.waitDelivery(id, id+".p.0")
	if d.Status != store.DeliveryDead || !strings.Contains(d.LastError, "panicked: nil map") {
		t.Errorf("delivery %s: %q; want dead with the panic", d.Status, d.LastError)
	}
}

// destKind is recKind with a destination: the text an action rendered up
// to its first "/" names the peer it goes to.
type destKind struct{ *recKind }

var _ actions.Destined = destKind{}

func (k destKind) Destination(payload json.RawMessage) string {
	var p struct{ Text string }
	_ = json.Unmarshal(payload, &p)
	dest, _, _ := strings.Cut(p.Text, "/")
	return dest
}

// TestBusyDestinationLeavesSlotsForOthers: deliveries to a peer that hangs
// take at most their share of the delivery slots; the rest wait unclaimed,
// unsent and uncounted, and a delivery to another peer goes out meanwhile.
// Once the peer answers, the waiting ones are sent too.
func TestBusyDestinationLeavesSlotsForOthers(t *testing.T) {
	v := newEnv(t)
	dk := destKind{&recKind{}}
	v.kinds["dest"] = dk
	release := make(chan struct{})
	var inFlight, most atomic.Int32
	dk.send = func(ctx context.Context, m actions.Message) (string, error) {
		var p struct{ Text string }
		_ = json.Unmarshal(m.Payload, &p)
		if !strings.HasPrefix(p.Text, "slow/") {
			return "200 OK", nil
		}
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			old := most.Load()
			if n <= old || most.CompareAndSwap(old, n) {
				break
			}
		}
		select {
		case <-release:
			return "200 OK", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	set := v.rules(`rules:
  - name: fan-out
    on: CandidateHired
    actions:
      - dest: {text: slow/0}
      - dest: {text: slow/1}
      - dest: {text: slow/2}
      - dest: {text: slow/3}
      - dest: {text: fast/4}
`)
	metrics := NewMetrics(nil)
	w := v.worker(set, func(o *Options) { o.Concurrency = 4; o.Metrics = metrics })
	id := v.ingest("candidate:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	v.run(w)

	fast := v.waitDelivery(id, id+".fan-out.4")
	if fast.Status != store.DeliveryDelivered {
		t.Fatalf("delivery to the other peer is %s, want delivered while the slow peer hangs", fast.Status)
	}
	if n := inFlight.Load(); n != 2 {
		t.Errorf("%d sends to the hung peer in flight, want its share: 2 of 4 slots", n)
	}
	if g := gauge(t, metrics.InFlight.WithLabelValues("slow")); g != 2 {
		t.Errorf("in-flight gauge of the hung peer = %v, want 2", g)
	}
	waiting := 0
	for _, d := range v.event(id).Deliveries {
		if strings.HasPrefix(string(d.Payload), `{"text":"slow/`) && d.Status == store.DeliveryPending && d.Attempts == 0 {
			waiting++
		}
	}
	if waiting != 4 || counter(t, metrics.Postponed) != 0 {
		t.Errorf("%d slow deliveries pending unsent (%v claimed and put back), want 4 and none put back", waiting, counter(t, metrics.Postponed))
	}

	// When the peer answers, its freed slots wake the claim: no poll, no
	// clock needed for the other two.
	close(release)
	for i := range 4 {
		d := v.waitDelivery(id, fmt.Sprintf("%s.fan-out.%d", id, i))
		if d.Status != store.DeliveryDelivered || d.Attempts != 1 {
			t.Errorf("slow delivery %d: %s after %d attempts, want delivered on the first", i, d.Status, d.Attempts)
		}
	}
	v.eventually("the in-flight gauge to fall to 0", func() bool {
		return gauge(t, metrics.InFlight.WithLabelValues("slow")) == 0
	})
	if m := most.Load(); m > 2 {
		t.Errorf("%d sends to one peer at once, want at most 2", m)
	}
}

// TestHungPeerBacklogIsPassedOver: a long backlog of deliveries to a peer
// that hangs does not stand in front of a delivery to another peer: once
// the hung peer has its share of the slots, claims pass over its backlog
// instead of claiming and putting it back.
func TestHungPeerBacklogIsPassedOver(t *testing.T) {
	v := newEnv(t)
	dk := destKind{&recKind{}}
	v.kinds["dest"] = dk
	release := make(chan struct{})
	defer close(release)
	dk.send = func(ctx context.Context, m actions.Message) (string, error) {
		if strings.Contains(string(m.Payload), "slow/") {
			select {
			case <-release:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		return "200 OK", nil
	}
	var b strings.Builder
	b.WriteString("rules:\n  - name: fan-out\n    on: CandidateHired\n    actions:\n")
	const backlog = 150 // more than one claim query reads
	for i := range backlog {
		fmt.Fprintf(&b, "      - dest: {text: slow/%d}\n", i)
	}
	fmt.Fprintf(&b, "      - dest: {text: fast/%d}\n", backlog)
	metrics := NewMetrics(nil)
	w := v.worker(v.rules(b.String()), func(o *Options) { o.Concurrency = 4; o.Metrics = metrics })
	id := v.ingest("candidate:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	v.run(w)
	if d := v.waitDelivery(id, fmt.Sprintf("%s.fan-out.%d", id, backlog)); d.Status != store.DeliveryDelivered {
		t.Fatalf("delivery to the other peer: %s, want delivered", d.Status)
	}
	if n := counter(t, metrics.Postponed); n != 0 {
		t.Errorf("%v deliveries claimed and put back, want none: claims pass over a full destination", n)
	}
}

// TestScrubbedErrorKeepsItsKind: cutting secrets out of an error's text
// keeps what it says to the retry logic: permanent, or retry after.
func TestScrubbedErrorKeepsItsKind(t *testing.T) {
	perm := &scrubbed{err: actions.Permanent(errors.New("404 Cannot POST /hook/s3cret")), msg: "404 Cannot POST /hook/[redacted]"}
	if !actions.IsPermanent(perm) || perm.Error() != "404 Cannot POST /hook/[redacted]" {
		t.Errorf("permanent error after scrubbing: permanent %v, text %q", actions.IsPermanent(perm), perm.Error())
	}
	later := &scrubbed{err: actions.RetryAfter(errors.New("429"), time.Minute), msg: "429"}
	if d, ok := actions.RetryDelay(later); !ok || d != time.Minute {
		t.Errorf("retry-after error after scrubbing: %v, %v", d, ok)
	}
}
