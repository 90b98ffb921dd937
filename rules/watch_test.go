package rules_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hirewire/hirewire/rules"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// version writes rules whose only rule is named after v.
func version(v string) []byte {
	return fmt.Appendf(nil, "rules:\n  - {name: %s, on: CandidateHired, actions: [{log: {message: hi}}]}\n", v)
}

// watched is a running Watcher over path with a Current behind it.
type watched struct {
	cur   *rules.Current
	calls atomic.Int32
}

// active names the rule of the active Set.
func (w *watched) active() string {
	if s := w.cur.Load(); s != nil && len(s.Rules) > 0 {
		return s.Rules[0].Name
	}
	return ""
}

// watch loads path, then watches it until the test ends.
func watch(t *testing.T, path string, o rules.WatchOptions) *watched {
	t.Helper()
	w := &watched{}
	w.cur = rules.NewCurrent(func() (*rules.Set, error) { return rules.Load(path, opts()) }, nil)
	if _, err := w.cur.Reload(); err != nil {
		t.Fatal(err)
	}
	if o.Poll == 0 {
		o.Poll = time.Hour // these tests must pass on events alone
	}
	o.Version = w.cur.State().Version
	wt, err := rules.NewWatcher(path, func() error {
		w.calls.Add(1)
		_, err := w.cur.Reload()
		return err
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- wt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w
}

// waitFor polls cond for up to 5s: long enough for a loaded machine, while
// the promise under test is 2s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func expectActive(t *testing.T, w *watched, want string) {
	t.Helper()
	waitFor(t, "rules "+want, func() bool { return w.active() == want })
}

func TestWatchInPlaceWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, path, version("v1"))
	w := watch(t, path, rules.WatchOptions{})
	write(t, path, version("v2"))
	expectActive(t, w, "v2")
}

func TestWatchRenameOver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write(t, path, version("v1"))
	w := watch(t, path, rules.WatchOptions{})
	tmp := filepath.Join(dir, ".rules.yaml.tmp")
	write(t, tmp, version("v2"))
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	expectActive(t, w, "v2")
}

// TestWatchConfigMap swaps a ConfigMap volume the way the kubelet does: a
// new timestamped directory, a `..data` symlink renamed over the old one.
func TestWatchConfigMap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustDo(t, os.Mkdir(filepath.Join(dir, "..2026_03_01_09_00_00.1"), 0o755))
	write(t, filepath.Join(dir, "..2026_03_01_09_00_00.1", "rules.yaml"), version("v1"))
	mustDo(t, os.Symlink("..2026_03_01_09_00_00.1", filepath.Join(dir, "..data")))
	path := filepath.Join(dir, "rules.yaml")
	mustDo(t, os.Symlink(filepath.Join("..data", "rules.yaml"), path))
	w := watch(t, path, rules.WatchOptions{})

	mustDo(t, os.Mkdir(filepath.Join(dir, "..2026_03_01_10_00_00.2"), 0o755))
	write(t, filepath.Join(dir, "..2026_03_01_10_00_00.2", "rules.yaml"), version("v2"))
	mustDo(t, os.Symlink("..2026_03_01_10_00_00.2", filepath.Join(dir, "..data_tmp")))
	mustDo(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	mustDo(t, os.RemoveAll(filepath.Join(dir, "..2026_03_01_09_00_00.1")))
	expectActive(t, w, "v2")
}

func TestWatchDeleteAndRecreate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, path, version("v1"))
	w := watch(t, path, rules.WatchOptions{})
	mustDo(t, os.Remove(path))
	waitFor(t, "a failed reload of the missing file", func() bool { return w.cur.State().LastError != "" })
	if w.active() != "v1" {
		t.Errorf("active = %q while the file is missing, want v1 kept", w.active())
	}
	write(t, path, version("v2"))
	expectActive(t, w, "v2")
	if st := w.cur.State(); !st.OK || st.LastError != "" {
		t.Errorf("state after recovery = %+v", st)
	}
}

func TestWatchGitCheckout(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("checkout", "-q", "-b", "one")
	write(t, path, version("v1"))
	git("add", "rules.yaml")
	git("commit", "-q", "-m", "v1")
	git("checkout", "-q", "-b", "two")
	write(t, path, version("v2"))
	git("commit", "-q", "-a", "-m", "v2")

	w := watch(t, path, rules.WatchOptions{})
	git("checkout", "-q", "one")
	expectActive(t, w, "v1")
	git("checkout", "-q", "two")
	expectActive(t, w, "v2")
}

// TestWatchDirectoryReplaced removes the rules directory and puts a new
// one in its place: the watch must follow.
func TestWatchDirectoryReplaced(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "rules.d")
	mustDo(t, os.Mkdir(dir, 0o755))
	write(t, filepath.Join(dir, "a.yaml"), version("v1"))
	w := watch(t, dir, rules.WatchOptions{})

	mustDo(t, os.RemoveAll(dir))
	next := filepath.Join(root, "rules.d.new")
	mustDo(t, os.Mkdir(next, 0o755))
	write(t, filepath.Join(next, "a.yaml"), version("v2"))
	mustDo(t, os.Rename(next, dir))
	expectActive(t, w, "v2")

	write(t, filepath.Join(dir, "a.yaml"), version("v3"))
	expectActive(t, w, "v3")
}

func TestWatchRapidWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, path, version("v0"))
	w := watch(t, path, rules.WatchOptions{})
	for i := 1; i <= 50; i++ {
		write(t, path, version(fmt.Sprintf("v%d", i)))
	}
	expectActive(t, w, "v50")
	// Let a trailing debounce run out before counting.
	time.Sleep(600 * time.Millisecond)
	n := w.calls.Load()
	if n < 1 || n > 5 {
		t.Errorf("50 rapid writes gave %d reloads, want a few", n)
	}
	t.Logf("50 rapid writes gave %d reloads", n)
	if w.active() != "v50" {
		t.Errorf("active = %q, want the last write", w.active())
	}
}

// TestWatchKeepsOldRulesOnError checks that a broken edit is recorded and
// not applied, and that the fix is.
func TestWatchKeepsOldRulesOnError(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, path, version("v1"))
	w := watch(t, path, rules.WatchOptions{})
	write(t, path, []byte("rules:\n  - {name: v2, on: X, wen: true}\n"))
	waitFor(t, "the error to be recorded", func() bool { return w.cur.State().LastError != "" })
	st := w.cur.State()
	if st.OK || w.active() != "v1" || st.Failures != 1 {
		t.Errorf("after a bad edit: active %q, state %+v", w.active(), st)
	}
	want := path + `:2:23: rule "v2": unknown key "wen" (did you mean "when"?)`
	if !contains(st.LastError, want) {
		t.Errorf("LastError = %q, want it to hold %q", st.LastError, want)
	}
	write(t, path, version("v3"))
	expectActive(t, w, "v3")
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
