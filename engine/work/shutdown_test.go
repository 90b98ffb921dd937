package work

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/store"
)

// blockingSend makes rec's sends signal started and then wait for release
// or the end of their context, reporting how their context ended.
func blockingSend(v *env) (started chan string, release chan struct{}, ended chan error) {
	started, release, ended = make(chan string, 8), make(chan struct{}), make(chan error, 8)
	v.rec.send = func(ctx context.Context, m actions.Message) (string, error) {
		started <- m.ID
		select {
		case <-release:
			ended <- ctx.Err()
			return "200 OK", nil
		case <-ctx.Done():
			ended <- ctx.Err()
			return "", ctx.Err()
		}
	}
	return started, release, ended
}

const hireRule = "rules:\n  - {name: hire, on: CandidateHired, actions: [{rec: {text: x}}]}\n"

// TestShutdownLetsSendFinishWithinGrace: a send in flight when shutdown
// starts completes on an uncut context and is recorded before Run returns.
func TestShutdownLetsSendFinishWithinGrace(t *testing.T) {
	v := newEnv(t)
	started, release, ended := blockingSend(v)
	w := v.worker(v.rules(hireRule), func(o *Options) { o.Grace = time.Minute })
	id := v.ingest("candidate:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	ctx, cancel := context.WithCancel(v.ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-started
	cancel()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := <-ended; err != nil {
		t.Errorf("the send's context ended with %v during the grace period", err)
	}
	d := findDelivery(v.event(id), id+".hire.0")
	if d == nil || d.Status != store.DeliveryDelivered || d.Attempts != 1 {
		t.Fatalf("delivery %+v, want delivered once, recorded before Run returned", d)
	}
}

// TestShutdownPastGraceReleasesTheClaim: a send still running when Grace
// ends is cut, not counted as an attempt, and its claim is released so
// another node sends it at once; nothing is lost.
func TestShutdownPastGraceReleasesTheClaim(t *testing.T) {
	v := newEnv(t)
	started, _, ended := blockingSend(v)
	set := v.rules(hireRule)
	w := v.worker(set, func(o *Options) { o.Grace = 20 * time.Millisecond })
	id := v.ingest("candidate:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	stop := v.run(w)
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the send ended with %v, want cut after Grace", err)
	}
	d := findDelivery(v.event(id), id+".hire.0")
	if d.Status != store.DeliveryPending || d.Attempts != 0 || len(d.History) != 0 {
		t.Fatalf("delivery %s after %d attempts, %d recorded; want pending and untouched", d.Status, d.Attempts, len(d.History))
	}
	// The clock has not moved, so only a released lease lets node-b have it.
	v.rec.send = nil
	v.run(v.worker(set, func(o *Options) { o.Owner = "node-b" }))
	if d := v.waitDelivery(id, id+".hire.0"); d.Status != store.DeliveryDelivered || d.Attempts != 1 {
		t.Errorf("after takeover: %s after %d attempts, want delivered once", d.Status, d.Attempts)
	}
}

// TestClaimsOnlyWhatItCanStart: while every delivery slot is busy (a slow
// destination) new events are still evaluated, and the worker claims no
// delivery it could not start, so none waits under a lease that runs out;
// another node can take it meanwhile.
func TestClaimsOnlyWhatItCanStart(t *testing.T) {
	v := newEnv(t)
	started, release, _ := blockingSend(v)
	set := v.rules(hireRule)
	w := v.worker(set, func(o *Options) { o.Concurrency = 1 })
	first := v.ingest("candidate:1", map[string]any{"EventType": "CandidateHired", "CandidateId": 1})
	v.run(w)
	<-started
	second := v.ingest("candidate:2", map[string]any{"EventType": "CandidateHired", "CandidateId": 2})
	w.Notify()
	if rec := v.waitEvent(second); rec.Status != store.StatusProcessed {
		t.Fatalf("second event %s while the delivery slot is busy, want processed", rec.Status)
	}
	got, err := v.store.ClaimDeliveries(v.ctx, "node-b", 8, time.Minute, nil)
	if err != nil || len(got) != 1 || got[0].ID != second+".hire.0" {
		t.Fatalf("node-b claimed %v, %v; want the second delivery, which node-a has no slot for", got, err)
	}
	if err := v.store.ReleaseAll(v.ctx, "node-b"); err != nil {
		t.Fatal(err)
	}
	close(release)
	for _, id := range []string{first, second} {
		if d := v.waitDelivery(id, id+".hire.0"); d.Status != store.DeliveryDelivered {
			t.Errorf("%s: %s %q", id, d.Status, d.LastError)
		}
	}
}
