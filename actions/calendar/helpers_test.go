package calendar_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/calendar"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// renderedAt is when the tests' invites are rendered, unless a test moves
// its clock.
var renderedAt = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

// load reads a JSON object from testdata as expressions see it.
func load(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := event.Decode(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// vars returns the variables of the SendCalendarInvite sample for Kari
// Nordmann; edit may change the event's fields first.
func vars(t *testing.T, edit func(ev map[string]any)) map[string]any {
	t.Helper()
	body, err := json.Marshal(load(t, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{ID: "01JEVENT", Type: "SendCalendarInvite", Body: body, ReceivedAt: renderedAt}
	fields, err := ev.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(fields)
	}
	return map[string]any{"event": fields, "candidate": load(t, "candidate.json"), "position": load(t, "position.json"), "previous": map[string]any{}}
}

// clockAt returns a clock that stands still at t.
func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// newKind returns a calendar kind whose clock stands at now.
func newKind(t *testing.T, cfg email.Config, now time.Time, opts ...email.Option) *calendar.Kind {
	t.Helper()
	k, err := calendar.New(cfg, append([]email.Option{email.WithClock(clockAt(now))}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

// compile compiles the YAML settings src with kind k.
func compile(t *testing.T, k actions.Kind, src string) (actions.Action, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(strings.TrimLeft(src, "\n")), &doc); err != nil {
		t.Fatal(err)
	}
	return k.Compile(doc.Content[0], tmpl.NewEnv("candidate", "position"))
}

func mustCompile(t *testing.T, k actions.Kind, src string) actions.Action {
	t.Helper()
	a, err := compile(t, k, src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return a
}

// render renders a and decodes its payload.
func render(t *testing.T, a actions.Action, vars map[string]any) (json.RawMessage, calendar.Payload) {
	t.Helper()
	raw, err := a.Render(vars)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var p calendar.Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return raw, p
}

// offline is an smtp section for tests that only render.
func offline() email.Config {
	return email.Config{Host: "smtp.example.com", From: "Recruiting <recruiting@example.com>"}
}
