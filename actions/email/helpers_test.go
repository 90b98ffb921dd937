package email_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/actiontest"
	"github.com/hirewire/hirewire/actions/email"
)

// fixedNow is the clock of every test.
var fixedNow = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// vars returns the variables of the CandidateHired sample event for Kari
// Nordmann; edit changes the candidate first.
func vars(t *testing.T, edit func(candidate map[string]any)) map[string]any {
	t.Helper()
	v := actiontest.Vars(t, "CandidateHired")
	if edit != nil {
		edit(v["candidate"].(map[string]any))
	}
	return v
}

// compile compiles the YAML settings src with kind k.
func compile(t *testing.T, k actions.Kind, src string) (actions.Action, error) {
	t.Helper()
	return k.Compile(actiontest.Node(t, strings.TrimLeft(src, "\n")), actiontest.Env())
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
