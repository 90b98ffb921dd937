package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func forwardRules(url string) string {
	return fmt.Sprintf(`rules:
  - name: forward
    on: Candidate*
    when: position.Details.CustomText1 == "Engineering"
    actions:
      - http:
          url: %q
          json:
            candidateId: "{{ event.CandidateId }}"
            type: "{{ event.Type }}"
            name: "{{ candidate.FirstName }} {{ candidate.LastName }}"
            position: "{{ position.Name }}"
`, url+"/hires")
}

// TestForwardEndToEnd: a webhook in, the rendered JSON forward out, with the
// values of the event and of the fetched objects and an Idempotency-Key.
func TestForwardEndToEnd(t *testing.T) {
	s := newSink(t)
	n := startNode(t, writeConfig(t, t.TempDir(), forwardRules(s.URL), ""))
	code, ans := postHook(t, n.webhook+"/hooks/hrmanager", hook("CandidateHired", map[string]any{"CandidateId": 987654, "ProjectId": 143568}))
	if code != http.StatusAccepted || ans["id"] == "" {
		t.Fatalf("POST: %d %v", code, ans)
	}
	eventually(t, 10*time.Second, "the forward", func() bool { return len(s.requests("/hires")) == 1 })
	r := s.requests("/hires")[0]
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("forward body %q: %v", r.Body, err)
	}
	want := map[string]any{"candidateId": 987654.0, "type": "CandidateHired", "name": "Kari Nordmann", "position": "Backend Developer"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s = %#v, want %#v", k, body[k], v)
		}
	}
	if got, want := r.Header.Get("Idempotency-Key"), fmt.Sprintf("%s.forward.0", ans["id"]); got != want {
		t.Errorf("Idempotency-Key = %q, want %q", got, want)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}

	// The CLI reads the same event back and replays it as a new one.
	id := ans["id"].(string)
	out, err := exec.Command(binary, "events", "-config", n.cfg, "-admin", n.admin, id).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "forward") || !strings.Contains(string(out), "matched") {
		t.Errorf("hirewire events %s: %v\n%s", id, err, out)
	}
	out, err = exec.Command(binary, "replay", "-config", n.cfg, "-admin", n.admin, id).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "replayed "+id+" as ") {
		t.Fatalf("hirewire replay: %v\n%s", err, out)
	}
	eventually(t, 10*time.Second, "the replay's forward", func() bool { return len(s.requests("/hires")) == 2 })
	if key := s.requests("/hires")[1].Header.Get("Idempotency-Key"); strings.HasPrefix(key, id) {
		t.Errorf("the replay reused the event id: %s", key)
	}
	out, err = exec.Command(binary, "events", "-config", n.cfg, "-admin", n.admin, "-type", "CandidateHired").CombinedOutput()
	if err != nil || strings.Count(string(out), "CandidateHired") != 2 {
		t.Errorf("hirewire events: %v\n%s", err, out)
	}
}

// TestDuplicatesCollapse: five copies of one payload are one event and one
// forward; the copies are answered 200 with the first id.
func TestDuplicatesCollapse(t *testing.T) {
	s := newSink(t)
	n := startNode(t, writeConfig(t, t.TempDir(), forwardRules(s.URL), ""))
	body := hook("CandidateHired", map[string]any{"CandidateId": 987654, "ProjectId": 143568})
	code, first := postHook(t, n.webhook+"/hooks/hrmanager", body)
	if code != http.StatusAccepted {
		t.Fatalf("first POST: %d %v", code, first)
	}
	for i := 0; i < 4; i++ {
		code, ans := postHook(t, n.webhook+"/hooks/hrmanager", body)
		if code != http.StatusOK || ans["duplicate"] != true || ans["id"] != first["id"] {
			t.Fatalf("copy %d: %d %v", i+1, code, ans)
		}
	}
	eventually(t, 10*time.Second, "the forward", func() bool { return len(s.requests("/hires")) >= 1 })
	var list struct{ Events []map[string]any }
	eventually(t, 10*time.Second, "the event to be processed", func() bool {
		n.adminGet(t, "/api/events", &list)
		return len(list.Events) == 1 && list.Events[0]["status"] == "processed"
	})
	time.Sleep(500 * time.Millisecond) // room for a wrong second forward to show up
	if got := len(s.requests("/hires")); got != 1 {
		t.Errorf("%d forwards, want 1", got)
	}
}

// TestRejections: every bad request gets its status, a JSON error without
// the secret, and nothing is stored.
func TestRejections(t *testing.T) {
	const key = "00112233445566778899aabbccddeeff"
	s := newSink(t)
	n := startNode(t, writeConfig(t, t.TempDir(), forwardRules(s.URL), "    signing_key: "+key))
	url := n.webhook + "/hooks/hrmanager"
	sign := func(b []byte) string {
		k, _ := hex.DecodeString(key)
		m := hmac.New(sha256.New, k)
		m.Write(b)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	wrong := bytes.Replace(hook("CandidateHired", nil), []byte("s3cret-value"), []byte("guess"), 1)
	good := hook("CandidateHired", map[string]any{"CandidateId": 1})
	noType := []byte(`{"Message":{"CandidateId":1},"WebhookSecret":"s3cret-value"}`)
	huge := append([]byte(`{"Message":{"EventType":"CandidateHired","Pad":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	huge = append(huge, `"},"WebhookSecret":"s3cret-value"}`...)
	cases := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"wrong secret", wrong, sign(wrong), http.StatusUnauthorized},
		{"bad signature", good, sign([]byte("other")), http.StatusUnauthorized},
		{"no signature", good, "", http.StatusUnauthorized},
		{"not JSON", []byte("EventType=CandidateHired"), sign([]byte("EventType=CandidateHired")), http.StatusBadRequest},
		{"no EventType", noType, sign(noType), http.StatusBadRequest},
		{"2 MiB", huge, sign(huge), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		code, ans := postHook(t, url, c.body, "X-Signature-Base64HmacSha256", c.sig)
		if code != c.want {
			t.Errorf("%s: status %d, want %d (%v)", c.name, code, c.want, ans)
		}
		if msg, _ := ans["error"].(string); msg == "" || strings.Contains(msg, "s3cret") || strings.Contains(msg, key) {
			t.Errorf("%s: error body %v", c.name, ans)
		}
	}
	var list struct{ Events []map[string]any }
	n.adminGet(t, "/api/events", &list)
	if len(list.Events) != 0 {
		t.Errorf("rejected requests were stored: %v", list.Events)
	}
	if code, ans := postHook(t, url, good, "X-Signature-Base64HmacSha256", sign(good)); code != http.StatusAccepted {
		t.Errorf("good signed request: %d %v", code, ans)
	}
	out, err := exec.Command(binary, "send", "-config", n.cfg, "-url", url, "-type", "CandidateHired", "-set", "CandidateId=2").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "202") {
		t.Errorf("hirewire send with a signing key: %v %s", err, out)
	}
	if strings.Contains(n.logs.String(), "s3cret-value") || strings.Contains(n.logs.String(), key) {
		t.Errorf("a secret reached the log:\n%s", n.logs)
	}
}

// TestRetries: 500, 500, 200 is delivered on attempt 3 without repeating the
// rule's other action; a 400 is dead after one attempt.
func TestRetries(t *testing.T) {
	s := newSink(t)
	s.answers["/flaky"] = []int{500, 500}
	s.answers["/bad"] = []int{400}
	rules := fmt.Sprintf(`defaults:
  retry: {attempts: 5, backoff: 50ms, max_backoff: 200ms}
rules:
  - name: two-actions
    on: ProjectCreated
    actions:
      - http: {url: %q, json: {n: 1}}
      - http: {url: %q, json: {n: 2}}
  - name: refused
    on: ProjectCreated
    actions:
      - http: {url: %q, body: "x"}
`, s.URL+"/flaky", s.URL+"/ok", s.URL+"/bad")
	n := startNode(t, writeConfig(t, t.TempDir(), rules, ""))
	code, ans := postHook(t, n.webhook+"/hooks/hrmanager", hook("ProjectCreated", map[string]any{"ProjectId": 143568}))
	if code != http.StatusAccepted {
		t.Fatalf("POST: %d %v", code, ans)
	}
	id := ans["id"].(string)
	var ev struct{ Deliveries []map[string]any }
	eventually(t, 15*time.Second, "all deliveries to settle", func() bool {
		n.adminGet(t, "/api/events/"+id, &ev)
		settled := 0
		for _, d := range ev.Deliveries {
			if d["status"] != "pending" {
				settled++
			}
		}
		return len(ev.Deliveries) == 3 && settled == 3
	})
	byID := map[string]map[string]any{}
	for _, d := range ev.Deliveries {
		byID[d["id"].(string)] = d
	}
	check := func(suffix, status string, attempts float64) {
		d := byID[id+suffix]
		if d == nil || d["status"] != status || d["attempts"] != attempts {
			t.Errorf("delivery %s = %v, want %s after %v attempts", suffix, d, status, attempts)
		}
	}
	check(".two-actions.0", "delivered", 3)
	check(".two-actions.1", "delivered", 1)
	check(".refused.0", "dead", 1)
	if got := len(s.requests("/flaky")); got != 3 {
		t.Errorf("/flaky saw %d requests, want 3", got)
	}
	if got := len(s.requests("/ok")); got != 1 {
		t.Errorf("/ok saw %d requests, want 1: the succeeded action was repeated", got)
	}
	var dead struct{ Deliveries []map[string]any }
	n.adminGet(t, "/api/deliveries?status=dead", &dead)
	if len(dead.Deliveries) != 1 || dead.Deliveries[0]["id"] != id+".refused.0" {
		t.Errorf("dead deliveries = %v", dead.Deliveries)
	}
}

// TestCheckReportsEveryMistake: three different mistakes, three lines with
// their places, exit 1; a good file exits 0.
func TestCheckReportsEveryMistake(t *testing.T) {
	dir := t.TempDir()
	bad := `rules:
  - name: one
    on: CandidateHired
    wen: candidate.FirstName == "Kari"
    actions:
      - log: {message: hi}
  - name: two
    on: CandidateHired
    when: candiate.FirstName == "Kari"
    actions:
      - log: {message: hi}
  - name: three
    on: CandidateHired
    when: candidate.FirstName ==
    actions:
      - log: {message: hi}
`
	cfg := writeConfig(t, dir, bad, "")
	out, err := exec.Command(binary, "check", "-config", cfg).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("check exit: %v\n%s", err, out)
	}
	for _, want := range []string{
		`rules.yaml:4:5: rule "one": unknown key "wen"`,
		`rules.yaml:9:11: rule "two": unknown name candiate`,
		`rules.yaml:14:`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	good := strings.NewReplacer("wen:", "when:", "candiate", "candidate", "==\n", "== \"Kari\"\n").Replace(bad)
	if err := os.WriteFile(dir+"/rules.yaml", []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary, "check", "-config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("good rules: %v\n%s", err, out)
	}
}

// TestSIGTERMShutsDownCleanly: on SIGTERM the router stops taking
// webhooks, finishes, exits 0 and says so.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	s := newSink(t)
	n := startNode(t, writeConfig(t, t.TempDir(), forwardRules(s.URL), ""))
	if code, ans := postHook(t, n.webhook+"/hooks/hrmanager", hook("CandidateHired", map[string]any{"CandidateId": 987654, "ProjectId": 143568})); code != http.StatusAccepted {
		t.Fatalf("POST: %d %v", code, ans)
	}
	eventually(t, 10*time.Second, "the forward", func() bool { return len(s.requests("/hires")) == 1 })
	n.stop()
	if code := n.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM:\n%s", code, n.logs)
	}
	if !strings.Contains(n.logs.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", n.logs)
	}
}
