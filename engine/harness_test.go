package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine"
	"github.com/hirewire/hirewire/engine/config"
)

// testRouter is a router running in-process on loopback ports.
type testRouter struct {
	Router  *engine.Router
	Dir     string // holds hirewire.yaml, rules.yaml, data/
	Webhook string // base URL
	Admin   string
	Logs    *syncBuffer
	Secret  string // sent as WebhookSecret by Post
	stop    context.CancelFunc
	done    chan error
}

// routerConfig is hirewire.yaml for tests; %s is extra source settings.
const routerConfig = `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
admin_token: admintoken
store: "sqlite:./data/hirewire.db"
rules: ./rules.yaml
sources:
  hrmanager:
    secret: s3cret-value
%s
`

// startRouter writes the config (routerConfig with extra) and rules into a
// temp dir and runs the router until the test ends.
func startRouter(t *testing.T, extra, rules string) *testRouter {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "hirewire.yaml"), []byte(fmt.Sprintf(routerConfig, extra)), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o600))
	return startRouterIn(t, dir)
}

// startRouterIn runs the router on the hirewire.yaml in dir.
func startRouterIn(t *testing.T, dir string) *testRouter {
	t.Helper()
	cfg, err := config.Load(filepath.Join(dir, "hirewire.yaml"))
	must(t, err)
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]net.Addr, 1)
	r, err := engine.New(ctx, cfg, engine.Options{
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready:  func(w, a net.Addr) { ready <- [2]net.Addr{w, a} },
	})
	if err != nil {
		cancel()
		t.Fatalf("engine.New: %v", err)
	}
	tr := &testRouter{Router: r, Dir: dir, Logs: logs, Secret: cfg.Source().Secret, stop: cancel, done: make(chan error, 1)}
	go func() { tr.done <- r.Run(ctx) }()
	select {
	case a := <-ready:
		tr.Webhook, tr.Admin = "http://"+a[0].String(), "http://"+a[1].String()
	case err := <-tr.done:
		t.Fatalf("router ended before listening: %v\n%s", err, logs)
	}
	t.Cleanup(func() { tr.Stop(t) })
	return tr
}

// Stop shuts the router down and waits for it.
func (tr *testRouter) Stop(t *testing.T) {
	if tr.stop == nil {
		return
	}
	tr.stop()
	tr.stop = nil
	select {
	case err := <-tr.done:
		if err != nil {
			t.Errorf("router: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("router did not stop")
	}
}

// Post sends an HR Manager webhook with the test secret; msg is Message.
func (tr *testRouter) Post(t *testing.T, msg map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Message": msg, "CustomerId": 1885, "WebhookSecret": tr.Secret})
	resp, err := http.Post(tr.Webhook+"/hooks/hrmanager", "application/json", bytes.NewReader(body))
	must(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// AdminDo calls the admin API with the token and decodes the JSON answer.
func (tr *testRouter) AdminDo(t *testing.T, method, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, tr.Admin+path, nil)
	req.Header.Set("Authorization", "Bearer admintoken")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	if out != nil {
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// Event returns the admin API's view of one event.
func (tr *testRouter) Event(t *testing.T, id string) map[string]any {
	t.Helper()
	var ev map[string]any
	if code := tr.AdminDo(t, http.MethodGet, "/api/events/"+id, &ev); code != http.StatusOK {
		t.Fatalf("GET event %s: %d %v", id, code, ev)
	}
	return ev
}

// WaitStatus waits until event id has the given status and returns it.
func (tr *testRouter) WaitStatus(t *testing.T, id, status string) map[string]any {
	t.Helper()
	var ev map[string]any
	eventually(t, 10*time.Second, "event "+id+" to be "+status, func() bool {
		ev = tr.Event(t, id)
		return ev["status"] == status
	})
	return ev
}

// sink is an HTTP peer that records request bodies by path.
type sink struct {
	*httptest.Server
	mu   sync.Mutex
	reqs map[string][][]byte
}

func newSink(t *testing.T) *sink {
	s := &sink{reqs: map[string][][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs[r.URL.Path] = append(s.reqs[r.URL.Path], b)
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// Bodies returns the bodies received on path.
func (s *sink) Bodies(path string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.reqs[path]...)
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
