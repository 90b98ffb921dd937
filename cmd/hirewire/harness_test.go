package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the hirewire binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hirewire-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hirewire")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building hirewire: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// node is a running `hirewire serve`.
type node struct {
	cfg     string // its hirewire.yaml
	cmd     *exec.Cmd
	webhook string // base URL of the webhook listener
	admin   string
	logs    *syncBuffer
	done    chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var startedRE = regexp.MustCompile(`msg="hirewire started".* webhook=(\S+) admin=(\S+)`)

// startNode runs `hirewire serve -config cfg` and waits until it listens.
func startNode(t *testing.T, cfg string) *node {
	t.Helper()
	cmd := exec.Command(binary, "serve", "-config", cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cfg: cfg, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			n.logs.Write([]byte(line + "\n"))
			if m := startedRE.FindStringSubmatch(line); m != nil {
				addrs <- m[1:]
			}
		}
		cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() { n.stop() })
	select {
	case a := <-addrs:
		n.webhook, n.admin = "http://"+a[0], "http://"+a[1]
	case <-n.done:
		t.Fatalf("hirewire exited before listening:\n%s", n.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("hirewire did not start:\n%s", n.logs)
	}
	return n
}

// stop ends the node as systemd or Kubernetes would (SIGTERM) and waits.
func (n *node) stop() {
	if n.cmd.ProcessState != nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// kill ends the node with SIGKILL, as a crash would.
func (n *node) kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// writeConfig writes hirewire.yaml and rules.yaml into dir and returns the
// config's path. extra is appended to the source settings.
func writeConfig(t *testing.T, dir, rules, extra string) string {
	t.Helper()
	return writeConfigStore(t, dir, "sqlite:./data/hirewire.db", rules, extra)
}

// writeConfigStore is writeConfig with another store.
func writeConfigStore(t *testing.T, dir, store, rules, extra string) string {
	t.Helper()
	fixtures, err := filepath.Abs("../../examples/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
admin_token: admintoken
store: %q
rules: ./rules.yaml
sources:
  hrmanager:
    secret: s3cret-value
%s
    api:
      fixtures: %q
    objects:
      candidate: {id: event.CandidateId, get: "Candidates/json/?canid={{ id }}", select: "Items[0]"}
      position: {id: event.ProjectId, get: "Positions/json/?posid={{ id }}", select: "Items[0]"}
`, store, extra, fixtures)
	p := filepath.Join(dir, "hirewire.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// hook is an HR Manager webhook body with the test secret.
func hook(typ string, msg map[string]any) []byte {
	m := map[string]any{"EventType": typ}
	for k, v := range msg {
		m[k] = v
	}
	b, _ := json.Marshal(map[string]any{"Message": m, "DepartmentId": 18960, "CustomerId": 1885, "WebhookSecret": "s3cret-value"})
	return b
}

// postHook sends a webhook and returns the status and decoded answer.
func postHook(t *testing.T, url string, body []byte, header ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"_raw": string(raw)}
	}
	return resp.StatusCode, out
}

// adminGet reads a JSON admin endpoint.
func (n *node) adminGet(t *testing.T, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.admin+path, nil)
	req.Header.Set("Authorization", "Bearer admintoken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// sink is an HTTP peer that records requests and answers from a script.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []sinkReq
	answers map[string][]int // path → status codes to answer in turn; then 200
}

type sinkReq struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newSink(t *testing.T) *sink {
	s := &sink{answers: map[string][]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, sinkReq{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		code := http.StatusOK
		if q := s.answers[r.URL.Path]; len(q) > 0 {
			code, s.answers[r.URL.Path] = q[0], q[1:]
		}
		s.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) requests(path string) []sinkReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sinkReq
	for _, r := range s.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
