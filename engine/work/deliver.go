package work

import (
	"context"
	"errors"
	"fmt"

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
	now := w.opts.Now()
	a.Duration = now.Sub(start)
	d.Attempts = a.N
	d.UpdatedAt = now
	w.settle(d, a, detail, err)
	if ferr := w.opts.Store.Finish(context.WithoutCancel(ctx), w.opts.Owner, d, a); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
		w.opts.Logger.Error("recording attempt failed", "delivery", d.ID, "err", ferr)
	}
}

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
