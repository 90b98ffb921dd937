package fetch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

// want is one event's need of one object.
type want struct {
	o      *object
	id     string
	path   string                  // the get path
	list   string                  // the list path, "" if none
	accept func(at time.Time) bool // whether a copy fetched at at will do
}

// got is the outcome for one object of one event: the copy to use, or
// until when to wait.
type got struct {
	snap    *store.Snapshot // nil: no id, or (with Data "null") gone
	wait    time.Time
	reason  string
	fetched bool
	stale   bool
}

// loaded is what one flight (one object, possibly many events) found.
type loaded struct {
	snap    *store.Snapshot
	wait    time.Time
	reason  string
	fetched bool
}

// flightTries bounds how often an event joins a flight whose copy turns
// out older than it needs (the call started before the event arrived).
const flightTries = 3

// object gets one object for event e: from memory, the store or the API.
func (f *Fetcher) object(ctx context.Context, o *object, e *event.Event, vars map[string]any, now time.Time) (got, error) {
	id, err := o.objectID(vars)
	if err != nil || id == "" {
		return got{}, err
	}
	if f.fixtures != "" {
		return f.fixture(o, id, now)
	}
	w := &want{o: o, id: id, list: o.listPath(vars), accept: o.need(e, now)}
	if w.path, err = o.path(vars, id); err != nil {
		return got{}, err
	}
	if s := f.cache.get(o.Name, id); s != nil && !f.shared && w.accept(s.FetchedAt) {
		f.metrics.lookup(o.Name, "memory")
		f.lists.done(w)
		return got{snap: s}, nil
	}
	for range flightTries {
		l, err := f.flight(ctx, w)
		if err != nil {
			return got{}, err
		}
		if l.snap != nil && w.accept(l.snap.FetchedAt) {
			f.lists.done(w)
			return got{snap: l.snap, fetched: l.fetched}, nil
		}
		if !l.wait.IsZero() {
			f.lists.add(w, now)
			return f.waitOrStale(w, e, now, l), nil
		}
	}
	return got{wait: now.Add(retryPause), reason: fmt.Sprintf("%s %s: no fresh copy yet", o.Name, id)}, nil
}

// flight runs load once for all concurrent needs of one object. The call
// is not cancelled when one of the waiting callers gives up.
func (f *Fetcher) flight(ctx context.Context, w *want) (*loaded, error) {
	ch := f.group.DoChan(cacheKey(w.o.Name, w.id), func() (any, error) {
		return f.load(context.WithoutCancel(ctx), w)
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*loaded), nil
	}
}

// waitOrStale turns a wait into the cached copy, marked stale, once the
// event has waited max_wait; before that it waits no longer than that.
func (f *Fetcher) waitOrStale(w *want, e *event.Event, now time.Time, l *loaded) got {
	g := got{wait: l.wait, reason: fmt.Sprintf("%s %s: %s", w.o.Name, w.id, l.reason)}
	old := f.cache.get(w.o.Name, w.id)
	if w.o.MaxWait <= 0 || old == nil {
		return g
	}
	deadline := e.ReceivedAt.Add(w.o.MaxWait)
	if !now.Before(deadline) {
		f.metrics.lookup(w.o.Name, "stale")
		return got{snap: old, stale: true}
	}
	g.wait = earliest(g.wait, deadline)
	return g
}

// load finds a copy that w accepts in the store, or calls the API if the
// budget allows: the list, when other objects of it wait too, else the
// object alone.
func (f *Fetcher) load(ctx context.Context, w *want) (*loaded, error) {
	now := f.now()
	before, err := f.store.Snapshot(ctx, w.o.Name, w.id)
	switch {
	case err == nil:
		f.cache.put(before)
		if w.accept(before.FetchedAt) {
			f.metrics.lookup(w.o.Name, "store")
			return &loaded{snap: before}, nil
		}
	case errors.Is(err, store.ErrNotFound):
		before = nil
		f.cache.forget(w.o.Name, w.id) // erased, perhaps by another node
	default:
		return nil, fmt.Errorf("fetch: reading copy of %s %s: %w", w.o.Name, w.id, err)
	}
	f.metrics.lookup(w.o.Name, "miss")
	if f.lists.crowded(w) {
		return f.listFlight(ctx, w, now)
	}
	if l, err := f.take(ctx, w.o.method, now); l != nil || err != nil {
		return l, err
	}
	return f.call(ctx, w, now, before)
}

// listFlight makes one list call for every object that waits for the same
// list at once (their events are often claimed together, when the budget
// reopens), then gives w its own copy from the store.
func (f *Fetcher) listFlight(ctx context.Context, w *want, now time.Time) (*loaded, error) {
	v, err, _ := f.group.Do("list\x00"+listKey(w), func() (any, error) {
		if l, err := f.take(ctx, w.o.list.method, now); l != nil || err != nil {
			return l, err
		}
		return f.callList(ctx, w, now)
	})
	if err != nil {
		return nil, err
	}
	l := v.(*loaded)
	if !l.wait.IsZero() || l.snap != nil && l.snap.ID == w.id {
		return l, nil
	}
	// The list was made for another object: w's copy, if the list held
	// it, is in the store now. If not, w is fetched alone next.
	snap, err := f.store.Snapshot(ctx, w.o.Name, w.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &loaded{}, nil
	case err != nil:
		return nil, fmt.Errorf("fetch: reading copy of %s %s: %w", w.o.Name, w.id, err)
	}
	f.cache.put(snap)
	return &loaded{snap: snap, fetched: w.accept(snap.FetchedAt)}, nil
}

// take reserves one call of method; a non-nil *loaded says until when to
// wait instead.
func (f *Fetcher) take(ctx context.Context, method string, now time.Time) (*loaded, error) {
	if h, ok := f.budget.heldUntil(method, now); ok {
		return &loaded{wait: h.until, reason: h.reason}, nil
	}
	ok, next, err := f.store.TakeCall(ctx, method, now, f.budget.perHour, f.budget.perDay)
	if err != nil {
		return nil, fmt.Errorf("fetch: taking a call of %s: %w", method, err)
	}
	if !ok {
		reason := method + " budget spent or paused"
		f.budget.hold(method, next, reason)
		f.metrics.remaining(method, 0, 0)
		return &loaded{wait: next, reason: reason}, nil
	}
	hour, day := f.budget.spend(method, now)
	f.metrics.remaining(method, hour, day)
	return nil, nil
}

// call makes one API call (its budget taken) and stores the copy; before
// is the copy it replaces (nil if none).
func (f *Fetcher) call(ctx context.Context, w *want, at time.Time, before *store.Snapshot) (*loaded, error) {
	o := w.o
	body, err := f.client.get(ctx, w.path)
	var pe *pauseError
	switch {
	case errors.As(err, &pe):
		return f.paused(ctx, o.method, pe)
	case errors.Is(err, errGone):
		f.metrics.call(o.method, "gone")
		return f.keep(ctx, o, w.id, nil, at, before)
	case err != nil:
		f.metrics.call(o.method, "error")
		return nil, fmt.Errorf("fetch: getting %s %s: %w", o.Name, w.id, err)
	}
	data, err := o.selectFrom(body)
	if err != nil {
		f.metrics.call(o.method, "error")
		return nil, fmt.Errorf("fetch: getting %s %s: %w: %w", o.Name, w.id, ErrUnusable, err)
	}
	f.metrics.call(o.method, "ok")
	return f.keep(ctx, o, w.id, data, at, before)
}

// paused pauses the method after the API said "not now"; nothing is cached.
func (f *Fetcher) paused(ctx context.Context, method string, pe *pauseError) (*loaded, error) {
	outcome := "retry"
	if pe.throttled {
		outcome = "throttled"
	}
	f.metrics.call(method, outcome)
	f.metrics.remaining(method, 0, 0)
	f.budget.hold(method, pe.until, pe.reason)
	f.log.Warn("HR Manager API call deferred", "method", method, "reason", pe.reason, "until", pe.until)
	if err := f.store.PauseMethod(ctx, method, pe.until); err != nil {
		return nil, fmt.Errorf("fetch: pausing %s: %w", method, err)
	}
	return &loaded{wait: pe.until, reason: pe.reason}, nil
}

// keep stores a fetched copy (nil: gone) and caches it with its prior.
func (f *Fetcher) keep(ctx context.Context, o *object, id string, data any, at time.Time, before *store.Snapshot) (*loaded, error) {
	raw, err := encodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("fetch: encoding %s %s: %w", o.Name, id, err)
	}
	at = at.Truncate(time.Millisecond) // the store's precision
	s := &store.Snapshot{Object: o.Name, ID: id, Data: raw, FetchedAt: at}
	if before != nil {
		s.Prior, s.PriorAt = before.Data, before.FetchedAt
	}
	if err := f.store.PutSnapshot(ctx, s); err != nil {
		return nil, fmt.Errorf("fetch: storing %s %s: %w", o.Name, id, err)
	}
	// Read it back: the store chose the prior copy, and another node may
	// have stored one since our read.
	if stored, err := f.store.Snapshot(ctx, o.Name, id); err == nil && stored.FetchedAt.Equal(at) {
		s = stored
	}
	f.cache.put(s)
	return &loaded{snap: s, fetched: true}, nil
}
