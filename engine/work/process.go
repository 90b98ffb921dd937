package work

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/fetch"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/rules"
)

// fetchRetry is how long an event first waits after a fetch failed for a
// passing reason other than the budget (the fetcher says when the budget
// allows); it doubles with each attempt, up to an hour.
const fetchRetry = 30 * time.Second

// process evaluates the rules for one claimed event and completes it.
func (w *Worker) process(ctx context.Context, e *event.Event) {
	set := w.opts.Rules()
	fields, err := e.Fields()
	if err != nil {
		w.complete(ctx, e, &store.Outcome{Status: store.StatusFailed, RulesVersion: set.Version,
			Trace: mustJSON(Trace{Error: err.Error()})})
		return
	}
	tr := &Trace{RulesVersion: set.Version}
	vars := map[string]any{"event": fields, "previous": map[string]any{}}
	for _, o := range w.opts.Objects {
		vars[o] = nil
	}
	erased, ok := w.erase(ctx, e, fields, tr)
	if !ok {
		return
	}
	names := without(set.Needs(set.Candidates(e.Type)), erased)
	if len(names) > 0 && w.opts.Fetcher != nil && !w.fetch(ctx, e, fields, names, vars, tr) {
		return
	}
	out := &store.Outcome{Status: store.StatusProcessed, RulesVersion: set.Version}
	out.Deliveries = w.Evaluate(e, set, vars, tr)
	out.Trace = mustJSON(tr)
	w.complete(ctx, e, out)
}

// Evaluate runs every rule of set on an event whose objects are in vars,
// records each verdict in tr, and returns the deliveries of the matching
// actions, rendered. It stores nothing: the worker stores the outcome, and
// `hirewire test` compares it with what a test expects.
func (w *Worker) Evaluate(e *event.Event, set *rules.Set, vars map[string]any, tr *Trace) []*store.Delivery {
	var out []*store.Delivery
	for _, r := range set.Rules {
		out = append(out, w.evalRule(e, r, vars, tr)...)
	}
	return out
}

// fetch puts the named objects and their previous copies into vars and
// the trace. When they cannot be had yet it defers the event (or leaves it
// to be released, when shutdown cut the fetch) and reports false.
func (w *Worker) fetch(ctx context.Context, e *event.Event, fields map[string]any, names []string, vars map[string]any, tr *Trace) bool {
	res, err := w.opts.Fetcher.Fetch(ctx, e, fields, names)
	switch {
	case err != nil && ctx.Err() != nil:
		return false
	case fetch.Final(err):
		// Asking again would only spend the budget and hold back the
		// object's later events: the event fails, visibly, and can be
		// replayed once the cause is fixed.
		w.opts.Logger.Error("event failed: its objects cannot be had as configured", "event", e.ID, "type", e.Type, "err", err)
		tr.Error = "fetch: " + err.Error()
		w.complete(ctx, e, &store.Outcome{Status: store.StatusFailed, RulesVersion: tr.RulesVersion, Trace: mustJSON(tr)})
		return false
	case err != nil:
		delay := w.backoff(e.Attempts, fetchRetry, time.Hour)
		w.opts.Logger.Warn("fetching objects failed; will retry", "event", e.ID, "type", e.Type, "in", delay, "err", err)
		w.deferEvent(ctx, e, store.StatusPending, w.opts.Now().Add(delay), "fetch failed: "+err.Error())
		return false
	case !res.Wait.IsZero():
		why := res.Reason
		if why == "" {
			why = "waiting for the HR Manager API budget"
		}
		w.deferEvent(ctx, e, store.StatusWaiting, res.Wait, why)
		return false
	}
	for name, obj := range res.Objects {
		vars[name] = obj
	}
	vars["previous"] = res.Previous
	tr.Objects, tr.Fetched, tr.Stale = res.Objects, res.Fetched, res.Stale
	return true
}

// evalRule records the rule's verdict and returns its deliveries.
func (w *Worker) evalRule(e *event.Event, r *rules.Rule, vars map[string]any, tr *Trace) []*store.Delivery {
	v := Verdict{Rule: r.Name}
	defer func() { tr.Rules = append(tr.Rules, v) }()
	if !r.Matches(e.Type) {
		v.Verdict, v.Why = "skipped", fmt.Sprintf("on %v does not match %s", r.On, e.Type)
		return nil
	}
	ok, err := r.Eval(vars)
	switch {
	case err != nil:
		v.Verdict, v.Why = "error", "when: "+err.Error()
		w.opts.Metrics.RuleErrors.Inc()
		return nil
	case !ok:
		v.Verdict, v.Why = "not matched", "when is false: "+r.When.Source()
		v.Saw = r.When.Explain(vars)
		return nil
	}
	v.Verdict, v.Why = "matched", "when is true"
	if r.When == nil {
		v.Why = "no when: matches every " + e.Type
	}
	w.opts.Metrics.RulesMatched.WithLabelValues(r.Name).Inc()
	var out []*store.Delivery
	for _, a := range r.Actions {
		d, note := w.delivery(e, r, a, vars)
		v.Actions = append(v.Actions, note)
		if d != nil {
			out = append(out, d)
		}
	}
	return out
}

// delivery renders one action into a delivery, or says why there is none.
func (w *Worker) delivery(e *event.Event, r *rules.Rule, a *rules.Action, vars map[string]any) (*store.Delivery, ActionNote) {
	note := ActionNote{Index: a.Index, Kind: a.Kind}
	if a.When != nil {
		ok, err := a.When.Bool(vars)
		if err != nil || !ok {
			note.Result = "skipped: when is false"
			if err != nil {
				note.Result = "skipped: when: " + err.Error()
				w.opts.Metrics.RuleErrors.Inc() // as the rule's own when would
			}
			return nil, note
		}
	}
	now := w.opts.Now()
	d := &store.Delivery{
		ID: fmt.Sprintf("%s.%s.%d", e.ID, r.Name, a.Index), EventID: e.ID, Rule: r.Name, Action: a.Index,
		Kind: a.Kind, Status: store.DeliveryPending, MaxAttempts: a.Retry.Attempts,
		Backoff: a.Retry.Backoff, MaxBackoff: a.Retry.MaxBackoff, NextAt: now, CreatedAt: now, UpdatedAt: now,
	}
	payload, err := a.Impl.Render(vars)
	var once string
	if err == nil && a.Once != nil {
		once, err = a.Once.Render(vars)
		if err == nil && once == "" {
			err = errors.New("once: the key rendered empty")
		}
		d.OnceKey = onceKey(once)
	}
	if err != nil {
		d.Status, d.LastError = store.DeliveryDead, "render: "+err.Error()
		d.Payload = json.RawMessage("null")
		note.Result = "dead: cannot render: " + err.Error()
	} else {
		d.Payload = payload
		d.Destination = w.destination(d)
		note.Result = "delivery " + d.ID
		if once != "" { // the hash only: the key may be made of personal data
			note.Result += fmt.Sprintf(" (once %q: skipped if already sent)", d.OnceKey)
		}
	}
	note.Delivery = d.ID
	return d, note
}

// onceKey is what the store keeps of a rendered once key: its hash, so
// that a key made of personal data (an email address) is not stored.
func onceKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

func (w *Worker) deferEvent(ctx context.Context, e *event.Event, status string, until time.Time, why string) {
	if status == store.StatusWaiting {
		w.opts.Metrics.EventsWaiting.Inc()
	}
	if err := w.opts.Store.Defer(ctx, w.opts.Owner, e.ID, e.Attempts, status, until, why); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		w.opts.Logger.Error("deferring event failed", "event", e.ID, "err", err)
	}
}

func (w *Worker) complete(ctx context.Context, e *event.Event, out *store.Outcome) {
	out.ProcessedAt = w.opts.Now()
	out.Attempt = e.Attempts // only this claim may complete the event
	if err := w.opts.Store.Complete(ctx, w.opts.Owner, e.ID, out); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			w.opts.Logger.Warn("event was taken over while it was processed; its outcome is dropped", "event", e.ID)
		} else {
			w.opts.Logger.Error("completing event failed", "event", e.ID, "err", err)
		}
		return
	}
	w.opts.Metrics.EventsProcessed.WithLabelValues(out.Status).Inc()
	for _, d := range out.Deliveries {
		if d.Status == store.DeliveryDead {
			// Counted once stored, so a lost lease does not count twice.
			w.opts.Metrics.DeadDeliveries.Inc()
		}
	}
	if len(out.Deliveries) > 0 {
		w.Notify()
	}
}
