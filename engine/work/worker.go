// Package work runs the queue: it claims stored events in order per object,
// fetches what their rules need, evaluates the rules, turns every matching
// action into a delivery, and sends deliveries with retries until they are
// delivered or dead. All state lives in the store, so work resumes after a
// restart and several nodes can share one queue.
package work

import (
	"context"
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

// Fetcher gets the objects rules need; *fetch.Fetcher is one.
type Fetcher interface {
	Fetch(ctx context.Context, e *event.Event, fields map[string]any, names []string) (fetch.Result, error)
}

// Options configure a Worker.
type Options struct {
	Store   store.Store
	Rules   func() *rules.Set // the rule set in force
	Fetcher Fetcher           // nil when no objects are configured
	Objects []string          // configured object names
	Kinds   map[string]actions.Kind
	Owner   string // lease owner name, unique per process
	// Concurrency bounds events processed and deliveries sent at once.
	Concurrency int
	// Poll is how often the store is asked for due work without a wake-up
	// (other nodes' events, retries coming due).
	Poll       time.Duration
	EventLease time.Duration
	SendLease  time.Duration
	// Grace is how long in-flight work may finish after shutdown starts.
	Grace   time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
}

// Worker processes events and deliveries.
type Worker struct {
	opts   Options
	wake   chan struct{}
	jitter func() float64
}

// New returns a Worker with defaults filled in.
func New(opts Options) *Worker {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.EventLease <= 0 {
		opts.EventLease = 2 * time.Minute
	}
	if opts.SendLease <= 0 {
		opts.SendLease = 5 * time.Minute
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	return &Worker{opts: opts, wake: make(chan struct{}, 1), jitter: rand.Float64}
}

// Notify wakes the worker now (an event was stored, a retry was asked for).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
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
	sem := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	tick := time.NewTicker(w.opts.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		busy := w.round(ctx, workCtx, sem, &wg)
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-tick.C:
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
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

// round claims what is due and starts it, bounded by sem. It reports
// whether it found a full batch, so the caller asks again at once.
func (w *Worker) round(ctx, workCtx context.Context, sem chan struct{}, wg *sync.WaitGroup) bool {
	n := w.opts.Concurrency
	events, err := w.opts.Store.ClaimEvents(ctx, w.opts.Owner, n, w.opts.EventLease)
	if err != nil && ctx.Err() == nil {
		w.opts.Logger.Error("claiming events failed", "err", err)
	}
	for _, e := range events {
		w.start(ctx, sem, wg, func() { w.process(workCtx, e) })
	}
	dels, err := w.opts.Store.ClaimDeliveries(ctx, w.opts.Owner, n, w.opts.SendLease)
	if err != nil && ctx.Err() == nil {
		w.opts.Logger.Error("claiming deliveries failed", "err", err)
	}
	for _, d := range dels {
		w.start(ctx, sem, wg, func() { w.deliver(workCtx, d) })
	}
	return len(events) == n || len(dels) == n
}

func (w *Worker) start(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup, f func()) {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		// Shutting down: the claim is released by ReleaseAll.
		return
	}
	wg.Add(1)
	go func() {
		defer func() { <-sem; wg.Done() }()
		f()
	}()
}

// backoff is the delay before attempt n+1 after n failed attempts:
// exponential from base, capped, with "equal jitter" (half fixed, half
// random) so that retries of many deliveries spread out.
func (w *Worker) backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + time.Duration(w.jitter()*float64(d/2))
}
