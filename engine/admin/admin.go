// Package admin serves the admin listener: health, metrics, rules status
// and reload, the event and delivery API, and the web UI. Everything but
// the health endpoints needs the bearer admin token.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hirewire/hirewire/engine/store"
)

// RulesStatus is the state of the rules as /api/rules shows it.
type RulesStatus struct {
	Version    string    `json:"version"`
	LoadedAt   time.Time `json:"loaded_at"`
	Rules      int       `json:"rules"`
	Files      []string  `json:"files"`
	LastError  *string   `json:"last_error"`
	LastReload time.Time `json:"last_reload"`
	OK         bool      `json:"last_reload_success"`
}

// Options configure the admin handler.
type Options struct {
	Token    string
	Store    store.Store
	Registry *prometheus.Registry
	// Rules returns the current rules status.
	Rules func() RulesStatus
	// Reload reloads the rules now and returns the status after it and
	// the error, if the new rules were refused.
	Reload func() (RulesStatus, error)
	// Wake tells the worker that work is due (a retry, a replay).
	Wake func()
	// Secrets returns values to cut out of every payload shown: what
	// ${NAME} references put into the config and the rules. May be nil.
	Secrets func() []string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Handler is the admin listener's http.Handler.
type Handler struct {
	opts Options
	mux  *http.ServeMux
}

// New returns the admin handler.
func New(opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wake == nil {
		opts.Wake = func() {}
	}
	if opts.Secrets == nil {
		opts.Secrets = func() []string { return nil }
	}
	h := &Handler{opts: opts, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /readyz", h.readyz)
	h.mux.Handle("GET /metrics", h.auth(promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})))
	h.mux.Handle("POST /-/reload", h.auth(http.HandlerFunc(h.reload)))
	h.mux.Handle("GET /api/rules", h.auth(http.HandlerFunc(h.rules)))
	h.mux.Handle("GET /api/events", h.auth(http.HandlerFunc(h.events)))
	h.mux.Handle("GET /api/events/{id}", h.auth(http.HandlerFunc(h.event)))
	h.mux.Handle("POST /api/events/{id}/replay", h.auth(http.HandlerFunc(h.replay)))
	h.mux.Handle("GET /api/deliveries", h.auth(http.HandlerFunc(h.deliveries)))
	h.mux.Handle("POST /api/deliveries/{id}/retry", h.auth(http.HandlerFunc(h.retry)))
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.Handle("GET /{$}", h.authUI(http.HandlerFunc(h.ui)))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

const cookieName = "hirewire_token"

// authorized accepts the token as a bearer header or the UI's cookie.
// Without a token the admin API is open, but only to this machine: the
// request must name a loopback host, so that a web page cannot reach it
// through a DNS name that points at 127.0.0.1 (DNS rebinding), and a
// browser's Origin must be this machine too, so that another site cannot
// make the operator's browser replay or retry (CSRF).
func (h *Handler) authorized(r *http.Request) bool {
	if h.opts.Token == "" {
		origin := r.Header.Get("Origin")
		if u, err := url.Parse(origin); origin != "" && (err != nil || !loopbackHost(u.Host)) {
			return false
		}
		return loopbackHost(r.Host)
	}
	got := ""
	if v := r.Header.Get("Authorization"); len(v) > 7 && v[:7] == "Bearer " {
		got = v[7:]
	} else if c, err := r.Cookie(cookieName); err == nil {
		got = c.Value
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Token)) == 1
}

// loopbackHost reports whether a Host header names this machine:
// localhost or a loopback address, with or without a port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (h *Handler) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hirewire"`)
			writeError(w, http.StatusUnauthorized, "admin token required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store answers and rules are loaded.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := h.opts.Store.Stats(ctx); err != nil {
		writeError(w, http.StatusServiceUnavailable, "store not available")
		return
	}
	if h.opts.Rules().Version == "" {
		writeError(w, http.StatusServiceUnavailable, "no rules loaded")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (h *Handler) rules(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.opts.Rules())
}

// reload answers 200 with the new status, or 422 with every error and the
// version that stays active.
func (h *Handler) reload(w http.ResponseWriter, _ *http.Request) {
	st, err := h.opts.Reload()
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "active": st})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Handler) retry(w http.ResponseWriter, r *http.Request) {
	err := h.opts.Store.RetryDelivery(r.Context(), r.PathValue("id"))
	if h.storeError(w, err) {
		return
	}
	h.opts.Wake()
	writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "status": store.DeliveryPending})
}

func (h *Handler) replay(w http.ResponseWriter, r *http.Request) {
	id, err := h.opts.Store.Replay(r.Context(), r.PathValue("id"), h.opts.Now())
	if h.storeError(w, err) {
		return
	}
	h.opts.Wake()
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "replay_of": r.PathValue("id")})
}

// storeError answers for a failed store call and reports whether it did.
func (h *Handler) storeError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrNotRetryable):
		writeError(w, http.StatusConflict, err.Error())
	default:
		h.opts.Logger.Error("admin store call failed", "err", err)
		writeError(w, http.StatusInternalServerError, "store error")
	}
	return true
}

func limit(r *http.Request, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, 1000)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
