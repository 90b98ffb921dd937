// Package fetch looks up the objects an event is about (candidate,
// position, …) through HR Manager's REST API without ever exceeding its
// budget of calls per method.
//
// Copies are cached in memory and in the store, so a restart or another
// node does not pay for them again. An event whose type asks for fresh data
// gets a copy fetched after it was received; other events take a copy
// younger than the object's TTL. When no copy can be had yet (budget spent,
// API throttled or down), Fetch does not fail: it says until when the event
// should wait, and the call made when the slot opens serves every event
// that waited for that object.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/sync/singleflight"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Store is the part of store.Store that the fetcher uses: object copies
// and the API budget shared by all nodes.
type Store interface {
	// Snapshot returns the stored copy of one object (store.ErrNotFound
	// if none).
	Snapshot(ctx context.Context, object, id string) (*store.Snapshot, error)
	// PutSnapshot stores a freshly fetched copy; the copy it replaces
	// becomes Prior.
	PutSnapshot(ctx context.Context, s *store.Snapshot) error
	// DeleteSnapshot erases an object's copies.
	DeleteSnapshot(ctx context.Context, object, id string) error
	// TakeCall reserves one call of an API method if the budget allows it
	// at now; otherwise next is the earliest time a call could be allowed.
	TakeCall(ctx context.Context, method string, now time.Time, perHour, perDay int) (ok bool, next time.Time, err error)
	// PauseMethod stops calls of a method until the given time.
	PauseMethod(ctx context.Context, method string, until time.Time) error
}

var _ Store = store.Store(nil)

// Options configure a Fetcher.
type Options struct {
	// BaseURL is the API root up to the customer
	// ("https://recruiter-api.hr-manager.net/restful.svc/v2/1885").
	BaseURL string
	// APIKey is sent as the apikey header. It never appears in errors or
	// logs.
	APIKey string
	// PerHour and PerDay are the budget of each API method (default 8 and
	// 200).
	PerHour, PerDay int
	// Fixtures, when set, is a directory that serves objects from
	// <dir>/<object>/<id>.json instead of the API; no budget is spent.
	Fixtures string
	// Objects are the configured objects.
	Objects []ObjectConfig
	// Store keeps copies and the budget. Not needed with Fixtures.
	Store Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Timeout bounds one API call (default 30 s).
	Timeout time.Duration
	// Client is the HTTP client for the API (default: 30 s timeout, no
	// redirects).
	Client *resty.Client
	// Logger receives throttling and failure notes (default: discard).
	Logger *slog.Logger
	// Metrics, if set, records calls, lookups, budget and waits.
	Metrics *Metrics
	// CacheSize bounds the copies kept in memory (default 10000).
	CacheSize int
	// Shared says other nodes use the same store: a copy in this node's
	// memory may have been refreshed or erased by another node, so every
	// lookup asks the store (the shared cache) first.
	Shared bool
}

// Fetcher gets objects for events. It is safe for concurrent use.
type Fetcher struct {
	shared   bool
	objects  map[string]*object
	client   *client
	fixtures string
	store    Store
	now      func() time.Time
	log      *slog.Logger
	metrics  *Metrics
	budget   *budget
	cache    *memory
	group    singleflight.Group
	waiters  waiters
	lists    listWaits
}

// Result is what Fetch found for one event.
type Result struct {
	// Objects maps each requested name to the object (map[string]any for
	// the usual select), nil when the event has no id for it or the object
	// is gone. Incomplete when Wait is set.
	Objects map[string]any
	// Previous maps each name to the copy seen before (see Fetch).
	Previous map[string]any
	// FetchedAt is when each copy used was fetched from the API.
	FetchedAt map[string]time.Time
	// Wait, when not zero, means some object cannot be had yet: hold the
	// event (status waiting_for_api) until then and call Fetch again.
	Wait time.Time
	// Reason says what the event waits for, for its trace.
	Reason string
	// Stale lists objects served from an old copy because max_wait passed.
	Stale []string
	// Fetched lists objects fetched from the API for this call.
	Fetched []string
}

// New compiles the objects' id expressions, get templates and select
// expressions; errors name the object.
func New(opts Options) (*Fetcher, error) {
	if opts.Fixtures == "" && opts.BaseURL == "" {
		return nil, errors.New("fetch: no API base URL and no fixtures directory")
	}
	if opts.Fixtures == "" && opts.Store == nil {
		return nil, errors.New("fetch: no store")
	}
	f := &Fetcher{
		objects:  map[string]*object{},
		fixtures: opts.Fixtures,
		store:    opts.Store,
		now:      opts.Now,
		log:      opts.Logger,
		metrics:  opts.Metrics,
		budget:   newBudget(opts.PerHour, opts.PerDay),
		cache:    newMemory(opts.CacheSize),
		shared:   opts.Shared,
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if err := f.compile(opts.Objects); err != nil {
		return nil, err
	}
	f.client = newClient(opts.BaseURL, opts.APIKey, opts.Client, opts.Timeout, f.now, f.log)
	return f, nil
}

// compile compiles every object, reporting all problems at once.
func (f *Fetcher) compile(cfgs []ObjectConfig) error {
	env := tmpl.NewEnv()
	var errs []error
	for _, c := range cfgs {
		switch {
		case c.Name == tmpl.VarEvent || c.Name == tmpl.VarPrevious || c.Name == tmpl.VarID:
			errs = append(errs, fmt.Errorf("fetch: object %q: reserved name", c.Name))
			continue
		case f.objects[c.Name] != nil:
			errs = append(errs, fmt.Errorf("fetch: object %q: defined twice", c.Name))
			continue
		}
		o, err := compileObject(env, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("fetch: %w", err))
			continue
		}
		f.objects[c.Name] = o
	}
	return errors.Join(errs...)
}

// Fetch returns the objects names for event e, whose fields (e.Fields())
// are the `event` of the id expressions and get templates.
//
// Previous[name] is the copy seen before the current one when the current
// copy was fetched at or after e.LastSeenAt (fetched for this event), and
// the current copy itself otherwise, so that a rule comparing the two sees
// exactly the change this event brought.
//
// When an object cannot be had yet, Fetch returns Result.Wait and no error;
// nothing fails for lack of budget. An error means the object cannot be had
// as configured (unknown name, a failing expression, the store failing, an
// answer the API will keep giving such as 401).
func (f *Fetcher) Fetch(ctx context.Context, e *event.Event, fields map[string]any, names []string) (Result, error) {
	now := f.now()
	vars := map[string]any{tmpl.VarEvent: fields}
	res := Result{Objects: map[string]any{}, Previous: map[string]any{}, FetchedAt: map[string]time.Time{}}
	var reasons []string
	for _, name := range dedupe(names) {
		o, ok := f.objects[name]
		if !ok {
			return Result{}, fmt.Errorf("fetch: unknown object %q", name)
		}
		g, err := f.object(ctx, o, e, vars, now)
		if err != nil {
			return Result{}, err
		}
		if !g.wait.IsZero() {
			f.metrics.wait(name)
			res.Wait = earliest(res.Wait, g.wait)
			reasons = append(reasons, g.reason)
			continue
		}
		if err := res.add(name, g, e); err != nil {
			return Result{}, err
		}
	}
	res.Reason = strings.Join(reasons, "; ")
	f.metrics.waiting(f.waiters.set(e.ID, res.Wait, now))
	return res, nil
}

// add puts one object's copy into the result.
func (r *Result) add(name string, g got, e *event.Event) error {
	if g.stale {
		r.Stale = append(r.Stale, name)
	}
	if g.fetched {
		r.Fetched = append(r.Fetched, name)
	}
	if g.snap == nil {
		r.Objects[name], r.Previous[name] = nil, nil
		return nil
	}
	cur, err := decodeCopy(g.snap.Data)
	if err != nil {
		return fmt.Errorf("fetch: decoding copy of %s %s: %w (%w)", name, g.snap.ID, err, ErrNotFetchable)
	}
	prevData := g.snap.Data
	if !g.snap.FetchedAt.Before(seen(e)) {
		prevData = g.snap.Prior
	}
	prev, err := decodeCopy(prevData)
	if err != nil {
		return fmt.Errorf("fetch: decoding prior copy of %s %s: %w (%w)", name, g.snap.ID, err, ErrNotFetchable)
	}
	r.Objects[name], r.Previous[name] = cur, prev
	r.FetchedAt[name] = g.snap.FetchedAt
	return nil
}

// Names returns the configured object names, sorted: the object roots of
// the rules' expression environment.
func (f *Fetcher) Names() []string { return slices.Sorted(maps.Keys(f.objects)) }

// ObjectID returns the id of object name that an event with the given
// fields (e.Fields()) is about, evaluated as Fetch does; "" when the event
// names none or no such object is configured.
func (f *Fetcher) ObjectID(name string, fields map[string]any) (string, error) {
	o, ok := f.objects[name]
	if !ok {
		return "", nil
	}
	return o.objectID(map[string]any{tmpl.VarEvent: fields})
}

// Erase forgets every cached copy of an object, in memory and in the
// store (personal data of a deleted candidate).
func (f *Fetcher) Erase(ctx context.Context, object, id string) error {
	f.cache.forget(object, id)
	if f.store == nil {
		return nil
	}
	if err := f.store.DeleteSnapshot(ctx, object, id); err != nil {
		return fmt.Errorf("fetch: erasing %s %s: %w", object, id, err)
	}
	return nil
}

func dedupe(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// earliest returns the earlier of two wait times; zero means none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
