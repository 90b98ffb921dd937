package fetch

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metricValue returns the value of one sample of a gathered family.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

func TestMetricsCountCallsLookupsAndWaits(t *testing.T) {
	clk := newClock()
	api := newFakeAPI(t, clk)
	reg := prometheus.NewRegistry()
	f := newFetcher(t, api, clk, newMemStore(), func(o *Options) { o.Metrics = NewMetrics(reg); o.PerHour = 1 })

	e, fields := newEvent("CandidateRegistered", 1, t0)
	for range 2 {
		if _, err := f.Fetch(ctx, e, fields, []string{"candidate"}); err != nil {
			t.Fatal(err)
		}
	}
	api.setRespond(func(apiCall) (int, bool) { return http.StatusNoContent, true })
	clk.Add(time.Hour)
	e2, fields2 := newEvent("CandidateUpdated", 2, clk.Now())
	if res, err := f.Fetch(ctx, e2, fields2, []string{"candidate"}); err != nil || res.Wait.IsZero() {
		t.Fatalf("wait %v, err %v", res.Wait, err)
	}

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hirewire_api_calls_total", map[string]string{"method": "Candidates", "outcome": "ok"}, 1},
		{"hirewire_api_calls_total", map[string]string{"method": "Candidates", "outcome": "throttled"}, 1},
		{"hirewire_fetch_lookups_total", map[string]string{"object": "candidate", "result": "memory"}, 1},
		{"hirewire_fetch_lookups_total", map[string]string{"object": "candidate", "result": "miss"}, 2},
		{"hirewire_api_budget_remaining", map[string]string{"method": "Candidates", "window": "hour"}, 0},
		{"hirewire_fetch_waits_total", map[string]string{"object": "candidate"}, 1},
		{"hirewire_fetch_waiting_events", nil, 1},
	}
	for _, c := range checks {
		if got := metricValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
