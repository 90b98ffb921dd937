package fetch

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the fetcher's Prometheus collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	// Calls counts API calls by method and outcome (ok, gone, throttled,
	// retry, error).
	Calls *prometheus.CounterVec
	// Lookups counts cache lookups by object and result: memory or store
	// (a fresh enough copy was cached there), miss (a call was needed),
	// stale (max_wait passed, an old copy was used).
	Lookups *prometheus.CounterVec
	// Remaining is the budget left per method and window (hour, day) as
	// far as this node has spent it; 0 while the method is held back.
	Remaining *prometheus.GaugeVec
	// Waits counts the times an event had to wait for an object.
	Waits *prometheus.CounterVec
	// Waiting is the number of events that wait for the API now.
	Waiting prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg (which may
// be nil to leave them unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hirewire", Subsystem: "api", Name: "calls_total",
			Help: "HR Manager API calls by method and outcome.",
		}, []string{"method", "outcome"}),
		Lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hirewire", Subsystem: "fetch", Name: "lookups_total",
			Help: "Object lookups by object and where they were served from.",
		}, []string{"object", "result"}),
		Remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "hirewire", Subsystem: "api", Name: "budget_remaining",
			Help: "API calls left per method and window, as spent by this node.",
		}, []string{"method", "window"}),
		Waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hirewire", Subsystem: "fetch", Name: "waits_total",
			Help: "Times an event was deferred because an object could not be fetched yet.",
		}, []string{"object"}),
		Waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "hirewire", Subsystem: "fetch", Name: "waiting_events",
			Help: "Events that wait for the HR Manager API.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Calls, m.Lookups, m.Remaining, m.Waits, m.Waiting)
	}
	return m
}

func (m *Metrics) call(method, outcome string) {
	if m != nil {
		m.Calls.WithLabelValues(method, outcome).Inc()
	}
}

func (m *Metrics) lookup(object, result string) {
	if m != nil {
		m.Lookups.WithLabelValues(object, result).Inc()
	}
}

func (m *Metrics) remaining(method string, hour, day int) {
	if m != nil {
		m.Remaining.WithLabelValues(method, "hour").Set(float64(hour))
		m.Remaining.WithLabelValues(method, "day").Set(float64(day))
	}
}

func (m *Metrics) wait(object string) {
	if m != nil {
		m.Waits.WithLabelValues(object).Inc()
	}
}

func (m *Metrics) waiting(n int) {
	if m != nil {
		m.Waiting.Set(float64(n))
	}
}
