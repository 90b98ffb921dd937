package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReloadDebouncesABurstOfWrites writes the rules 50 times in a row, as
// a generator or a sync tool might: the router reloads only a few times,
// and the last content is what routes events.
func TestReloadDebouncesABurstOfWrites(t *testing.T) {
	tr := startRouter(t, "", oneRule("burst-0"))
	p := newProber(tr)
	path := filepath.Join(tr.Dir, "rules.yaml")
	reloads := tr.metric(t, "hirewire_rules_reloads_total")
	loaded := strings.Count(tr.Logs.String(), "rules loaded")
	const writes = 50
	for i := 1; i <= writes; i++ {
		must(t, os.WriteFile(path, []byte(oneRule(fmt.Sprintf("burst-%d", i))), 0o600))
		time.Sleep(2 * time.Millisecond) // far below the debounce, as a burst
	}
	start := time.Now()
	took := p.waitMatch(t, fmt.Sprintf("burst-%d", writes), path, start)
	t.Logf("the last of %d writes routed events %v after it", writes, took.Round(time.Millisecond))
	// Let a reload still due to the last writes' events run, so that it is
	// counted too.
	time.Sleep(600 * time.Millisecond)

	st := tr.rulesStatus(t)
	if want := fingerprint(t, path); st.Version != want || !st.OK || st.LastError != nil {
		t.Errorf("/api/rules %+v, want the last content (%s) loaded without error", st, want)
	}
	n := tr.metric(t, "hirewire_rules_reloads_total") - reloads
	swaps := strings.Count(tr.Logs.String(), "rules loaded") - loaded
	t.Logf("%d writes: %v reloads, %d of them changed the rules", writes, n, swaps)
	if n < 1 || n > 5 {
		t.Errorf("%d writes caused %v reloads, want 1 to 5", writes, n)
	}
	if swaps < 1 || swaps > 3 {
		t.Errorf("%d writes changed the rules in force %d times, want 1 to 3", writes, swaps)
	}
}
