package email_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// fixedNow is the clock of every test.
var fixedNow = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

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

// vars returns the variables of the CandidateHired sample event for Kari
// Nordmann; edit changes the candidate first.
func vars(t *testing.T, edit func(candidate map[string]any)) map[string]any {
	t.Helper()
	body, err := json.Marshal(load(t, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{ID: "01JEVENT", Type: "CandidateHired", Body: body, ReceivedAt: fixedNow}
	fields, err := ev.Fields()
	if err != nil {
		t.Fatal(err)
	}
	c := load(t, "candidate.json")
	if edit != nil {
		edit(c)
	}
	return map[string]any{"event": fields, "candidate": c, "position": load(t, "position.json"), "previous": map[string]any{}}
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

// mustCompile is compile that fails the test on error.
func mustCompile(t *testing.T, k actions.Kind, src string) actions.Action {
	t.Helper()
	a, err := compile(t, k, src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return a
}

// newKind returns an email kind for cfg with the test clock.
func newKind(t *testing.T, cfg email.Config, opts ...email.Option) *email.Kind {
	t.Helper()
	k, err := email.New(cfg, append([]email.Option{email.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}
