package fetch

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// simEvent is one event in the simulated queue.
type simEvent struct {
	e         *event.Event
	fields    map[string]any
	candidate int
	notBefore time.Time
	done      bool
	servedAt  time.Time // ServedAt of the copy the event was served with
}

// simEvents returns n webhook deliveries about `candidates` candidates over
// three hours: bursts of 1 to 5 identical deliveries within 30 s, each kept
// as its own event (no dedup: the hardest case for the fetcher).
func simEvents(n, candidates int) []*simEvent {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"CandidateUpdated", "CandidateStatusUpdated", "CandidateRegistered", "SendCalendarInvite"}
	var evs []*simEvent
	for len(evs) < n {
		c, typ := 1+rng.IntN(candidates), types[rng.IntN(len(types))]
		base := t0.Add(time.Duration(rng.IntN(3*3600)) * time.Second)
		for range min(1+rng.IntN(5), n-len(evs)) {
			e, fields := newEvent(typ, c, base.Add(time.Duration(rng.IntN(30))*time.Second))
			evs = append(evs, &simEvent{e: e, fields: fields, candidate: c})
		}
	}
	slices.SortStableFunc(evs, func(a, b *simEvent) int { return a.e.ReceivedAt.Compare(b.e.ReceivedAt) })
	return evs
}

// simulate works the queue like the worker: events of one candidate in
// arrival order, a waiting event deferred until its Wait, the clock moved
// to the next due time when nothing is due.
func simulate(t *testing.T, f *Fetcher, clk *clock, evs []*simEvent) (fetches int) {
	t.Helper()
	for {
		progress := true
		for progress {
			progress = false
			for _, s := range heads(evs, clk.Now()) {
				if s.notBefore.After(clk.Now()) {
					continue
				}
				fetches++
				res, err := f.Fetch(ctx, s.e, s.fields, []string{"candidate"})
				if err != nil {
					t.Fatalf("event %s: %v", s.e.ID, err)
				}
				if !res.Wait.IsZero() {
					if !res.Wait.After(clk.Now()) {
						t.Fatalf("wait %v is not in the future (now %v)", res.Wait, clk.Now())
					}
					s.notBefore = res.Wait
					continue
				}
				s.done, progress = true, true
				s.servedAt = field(t, res.Objects, "candidate", "ServedAt").(time.Time)
				checkServed(t, f, s, clk.Now())
			}
		}
		next, ok := nextDue(evs, clk.Now())
		if !ok {
			return fetches
		}
		clk.Set(next)
	}
}

// heads returns, per candidate, the earliest unfinished event received by now.
func heads(evs []*simEvent, now time.Time) []*simEvent {
	seen := map[int]bool{}
	var out []*simEvent
	for _, s := range evs {
		if s.done || seen[s.candidate] || s.e.ReceivedAt.After(now) {
			continue
		}
		seen[s.candidate] = true
		out = append(out, s)
	}
	return out
}

// nextDue is the earliest future arrival or end of a wait.
func nextDue(evs []*simEvent, now time.Time) (time.Time, bool) {
	var next time.Time
	for _, s := range heads(evs, now) {
		next = earliest(next, s.notBefore)
	}
	for _, s := range evs {
		if !s.done && s.e.ReceivedAt.After(now) {
			next = earliest(next, s.e.ReceivedAt)
			break
		}
	}
	return next, !next.IsZero()
}

// checkServed checks the copy an event got: fetched after the event for a
// refresh_on type, else younger than the ttl or fetched after the event.
func checkServed(t *testing.T, f *Fetcher, s *simEvent, now time.Time) {
	t.Helper()
	o := f.objects["candidate"]
	after := !s.servedAt.Before(s.e.LastSeenAt)
	if o.refreshes(s.e.Type) && !after {
		t.Errorf("%s received %v got data served at %v", s.e.Type, s.e.LastSeenAt, s.servedAt)
	}
	if !o.refreshes(s.e.Type) && !after && now.Sub(s.servedAt) >= o.TTL {
		t.Errorf("%s at %v got data served at %v, older than the ttl", s.e.Type, now, s.servedAt)
	}
}

func TestBudgetUnderLoad(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		f := newFetcher(t, api, clk, openStore(t, kind), func(o *Options) { o.Objects = o.Objects[:1] })
		evs := simEvents(1000, 100)
		fetches := simulate(t, f, clk, evs)

		for _, s := range evs {
			if !s.done {
				t.Fatalf("event %s was never served", s.e.ID)
			}
		}
		calls := api.callLog()
		checkBudget(t, calls, 8, time.Hour)
		checkBudget(t, calls, 200, 24*time.Hour)
		checkEveryCallNeeded(t, f, calls, evs)
		t.Logf("%d events, %d API calls, %d Fetch calls, done after %v", len(evs), len(calls), fetches, clk.Now().Sub(t0))
	})
}

// checkBudget fails if more than limit calls fall in any window.
func checkBudget(t *testing.T, calls []apiCall, limit int, window time.Duration) {
	t.Helper()
	for i, c := range calls {
		n := 0
		for _, d := range calls[i:] {
			if d.At.Sub(c.At) < window {
				n++
			}
		}
		if n > limit {
			t.Fatalf("%d calls in the %v from %v, budget %d", n, window, c.At, limit)
		}
	}
}

// checkEveryCallNeeded fails if a call served no event that the copy before
// it could not have served: one call per object needed, never one per event.
func checkEveryCallNeeded(t *testing.T, f *Fetcher, calls []apiCall, evs []*simEvent) {
	t.Helper()
	o := f.objects["candidate"]
	prev := map[string]time.Time{}
	for _, c := range calls {
		p, had := prev[c.ID]
		prev[c.ID] = c.At
		needed := false
		for _, s := range evs {
			if strconv.Itoa(s.candidate) != c.ID || !s.servedAt.Equal(c.At) {
				continue
			}
			stale := o.refreshes(s.e.Type) && p.Before(s.e.LastSeenAt) || c.At.Sub(p) >= o.TTL && p.Before(s.e.LastSeenAt)
			if !had || stale {
				needed = true
				break
			}
		}
		if !needed {
			t.Errorf("call of candidate %s at %v served no event the copy of %v could not", c.ID, c.At, p)
		}
	}
}
