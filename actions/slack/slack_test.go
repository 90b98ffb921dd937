package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/actiontest"
	"github.com/hirewire/hirewire/actions/slack"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const secretPath = "/services/T0000/B0000/XXXXsecretXXXX"

func newKind() *slack.Kind {
	return slack.New(slack.Options{Now: func() time.Time { return now }})
}

const hireSpec = `
webhook: https://hooks.slack.com/services/T0000/B0000/XXXXsecretXXXX
text: "<https://hr.example.com/c/{{ candidate.Id }}|{{ candidate.FirstName }}> joins as {{ position.Name }} & more"
username: "{{ position.PositionLeader.FirstName }}"
icon_emoji: ":tada:"
blocks:
  - type: section
    text: {type: mrkdwn, text: "*{{ candidate.FirstName }} {{ candidate.LastName }}* starts {{ position.Details.StartDateTimeUtc }}"}
  - type: context
    elements:
      - {type: plain_text, text: "{{ candidate.FirstName }}"}
      - {type: plain_text, text: "{{ position.Id }}", emoji: true}
  - "{{ event.ExtraBlock }}"
`

// hireVars are the samples with markup in the values, which must be escaped.
func hireVars(t *testing.T) map[string]any {
	vars := actiontest.Vars(t, "CandidateHired")
	vars["candidate"].(map[string]any)["FirstName"] = "Kari <!channel> & Co"
	vars["event"].(map[string]any)["ExtraBlock"] = map[string]any{"type": "divider", "note": "<x>"}
	return vars
}

func TestRenderEscapesValuesNotTheRules(t *testing.T) {
	a := actiontest.Compile(t, newKind(), hireSpec)
	if got := strings.Join(a.Refs(), ","); got != "candidate,event,position" {
		t.Errorf("Refs = %s", got)
	}
	raw, err := a.Render(hireVars(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := newKind().Destination(raw); got != "https://hooks.slack.com" {
		t.Errorf("Destination = %q, want the webhook's origin without its secret path", got)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	actiontest.Golden(t, "hire.golden", pretty.Bytes())

	var p slack.Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	want := "<https://hr.example.com/c/987654|Kari &lt;!channel&gt; &amp; Co> joins as Backend Developer & more"
	if p.Message.Text != want {
		t.Errorf("text =\n %s\nwant\n %s", p.Message.Text, want)
	}
	blocks := p.Message.Blocks.([]any)
	lone := blocks[1].(map[string]any)["elements"].([]any)[0].(map[string]any)["text"]
	if lone != "Kari &lt;!channel&gt; &amp; Co" {
		t.Errorf("a lone {{ }} leaf was not escaped: %v", lone)
	}
	if id := blocks[1].(map[string]any)["elements"].([]any)[1].(map[string]any)["text"]; id != 143568.0 {
		t.Errorf("a lone number lost its type: %#v", id)
	}
	if extra := blocks[2].(map[string]any); extra["type"] != "divider" || extra["note"] != "&lt;x&gt;" {
		t.Errorf("a lone map block = %v", extra)
	}
}

func TestSendPostsTheMessage(t *testing.T) {
	srv := actiontest.NewServer(t)
	k := newKind()
	a := actiontest.Compile(t, k, "webhook: "+srv.URL+secretPath+"\ntext: 'hi {{ candidate.FirstName }}'\n")
	raw, err := a.Render(hireVars(t))
	if err != nil {
		t.Fatal(err)
	}
	detail, err := k.Send(context.Background(), actions.Message{ID: "d1", Payload: raw, Attempt: 1})
	if err != nil || detail != "200 OK: ok" {
		t.Fatalf("Send = %q, %v", detail, err)
	}
	req := srv.Last(t)
	var msg map[string]any
	if err := json.Unmarshal(req.Body, &msg); err != nil {
		t.Fatalf("body %q is not JSON: %v", req.Body, err)
	}
	if req.Method != "POST" || req.URI != secretPath || msg["text"] != "hi Kari &lt;!channel&gt; &amp; Co" || len(msg) != 1 {
		t.Errorf("request %s %s %v", req.Method, req.URI, msg)
	}
	if !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type = %q", req.Header.Get("Content-Type"))
	}
}

func TestSendSortsSlackAnswers(t *testing.T) {
	for _, c := range []struct {
		reply actiontest.Reply
		perm  bool
		delay time.Duration
	}{
		{reply: actiontest.Reply{Status: 429, Body: "rate_limited", Header: map[string]string{"Retry-After": "30"}}, delay: 30 * time.Second},
		{reply: actiontest.Reply{Status: 500, Body: "rollup_error"}},
		{reply: actiontest.Reply{Status: 400, Body: "invalid_payload"}, perm: true},
		{reply: actiontest.Reply{Status: 403, Body: "action_prohibited"}, perm: true},
		{reply: actiontest.Reply{Status: 404, Body: "channel_not_found"}, perm: true},
		{reply: actiontest.Reply{Status: 410, Body: "channel_is_archived"}, perm: true},
	} {
		srv := actiontest.NewServer(t, c.reply)
		k := newKind()
		raw, err := actiontest.Compile(t, k, "webhook: "+srv.URL+secretPath+"\ntext: hi\n").Render(nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.Send(context.Background(), actions.Message{ID: "d", Payload: raw})
		if err == nil {
			t.Errorf("%d: delivered", c.reply.Status)
			continue
		}
		if actions.IsPermanent(err) != c.perm {
			t.Errorf("%d: permanent = %v (%v)", c.reply.Status, !c.perm, err)
		}
		if d, _ := actions.RetryDelay(err); d != c.delay {
			t.Errorf("%d: delay = %v, want %v", c.reply.Status, d, c.delay)
		}
		if !strings.Contains(err.Error(), c.reply.Body) {
			t.Errorf("%d: error %q lost Slack's text", c.reply.Status, err)
		}
		if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "/…") {
			t.Errorf("%d: error %q is not redacted", c.reply.Status, err)
		}
	}
}

func TestSendNetworkErrorHidesTheWebhook(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	k := newKind()
	raw, err := actiontest.Compile(t, k, "webhook: "+closed.URL+secretPath+"\ntext: hi\n").Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.Send(context.Background(), actions.Message{ID: "d", Payload: raw})
	if err == nil || actions.IsPermanent(err) || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, want a retryable error without the secret", err)
	}
	_, err = k.Send(context.Background(), actions.Message{ID: "d", Payload: json.RawMessage(`{"webhook":"http://169.254.169.254` + secretPath + `","message":{"text":"x"}}`)})
	if !actions.IsPermanent(err) || strings.Contains(err.Error(), "secret") {
		t.Errorf("link-local: err = %v, want a permanent refusal without the secret", err)
	}
}

func TestCompileErrors(t *testing.T) {
	for src, want := range map[string][]string{
		"text: hi\n": {`1:1: missing required key "webhook"`},
		"webhook: https://hooks.slack.com/services/XXXXsecretXXXX\n":                            {"1:1: a slack action needs text or blocks"},
		"webhook: 'https://{{ event.Host }}/XXXXsecretXXXX'\ntext: hi\n":                        {"1:10: the scheme, host and port of a url must be fixed"},
		"webhook: ftp://hooks.slack.com/XXXXsecretXXXX\ntext: hi\n":                             {"1:10: url must start with http"},
		"webhook: https://hooks.slack.com/XXXXsecretXXXX\ntext: hi\nchanel: '#x'\n":             {`3:1: unknown key "chanel"`},
		"webhook: https://hooks.slack.com/XXXXsecretXXXX\nblocks: {type: divider}\n":            {"2:9: blocks must be a list"},
		"webhook: https://hooks.slack.com/XXXXsecretXXXX\nblocks: [{text: '{{ candidat }}'}]\n": {"2:17:", "unknown name candidat"},
	} {
		err := actiontest.CompileError(t, newKind(), src)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q:\n error %q\n lacks %q", src, err, w)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q leaks the webhook", err)
		}
	}
}
