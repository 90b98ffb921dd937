package admin

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/hirewire/hirewire/engine/store"
)

//go:embed ui.html
var uiSource string

var uiPage = template.Must(template.New("ui").Funcs(template.FuncMap{
	"pretty": func(raw json.RawMessage) string {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return string(raw)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
}).Parse(uiSource))

// uiData is what the page shows.
type uiData struct {
	Login  bool
	Rules  RulesStatus
	Events []*eventView
	Dead   []*deliveryView
	Event  *eventView
	Trace  *uiTrace
	Error  string
}

// uiTrace is the part of an event's trace the page lays out as a table;
// the rest is shown as JSON.
type uiTrace struct {
	RulesVersion string                     `json:"rules_version"`
	Objects      map[string]json.RawMessage `json:"objects"`
	Fetched      []string                   `json:"fetched"`
	Stale        []string                   `json:"stale"`
	Erased       []string                   `json:"erased"`
	Error        string                     `json:"error"`
	Rules        []struct {
		Rule, Verdict, Why string
		Saw                []struct{ Expr, Value string }
		Actions            []struct {
			Index        int
			Kind, Result string
			Delivery     string
		}
	} `json:"rules"`
}

// authUI shows the login form instead of 401 for the browser.
func (h *Handler) authUI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.authorized(r) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_ = uiPage.Execute(w, uiData{Login: true})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// login sets the token cookie from the login form.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("token")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(h.opts.Token)) != 1 {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_ = uiPage.Execute(w, uiData{Login: true, Error: "wrong token"})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *Handler) ui(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := uiData{Rules: h.opts.Rules()}
	secrets := h.opts.Secrets()
	if id := r.URL.Query().Get("event"); id != "" {
		rec, err := h.opts.Store.Event(ctx, id)
		if err != nil {
			d.Error = "event " + id + ": " + err.Error()
		} else {
			d.Event = viewEvent(rec, true, secrets)
			d.Trace = &uiTrace{}
			if json.Unmarshal(rec.Trace, d.Trace) != nil {
				d.Trace = nil
			}
		}
	}
	recs, err := h.opts.Store.Events(ctx, store.EventFilter{Limit: 50})
	if err != nil {
		d.Error = "listing events: " + err.Error()
	}
	for _, rec := range recs {
		d.Events = append(d.Events, viewEvent(rec, false, secrets))
	}
	dead, err := h.opts.Store.Deliveries(ctx, store.DeliveryDead, 50)
	if err != nil {
		d.Error = "listing dead deliveries: " + err.Error()
	}
	for _, dl := range dead {
		d.Dead = append(d.Dead, viewDelivery(dl, false, secrets))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	if err := uiPage.Execute(w, d); err != nil {
		h.opts.Logger.Error("rendering UI failed", "err", err)
	}
}
