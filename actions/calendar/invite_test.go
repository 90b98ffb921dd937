package calendar_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/calendar"
	"github.com/hirewire/hirewire/actions/email/emailtest"
)

const interview = `
to: ["{{ candidate.FirstName }} {{ candidate.LastName }} <{{ candidate.Email }}>", "{{ position.PositionLeader.Email }}"]
organizer: "Ola Hansen <{{ position.PositionLeader.Email }}>"
summary: "Interview: {{ candidate.FirstName }} {{ candidate.LastName }}, {{ position.Name }}"
description: "Second round; bring your laptop.\nAsk for Ola at the desk."
location: "Oslo office, Storgata 1"
start: "{{ event.StartTime }}"
duration: 1h
`

// part is one leaf of a parsed MIME tree.
type part struct {
	mediaType string
	params    map[string]string
	header    map[string][]string
	body      []byte
}

// leaves walks a multipart body and returns its leaves in order, with the
// media type path of each ("multipart/mixed/multipart/alternative/text/plain").
func leaves(t *testing.T, contentType string, body io.Reader, path string) map[string]part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	out := map[string]part{}
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		ct := p.Header.Get("Content-Type")
		pmt, pparams, _ := mime.ParseMediaType(ct)
		key := path + mt + "/" + pmt
		if strings.HasPrefix(pmt, "multipart/") {
			for k, v := range leaves(t, ct, p, path+mt+"/") {
				out[k] = v
			}
			continue
		}
		data, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			if data, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(data), "\r\n", "")); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
		out[key] = part{mediaType: pmt, params: pparams, header: p.Header, body: data}
	}
}

func TestInviteIsIMIP(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{})
	k := newKind(t, srv.Config(), renderedAt)
	raw, p := render(t, mustCompile(t, k, interview), vars(t, nil))
	if _, err := k.Send(context.Background(), actions.Message{ID: "01JINVITE", Payload: raw, Attempt: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages", len(msgs))
	}
	if want := []string{"kari.nordmann@example.com", "ola.hansen@example.com"}; !slices.Equal(msgs[0].To, want) {
		t.Errorf("RCPT TO = %q, want %q", msgs[0].To, want)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Reply-To"); got != `"Ola Hansen" <ola.hansen@example.com>` {
		t.Errorf("Reply-To = %q", got)
	}
	parts := leaves(t, m.Header.Get("Content-Type"), m.Body, "")
	text, ok := parts["multipart/mixed/multipart/alternative/text/plain"]
	if !ok || !strings.Contains(string(text.body), "When: Tue 10 Mar 2026 08:00–09:00 UTC") {
		t.Errorf("text/plain part = %q (parts: %v)", text.body, keys(parts))
	}
	cal, ok := parts["multipart/mixed/multipart/alternative/text/calendar"]
	if !ok || cal.params["method"] != "REQUEST" || cal.params["charset"] != "UTF-8" {
		t.Fatalf("text/calendar part = %+v (parts: %v)", cal.params, keys(parts))
	}
	att, ok := parts["multipart/mixed/application/ics"]
	if !ok || att.params["name"] != "invite.ics" || !strings.Contains(att.header["Content-Disposition"][0], `filename=invite.ics`) {
		t.Fatalf("attachment = %+v", att.header)
	}
	if string(cal.body) != p.ICS || string(att.body) != p.ICS {
		t.Error("calendar part or attachment differ from the rendered .ics")
	}
	checkICS(t, cal.body, p)
}

func keys(m map[string]part) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkICS parses the calendar with go-ical and checks every property the
// invite must carry.
func checkICS(t *testing.T, data []byte, p calendar.Payload) {
	t.Helper()
	c, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("parsing .ics: %v\n%s", err, data)
	}
	for name, want := range map[string]string{"METHOD": "REQUEST", "VERSION": "2.0", "PRODID": "-//hirewire//hirewire//EN"} {
		if got := c.Props.Get(name); got == nil || got.Value != want {
			t.Errorf("%s = %v, want %q", name, got, want)
		}
	}
	events := c.Events()
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	e := events[0]
	text := func(name string) string {
		prop := e.Props.Get(name)
		if prop == nil {
			t.Errorf("no %s", name)
			return ""
		}
		if s, err := prop.Text(); err == nil {
			return s
		}
		return prop.Value // not a TEXT property
	}
	checks := map[string]string{
		"UID": p.UID, "SEQUENCE": "194610600", "DTSTAMP": "20260302T103000Z",
		"DTSTART": "20260310T080000Z", "DTEND": "20260310T090000Z", "STATUS": "CONFIRMED",
		"SUMMARY":     "Interview: Kari Nordmann, Backend Developer",
		"DESCRIPTION": "Second round; bring your laptop.\nAsk for Ola at the desk.",
		"LOCATION":    "Oslo office, Storgata 1",
	}
	for name, want := range checks {
		if got := text(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if start, err := e.DateTimeStart(time.UTC); err != nil || !start.Equal(time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("DateTimeStart = %v, %v", start, err)
	}
	org := e.Props.Get("ORGANIZER")
	if org == nil || org.Value != "mailto:ola.hansen@example.com" || org.Params.Get("CN") != "Ola Hansen" {
		t.Errorf("ORGANIZER = %+v", org)
	}
	var attendees []string
	for _, a := range e.Props.Values("ATTENDEE") {
		if a.Params.Get("ROLE") != "REQ-PARTICIPANT" || a.Params.Get("PARTSTAT") != "NEEDS-ACTION" || a.Params.Get("RSVP") != "TRUE" {
			t.Errorf("ATTENDEE params = %v", a.Params)
		}
		attendees = append(attendees, a.Value)
	}
	if want := []string{"mailto:kari.nordmann@example.com", "mailto:ola.hansen@example.com"}; !slices.Equal(attendees, want) {
		t.Errorf("ATTENDEE = %q, want %q", attendees, want)
	}
}
