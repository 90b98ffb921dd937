package fetch

import (
	"strconv"
	"testing"
	"time"
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
