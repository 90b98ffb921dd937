package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// eventView is an event as the API shows it.
type eventView struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Status       string          `json:"status"`
	Key          string          `json:"key,omitempty"`
	ReceivedAt   time.Time       `json:"received_at"`
	LastSeenAt   time.Time       `json:"last_seen_at"`
	NotBefore    *time.Time      `json:"not_before,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	RulesVersion string          `json:"rules_version,omitempty"`
	ProcessedAt  *time.Time      `json:"processed_at,omitempty"`
	Matched      []string        `json:"matched"`
	Payload      json.RawMessage `json:"payload,omitempty"`
	Trace        json.RawMessage `json:"trace,omitempty"`
	Deliveries   []*deliveryView `json:"deliveries,omitempty"`
}

type deliveryView struct {
	ID        string          `json:"id"`
	EventID   string          `json:"event_id"`
	Rule      string          `json:"rule"`
	Action    int             `json:"action"`
	Kind      string          `json:"kind"`
	Status    string          `json:"status"`
	Attempts  int             `json:"attempts"`
	Max       int             `json:"max_attempts"`
	NextAt    *time.Time      `json:"next_at,omitempty"`
	LastError string          `json:"last_error,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	History   []attemptView   `json:"attempts_log,omitempty"`
}

type attemptView struct {
	N        int       `json:"n"`
	At       time.Time `json:"at"`
	Duration string    `json:"duration"`
	OK       bool      `json:"ok"`
	Detail   string    `json:"detail"`
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	recs, err := h.opts.Store.Events(r.Context(), store.EventFilter{Type: q.Get("type"), Status: q.Get("status"), Limit: limit(r, 50)})
	if h.storeError(w, err) {
		return
	}
	out := make([]*eventView, 0, len(recs))
	secrets := h.opts.Secrets()
	for _, rec := range recs {
		out = append(out, viewEvent(rec, false, secrets))
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

func (h *Handler) event(w http.ResponseWriter, r *http.Request) {
	rec, err := h.opts.Store.Event(r.Context(), r.PathValue("id"))
	if h.storeError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, viewEvent(rec, true, h.opts.Secrets()))
}

func (h *Handler) deliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := h.opts.Store.Deliveries(r.Context(), r.URL.Query().Get("status"), limit(r, 100))
	if h.storeError(w, err) {
		return
	}
	out := make([]*deliveryView, 0, len(ds))
	secrets := h.opts.Secrets()
	for _, d := range ds {
		out = append(out, viewDelivery(d, false, secrets))
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

// viewEvent is what the API shows of an event; full adds its body, trace
// and deliveries with their payloads, less credentials and secrets.
func viewEvent(rec *store.EventRecord, full bool, secrets []string) *eventView {
	v := &eventView{
		ID: rec.ID, Type: rec.Type, Status: rec.Status, Key: rec.Key, ReceivedAt: rec.ReceivedAt,
		LastSeenAt: rec.LastSeenAt, Reason: rec.Reason, RulesVersion: rec.RulesVersion,
		NotBefore: optTime(rec.NotBefore), ProcessedAt: optTime(rec.ProcessedAt), Matched: matched(rec.Trace),
	}
	if rec.Status == store.StatusProcessed {
		v.NotBefore = nil
	}
	if full {
		v.Payload, v.Trace = rec.Body, rec.Trace
		for _, d := range rec.Deliveries {
			v.Deliveries = append(v.Deliveries, viewDelivery(d, true, secrets))
		}
	}
	return v
}

func viewDelivery(d *store.Delivery, full bool, secrets []string) *deliveryView {
	v := &deliveryView{ID: d.ID, EventID: d.EventID, Rule: d.Rule, Action: d.Action, Kind: d.Kind, Status: d.Status,
		Attempts: d.Attempts, Max: d.MaxAttempts, LastError: cut(d.LastError, secrets)}
	if d.Status == store.DeliveryPending {
		v.NextAt = optTime(d.NextAt)
	}
	if full {
		v.Payload = Redact(d.Payload, secrets)
		for _, a := range d.History {
			v.History = append(v.History, attemptView{N: a.N, At: a.At, Duration: a.Duration.String(), OK: a.OK, Detail: cut(a.Detail, secrets)})
		}
	}
	return v
}

// matched lists the rules a trace says matched.
func matched(trace json.RawMessage) []string {
	var t struct {
		Rules []struct{ Rule, Verdict string }
	}
	out := []string{}
	if json.Unmarshal(trace, &t) != nil {
		return out
	}
	for _, r := range t.Rules {
		if r.Verdict == "matched" {
			out = append(out, r.Rule)
		}
	}
	return out
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// secretKey matches payload keys whose values are credentials: header
// names such as Authorization, X-Api-Key or Ocp-Apim-Subscription-Key, a
// Slack webhook URL.
var secretKey = regexp.MustCompile(`(?i)auth|token|secret|passw|api[-_]?key|[-_]key$|cookie|session|credential|webhook|signature`)

// Redact returns a copy of a delivery payload with credentials replaced:
// values under secret-looking keys, passwords and secret-looking query
// parameters in URLs, and every occurrence of the given secrets (values
// taken from the environment), wherever they are: a URL's path, a body.
func Redact(payload json.RawMessage, secrets []string) json.RawMessage {
	var v any
	if json.Unmarshal(payload, &v) != nil {
		return payload
	}
	secrets = slices.Clone(secrets)
	// Longest first, so that a secret containing another is cut whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	b, err := json.Marshal(redactValue(v, false, secrets))
	if err != nil {
		return nil
	}
	return b
}

func redactValue(v any, secret bool, secrets []string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = redactValue(e, secret || secretKey.MatchString(k), secrets)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = redactValue(e, secret, secrets)
		}
		return x
	case string:
		if secret && x != "" {
			return "[redacted]"
		}
		return redactURL(cut(x, secrets))
	}
	return v
}

// cut replaces every secret in s (longest first, as given).
func cut(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// redactURL hides a URL's password and the values of secret-looking query
// parameters (?token=…, ?api_key=…); other strings are returned as they are.
func redactURL(s string) string {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
		changed = true
	}
	q := u.Query()
	for k := range q {
		if secretKey.MatchString(k) || strings.EqualFold(k, "key") || strings.EqualFold(k, "sig") {
			q.Set(k, "redacted")
			changed = true
		}
	}
	if !changed {
		return s
	}
	u.RawQuery = q.Encode()
	return u.String()
}
