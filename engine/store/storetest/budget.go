package storetest

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// takeCall asks for one call of method at now.
func takeCall(h *Harness, s store.Store, method string, now time.Time, perHour, perDay int) (bool, time.Time) {
	h.T.Helper()
	ok, next, err := s.TakeCall(h.Ctx, method, now, perHour, perDay)
	if err != nil {
		h.T.Fatalf("TakeCall: %v", err)
	}
	return ok, next
}

// budgetModel answers TakeCall by brute force over the calls taken.
func budgetModel(calls []time.Time, now time.Time, perHour, perDay int) (bool, time.Time) {
	var next time.Time
	for _, w := range []struct {
		span time.Duration
		max  int
	}{{time.Hour, perHour}, {24 * time.Hour, perDay}} {
		var in []time.Time
		for _, c := range calls {
			if c.After(now.Add(-w.span)) {
				in = append(in, c)
			}
		}
		if len(in) >= w.max {
			if free := in[len(in)-w.max].Add(w.span); free.After(next) {
				next = free
			}
		}
	}
	return next.IsZero(), next
}

func testTakeCallBudget(t *testing.T, h *Harness) {
	const perHour, perDay = 3, 5
	var calls []time.Time
	now := h.Clock.Now()
	for step := range 400 {
		if step == 200 {
			h.Reopen() // the budget survives restarts
		}
		wantOK, wantNext := budgetModel(calls, now, perHour, perDay)
		ok, next := takeCall(h, h.Store, "Candidates", now, perHour, perDay)
		if ok != wantOK || !next.Equal(wantNext) {
			t.Fatalf("step %d at %v: TakeCall = %v, %v; want %v, %v", step, now, ok, next, wantOK, wantNext)
		}
		if ok {
			calls = append(calls, now)
		}
		now = now.Add(7*time.Minute + 13*time.Second)
	}
	for i, c := range calls {
		inHour, inDay := 0, 0
		for _, d := range calls[i:] {
			if d.Before(c.Add(time.Hour)) {
				inHour++
			}
			if d.Before(c.Add(24 * time.Hour)) {
				inDay++
			}
		}
		if inHour > perHour || inDay > perDay {
			t.Fatalf("%d calls in the hour and %d in the day from %v", inHour, inDay, c)
		}
	}
	if len(calls) < 2*perDay {
		t.Fatalf("only %d calls in 48 hours", len(calls))
	}
}

func testTakeCallNext(t *testing.T, h *Harness) {
	t0 := h.Clock.Now()
	for i := range 3 {
		if ok, _ := takeCall(h, h.Store, "Positions", t0.Add(time.Duration(i)*10*time.Minute), 3, 200); !ok {
			t.Fatalf("call %d refused", i)
		}
	}
	if ok, next := takeCall(h, h.Store, "Positions", t0.Add(30*time.Minute), 3, 200); ok || !next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("fourth call = %v, %v; want false, %v", ok, next, t0.Add(time.Hour))
	}
	if ok, _ := takeCall(h, h.Store, "Candidates", t0.Add(30*time.Minute), 3, 200); !ok {
		t.Fatal("another method shares the budget")
	}
	if ok, _ := takeCall(h, h.Store, "Positions", t0.Add(time.Hour-time.Millisecond), 3, 200); ok {
		t.Fatal("call allowed a millisecond early")
	}
	if ok, _ := takeCall(h, h.Store, "Positions", t0.Add(time.Hour), 3, 200); !ok {
		t.Fatal("call refused when the oldest left the hour")
	}
}

func testTakeCallConcurrent(t *testing.T, h *Harness) {
	skipSingleProcess(t, h)
	second := NewHarness(t, h.URL) // another node on the same database
	nodes := []store.Store{h.Store, second.Store}
	now := h.Clock.Now()
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			ok, _, err := nodes[i%2].TakeCall(h.Ctx, "Candidates", now.Add(time.Duration(i)*time.Millisecond), 8, 200)
			if err != nil {
				t.Errorf("TakeCall: %v", err)
			}
			if ok {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := granted.Load(); n != 8 {
		t.Errorf("%d calls granted, want 8", n)
	}
}

func testPauseMethod(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	if err := h.Store.PauseMethod(h.Ctx, "Candidates", now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.PauseMethod(h.Ctx, "Candidates", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, next := takeCall(h, h.Store, "Candidates", now, 8, 200); ok || !next.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("paused TakeCall = %v, %v; want false, %v", ok, next, now.Add(5*time.Minute))
	}
	if ok, _ := takeCall(h, h.Store, "Positions", now, 8, 200); !ok {
		t.Fatal("a pause stopped another method")
	}
	results := []bool{}
	for _, at := range []time.Duration{5*time.Minute - time.Millisecond, 5 * time.Minute} {
		ok, _ := takeCall(h, h.Store, "Candidates", now.Add(at), 8, 200)
		results = append(results, ok)
	}
	if !slices.Equal(results, []bool{false, true}) {
		t.Errorf("around the pause end: %v, want [false true]", results)
	}
}
