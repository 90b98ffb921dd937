package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/actiontest"
	"github.com/hirewire/hirewire/actions/outbound"
	"github.com/hirewire/hirewire/actions/webhook"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newKind() *webhook.Kind {
	return webhook.New(webhook.Options{Now: func() time.Time { return now }})
}

const hireSpec = `
url: "https://hris.example.com/api/hires/{{ candidate.Id }}?source={{ event.Type }}"
headers: {Authorization: "Bearer s3cret-token", X-Position: "{{ position.Name }}"}
json:
  firstName: "{{ candidate.FirstName }}"
  positionId: "{{ event.ProjectId }}"
  hired: "{{ candidate.HiredDateTimeUtc }}"
  leader: "{{ position.PositionLeader.FirstName }} {{ position.PositionLeader.LastName }}"
  published: "{{ position.IsPublished }}"
  tags: [hire, "{{ position.Details.CustomText1 }}"]
  fixed: 3
`

func TestRenderHire(t *testing.T) {
	a := actiontest.Compile(t, newKind(), hireSpec)
	if got := strings.Join(a.Refs(), ","); got != "candidate,event,position" {
		t.Errorf("Refs = %s", got)
	}
	raw, err := a.Render(actiontest.Vars(t, "CandidateHired"))
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	actiontest.Golden(t, "hire.golden", pretty.Bytes())

	var p webhook.Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(p.Body), &body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if body["positionId"] != 143568.0 || body["published"] != true || body["firstName"] != "Kari" {
		t.Errorf("body = %v (a lone {{ }} must keep its type)", body)
	}
	if body["hired"] != "2018-04-10T09:49:11Z" {
		t.Errorf("hired = %v", body["hired"])
	}
	if p.Method != "POST" || p.Timeout != "15s" || p.Headers["Content-Type"] != "application/json" {
		t.Errorf("payload = %+v", p)
	}
	if got := newKind().Destination(raw); got != "https://hris.example.com" {
		t.Errorf("Destination = %q, want the origin of the rendered url", got)
	}
}

func TestSendCarriesIdempotencyKeyAndBody(t *testing.T) {
	srv := actiontest.NewServer(t, actiontest.Reply{Status: 201, Body: `{"id":"h-1"}`})
	k := newKind()
	a := actiontest.Compile(t, k, "url: "+srv.URL+"/hires/{{ event.Name }}?n={{ event.Name }}\nmethod: put\nbody: 'name={{ event.Name }}'\nheaders: {Content-Type: text/plain}\n")
	vars := map[string]any{"event": map[string]any{"Name": "../admin?x=1"}}
	raw, err := a.Render(vars)
	if err != nil {
		t.Fatal(err)
	}
	detail, err := k.Send(context.Background(), actions.Message{ID: "dlv-42", Payload: raw, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if detail != `201 Created: {"id":"h-1"}` {
		t.Errorf("detail = %q", detail)
	}
	req := srv.Last(t)
	if req.Method != "PUT" || req.Header.Get("Idempotency-Key") != "dlv-42" || req.Header.Get("User-Agent") != "hirewire" {
		t.Errorf("request = %s %v", req.Method, req.Header)
	}
	if req.Header.Get("Content-Type") != "text/plain" || string(req.Body) != "name=../admin?x=1" {
		t.Errorf("body %q as %s", req.Body, req.Header.Get("Content-Type"))
	}
	u, err := url.ParseRequestURI(req.URI)
	if err != nil {
		t.Fatal(err)
	}
	if u.EscapedPath() != "/hires/..%2Fadmin%3Fx=1" || len(u.Query()) != 1 || u.Query().Get("n") != "../admin?x=1" {
		t.Errorf("request URI = %s", req.URI)
	}
}

func TestSendSortsAnswers(t *testing.T) {
	for _, c := range []struct {
		reply    actiontest.Reply
		perm     bool
		minDelay time.Duration
	}{
		{reply: actiontest.Reply{Status: 500, Body: "boom"}},
		{reply: actiontest.Reply{Status: 408}},
		{reply: actiontest.Reply{Status: 400, Body: "bad field"}, perm: true},
		{reply: actiontest.Reply{Status: 301, Header: map[string]string{"Location": "http://169.254.169.254/"}}, perm: true},
		{reply: actiontest.Reply{Status: 429, Header: map[string]string{"Retry-After": "3"}}, minDelay: 3 * time.Second},
		{reply: actiontest.Reply{Status: 503, Header: map[string]string{"Retry-After": now.Add(time.Minute).Format(http.TimeFormat)}}, minDelay: time.Minute},
	} {
		srv := actiontest.NewServer(t, c.reply)
		k := newKind()
		a := actiontest.Compile(t, k, "url: "+srv.URL+"/x/secret-path\nheaders: {Authorization: Bearer s3cret-token}\nbody: hi\n")
		raw, err := a.Render(nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.Send(context.Background(), actions.Message{ID: "d", Payload: raw})
		if err == nil {
			t.Errorf("%d: delivered", c.reply.Status)
			continue
		}
		if actions.IsPermanent(err) != c.perm {
			t.Errorf("%d: permanent = %v, want %v (%v)", c.reply.Status, !c.perm, c.perm, err)
		}
		if d, _ := actions.RetryDelay(err); d < c.minDelay {
			t.Errorf("%d: retry delay %v < %v", c.reply.Status, d, c.minDelay)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "secret-path") {
			t.Errorf("%d: error %q leaks a secret", c.reply.Status, err)
		}
		if c.reply.Body != "" && !strings.Contains(err.Error(), c.reply.Body) {
			t.Errorf("%d: error %q lacks the answer %q", c.reply.Status, err, c.reply.Body)
		}
		if len(srv.Requests()) != 1 {
			t.Errorf("%d: %d requests, want 1 (no redirects)", c.reply.Status, len(srv.Requests()))
		}
	}
}

func TestSendRefusesLinkLocal(t *testing.T) {
	k := newKind()
	a := actiontest.Compile(t, k, "url: http://169.254.169.254/latest/meta-data\n")
	raw, err := a.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.Send(context.Background(), actions.Message{ID: "d", Payload: raw})
	if !errors.Is(err, outbound.ErrRefused) || !actions.IsPermanent(err) {
		t.Errorf("err = %v, want a permanent refusal", err)
	}
}

func TestSendNetworkErrorAndTimeoutRetry(t *testing.T) {
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer slow.Close()
	defer close(stop)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	k := newKind()
	for _, src := range []string{"url: " + slow.URL + "\ntimeout: 50ms\n", "url: " + closed.URL + "\n"} {
		raw, err := actiontest.Compile(t, k, src).Render(nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.Send(context.Background(), actions.Message{ID: "d", Payload: raw})
		if err == nil || actions.IsPermanent(err) {
			t.Errorf("%s: err = %v, want a retryable error", src, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for src, want := range map[string][]string{
		"url: 'https://{{ event.Host }}/x'\n":      {"1:6: the scheme, host and port of a url must be fixed"},
		"url: https://h.example.com\nmethd: GET\n": {`2:1: unknown key "methd" (did you mean "method"?)`},
		"method: GET\n": {`1:1: missing required key "url"`},
		"url: https://h.example.com\nbody: x\njson: {a: 1}\n":          {"3:7: use body or json, not both"},
		"url: https://h.example.com\nmethod: FETCH\ntimeout: 1y\n":     {`2:9: unknown method "FETCH"`, "3:10: expected a positive duration"},
		"url: https://h.example.com\nheaders: {Host: x, 'a b': y}\n":   {"2:11: header Host is set by hirewire", `2:20: "a b" is not a valid header name`},
		"url: https://h.example.com\njson: {a: '{{ candidat.Id }}'}\n": {"2:11:", "unknown name candidat"},
		"url: https://h.example.com\ntimeout: 1h\n":                    {"2:10: timeout 1h0m0s is longer than 5m0s"},
	} {
		err := actiontest.CompileError(t, newKind(), src)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q:\n error %q\n lacks %q", src, err, w)
			}
		}
	}
}

func TestRenderRefusesHeaderInjection(t *testing.T) {
	a := actiontest.Compile(t, newKind(), "url: https://h.example.com/\nheaders: {X-Name: '{{ event.Name }}'}\n")
	_, err := a.Render(map[string]any{"event": map[string]any{"Name": "a\r\nX-Evil: 1"}})
	if err == nil || strings.Contains(err.Error(), "Evil") {
		t.Errorf("err = %v", err)
	}
}
