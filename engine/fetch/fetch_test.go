package fetch

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/rules/tmpl"
)

var ctx = context.Background()

func TestConcurrentNeedsMakeOneCall(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		api.hold = make(chan struct{})
		f := newFetcher(t, api, clk, openStore(t, kind))

		var wg, started sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			started.Add(1)
			go func() {
				defer wg.Done()
				typ := []string{"CandidateHired", "CandidateRegistered"}[i%2]
				e, fields := newEvent(typ, 987654, t0)
				started.Done()
				res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
				switch {
				case err != nil:
					errs <- err
				case !res.Wait.IsZero() || field(t, res.Objects, "candidate", "Id") != 987654:
					errs <- errors.New("event not served")
				}
			}()
		}
		started.Wait()
		time.Sleep(20 * time.Millisecond) // let the goroutines reach the call
		close(api.hold)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := api.count(); n != 1 {
			t.Errorf("API calls = %d, want 1", n)
		}
	})
}

func TestThrottledWaitsAndIsNotCached(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		api.setRespond(func(apiCall) (int, bool) { return http.StatusNoContent, true })
		st := openStore(t, kind)
		f := newFetcher(t, api, clk, st)

		var waiting []int
		for i, typ := range []string{"CandidateUpdated", "CandidateRegistered", "CandidateHired"} {
			e, fields := newEvent(typ, 1, clk.Now())
			res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			if want := t0.Add(time.Hour); !res.Wait.Equal(want) {
				t.Fatalf("event %d: wait = %v, want %v (reason %q)", i, res.Wait, want, res.Reason)
			}
			if !strings.Contains(res.Reason, "throttled") {
				t.Errorf("reason = %q", res.Reason)
			}
			waiting = append(waiting, i)
			clk.Add(time.Minute)
		}
		if n := api.count(); n != 1 {
			t.Errorf("API calls while throttled = %d, want 1", n)
		}
		if _, err := st.Snapshot(ctx, "candidate", "1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a 204 was stored as a copy: %v", err)
		}
		// A restarted node honours the pause too.
		f2 := newFetcher(t, api, clk, st)
		e, fields := newEvent("CandidateRegistered", 1, clk.Now())
		if res, err := f2.Fetch(ctx, e, fields, []string{"candidate"}); err != nil || res.Wait.IsZero() {
			t.Fatalf("after restart: wait %v, err %v", res.Wait, err)
		}
		if n := api.count(); n != 1 {
			t.Errorf("API calls after restart = %d, want 1", n)
		}

		api.setRespond(nil)
		clk.Set(t0.Add(time.Hour))
		for _, i := range waiting {
			e, fields := newEvent("CandidateUpdated", 1, t0.Add(time.Duration(i)*time.Minute))
			res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
			if err != nil || !res.Wait.IsZero() {
				t.Fatalf("event %d after the pause: wait %v, err %v", i, res.Wait, err)
			}
			if field(t, res.Objects, "candidate", "FirstName") != "Kari" {
				t.Errorf("event %d: candidate = %v", i, res.Objects["candidate"])
			}
		}
		if n := api.count(); n != 2 {
			t.Errorf("API calls = %d, want 2 (one throttled, one serving all)", n)
		}
	})
}

func TestThrottleSignals(t *testing.T) {
	cases := []struct {
		name string
		code int
		hdr  string
		body string
		want time.Duration
		why  string
	}{
		{name: "204", code: 204, want: time.Hour, why: "throttled"},
		{name: "204 retry-after", code: 204, hdr: "120", want: 2 * time.Minute, why: "throttled"},
		{name: "quota text", code: 200, body: `{"Message":"API quota for the method is exceeded"}`, want: time.Hour, why: "throttled"},
		{name: "quota text 403", code: 403, body: "API quota for the method is exceeded", want: time.Hour, why: "throttled"},
		{name: "429", code: 429, hdr: "30", want: 30 * time.Second, why: "429"},
		{name: "503", code: 503, want: time.Minute, why: "503"},
		{name: "408", code: 408, want: time.Minute, why: "408"},
		{name: "html", code: 200, body: "<html>gateway</html>", want: time.Minute, why: "not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			srv := newRawServer(t, c.code, c.hdr, c.body)
			st := newMemStore()
			f := newFetcher(t, &fakeAPI{Server: srv}, clk, st)
			e, fields := newEvent("CandidateRegistered", 1, t0)
			res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
			if err != nil {
				t.Fatal(err)
			}
			if want := t0.Add(c.want); !res.Wait.Equal(want) {
				t.Errorf("wait = %v, want %v", res.Wait, want)
			}
			if !strings.Contains(res.Reason, c.why) {
				t.Errorf("reason %q does not say %q", res.Reason, c.why)
			}
			if ok, _, _ := st.TakeCall(ctx, "Candidates", t0.Add(c.want-time.Second), 8, 200); ok {
				t.Error("the method was not paused in the store")
			}
		})
	}
}

func TestPermanentErrorsKeepTheKeySecret(t *testing.T) {
	clk := newClock()
	srv := newRawServer(t, http.StatusBadRequest, "", "bad request for apikey "+testKey)
	var logs bytes.Buffer
	f := newFetcher(t, &fakeAPI{Server: srv}, clk, newMemStore(), func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e, fields := newEvent("CandidateRegistered", 1, t0)
	_, err := f.Fetch(ctx, e, fields, []string{"candidate"})
	if err == nil || !strings.Contains(err.Error(), "400") || !errors.Is(err, ErrUnusable) {
		t.Fatalf("err = %v, want an unusable 400 error", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error shows the API key: %v", err)
	}

	srv.Close() // network errors wait a minute
	res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil || !res.Wait.Equal(t0.Add(time.Minute)) {
		t.Fatalf("unreachable API: wait %v, err %v", res.Wait, err)
	}
	if strings.Contains(res.Reason, testKey) {
		t.Errorf("reason shows the API key: %q", res.Reason)
	}
	if !strings.Contains(logs.String(), "deferred") || strings.Contains(logs.String(), testKey) {
		t.Errorf("logs lack the deferral or show the key:\n%s", logs.String())
	}
}

func TestWarmStoreSurvivesRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		st := openStore(t, kind)
		names := []string{"candidate", "position"}
		e, fields := newEvent("CandidateRegistered", 1, t0)
		if _, err := newFetcher(t, api, clk, st).Fetch(ctx, e, fields, names); err != nil {
			t.Fatal(err)
		}
		if n := api.count(); n != 2 {
			t.Fatalf("first fetch: %d calls, want 2", n)
		}

		clk.Add(5 * time.Minute)
		f := newFetcher(t, api, clk, st)
		e, fields = newEvent("CandidateRegistered", 1, clk.Now())
		res, err := f.Fetch(ctx, e, fields, names)
		if err != nil || !res.Wait.IsZero() {
			t.Fatalf("wait %v, err %v", res.Wait, err)
		}
		if n := api.count(); n != 2 {
			t.Errorf("after restart within ttl: %d calls, want 2", n)
		}
		if got := field(t, res.Objects, "position", "Name"); got != "Backend Developer" {
			t.Errorf("position name = %v", got)
		}
		if len(res.Fetched) != 0 {
			t.Errorf("Fetched = %v, want none", res.Fetched)
		}

		clk.Add(15 * time.Minute) // past the candidate's ttl, not the position's
		e, fields = newEvent("CandidateRegistered", 1, clk.Now())
		if res, err = f.Fetch(ctx, e, fields, names); err != nil {
			t.Fatal(err)
		}
		calls := api.callLog()
		if len(calls) != 3 || calls[2].Method != "Candidates" {
			t.Errorf("calls = %+v, want a third call of Candidates only", calls)
		}
		if len(res.Fetched) != 1 || res.Fetched[0] != "candidate" {
			t.Errorf("Fetched = %v", res.Fetched)
		}
	})
}

func TestPreviousShowsTheChangeOfThisEvent(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		f := newFetcher(t, api, clk, openStore(t, kind))
		changed, err := tmpl.NewEnv("candidate").CompileBool(`previous.candidate?.Status != candidate.Status`)
		if err != nil {
			t.Fatal(err)
		}
		step := func(typ, status string) (Result, bool) {
			t.Helper()
			clk.Add(time.Minute)
			if status != "" {
				api.setStatus("1", status)
			}
			e, fields := newEvent(typ, 1, clk.Now())
			res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
			if err != nil || !res.Wait.IsZero() {
				t.Fatalf("%s: wait %v, err %v", typ, res.Wait, err)
			}
			fire, err := changed.Bool(map[string]any{"event": fields, "candidate": res.Objects["candidate"], "previous": res.Previous})
			if err != nil {
				t.Fatal(err)
			}
			return res, fire
		}

		if res, fire := step("CandidateRegistered", "New"); !fire || res.Previous["candidate"] != nil {
			t.Errorf("first sight: previous = %v, fire = %v; want nil, true", res.Previous["candidate"], fire)
		}
		res, fire := step("CandidateStatusUpdated", "Interview")
		if !fire || field(t, res.Previous, "candidate", "Status") != "New" || field(t, res.Objects, "candidate", "Status") != "Interview" {
			t.Errorf("status change: fire = %v, previous %v, now %v", fire,
				field(t, res.Previous, "candidate", "Status"), field(t, res.Objects, "candidate", "Status"))
		}
		res, fire = step("CandidateUpdated", "")
		if fire || field(t, res.Previous, "candidate", "Status") != "Interview" {
			t.Errorf("update without status change: fire = %v, previous %v", fire, field(t, res.Previous, "candidate", "Status"))
		}
		if api.count() != 3 {
			t.Errorf("calls = %d, want 3", api.count())
		}
		// A cached copy older than the event shows no change at all.
		res, fire = step("CandidateRegistered", "")
		if fire || len(res.Fetched) != 0 || api.count() != 3 {
			t.Errorf("cached copy: fire = %v, fetched %v, calls %d", fire, res.Fetched, api.count())
		}
	})
}

func TestDatesCompareWithNow(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		api := newFakeAPI(t, clk)
		st := openStore(t, kind)
		hired, err := tmpl.NewEnv("candidate").CompileBool(`candidate.HiredDateTimeUtc < now() && candidate.PositionList[0].ApplicationDueDateTimeUtc > date("2025-12-31")`)
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2018, 4, 10, 9, 49, 11, 0, time.UTC)
		for i, f := range []*Fetcher{newFetcher(t, api, clk, st), newFetcher(t, api, clk, st)} {
			e, fields := newEvent("CandidateRegistered", 1, t0)
			res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
			if err != nil {
				t.Fatal(err)
			}
			if got := field(t, res.Objects, "candidate", "HiredDateTimeUtc"); got != want {
				t.Errorf("fetcher %d: HiredDateTimeUtc = %#v, want %v", i, got, want)
			}
			ok, err := hired.Bool(map[string]any{"candidate": res.Objects["candidate"]})
			if err != nil || !ok {
				t.Errorf("fetcher %d: condition = %v, %v", i, ok, err)
			}
		}
		if api.count() != 1 {
			t.Errorf("calls = %d, want 1 (the second fetcher reads the store)", api.count())
		}
	})
}

func TestMaxWaitServesTheStaleCopy(t *testing.T) {
	clk := newClock()
	api := newFakeAPI(t, clk)
	f := newFetcher(t, api, clk, newMemStore(), func(o *Options) {
		o.PerHour, o.PerDay = 1, 1
		o.Objects[0].MaxWait = 2 * time.Hour
	})
	e, fields := newEvent("CandidateRegistered", 1, t0)
	if _, err := f.Fetch(ctx, e, fields, []string{"candidate"}); err != nil {
		t.Fatal(err)
	}
	api.setStatus("1", "Offer")
	clk.Add(time.Minute)
	e, fields = newEvent("CandidateStatusUpdated", 1, clk.Now())
	res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.ReceivedAt.Add(2 * time.Hour); !res.Wait.Equal(want) {
		t.Fatalf("wait = %v, want the max_wait deadline %v", res.Wait, want)
	}
	clk.Set(res.Wait)
	res, err = f.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil || !res.Wait.IsZero() {
		t.Fatalf("after max_wait: wait %v, err %v", res.Wait, err)
	}
	if len(res.Stale) != 1 || res.Stale[0] != "candidate" {
		t.Errorf("Stale = %v", res.Stale)
	}
	if field(t, res.Objects, "candidate", "Status") != "New" || field(t, res.Previous, "candidate", "Status") != "New" {
		t.Errorf("stale copy: %v / previous %v", res.Objects["candidate"], res.Previous["candidate"])
	}
	if api.count() != 1 {
		t.Errorf("calls = %d, want 1", api.count())
	}
}

func TestGoneAndMissingIDs(t *testing.T) {
	clk := newClock()
	api := newFakeAPI(t, clk)
	api.setRespond(func(c apiCall) (int, bool) { return http.StatusNotFound, c.ID == "404" })
	f := newFetcher(t, api, clk, newMemStore())

	for i := range 2 {
		e, fields := newEvent("CandidateRegistered", 404, t0)
		res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
		if err != nil || !res.Wait.IsZero() {
			t.Fatalf("gone %d: wait %v err %v", i, res.Wait, err)
		}
		if v, ok := res.Objects["candidate"]; !ok || v != nil {
			t.Errorf("gone %d: candidate = %v (present %v), want nil", i, v, ok)
		}
	}
	if api.count() != 1 {
		t.Errorf("calls = %d, want 1 (gone is cached for the ttl)", api.count())
	}

	e, fields := newEvent("CandidateRegistered", 1, t0)
	delete(fields, "CandidateId")
	res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil || res.Objects["candidate"] != nil || api.count() != 1 {
		t.Errorf("no id: %v, %v, calls %d", res.Objects, err, api.count())
	}
}

func TestEmptySearchIsGone(t *testing.T) {
	clk := newClock()
	srv := newRawServer(t, 200, "", `{"Items":[],"Total":0,"Skip":0,"Take":25}`)
	f := newFetcher(t, &fakeAPI{Server: srv}, clk, newMemStore())
	e, fields := newEvent("CandidateRegistered", 5, t0)
	res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil || res.Objects["candidate"] != nil {
		t.Fatalf("candidate = %v, err %v; want nil", res.Objects["candidate"], err)
	}
}

func TestIDsAreEscapedAndTheKeyIsSent(t *testing.T) {
	clk := newClock()
	api := newFakeAPI(t, clk)
	f := newFetcher(t, api, clk, newMemStore())
	e, fields := newEvent("CandidateRegistered", 1, t0)
	fields["CandidateId"] = "7&posid=9"
	if _, err := f.Fetch(ctx, e, fields, []string{"candidate"}); err != nil {
		t.Fatal(err)
	}
	calls := api.callLog()
	if len(calls) != 1 || calls[0].ID != "7&posid=9" || calls[0].Key != testKey {
		t.Errorf("calls = %+v, want one with canid %q and the api key", calls, "7&posid=9")
	}
}

func TestEraseForgetsCopies(t *testing.T) {
	clk := newClock()
	api := newFakeAPI(t, clk)
	st := newMemStore()
	f := newFetcher(t, api, clk, st)
	e, fields := newEvent("CandidateRegistered", 1, t0)
	if _, err := f.Fetch(ctx, e, fields, []string{"candidate"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Erase(ctx, "candidate", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Snapshot(ctx, "candidate", "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("store still has the copy: %v", err)
	}
	if _, err := f.Fetch(ctx, e, fields, []string{"candidate"}); err != nil || api.count() != 2 {
		t.Errorf("after erase: calls %d, err %v; want a new call", api.count(), err)
	}
}

// TestEraseOnAnotherNode: with a shared store, a copy in one node's
// memory is not served after another node erased the object.
func TestEraseOnAnotherNode(t *testing.T) {
	clk := newClock()
	api := newFakeAPI(t, clk)
	st := newMemStore()
	shared := func(o *Options) { o.Shared = true }
	a, b := newFetcher(t, api, clk, st, shared), newFetcher(t, api, clk, st, shared)
	e, fields := newEvent("CandidateRegistered", 1, t0)
	if _, err := b.Fetch(ctx, e, fields, []string{"candidate"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Erase(ctx, "candidate", "1"); err != nil {
		t.Fatal(err)
	}
	res, err := b.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil || api.count() != 2 || len(res.Fetched) != 1 {
		t.Errorf("node b after node a erased: calls %d, fetched %v, err %v; want its memory copy unused and a new call",
			api.count(), res.Fetched, err)
	}
}

func TestUnknownObject(t *testing.T) {
	clk := newClock()
	f := newFetcher(t, newFakeAPI(t, clk), clk, newMemStore())
	e, fields := newEvent("CandidateRegistered", 1, t0)
	if _, err := f.Fetch(ctx, e, fields, []string{"candiate"}); err == nil || !strings.Contains(err.Error(), `"candiate"`) {
		t.Errorf("err = %v", err)
	}
}

func TestRealClockPrecisionNeedsOneCall(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		clk := newClock()
		clk.Set(t0.Add(123456789 * time.Nanosecond))
		api := newFakeAPI(t, clk)
		f := newFetcher(t, api, clk, openStore(t, kind))
		e, fields := newEvent("CandidateUpdated", 1, clk.Now())
		for i := range 2 {
			res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
			if err != nil || !res.Wait.IsZero() || res.Objects["candidate"] == nil {
				t.Fatalf("fetch %d: wait %v, err %v", i, res.Wait, err)
			}
			if res.Previous["candidate"] != nil {
				t.Errorf("fetch %d: previous = %v, want nil (first copy, fetched for this event)", i, res.Previous["candidate"])
			}
		}
		if api.count() != 1 {
			t.Errorf("calls = %d, want 1", api.count())
		}
	})
}

// TestRefusedKeyWaits: 401/403 mean the api_key is wrong for every call;
// events wait (a quarter of an hour at a time) instead of failing, and the
// key stays out of the reason.
func TestRefusedKeyWaits(t *testing.T) {
	clk := newClock()
	srv := newRawServer(t, http.StatusUnauthorized, "", "bad apikey "+testKey)
	f := newFetcher(t, &fakeAPI{Server: srv}, clk, newMemStore())
	e, fields := newEvent("CandidateRegistered", 1, t0)
	res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
	if err != nil || !res.Wait.Equal(t0.Add(15*time.Minute)) || !strings.Contains(res.Reason, "401") {
		t.Fatalf("wait %v reason %q err %v, want a 15 min wait naming 401", res.Wait, res.Reason, err)
	}
	if strings.Contains(res.Reason, testKey) {
		t.Errorf("reason shows the API key: %q", res.Reason)
	}
}
