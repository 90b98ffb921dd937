package outbound_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
)

func answer(code int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{
		StatusCode: code,
		Status:     http.StatusText(code),
		Header:     h,
		Body:       io.NopCloser(strings.NewReader(body)),
	}
}

func TestResult(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	date := now.Add(90 * time.Second).Format(http.TimeFormat)
	for _, c := range []struct {
		resp      *http.Response
		ok, perm  bool
		delay     time.Duration
		hasDelay  bool
		inMessage string
	}{
		{resp: answer(200, "ok"), ok: true, inMessage: "OK: ok"},
		{resp: answer(204, ""), ok: true, inMessage: "No Content"},
		{resp: answer(400, "invalid_payload"), perm: true, inMessage: "invalid_payload"},
		{resp: answer(404, ""), perm: true},
		{resp: answer(302, "", "Location", "/x"), perm: true},
		{resp: answer(408, "")},
		{resp: answer(500, "boom"), inMessage: "boom"},
		{resp: answer(503, "", "Retry-After", "120"), delay: 2 * time.Minute, hasDelay: true},
		{resp: answer(429, "", "Retry-After", date), delay: 90 * time.Second, hasDelay: true},
		{resp: answer(429, "", "Retry-After", "soon")},
		{resp: answer(429, "", "Retry-After", "99999999999"), delay: 24 * time.Hour, hasDelay: true},
	} {
		name := c.resp.Status
		detail, err := outbound.Result(c.resp, "peer", now)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		text := detail
		if err != nil {
			text = err.Error()
			if actions.IsPermanent(err) != c.perm {
				t.Errorf("%s: permanent = %v", name, !c.perm)
			}
			d, has := actions.RetryDelay(err)
			if has != c.hasDelay || d != c.delay {
				t.Errorf("%s: delay = %v %v, want %v %v", name, d, has, c.delay, c.hasDelay)
			}
		}
		if !strings.Contains(text, c.inMessage) {
			t.Errorf("%s: %q lacks %q", name, text, c.inMessage)
		}
	}
}

func TestSnippetIsShortAndOneLine(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	s := outbound.Snippet(strings.NewReader("a\n b\t" + long))
	if len(s) > outbound.SnippetSize || strings.ContainsAny(s, "\n\t") || !strings.HasPrefix(s, "a b é") {
		t.Errorf("snippet of %d bytes: %.40q", len(s), s)
	}
}
