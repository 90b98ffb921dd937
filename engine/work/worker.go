// Package work runs the queue: it claims stored events in order per object,
// fetches what their rules need, evaluates the rules, turns every matching
// action into a delivery, and sends deliveries with retries until they are
// delivered or dead. All state lives in the store, so work resumes after a
// restart and several nodes can share one queue.
package work

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/fetch"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/rules"
)

// Fetcher gets the objects rules need and forgets them on request;
// *fetch.Fetcher is one.
type Fetcher interface {
	// Fetch returns the named objects for event e (see fetch.Fetcher.Fetch):
	// a Result with Wait set means "not yet", an error means "retry later".
	Fetch(ctx context.Context, e *event.Event, fields map[string]any, names []string) (fetch.Result, error)
	// ObjectID returns the id of object name that an event with these
	// fields is about; "" when it names none.
	ObjectID(name string, fields map[string]any) (string, error)
	// Erase forgets every cached copy of one object.
	Erase(ctx context.Context, object, id string) error
}

var _ Fetcher = (*fetch.Fetcher)(nil)

// Options configure a Worker.
type Options struct {
	Store   store.Store
	Rules   func() *rules.Set // the rule set in force
	Fetcher Fetcher           // nil when no objects are configured
	Objects []string          // configured object names
	Kinds   map[string]actions.Kind
	Owner   string // lease owner name, unique per process
	// Concurrency bounds the events processed at once, and separately the
	// deliveries sent at once.
	Concurrency int
	// PerDestination bounds the deliveries sent at once to one destination
	// (an HTTP origin, the SMTP server), so that one slow or hung peer
	// leaves slots for the others. 0 means half of Concurrency, at least 1.
	PerDestination int
	// Poll is how often the store is asked for due work without a wake-up
	// (other nodes' events, retries coming due).
	Poll       time.Duration
	EventLease time.Duration
	SendLease  time.Duration
	// Grace is how long in-flight work may finish after shutdown starts.
	Grace time.Duration
	// EraseOn maps event types to the object whose cached copies an event
	// of that type erases, because the person asked to be forgotten. Nil
	// means DefaultEraseOn; an empty map erases nothing.
	EraseOn map[string]string
	// Scrub cuts secrets out of what a peer answered (an error may echo
	// the URL, with a secret in its path) before it is logged or stored.
	// Nil keeps it as it is.
	Scrub   func(string) string
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
}

// Worker processes events and deliveries.
type Worker struct {
	opts   Options
	lanes  []*lane // events, deliveries
	jitter func() float64
	dests  destinations
}

// New returns a Worker with defaults filled in.
func New(opts Options) *Worker {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.PerDestination <= 0 {
		opts.PerDestination = max(1, opts.Concurrency/2)
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.EventLease <= 0 {
		opts.EventLease = 2 * time.Minute
	}
	if opts.SendLease <= 0 {
		opts.SendLease = 10 * time.Minute // longer than the longest action timeout (5m)
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Scrub == nil {
		opts.Scrub = func(s string) string { return s }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.EraseOn == nil {
		opts.EraseOn = DefaultEraseOn()
	}
	w := &Worker{opts: opts, jitter: rand.Float64, dests: destinations{max: opts.PerDestination, busy: map[string]int{}, gauge: opts.Metrics.InFlight}}
	w.lanes = []*lane{
		{name: "events", slots: make(chan struct{}, opts.Concurrency), wake: make(chan struct{}, 1), claim: w.claimEvents},
		{name: "deliveries", slots: make(chan struct{}, opts.Concurrency), wake: make(chan struct{}, 1), claim: w.claimDeliveries},
	}
	return w
}

// lane is one kind of work with its own slots and wake-up, so that slow
// destinations holding every delivery slot never stop new events from
// being evaluated, and a burst of events never starves deliveries.
type lane struct {
	name  string
	slots chan struct{}
	wake  chan struct{}
	claim func(ctx, workCtx context.Context, n int) []func()
}

// Notify wakes the worker now (an event was stored, a retry was asked for).
func (w *Worker) Notify() {
	for _, l := range w.lanes {
		l.poke()
	}
}

// poke wakes the lane unless a wake-up is pending already.
func (l *lane) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is done, then lets in-flight work finish for up to
// Grace and releases whatever it still holds.
func (w *Worker) Run(ctx context.Context) error {
	// Work continues on its own context so that shutdown does not cut an
	// HTTP forward in half; it is cancelled once Grace has passed.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var work, loops sync.WaitGroup
	for _, l := range w.lanes {
		loops.Add(1)
		go func() {
			defer loops.Done()
			w.runLane(ctx, workCtx, l, &work)
		}()
	}
	loops.Wait()
	done := make(chan struct{})
	go func() { work.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.opts.Grace):
		cancelWork()
		<-done
	}
	release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return w.opts.Store.ReleaseAll(release, w.opts.Owner)
}

// runLane claims and starts a lane's work until ctx is done.
func (w *Worker) runLane(ctx, workCtx context.Context, l *lane, work *sync.WaitGroup) {
	tick := time.NewTicker(w.opts.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		if w.round(ctx, workCtx, l, work) {
			continue
		}
		select {
		case <-ctx.Done():
		case <-l.wake:
		case <-tick.C:
		}
	}
}

// round waits for a free slot of the lane, claims no more work than there
// are free slots, and starts it at once: work claimed but not started
// would hold a lease that runs out while it waits. round reports whether
// the claims filled every free slot, so the caller asks again at once.
func (w *Worker) round(ctx, workCtx context.Context, l *lane, work *sync.WaitGroup) bool {
	free := reserve(ctx, l.slots)
	if free == 0 {
		return false
	}
	jobs := l.claim(ctx, workCtx, free)
	for range free - len(jobs) {
		<-l.slots
	}
	for _, job := range jobs {
		work.Add(1)
		go func() {
			defer func() { <-l.slots; work.Done() }()
			defer w.survive()
			job()
		}()
	}
	return len(jobs) == free
}

// reserve waits until a slot is free (or ctx ends), then takes every free
// slot and returns how many it took.
func reserve(ctx context.Context, slots chan struct{}) int {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < cap(slots) {
		select {
		case slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

// claimEvents leases up to n due events and returns their processing.
func (w *Worker) claimEvents(ctx, workCtx context.Context, n int) []func() {
	events, err := w.opts.Store.ClaimEvents(ctx, w.opts.Owner, n, w.opts.EventLease)
	if err != nil && ctx.Err() == nil {
		w.opts.Logger.Error("claiming events failed", "err", err)
	}
	jobs := make([]func(), 0, len(events))
	for _, e := range events {
		jobs = append(jobs, func() { w.process(workCtx, e) })
	}
	return jobs
}

// claimDeliveries leases up to n due deliveries and returns their sending.
// The claim passes over deliveries to destinations whose share of the
// slots is taken, so that their backlog does not stand in front of other
// destinations' deliveries; when such a destination's send ends, the lane
// is woken to claim again.
func (w *Worker) claimDeliveries(ctx, workCtx context.Context, n int) []func() {
	dels, err := w.opts.Store.ClaimDeliveries(ctx, w.opts.Owner, n, w.opts.SendLease, w.dests.admitter())
	if err != nil && ctx.Err() == nil {
		w.opts.Logger.Error("claiming deliveries failed", "err", err)
	}
	jobs := make([]func(), 0, len(dels))
	for _, d := range dels {
		dest := d.Destination
		if dest == "" {
			dest = w.destination(d) // stored before destinations were
		}
		if !w.dests.take(dest) {
			w.postpone(ctx, d, dest)
			continue
		}
		jobs = append(jobs, func() {
			defer func() {
				if w.dests.give(dest) {
					w.lanes[1].poke()
				}
			}()
			w.deliver(workCtx, d)
		})
	}
	return jobs
}

// survive keeps a panic in one piece of work from ending the router; the
// work's lease runs out and it is tried again.
func (w *Worker) survive() {
	if p := recover(); p != nil {
		w.opts.Logger.Error("work panicked; its claim will expire and it will be retried", "panic", fmt.Sprint(p))
	}
}

// backoff is the delay before attempt n+1 after n failed attempts:
// exponential from base, capped at max, with "equal jitter" (half fixed,
// half random) so that retries of many deliveries spread out. A policy
// without a base or max (a delivery stored without one) takes the
// defaults of rules.DefaultRetry.
func (w *Worker) backoff(n int, base, max time.Duration) time.Duration {
	def := rules.DefaultRetry()
	if base <= 0 {
		base = def.Backoff
	}
	if max <= 0 {
		max = def.MaxBackoff
	}
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + time.Duration(w.jitter()*float64(d/2))
}
