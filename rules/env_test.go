package rules_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/rules"
)

// TestEnvValuesNeverChangeStructure puts values that are YAML syntax into
// an unquoted ${…} in a flow mapping: they must arrive as plain text.
func TestEnvValuesNeverChangeStructure(t *testing.T) {
	o := opts()
	o.LookupEnv = func(name string) (string, bool) {
		v, ok := map[string]string{"HOOK": "https://h.example/a#b}: c, d", "SHELL_LIKE": "$(whoami)"}[name]
		return v, ok
	}
	src := `
targets:
  chat: {slack: {webhook: ${HOOK}, username: "${SHELL_LIKE} ran $(date)"}}
rules:
  - name: r
    on: X
    actions:
      - slack: {target: chat, text: "${UNSET:-fallback} $${HOOK}"}
`
	set, err := rules.Parse("rules.yaml", []byte(src), o)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := set.Rules[0].Actions[0].Impl.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"webhook": "https://h.example/a#b}: c, d", "username": "$(whoami) ran $(date)", "text": "fallback ${HOOK}"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestEnvKeepsColumns checks that a problem after an unquoted ${…} on the
// same line is reported at its column in the file as written.
func TestEnvKeepsColumns(t *testing.T) {
	src := "rules:\n  - {name: r, on: X, actions: [{slack: {webhook: ${SLACK_TOKEN}, text: \"{{ nosuch }}\"}}]}\n"
	_, err := rules.Parse("rules.yaml", []byte(src), opts())
	col := strings.Index(strings.Split(src, "\n")[1], `"{{`) + 1
	want := `rules.yaml:2:` + strconv.Itoa(col) + `: rule "r": in {{ nosuch }}: unknown name nosuch`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestEnvExpansion(t *testing.T) {
	set := mustLoad(t, "testdata/globs.good.yaml")
	raw, err := set.Rule("0-literal-dollar").Actions[0].Impl.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `costs ${AMOUNT} and $5`) {
		t.Errorf("rendered %s, want $${ to stand for a literal ${", raw)
	}
	_, err = rules.Parse("r.yaml", []byte("targets:\n  x: {log: {message: \"${NOPE}\"}}\n"), opts())
	if err == nil || err.Error() != `r.yaml:2:22: environment variable NOPE is not set` {
		t.Errorf("got %v", err)
	}
}
