package rules_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/rules"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestCurrentReload(t *testing.T) {
	var src []byte
	var loadErr error
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cur := rules.NewCurrent(func() (*rules.Set, error) {
		if loadErr != nil {
			return nil, loadErr
		}
		return rules.Parse("rules.yaml", src, opts())
	}, func() time.Time { return clock })

	if cur.Load() != nil {
		t.Fatal("a new Current has a Set")
	}
	src = version("v1")
	first, err := cur.Reload()
	if err != nil || first == nil || cur.Load() != first {
		t.Fatalf("first Reload = %v, %v", first, err)
	}
	st := cur.State()
	if !st.OK || !st.Changed || st.Version != first.Version || st.Rules != 1 || !st.LastReload.Equal(clock) {
		t.Errorf("state after first load = %+v", st)
	}

	clock = clock.Add(time.Minute)
	same, err := cur.Reload()
	if err != nil || same != first || cur.State().Changed {
		t.Errorf("Reload of the same version swapped: %v, %v, %+v", same, err, cur.State())
	}

	loadErr = errors.New("rules.yaml:3:5: unknown key")
	kept, err := cur.Reload()
	st = cur.State()
	if err == nil || kept != first || cur.Load() != first {
		t.Errorf("a failed Reload did not keep the old Set: %v, %v", kept, err)
	}
	if st.OK || st.LastError != loadErr.Error() || st.Failures != 1 || st.Reloads != 3 || st.Version != first.Version {
		t.Errorf("state after a failure = %+v", st)
	}

	loadErr, src = nil, version("v2")
	next, err := cur.Reload()
	st = cur.State()
	if err != nil || next == first || next.Rules[0].Name != "v2" || !st.OK || st.LastError != "" || st.Version != next.Version {
		t.Errorf("Reload of a new version: %v, %v, %+v", next, err, st)
	}
}
