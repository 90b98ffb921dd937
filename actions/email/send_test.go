package email_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/actions/email/emailtest"
)

const hireMail = `
to: ["{{ candidate.FirstName }} {{ candidate.LastName }} <{{ candidate.Email }}>"]
cc: "{{ position.PositionLeader.Email }}"
bcc: [archive@example.com]
reply_to: hr@example.com
subject: "Velkommen, {{ candidate.FirstName }} – {{ position.Name }}"
text: "Hi {{ candidate.FirstName }},\nwelcome aboard."
html: "<p>Hi {{ candidate.FirstName }},</p><p>welcome aboard.</p>"
`

// send renders a with vars and sends it through k as delivery id.
func send(t *testing.T, k *email.Kind, a actions.Action, vars map[string]any, id string) error {
	t.Helper()
	payload, err := a.Render(vars)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	_, err = k.Send(context.Background(), actions.Message{ID: id, Payload: payload, Attempt: 1})
	return err
}

// only returns the single message the server received.
func only(t *testing.T, srv *emailtest.Server) (emailtest.Received, *mail.Message) {
	t.Helper()
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatalf("parsing message: %v\n%s", err, msgs[0].Data)
	}
	return msgs[0], m
}

func TestSendTextAndHTML(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{})
	k := newKind(t, srv.Config())
	a := mustCompile(t, k, hireMail)
	if err := send(t, k, a, vars(t, nil), "01JDELIVERY"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, m := only(t, srv)

	if got.From != "recruiting@example.com" {
		t.Errorf("MAIL FROM = %q", got.From)
	}
	want := []string{"kari.nordmann@example.com", "ola.hansen@example.com", "archive@example.com"}
	if !slices.Equal(got.To, want) {
		t.Errorf("RCPT TO = %q, want %q", got.To, want)
	}
	checkHeader(t, m.Header, "From", `"Recruiting" <recruiting@example.com>`)
	checkHeader(t, m.Header, "To", `"Kari Nordmann" <kari.nordmann@example.com>`)
	checkHeader(t, m.Header, "Cc", "<ola.hansen@example.com>")
	checkHeader(t, m.Header, "Reply-To", "<hr@example.com>")
	checkHeader(t, m.Header, "Message-Id", "<hirewire.01JDELIVERY@example.com>")
	if got, want := k.Destination(nil), fmt.Sprintf("smtp://%s:%d", srv.Host, srv.Port); got != want {
		t.Errorf("Destination = %q, want the server %q", got, want)
	}
	checkHeader(t, m.Header, "Bcc", "")
	if d, err := m.Header.Date(); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date = %v, %v; want %v", d, err, fixedNow)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != "Velkommen, Kari – Backend Developer" {
		t.Errorf("Subject = %q (%v)", subject, err)
	}
	if raw := m.Header.Get("Subject"); !isASCII(raw) {
		t.Errorf("raw Subject %q is not ASCII: non-ASCII must be encoded", raw)
	}
	parts := readAlternative(t, m)
	if parts["text/plain"] != "Hi Kari,\r\nwelcome aboard." {
		t.Errorf("text part = %q", parts["text/plain"])
	}
	if parts["text/html"] != "<p>Hi Kari,</p><p>welcome aboard.</p>" {
		t.Errorf("html part = %q", parts["text/html"])
	}
}

func checkHeader(t *testing.T, h mail.Header, key, want string) {
	t.Helper()
	if got := h.Get(key); got != want {
		t.Errorf("%s = %q, want %q", key, got, want)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// readAlternative returns the bodies of a multipart/alternative message by
// media type (quoted-printable decoded by the reader).
func readAlternative(t *testing.T, m *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", m.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading part: %v", err)
		}
		ct, ps, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ps["charset"] != "UTF-8" {
			t.Errorf("%s charset = %q", ct, ps["charset"])
		}
		b, _ := io.ReadAll(p)
		out[ct] = string(b)
	}
}

func TestHeaderInjectionThroughEventData(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{})
	k := newKind(t, srv.Config())
	a := mustCompile(t, k, `
to: ["{{ candidate.Email }}"]
subject: "Welcome {{ candidate.FirstName }}"
text: "Hello {{ candidate.FirstName }}"
`)
	evil := func(c map[string]any) { c["FirstName"] = "x\r\nBcc: evil@example.com" }
	if err := send(t, k, a, vars(t, evil), "01JINJECT"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, m := only(t, srv)
	if len(m.Header["Bcc"]) != 0 {
		t.Errorf("injected a Bcc header: %q", m.Header["Bcc"])
	}
	if slices.Contains(got.To, "evil@example.com") {
		t.Errorf("injected a recipient: %q", got.To)
	}
	if s := m.Header.Get("Subject"); s != "Welcome x Bcc: evil@example.com" {
		t.Errorf("Subject = %q", s)
	}
	checkHeader(t, m.Header, "To", "<kari.nordmann@example.com>")
	head, _, _ := strings.Cut(string(got.Data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Errorf("message has a line %q", line)
		}
	}
}

func TestLineBreaksInDisplayNames(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{})
	k := newKind(t, srv.Config())
	a := mustCompile(t, k, "to: \"{{ candidate.FirstName }} <{{ candidate.Email }}>\"\nsubject: s\ntext: t\n")

	// A line break alone becomes a space.
	if err := send(t, k, a, vars(t, func(c map[string]any) { c["FirstName"] = "Kari\r\nNordmann" }), "01JNAME"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	_, m := only(t, srv)
	checkHeader(t, m.Header, "To", `"Kari Nordmann" <kari.nordmann@example.com>`)

	// A would-be header makes the address invalid: nothing is sent.
	_, err := a.Render(vars(t, func(c map[string]any) { c["FirstName"] = "x\r\nBcc: evil@example.com" }))
	if err == nil || !strings.Contains(err.Error(), "not a valid email address") {
		t.Errorf("Render = %v, want an invalid address error", err)
	}
}

func TestBccOnlyGetsUndisclosedRecipients(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{})
	k := newKind(t, srv.Config())
	a := mustCompile(t, k, "bcc: [\"{{ candidate.Email }}\", audit@example.com]\nsubject: s\nhtml: <b>hi</b>\n")
	if err := send(t, k, a, vars(t, nil), "01JBCC"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, m := only(t, srv)
	if !slices.Equal(got.To, []string{"kari.nordmann@example.com", "audit@example.com"}) {
		t.Errorf("RCPT TO = %q", got.To)
	}
	checkHeader(t, m.Header, "Bcc", "")
	checkHeader(t, m.Header, "To", "undisclosed-recipients:;")
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html only", ct)
	}
}

func TestRenderedPayload(t *testing.T) {
	k := newKind(t, email.Config{Host: "smtp.example.com", From: "recruiting@example.com"})
	a := mustCompile(t, k, hireMail)
	raw, err := a.Render(vars(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	var p email.Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	want := email.Payload{
		Date: fixedNow, From: "<recruiting@example.com>",
		To: []string{`"Kari Nordmann" <kari.nordmann@example.com>`}, Cc: []string{"<ola.hansen@example.com>"},
		Bcc: []string{"<archive@example.com>"}, ReplyTo: []string{"<hr@example.com>"},
		Subject: "Velkommen, Kari – Backend Developer",
		Text:    "Hi Kari,\nwelcome aboard.", HTML: "<p>Hi Kari,</p><p>welcome aboard.</p>",
	}
	if !p.Date.Equal(want.Date) || p.Date.IsZero() {
		t.Errorf("date = %v", p.Date)
	}
	p.Date = want.Date
	if g, w := mustJSON(t, p), mustJSON(t, want); g != w {
		t.Errorf("payload\n got %s\nwant %s", g, w)
	}
	if refs := a.Refs(); !slices.Equal(refs, []string{"candidate", "position"}) {
		t.Errorf("Refs = %q", refs)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
