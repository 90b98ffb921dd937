package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirewire/hirewire/engine/admin"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

const token = "admintoken-123"

type fixture struct {
	srv       *httptest.Server
	st        store.Store
	eventID   string
	reloadErr error
}

// newFixture serves the admin API over a real SQLite store holding one
// processed event with a dead delivery whose payload carries a secret.
func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	e := &event.Event{ID: event.NewID(now), Source: "hrmanager", Type: "CandidateHired", Key: "CandidateId:1",
		Body: []byte(`{"Message":{"CandidateId":1,"EventType":"CandidateHired"}}`), DedupKey: "k", ReceivedAt: now, LastSeenAt: now}
	must(t, ignore2(st.Ingest(ctx, e, time.Minute, 0)))
	if _, err := st.ClaimEvents(ctx, "me", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	d := &store.Delivery{ID: e.ID + ".forward.0", EventID: e.ID, Rule: "forward", Kind: "http", Status: store.DeliveryDead,
		Payload:     []byte(`{"url":"https://hris.example.com/x","headers":{"Authorization":"Bearer hris-secret-token"},"body":"{}"}`),
		MaxAttempts: 3, Attempts: 1, LastError: "400 Bad Request", NextAt: now, CreatedAt: now, UpdatedAt: now}
	must(t, st.Complete(ctx, "me", e.ID, &store.Outcome{Status: store.StatusProcessed, RulesVersion: "v1",
		Trace: []byte(`{"rules":[{"rule":"forward","verdict":"matched","why":"when is true"}]}`), Deliveries: []*store.Delivery{d}, ProcessedAt: now}))
	f := &fixture{st: st, eventID: e.ID}
	msg := "rules.yaml:3:5: rule \"x\": unknown key \"wen\""
	h := admin.New(admin.Options{
		Token: token, Store: st, Registry: prometheus.NewRegistry(),
		Rules: func() admin.RulesStatus { return admin.RulesStatus{Version: "v1", Rules: 1, OK: true} },
		Reload: func() (admin.RulesStatus, error) {
			if f.reloadErr != nil {
				return admin.RulesStatus{Version: "v1", LastError: &msg}, f.reloadErr
			}
			return admin.RulesStatus{Version: "v2", OK: true}, nil
		},
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func ignore2(_ string, _ bool, err error) error { return err }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) do(t *testing.T, method, path, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTokenGuardsAllButHealth(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _ := f.do(t, "GET", p, ""); code != http.StatusOK {
			t.Errorf("%s without token: %d", p, code)
		}
	}
	for _, p := range []string{"/metrics", "/api/rules", "/api/events", "/api/events/" + f.eventID, "/api/deliveries"} {
		if code, _ := f.do(t, "GET", p, ""); code != http.StatusUnauthorized {
			t.Errorf("%s without token: %d, want 401", p, code)
		}
		if code, _ := f.do(t, "GET", p, "wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", p, code)
		}
		if code, body := f.do(t, "GET", p, token); code != http.StatusOK {
			t.Errorf("%s with token: %d %s", p, code, body)
		}
	}
	if code, _ := f.do(t, "POST", "/-/reload", ""); code != http.StatusUnauthorized {
		t.Errorf("reload without token: %d", code)
	}
}

func TestEventTraceRedactsSecrets(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "GET", "/api/events/"+f.eventID, token)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if strings.Contains(body, "hris-secret-token") {
		t.Errorf("the API shows a secret header:\n%s", body)
	}
	var ev struct {
		Matched    []string
		Deliveries []struct {
			ID, Status string
			Payload    map[string]any
		}
	}
	must(t, json.Unmarshal([]byte(body), &ev))
	if len(ev.Matched) != 1 || ev.Matched[0] != "forward" || len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "dead" {
		t.Fatalf("event = %s", body)
	}
	if ev.Deliveries[0].Payload["url"] != "https://hris.example.com/x" {
		t.Errorf("non-secret parts of the payload should stay: %v", ev.Deliveries[0].Payload)
	}
	if code, _ := f.do(t, "GET", "/api/events/nope", token); code != http.StatusNotFound {
		t.Errorf("unknown event: %d", code)
	}
}

func TestRetryAndReplay(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "GET", "/api/deliveries?status=dead", token)
	if code != http.StatusOK || !strings.Contains(body, f.eventID+".forward.0") {
		t.Fatalf("dead list: %d %s", code, body)
	}
	if code, body := f.do(t, "POST", "/api/deliveries/"+f.eventID+".forward.0/retry", token); code != http.StatusOK {
		t.Fatalf("retry: %d %s", code, body)
	}
	if _, body := f.do(t, "GET", "/api/deliveries?status=dead", token); strings.Contains(body, f.eventID) {
		t.Errorf("retried delivery still dead: %s", body)
	}
	code, body = f.do(t, "POST", "/api/events/"+f.eventID+"/replay", token)
	var ans map[string]string
	_ = json.Unmarshal([]byte(body), &ans)
	if code != http.StatusAccepted || ans["id"] == "" || ans["id"] == f.eventID {
		t.Fatalf("replay: %d %s", code, body)
	}
	if code, _ := f.do(t, "POST", "/api/deliveries/nope/retry", token); code != http.StatusNotFound {
		t.Errorf("retry of an unknown delivery: %d", code)
	}
	// It is pending now; retrying it again is a conflict that says why.
	if code, body := f.do(t, "POST", "/api/deliveries/"+f.eventID+".forward.0/retry", token); code != http.StatusOK {
		t.Errorf("retry of a pending delivery: %d %s", code, body)
	}
}

func TestReloadAnswers(t *testing.T) {
	f := newFixture(t)
	if code, body := f.do(t, "POST", "/-/reload", token); code != http.StatusOK || !strings.Contains(body, `"v2"`) {
		t.Errorf("good reload: %d %s", code, body)
	}
	f.reloadErr = errors.New(`rules.yaml:3:5: rule "x": unknown key "wen"`)
	code, body := f.do(t, "POST", "/-/reload", token)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "rules.yaml:3:5") || !strings.Contains(body, `"v1"`) {
		t.Errorf("failed reload: %d %s", code, body)
	}
}

func TestUILoginAndPage(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "GET", "/", "")
	if code != http.StatusUnauthorized || !strings.Contains(body, `name="token"`) {
		t.Fatalf("UI without token: %d", code)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(f.srv.URL+"/login", url.Values{"token": {token}})
	must(t, err)
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		cookie = c
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == nil || !cookie.HttpOnly {
		t.Fatalf("login: %d %v", resp.StatusCode, cookie)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/?event="+f.eventID, nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{f.eventID, "Why each rule did or did not fire", "Dead deliveries", "Retry"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(string(page), "hris-secret-token") {
		t.Error("the UI shows a secret")
	}
	resp, err = client.PostForm(f.srv.URL+"/login", url.Values{"token": {"wrong"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong login: %d", resp.StatusCode)
	}
}

func TestRedactHidesSecretsInURLs(t *testing.T) {
	in := []byte(`{"url":"https://hris.example.com/hook?token=t0psecret&id=7","other":"https://u:pw123@x.example.com/a","text":"hello"}`)
	out := string(admin.Redact(in, nil))
	for _, secret := range []string{"t0psecret", "pw123"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s still shown: %s", secret, out)
		}
	}
	if !strings.Contains(out, "id=7") || !strings.Contains(out, `"text":"hello"`) {
		t.Errorf("too much redacted: %s", out)
	}
}

// TestRedactCutsOutKnownSecretsAndKeyHeaders: a secret that came from the
// environment is cut out wherever it is (a URL's path, a body), and headers
// named like keys are hidden whatever their exact name.
func TestRedactCutsOutKnownSecretsAndKeyHeaders(t *testing.T) {
	in := []byte(`{"url":"https://outlook.example.com/webhookb2/TEAMS-SECRET-2222/x","body":"{\"api_token_value\":\"BODY-SECRET-5555\"}",` +
		`"headers":{"Ocp-Apim-Subscription-Key":"SUBKEY-1111","x-functions-key":"FN-3333","X-Position":"Backend Developer"}}`)
	out := string(admin.Redact(in, []string{"TEAMS-SECRET-2222", "BODY-SECRET-5555"}))
	for _, secret := range []string{"TEAMS-SECRET-2222", "BODY-SECRET-5555", "SUBKEY-1111", "FN-3333"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s still shown: %s", secret, out)
		}
	}
	for _, kept := range []string{"Backend Developer", "https://outlook.example.com/webhookb2/[redacted]/x", "api_token_value"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q was hidden too: %s", kept, out)
		}
	}
}

// TestOpenAdminOnlyForThisMachine: without a token the admin API answers
// requests that name a loopback host, but not a page that reaches it
// through another name (DNS rebinding) nor a browser sent by another site
// (CSRF).
func TestOpenAdminOnlyForThisMachine(t *testing.T) {
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(admin.New(admin.Options{Store: st, Registry: prometheus.NewRegistry(),
		Reload: func() (admin.RulesStatus, error) { return admin.RulesStatus{OK: true}, nil }}))
	defer srv.Close()
	for _, c := range []struct {
		method, host, origin string
		want                 int
	}{
		{"GET", "", "", http.StatusOK},
		{"GET", "localhost:8081", "", http.StatusOK},
		{"GET", "[::1]:8081", "", http.StatusOK},
		{"GET", "attacker.example:8081", "", http.StatusUnauthorized},
		{"POST", "", "http://127.0.0.1:8081", http.StatusOK},
		{"POST", "", "https://evil.example", http.StatusUnauthorized},
		{"POST", "", "null", http.StatusUnauthorized},
	} {
		path := "/api/events"
		if c.method == "POST" {
			path = "/-/reload"
		}
		req, _ := http.NewRequest(c.method, srv.URL+path, nil)
		if c.host != "" {
			req.Host = c.host
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s Host %q Origin %q: %d, want %d", c.method, path, c.host, c.origin, resp.StatusCode, c.want)
		}
	}
}
