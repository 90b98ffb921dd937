package engine_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReloadRefusesInvalidRules writes rules that do not load — a YAML
// syntax error, an unknown object, a condition that is not a bool — and
// checks for each that the old rules keep routing, the error is shown with
// its place in /api/rules, /metrics and POST /-/reload, and that fixing the
// file recovers without a restart.
func TestReloadRefusesInvalidRules(t *testing.T) {
	tr := startRouter(t, "", oneRule("rule-0"))
	p := newProber(tr)
	path := filepath.Join(tr.Dir, "rules.yaml")
	for i, c := range []struct{ name, rules, place, msg string }{
		{"yaml syntax", "rules:\n  - name: bad\n    on: CandidateHired\n    actions:\n      - log: {message: \"unclosed}\n",
			"rules.yaml:5:1: ", "yaml: found unexpected end of stream"},
		{"unknown object", strings.Replace(oneRule("bad"), "    actions:", "    when: candiate.FirstName == \"Ada\"\n    actions:", 1),
			"rules.yaml:4:11: ", `rule "bad": unknown name candiate`},
		{"not a bool", strings.Replace(oneRule("bad"), "    actions:", "    when: 1 + 1\n    actions:", 1),
			"rules.yaml:4:11: ", `rule "bad": expected bool, but got int`},
	} {
		old, fixed := "rule-"+strconv.Itoa(i), "rule-"+strconv.Itoa(i+1)
		t.Run(c.name, func(t *testing.T) {
			active := tr.rulesStatus(t).Version
			failures := tr.metric(t, "hirewire_rules_reload_failures_total")
			must(t, os.WriteFile(path, []byte(c.rules), 0o600))
			var st rulesStatus
			eventually(t, effectDeadline, "the watcher to refuse the rules", func() bool {
				st = tr.rulesStatus(t)
				return st.LastError != nil
			})
			checkRefused(t, tr, st, active, c.place+c.msg)
			if got := tr.metric(t, "hirewire_rules_reload_failures_total"); got <= failures {
				t.Errorf("hirewire_rules_reload_failures_total %v, want more than %v", got, failures)
			}
			if got := p.matchedBy(t); !slices.Equal(got, []string{old}) {
				t.Errorf("with refused rules: matched %v, want [%s]", got, old)
			}
			checkReloadAnswers422(t, tr, active, c.place+c.msg)

			must(t, os.WriteFile(path, []byte(oneRule(fixed)), 0o600))
			start := time.Now()
			took := p.waitMatch(t, fixed, path, start)
			t.Logf("%s: the fixed rules routed events %v after the fix", c.name, took.Round(time.Millisecond))
			if got := tr.metric(t, "hirewire_rules_last_reload_success"); got != 1 {
				t.Errorf("after the fix: hirewire_rules_last_reload_success %v, want 1", got)
			}
			if st := tr.rulesStatus(t); !st.OK || st.LastError != nil {
				t.Errorf("after the fix: /api/rules %+v, want a successful reload", st)
			}
		})
	}
}

// checkRefused checks that /api/rules and /metrics report the refusal and
// that the active version is unchanged.
func checkRefused(t *testing.T, tr *testRouter, st rulesStatus, active, want string) {
	t.Helper()
	if !strings.Contains(*st.LastError, want) {
		t.Errorf("/api/rules last_error %q, want it to contain %q", *st.LastError, want)
	}
	if st.OK || st.Version != active {
		t.Errorf("/api/rules %+v, want last_reload_success false and version %s", st, active)
	}
	if got := tr.metric(t, "hirewire_rules_last_reload_success"); got != 0 {
		t.Errorf("hirewire_rules_last_reload_success %v, want 0", got)
	}
	if got := tr.metric(t, "hirewire_rules_loaded"); got != 1 {
		t.Errorf("hirewire_rules_loaded %v, want the old rule still loaded", got)
	}
}

// checkReloadAnswers422 checks that POST /-/reload refuses the rules with
// every error and names the version that stays active.
func checkReloadAnswers422(t *testing.T, tr *testRouter, active, want string) {
	t.Helper()
	var ans struct {
		Error  string      `json:"error"`
		Active rulesStatus `json:"active"`
	}
	if code := tr.AdminDo(t, http.MethodPost, "/-/reload", &ans); code != http.StatusUnprocessableEntity {
		t.Fatalf("POST /-/reload: %d, want 422", code)
	}
	if !strings.Contains(ans.Error, want) {
		t.Errorf("POST /-/reload error %q, want it to contain %q", ans.Error, want)
	}
	if ans.Active.Version != active || ans.Active.OK {
		t.Errorf("POST /-/reload active %+v, want version %s, not ok", ans.Active, active)
	}
}
