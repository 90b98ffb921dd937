package fetch

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

func TestListCallServesEveryWaitingObject(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		for i := 1; i <= 10; i++ {
			api.members["143568"] = append(api.members["143568"], strconv.Itoa(i))
		}
		f := newFetcher(t, api, clk, openStore(t, kind), func(o *Options) {
			o.PerHour = 1
			o.Objects = o.Objects[:1]
			o.Objects[0].List = &ListConfig{Get: "Candidates/json/?posid={{ event.ProjectId }}&take=100", Select: "Items"}
		})
		type pending struct {
			c  int
			at time.Time
		}
		run := func(evs []pending) (waits int) {
			t.Helper()
			for _, p := range evs {
				e, fields := newEvent("CandidateUpdated", p.c, p.at)
				res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Wait.IsZero() {
					waits++
					continue
				}
				if served := field(t, res.Objects, "candidate", "ServedAt").(time.Time); served.Before(p.at) {
					t.Errorf("candidate %d received %v served with data of %v", p.c, p.at, served)
				}
				if got := field(t, res.Objects, "candidate", "Id"); got != p.c {
					t.Errorf("candidate %d got Id %v", p.c, got)
				}
			}
			return waits
		}

		if run([]pending{{1, t0}}) != 0 {
			t.Fatal("first event waited")
		}
		clk.Add(time.Minute)
		var evs []pending
		for i := 1; i <= 10; i++ {
			evs = append(evs, pending{i, clk.Now()})
		}
		if n := run(evs); n != 10 {
			t.Fatalf("%d of 10 waited, want all", n)
		}
		clk.Set(t0.Add(time.Hour))
		if n := run(evs); n != 0 {
			t.Fatalf("%d waited after the slot, want none", n)
		}

		// Two candidates the list does not hold: one list call finds
		// neither, then each is fetched alone.
		clk.Add(time.Minute)
		missing := []pending{{98, clk.Now()}, {99, clk.Now()}}
		for n := run(missing); n > 0; n = run(missing) {
			clk.Add(time.Hour)
		}
		var got []string
		for _, c := range api.callLog() {
			got = append(got, c.ID+map[bool]string{true: " list"}[c.List])
		}
		want := []string{"1", "143568 list", "143568 list", "98", "99"}
		if len(got) != len(want) {
			t.Fatalf("calls = %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("calls = %q, want %q", got, want)
			}
		}
	})
}

// TestConcurrentWaitersShareOneListCall: objects waiting for one list are
// usually claimed together when the budget reopens; they share one list
// call instead of each spending the budget on the same list.
func TestConcurrentWaitersShareOneListCall(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		for i := 1; i <= 10; i++ {
			api.members["143568"] = append(api.members["143568"], strconv.Itoa(i))
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Has("posid") {
				time.Sleep(100 * time.Millisecond) // let every waiter join
			}
			api.serve(w, r)
		}))
		defer srv.Close()
		f := newFetcher(t, api, clk, openStore(t, kind), withList(srv.URL, 3, 100))
		for _, c := range []int{1, 7, 8} { // spend the hour
			e, fl := newEvent("CandidateUpdated", c, clk.Now())
			if _, err := f.Fetch(ctx, e, fl, []string{"candidate"}); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(time.Minute)
		at := clk.Now()
		for c := 2; c <= 6; c++ {
			e, fl := newEvent("CandidateUpdated", c, at)
			if r, err := f.Fetch(ctx, e, fl, []string{"candidate"}); err != nil || r.Wait.IsZero() {
				t.Fatalf("candidate %d: %v, wait %v; want it to wait for the budget", c, err, r.Wait)
			}
		}
		clk.Set(t0.Add(time.Hour + time.Second))
		var wg sync.WaitGroup
		for c := 2; c <= 6; c++ {
			wg.Go(func() {
				e, fl := newEvent("CandidateUpdated", c, at)
				r, err := f.Fetch(ctx, e, fl, []string{"candidate"})
				if err != nil || !r.Wait.IsZero() {
					t.Errorf("candidate %d after the hour: %v, wait %v; want served", c, err, r.Wait)
					return
				}
				if got := field(t, r.Objects, "candidate", "Id"); got != c {
					t.Errorf("candidate %d got Id %v", c, got)
				}
			})
		}
		wg.Wait()
		lists := 0
		for _, c := range api.callLog() {
			if c.List {
				lists++
			}
		}
		if lists != 1 {
			t.Errorf("%d list calls for one position, want 1 shared by the 5 waiting", lists)
		}
	})
}

// TestUnusableListFallsBackToSingleGets: a list call the API refuses (HTTP
// 400) fails no event: the objects waiting for it are fetched alone.
func TestUnusableListFallsBackToSingleGets(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Has("posid") && !r.URL.Query().Has("canid") {
				http.Error(w, "take must be at most 100", http.StatusBadRequest)
				return
			}
			api.serve(w, r)
		}))
		defer srv.Close()
		f := newFetcher(t, api, clk, openStore(t, kind), withList(srv.URL, 1, 500))
		e1, f1 := newEvent("CandidateUpdated", 1, clk.Now())
		if _, err := f.Fetch(ctx, e1, f1, []string{"candidate"}); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		e2, f2 := newEvent("CandidateUpdated", 2, clk.Now())
		e3, f3 := newEvent("CandidateUpdated", 3, clk.Now())
		for _, p := range []struct {
			e  *event.Event
			fl map[string]any
		}{{e2, f2}, {e3, f3}} {
			if r, err := f.Fetch(ctx, p.e, p.fl, []string{"candidate"}); err != nil || r.Wait.IsZero() {
				t.Fatalf("%v, wait %v; want a wait for the budget", err, r.Wait)
			}
		}
		served := map[int]bool{}
		for range 6 {
			clk.Add(time.Hour)
			for c, p := range map[int]struct {
				e  *event.Event
				fl map[string]any
			}{2: {e2, f2}, 3: {e3, f3}} {
				if served[c] {
					continue
				}
				r, err := f.Fetch(ctx, p.e, p.fl, []string{"candidate"})
				if err != nil {
					t.Fatalf("candidate %d: %v; a refused list must not fail the event", c, err)
				}
				served[c] = r.Wait.IsZero()
			}
		}
		if !served[2] || !served[3] {
			t.Errorf("served %v, want both candidates fetched alone", served)
		}
	})
}

// withList configures the candidate alone, with a list call of the
// position's candidates (take per page), against the API at url, with
// perHour calls an hour.
func withList(url string, perHour, take int) func(*Options) {
	return func(o *Options) {
		o.BaseURL = url
		o.PerHour = perHour
		o.Objects = o.Objects[:1]
		o.Objects[0].List = &ListConfig{Get: "Candidates/json/?posid={{ event.ProjectId }}&take=" + strconv.Itoa(take), Select: "Items"}
	}
}
