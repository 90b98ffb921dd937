package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPollFallback checks the periodic re-check on its own, as if every
// event had been missed.
func TestPollFallback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte("rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fp, err := Fingerprint(path)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	w, err := NewWatcher(path, func() error { calls++; return nil }, WatchOptions{Version: fp})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.poll()
	if calls != 0 {
		t.Fatalf("poll without a change reloaded %d times", calls)
	}
	if err := os.WriteFile(path, []byte("rules: []\n# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.poll()
	w.poll()
	if calls != 1 {
		t.Errorf("poll after one change reloaded %d times, want 1", calls)
	}
}
