package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/engine"
	"github.com/hirewire/hirewire/engine/config"
)

func TestExampleRuleTestsPass(t *testing.T) {
	cfg, err := config.Load("../examples/hirewire.yaml")
	must(t, err)
	var out strings.Builder
	failed, err := engine.RunRuleTests(cfg, []string{"../examples/rules_test.yaml"}, &out)
	if err != nil || failed != 0 {
		t.Fatalf("failed=%d err=%v\n%s", failed, err, out.String())
	}
	if n := strings.Count(out.String(), "PASS"); n < 5 {
		t.Errorf("%d tests passed, want the 5 examples:\n%s", n, out.String())
	}
}

// TestRuleTestFailureSaysWhy: a wrong expectation fails, and the output
// says which rule did not match and what its condition saw.
func TestRuleTestFailureSaysWhy(t *testing.T) {
	cfg, err := config.Load("../examples/hirewire.yaml")
	must(t, err)
	file := filepath.Join(t.TempDir(), "wrong_test.yaml")
	must(t, os.WriteFile(file, []byte(`tests:
  - name: sales hires are not engineering hires
    event: {EventType: CandidateHired, CandidateId: 987654, ProjectId: 143568}
    objects:
      position: {Name: Account Manager, Details: {CustomText1: Sales}}
    expect:
      matched: [announce-hire, audit-log]
  - name: wrong payload
    event: {EventType: CandidateHired, CandidateId: 987654, ProjectId: 143568}
    expect:
      actions:
        - {rule: announce-hire, index: 1, contains: {json: {firstName: Ola}}}
`), 0o600))
	var out strings.Builder
	failed, err := engine.RunRuleTests(cfg, []string{file}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FAIL  sales hires are not engineering hires",
		`rule announce-hire: not matched: when is false: position.Details.CustomText1 == "Engineering" (saw position.Details.CustomText1 = "Sales")`,
		"FAIL  wrong payload",
		`announce-hire action 1.json: firstName = "Kari", want "Ola"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if failed != 2 {
		t.Errorf("failed = %d, want 2", failed)
	}
}
