package work

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/store"
)

// deliver makes one attempt of a claimed delivery and records it.
func (w *Worker) deliver(ctx context.Context, d *store.Delivery) {
	start := w.opts.Now()
	a := &store.Attempt{DeliveryID: d.ID, N: d.Attempts + 1, At: start}
	kind, ok := w.opts.Kinds[d.Kind]
	var detail string
	var err error
	if !ok {
		err = actions.Permanent(fmt.Errorf("no action kind %q in this build", d.Kind))
	} else {
		detail, err = send(ctx, kind, actions.Message{ID: d.ID, Payload: d.Payload, Attempt: a.N})
	}
	if err != nil && ctx.Err() != nil {
		// Shutdown cut the attempt: leave it to the next owner, uncounted.
		return
	}
	detail = w.opts.Scrub(detail)
	if err != nil {
		err = &scrubbed{err: err, msg: w.opts.Scrub(err.Error())}
	}
	now := w.opts.Now()
	a.Duration = now.Sub(start)
	d.Attempts = a.N
	d.UpdatedAt = now
	w.settle(d, a, detail, err)
	if ferr := w.opts.Store.Finish(context.WithoutCancel(ctx), w.opts.Owner, d, a); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
		w.opts.Logger.Error("recording attempt failed", "delivery", d.ID, "err", ferr)
	}
}

// scrubbed is an error with secrets cut out of its text; errors.Is and As
// still see the error it stands for (permanent, retry after).
type scrubbed struct {
	err error
	msg string
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// send calls kind.Send; a panic in it makes the delivery dead instead of
// ending the router or coming back at every lease.
func send(ctx context.Context, kind actions.Kind, m actions.Message) (detail string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = actions.Permanent(fmt.Errorf("action panicked: %v", p))
		}
	}()
	return kind.Send(ctx, m)
}

// settle sets the delivery's next state from the attempt's result.
func (w *Worker) settle(d *store.Delivery, a *store.Attempt, detail string, err error) {
	log := w.opts.Logger.With("delivery", d.ID, "rule", d.Rule, "kind", d.Kind, "attempt", a.N)
	w.opts.Metrics.Attempts.WithLabelValues(d.Kind, outcome(err)).Inc()
	if err == nil {
		a.OK, a.Detail = true, detail
		d.Status, d.LastError = store.DeliveryDelivered, ""
		log.Info("delivered", "detail", detail)
		return
	}
	a.Detail = err.Error()
	d.LastError = err.Error()
	if actions.IsPermanent(err) || d.Attempts >= d.MaxAttempts {
		d.Status = store.DeliveryDead
		w.opts.Metrics.DeadDeliveries.Inc()
		log.Warn("delivery dead", "err", err)
		return
	}
	delay := w.backoff(d.Attempts, d.Backoff, d.MaxBackoff)
	if ra, ok := actions.RetryDelay(err); ok && ra > delay {
		delay = ra
	}
	d.Status = store.DeliveryPending
	d.NextAt = w.opts.Now().Add(delay)
	log.Info("delivery will be retried", "in", delay, "err", err)
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "delivered"
	case actions.IsPermanent(err):
		return "permanent"
	}
	return "retry"
}

// destinations counts the deliveries being sent to each destination.
type destinations struct {
	mu    sync.Mutex
	max   int
	busy  map[string]int
	gauge *prometheus.GaugeVec // sends in flight by destination
	// passed says the latest claim passed over a delivery whose
	// destination was full: a slot given back may let it go.
	passed bool
}

// take claims a slot of dest and reports whether one was free. A delivery
// without a destination always gets one.
func (ds *destinations) take(dest string) bool {
	if dest == "" {
		return true
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.busy[dest] >= ds.max {
		return false
	}
	ds.busy[dest]++
	ds.gauge.WithLabelValues(dest).Set(float64(ds.busy[dest]))
	return true
}

// admitter returns what tells a claim whether a delivery to a destination
// may be taken: while that destination has a slot left, counting those
// the claim took already. The claim runs before take; gives meanwhile
// only free slots, so a take of what it admitted succeeds.
func (ds *destinations) admitter() func(dest string) bool {
	ds.mu.Lock()
	ds.passed = false
	ds.mu.Unlock()
	claimed := map[string]int{}
	return func(dest string) bool {
		if dest == "" {
			return true
		}
		ds.mu.Lock()
		defer ds.mu.Unlock()
		if ds.busy[dest]+claimed[dest] >= ds.max {
			ds.passed = true
			return false
		}
		claimed[dest]++
		return true
	}
}

// give returns a slot that take claimed, and reports whether a delivery
// passed over for want of one may be waiting.
func (ds *destinations) give(dest string) bool {
	if dest == "" {
		return false
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.busy[dest]--; ds.busy[dest] <= 0 {
		delete(ds.busy, dest)
	}
	ds.gauge.WithLabelValues(dest).Set(float64(ds.busy[dest]))
	return ds.passed
}

// destination names the peer d goes to, if its kind can tell.
func (w *Worker) destination(d *store.Delivery) string {
	if k, ok := w.opts.Kinds[d.Kind].(actions.Destined); ok {
		return k.Destination(d.Payload)
	}
	return ""
}

// postponeFor is how long a delivery whose destination was busy waits
// before it is claimed again; the slots go to other destinations meanwhile.
// Claims admit deliveries by destination, so this only happens to
// deliveries stored before their destination was.
const postponeFor = time.Second

// postpone puts a claimed delivery back unsent, due again shortly, without
// counting an attempt.
func (w *Worker) postpone(ctx context.Context, d *store.Delivery, dest string) {
	d.Status = store.DeliveryPending
	d.NextAt = w.opts.Now().Add(postponeFor)
	w.opts.Metrics.Postponed.Inc()
	w.opts.Logger.Debug("destination busy: delivery postponed", "delivery", d.ID, "destination", dest, "until", d.NextAt)
	if err := w.opts.Store.Finish(context.WithoutCancel(ctx), w.opts.Owner, d, nil); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		w.opts.Logger.Error("postponing delivery failed; its claim will expire", "delivery", d.ID, "err", err)
	}
}
