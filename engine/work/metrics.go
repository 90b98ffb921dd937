package work

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the worker's Prometheus collectors.
type Metrics struct {
	EventsProcessed *prometheus.CounterVec
	EventsWaiting   prometheus.Counter
	RulesMatched    *prometheus.CounterVec
	RuleErrors      prometheus.Counter
	Attempts        *prometheus.CounterVec
	DeadDeliveries  prometheus.Counter
	Postponed       prometheus.Counter
	InFlight        *prometheus.GaugeVec
}

// NewMetrics makes the collectors and registers them with reg (nil: not
// registered, e.g. in tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		EventsProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hirewire_events_processed_total",
			Help: "Events whose rules were evaluated, by status (processed, failed)."}, []string{"status"}),
		EventsWaiting: prometheus.NewCounter(prometheus.CounterOpts{Name: "hirewire_events_deferred_for_api_total",
			Help: "Times an event was put to wait for the HR Manager API budget."}),
		RulesMatched: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hirewire_rule_matches_total",
			Help: "Events matched, by rule."}, []string{"rule"}),
		RuleErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "hirewire_rule_errors_total",
			Help: "Conditions (a rule's or an action's when) that failed to evaluate."}),
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hirewire_delivery_attempts_total",
			Help: "Delivery attempts by action kind and outcome (delivered, retry, permanent)."}, []string{"kind", "outcome"}),
		DeadDeliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "hirewire_deliveries_dead_total",
			Help: "Deliveries that became dead; each needs a person (see /api/deliveries?status=dead)."}),
		Postponed: prometheus.NewCounter(prometheus.CounterOpts{Name: "hirewire_deliveries_postponed_total",
			Help: "Deliveries put back unsent because their destination already had its share of delivery slots."}),
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hirewire_destination_sends_in_flight",
			Help: "Deliveries being sent, by destination (origin or SMTP server); at its share of the slots for long, the destination is slow and its other deliveries wait."},
			[]string{"destination"}),
	}
	if reg != nil {
		reg.MustRegister(m.EventsProcessed, m.EventsWaiting, m.RulesMatched, m.RuleErrors, m.Attempts, m.DeadDeliveries, m.Postponed, m.InFlight)
	}
	return m
}
