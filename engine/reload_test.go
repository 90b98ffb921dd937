package engine_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/rules"
)

// effectDeadline is how long a test waits for a rules change to show in
// routed events. SPEC asks for 2 s; the deadline leaves room for a busy
// machine, and the measured time is logged.
const effectDeadline = 5 * time.Second

// oneRule is rules.yaml with a single rule named name on CandidateHired.
func oneRule(name string) string {
	return fmt.Sprintf(`rules:
  - name: %s
    on: CandidateHired
    actions:
      - log: {message: "hired {{ event.CandidateId }}"}
`, name)
}

// prober posts CandidateHired events, each about a new candidate so that
// none is a duplicate of another.
type prober struct {
	tr   *testRouter
	next int
}

func newProber(tr *testRouter) *prober { return &prober{tr: tr, next: 100000} }

// hire posts one event and returns the admin API's view of it once
// processed.
func (p *prober) hire(t *testing.T) map[string]any {
	t.Helper()
	p.next++
	code, ans := p.tr.Post(t, map[string]any{"EventType": "CandidateHired", "CandidateId": p.next, "ProjectId": 143568})
	if code != http.StatusAccepted {
		t.Fatalf("posting a hire: %d %v", code, ans)
	}
	return p.tr.WaitStatus(t, ans["id"].(string), "processed")
}

// matchedBy posts one event and returns the rules that matched it.
func (p *prober) matchedBy(t *testing.T) []string {
	t.Helper()
	return names(p.hire(t)["matched"])
}

// waitMatch posts events until one is matched by rule alone, and returns
// how long after since that event was posted. The event must record the
// rules version in force, which must be that of the rules at path.
func (p *prober) waitMatch(t *testing.T, rule, path string, since time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(effectDeadline)
	for {
		posted := time.Now()
		ev := p.hire(t)
		if got := names(ev["matched"]); slices.Equal(got, []string{rule}) {
			if want := fingerprint(t, path); ev["rules_version"] != want {
				t.Errorf("event %s: rules_version %v, want %s", ev["id"], ev["rules_version"], want)
			}
			return posted.Sub(since)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event matched %q within %v of the change; last matched %v\n%s",
				rule, effectDeadline, ev["matched"], p.tr.Logs)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func names(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func fingerprint(t *testing.T, path string) string {
	t.Helper()
	v, err := rules.Fingerprint(path)
	must(t, err)
	return v
}

// rulesStatus is GET /api/rules.
type rulesStatus struct {
	Version   string  `json:"version"`
	Rules     int     `json:"rules"`
	LastError *string `json:"last_error"`
	OK        bool    `json:"last_reload_success"`
}

func (tr *testRouter) rulesStatus(t *testing.T) rulesStatus {
	t.Helper()
	var st rulesStatus
	if code := tr.AdminDo(t, http.MethodGet, "/api/rules", &st); code != http.StatusOK {
		t.Fatalf("GET /api/rules: %d", code)
	}
	return st
}

// metric reads one unlabelled sample from /metrics.
func (tr *testRouter) metric(t *testing.T, name string) float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, tr.Admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer admintoken")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			must(t, err)
			return f
		}
	}
	t.Fatalf("metric %s not in /metrics", name)
	return 0
}

// startRouterAt runs a router whose config points rules: at rel, a path
// inside dir that the caller has laid out.
func startRouterAt(t *testing.T, dir, rel string) *testRouter {
	t.Helper()
	cfg := strings.Replace(fmt.Sprintf(routerConfig, ""), "rules: ./rules.yaml", "rules: ./"+rel, 1)
	must(t, os.WriteFile(filepath.Join(dir, "hirewire.yaml"), []byte(cfg), 0o600))
	return startRouterIn(t, dir)
}

// editCase is one way a rules file gets replaced: layout writes the old
// rules and returns their path relative to dir; edit puts the new ones in
// place. The time until they take effect is measured from edit's return.
type editCase struct {
	name   string
	layout func(t *testing.T, dir, old string) string
	edit   func(t *testing.T, p *prober, dir, path, content string)
}

// TestReloadEveryWayAFileIsReplaced edits the rules of a running router in
// each way editors, deployments and people replace files, and checks that
// the next events are routed by the new rules.
func TestReloadEveryWayAFileIsReplaced(t *testing.T) {
	for _, c := range []editCase{
		{"in place", plainLayout, func(t *testing.T, _ *prober, _, path, content string) {
			must(t, os.WriteFile(path, []byte(content), 0o600))
		}},
		{"rename over", plainLayout, func(t *testing.T, _ *prober, dir, path, content string) {
			tmp := filepath.Join(dir, ".rules.yaml.swp")
			must(t, os.WriteFile(tmp, []byte(content), 0o600))
			must(t, os.Rename(tmp, path))
		}},
		{"kubernetes symlink swap", kubeLayout, kubeSwap},
		{"delete and re-create", plainLayout, deleteRecreate},
		{"git checkout", gitLayout, func(t *testing.T, _ *prober, dir, _, _ string) {
			git(t, filepath.Join(dir, "repo"), "checkout", "-q", "next")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			rel := c.layout(t, dir, oneRule("old-rule"))
			tr := startRouterAt(t, dir, rel)
			p := newProber(tr)
			if got := p.matchedBy(t); !slices.Equal(got, []string{"old-rule"}) {
				t.Fatalf("before the edit: matched %v, want [old-rule]", got)
			}
			path := filepath.Join(dir, rel)
			c.edit(t, p, dir, path, oneRule("new-rule"))
			start := time.Now()
			took := p.waitMatch(t, "new-rule", path, start)
			t.Logf("%s: the new rules routed events %v after the change", c.name, took.Round(time.Millisecond))
			if st := tr.rulesStatus(t); !st.OK || st.LastError != nil {
				t.Errorf("after the edit: /api/rules %+v, want a successful reload", st)
			}
		})
	}
}

func plainLayout(t *testing.T, dir, old string) string {
	must(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(old), 0o600))
	return "rules.yaml"
}

// kubeLayout lays the rules out as a mounted ConfigMap does: the file is a
// symlink through ..data, itself a symlink to a timestamped directory.
func kubeLayout(t *testing.T, dir, old string) string {
	cm := filepath.Join(dir, "config")
	must(t, os.MkdirAll(filepath.Join(cm, "..2024_05_02_10_00_00.000000001"), 0o755))
	must(t, os.WriteFile(filepath.Join(cm, "..2024_05_02_10_00_00.000000001", "rules.yaml"), []byte(old), 0o600))
	must(t, os.Symlink("..2024_05_02_10_00_00.000000001", filepath.Join(cm, "..data")))
	must(t, os.Symlink(filepath.Join("..data", "rules.yaml"), filepath.Join(cm, "rules.yaml")))
	return filepath.Join("config", "rules.yaml")
}

// kubeSwap updates the ConfigMap as the kubelet does: a new timestamped
// directory, a new ..data symlink renamed over the old one, the old
// directory removed.
func kubeSwap(t *testing.T, _ *prober, dir, _, content string) {
	cm := filepath.Join(dir, "config")
	ts := "..2024_05_02_10_05_00.000000002"
	must(t, os.MkdirAll(filepath.Join(cm, ts), 0o755))
	must(t, os.WriteFile(filepath.Join(cm, ts, "rules.yaml"), []byte(content), 0o600))
	must(t, os.Symlink(ts, filepath.Join(cm, "..data_tmp")))
	must(t, os.Rename(filepath.Join(cm, "..data_tmp"), filepath.Join(cm, "..data")))
	must(t, os.RemoveAll(filepath.Join(cm, "..2024_05_02_10_00_00.000000001")))
}

// deleteRecreate removes the rules, waits until the router has noticed
// (the old rules must keep routing meanwhile), then writes the new ones.
func deleteRecreate(t *testing.T, p *prober, _, path, content string) {
	must(t, os.Remove(path))
	eventually(t, effectDeadline, "the missing rules to be reported", func() bool {
		return p.tr.rulesStatus(t).LastError != nil
	})
	if got := p.matchedBy(t); !slices.Equal(got, []string{"old-rule"}) {
		t.Errorf("while the rules file is missing: matched %v, want [old-rule]", got)
	}
	must(t, os.WriteFile(path, []byte(content), 0o600))
}

// gitLayout makes a repository whose branch main has the old rules and
// branch next the new ones, with main checked out.
func gitLayout(t *testing.T, dir, old string) string {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := filepath.Join(dir, "repo")
	must(t, os.MkdirAll(repo, 0o755))
	git(t, repo, "init", "-q", "-b", "main")
	must(t, os.WriteFile(filepath.Join(repo, "rules.yaml"), []byte(old), 0o600))
	git(t, repo, "add", "rules.yaml")
	git(t, repo, "commit", "-q", "-m", "old rules")
	git(t, repo, "checkout", "-q", "-b", "next")
	must(t, os.WriteFile(filepath.Join(repo, "rules.yaml"), []byte(oneRule("new-rule")), 0o600))
	git(t, repo, "commit", "-q", "-a", "-m", "new rules")
	git(t, repo, "checkout", "-q", "main")
	return filepath.Join("repo", "rules.yaml")
}

// git runs git in repo, isolated from the user's and the system's config.
func git(t *testing.T, repo string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "core.hooksPath=" + os.DevNull}, args...)...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=hirewire", "GIT_AUTHOR_EMAIL=hirewire@example.com",
		"GIT_COMMITTER_NAME=hirewire", "GIT_COMMITTER_EMAIL=hirewire@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestReloadNowAppliesAnUnseenChange: Router.Reload (SIGHUP) and POST
// /-/reload apply a change at once, so the very next event is routed by it
// without waiting for the watcher.
func TestReloadNowAppliesAnUnseenChange(t *testing.T) {
	tr := startRouter(t, "", oneRule("old-rule"))
	p := newProber(tr)
	path := filepath.Join(tr.Dir, "rules.yaml")
	must(t, os.WriteFile(path, []byte(oneRule("sighup-rule")), 0o600))
	tr.Router.Reload()
	ev := p.hire(t)
	if got := names(ev["matched"]); !slices.Equal(got, []string{"sighup-rule"}) {
		t.Errorf("after Reload: matched %v, want [sighup-rule]", got)
	}
	if want := fingerprint(t, path); ev["rules_version"] != want {
		t.Errorf("after Reload: rules_version %v, want %s", ev["rules_version"], want)
	}

	must(t, os.WriteFile(path, []byte(oneRule("post-rule")), 0o600))
	var st rulesStatus
	if code := tr.AdminDo(t, http.MethodPost, "/-/reload", &st); code != http.StatusOK {
		t.Fatalf("POST /-/reload: %d %+v", code, st)
	}
	if want := fingerprint(t, path); st.Version != want || !st.OK || st.Rules != 1 {
		t.Errorf("POST /-/reload answered %+v, want version %s, ok, 1 rule", st, want)
	}
	if got := p.matchedBy(t); !slices.Equal(got, []string{"post-rule"}) {
		t.Errorf("after POST /-/reload: matched %v, want [post-rule]", got)
	}
}
