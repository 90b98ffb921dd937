package engine_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/engine"
	"github.com/hirewire/hirewire/engine/config"
)

// TestExamplesLoad: the example config and rules load as `hirewire check`
// would, and every rule shows up.
func TestExamplesLoad(t *testing.T) {
	cfg, err := config.Load("../examples/hirewire.yaml")
	must(t, err)
	n, err := engine.CheckRules(cfg, cfg.Rules)
	if err != nil {
		t.Fatalf("examples/rules.yaml: %v", err)
	}
	if n < 5 {
		t.Errorf("%d rules, want the 5 examples", n)
	}
}

// TestExamplesRouteEverySampleEvent runs the example config on its fixtures
// and posts every sample event: each is accepted and processed, the
// audit-log rule matches all of them, and the hire matches announce-hire.
func TestExamplesRouteEverySampleEvent(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"hirewire.yaml", "rules.yaml"} {
		data, err := os.ReadFile(filepath.Join("../examples", f))
		must(t, err)
		if f == "hirewire.yaml" {
			data = []byte(strings.NewReplacer(`"127.0.0.1:8080"`, `"127.0.0.1:0"`, `"127.0.0.1:8081"`, `"127.0.0.1:0"`,
				"fixtures: ./fixtures", "fixtures: "+mustAbs(t, "../examples/fixtures")).Replace(string(data)))
		}
		must(t, os.WriteFile(filepath.Join(dir, f), data, 0o600))
	}
	tr := startRouterIn(t, dir)
	files, err := filepath.Glob("../examples/events/*.json")
	must(t, err)
	if len(files) != 20 {
		t.Fatalf("%d sample events, want 20", len(files))
	}
	for _, f := range files {
		var body struct{ Message map[string]any }
		data, err := os.ReadFile(f)
		must(t, err)
		must(t, json.Unmarshal(data, &body))
		code, ans := tr.Post(t, body.Message)
		if code != http.StatusAccepted {
			t.Fatalf("%s: %d %v", f, code, ans)
		}
		ev := tr.WaitStatus(t, ans["id"].(string), "processed")
		matched, _ := ev["matched"].([]any)
		if !containsAny(matched, "audit-log") {
			t.Errorf("%s: audit-log did not match: %v", filepath.Base(f), ev["trace"])
		}
		if body.Message["EventType"] == "CandidateHired" && !containsAny(matched, "announce-hire") {
			t.Errorf("CandidateHired: announce-hire did not match: %v", ev["trace"])
		}
	}
}

func containsAny(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	must(t, err)
	return a
}
