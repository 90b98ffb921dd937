// Package storetest is the conformance suite of store.Store: every
// implementation runs it against a real database, so SQLite and Postgres
// keep one behaviour.
package storetest

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

//go:embed testdata/*.json
var samples embed.FS

// NewURL returns the store URL of a new, empty database for one test; the
// suite opens (and reopens) it with store.Open and an injected clock.
type NewURL func(t *testing.T) string

// Run runs the whole suite against the databases that newURL makes.
func Run(t *testing.T, newURL NewURL) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, h *Harness)
	}{
		{"IngestDurable", testIngestDurable},
		{"DuplicateWithinWindow", testDuplicateWithinWindow},
		{"DuplicateAfterWindow", testDuplicateAfterWindow},
		{"DebounceHold", testDebounceHold},
		{"DuplicateAfterReopen", testDuplicateAfterReopen},
		{"DuplicateOfReplay", testDuplicateOfReplay},
		{"WiderWindowLater", testWiderWindowLater},
		{"DuplicatesInOneGroup", testDuplicatesInOneGroup},
		{"IngestIDTaken", testIngestIDTaken},
		{"IngestConcurrent", testIngestConcurrent},
		{"IngestAfterClose", testIngestAfterClose},
		{"ClaimPerKeyOrder", testClaimPerKeyOrder},
		{"ClaimConcurrent", testClaimConcurrent},
		{"LeaseExpiry", testLeaseExpiry},
		{"Defer", testDefer},
		{"CompleteOnlyByItsClaim", testCompleteOnlyByItsClaim},
		{"ClaimDeliveriesDue", testClaimDeliveriesDue},
		{"FinishAndRetry", testFinishAndRetry},
		{"FinishOnlyByItsClaim", testFinishOnlyByItsClaim},
		{"ClaimSkipsDestinations", testClaimSkipsDestinations},
		{"Once", testOnce},
		{"ReleaseAll", testReleaseAll},
		{"Replay", testReplay},
		{"Events", testEvents},
		{"SnapshotPrior", testSnapshotPrior},
		{"ErasePersonal", testErasePersonal},
		{"EraseDefaultsAndNoKey", testEraseDefaultsAndNoKey},
		{"EraseWhileFinishing", testEraseWhileFinishing},
		{"Prune", testPrune},
		{"PruneThenDuplicate", testPruneThenDuplicate},
		{"TakeCallBudget", testTakeCallBudget},
		{"TakeCallNext", testTakeCallNext},
		{"TakeCallConcurrent", testTakeCallConcurrent},
		{"PauseMethod", testPauseMethod},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, NewHarness(t, newURL(t)))
		})
	}
}

// Clock is a settable clock for store.WithClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that stands at t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Harness is one open store with its clock and database URL.
type Harness struct {
	T     *testing.T
	URL   string
	Clock *Clock
	Store store.Store
	Ctx   context.Context
}

// start is the suite's epoch: a Monday morning, with milliseconds so that
// round trips are checked to the millisecond.
var start = time.Date(2026, 3, 2, 9, 0, 0, 123_000_000, time.UTC)

// NewHarness opens the store at url with a fake clock; it is closed when
// the test ends.
func NewHarness(t *testing.T, url string) *Harness {
	h := &Harness{T: t, URL: url, Clock: NewClock(start), Ctx: t.Context()}
	h.open()
	return h
}

func (h *Harness) open() {
	h.T.Helper()
	s, err := store.Open(context.Background(), h.URL, store.WithClock(h.Clock.Now))
	if err != nil {
		h.T.Fatalf("opening store: %v", err)
	}
	h.Store = s
	h.T.Cleanup(func() { _ = s.Close() })
}

// Reopen closes the store and opens the same database again.
func (h *Harness) Reopen() {
	h.T.Helper()
	if err := h.Store.Close(); err != nil {
		h.T.Fatalf("closing store: %v", err)
	}
	h.open()
}

// Event builds an event of a sample type about key, received now, with a
// dedup key derived from the body and n (same n, same duplicate class).
func (h *Harness) Event(typ, key string, n int) *event.Event {
	h.T.Helper()
	body, err := samples.ReadFile("testdata/" + typ + ".json")
	if err != nil {
		h.T.Fatalf("reading sample: %v", err)
	}
	sum := sha256.Sum256(append(body, strconv.Itoa(n)...))
	now := h.Clock.Now()
	return &event.Event{
		ID: event.NewID(now), Source: "hrmanager", Type: typ, Key: key, Body: body,
		DedupKey: hex.EncodeToString(sum[:]), ReceivedAt: now,
	}
}

// Ingest stores e and fails the test on error.
func (h *Harness) Ingest(e *event.Event, window, hold time.Duration) (string, bool) {
	h.T.Helper()
	id, dup, err := h.Store.Ingest(h.Ctx, e, window, hold)
	if err != nil {
		h.T.Fatalf("ingesting %s: %v", e.Type, err)
	}
	return id, dup
}

// Claim claims up to 10 events for owner and returns their ids.
func (h *Harness) Claim(owner string, lease time.Duration) []string {
	h.T.Helper()
	evs, err := h.Store.ClaimEvents(h.Ctx, owner, 10, lease)
	if err != nil {
		h.T.Fatalf("claiming events: %v", err)
	}
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

// Record reads one event and fails the test if it cannot.
func (h *Harness) Record(id string) *store.EventRecord {
	h.T.Helper()
	rec, err := h.Store.Event(h.Ctx, id)
	if err != nil {
		h.T.Fatalf("reading event %s: %v", id, err)
	}
	return rec
}
