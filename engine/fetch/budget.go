package fetch

import (
	"sync"
	"time"
)

// Default budget of one API method, HR Manager's published limits.
const (
	defaultPerHour = 8
	defaultPerDay  = 200
)

// budget is this node's view of the API budget. The store's TakeCall is the
// authority shared by all nodes; held remembers the earliest time it said a
// method could be called again (a lower bound, since others only spend
// more), so that waiting events do not ask the store again before then.
type budget struct {
	perHour, perDay int

	mu    sync.Mutex
	held  map[string]held
	calls map[string][]time.Time // this node's calls in the last day
}

func newBudget(perHour, perDay int) *budget {
	if perHour <= 0 {
		perHour = defaultPerHour
	}
	if perDay <= 0 {
		perDay = defaultPerDay
	}
	return &budget{perHour: perHour, perDay: perDay, held: map[string]held{}, calls: map[string][]time.Time{}}
}

// held is a method that cannot be called before until, and why.
type held struct {
	until  time.Time
	reason string
}

// heldUntil returns when method may be tried again, if that is after now,
// and why it is held.
func (b *budget) heldUntil(method string, now time.Time) (held, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.held[method]
	if !ok || !h.until.After(now) {
		return held{}, false
	}
	return h, true
}

// hold notes that method cannot be called before until.
func (b *budget) hold(method string, until time.Time, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.held[method].until) {
		b.held[method] = held{until: until, reason: reason}
	}
}

// spend records a call made at now and returns the calls left in the hour
// and the day before now, as far as this node knows.
func (b *budget) spend(method string, now time.Time) (hour, day int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	calls := append(b.calls[method], now)
	for len(calls) > 0 && now.Sub(calls[0]) >= 24*time.Hour {
		calls = calls[1:]
	}
	b.calls[method] = calls
	inHour := 0
	for _, t := range calls {
		if now.Sub(t) < time.Hour {
			inHour++
		}
	}
	return max(b.perHour-inHour, 0), max(b.perDay-len(calls), 0)
}
