package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/engine"
	"github.com/hirewire/hirewire/engine/config"
)

// TestCheckObjectsPointsAtTheSetting: a broken id expression and a broken
// get template are both reported, each at its line:col in hirewire.yaml,
// by the check that serve and `hirewire check` run.
func TestCheckObjectsPointsAtTheSetting(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hirewire.yaml")
	src := `sources:
  hrmanager:
    secret: s3cret
    api: {fixtures: ./fixtures}
    objects:
      candidate:
        id: event.CandidateId +
        get: "Candidates/json/?canid={{ id }}"
      position:
        id: event.ProjectId
        get: "Positions/json/?posid={{ id "
`
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	err = engine.CheckObjects(cfg)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{p + ":7:9: sources.hrmanager.objects.candidate.id: ", p + ":11:9: sources.hrmanager.objects.position.get: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}
