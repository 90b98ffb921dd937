package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOnceNeverSendsTwice: HR Manager sends CandidateRegistered again
// (another payload, so no duplicate) and the welcome mail's once key keeps
// the candidate from getting it twice; another candidate gets theirs.
func TestOnceNeverSendsTwice(t *testing.T) {
	s := newSink(t)
	tr := startRouter(t, "", fmt.Sprintf(`rules:
  - name: welcome
    on: CandidateRegistered
    actions:
      - http: {url: %q, json: {candidate: "{{ event.CandidateId }}"}}
        once: "welcome-{{ event.CandidateId }}"
`, s.URL+"/welcome"))
	var ids []string
	for i, cand := range []int{1, 1, 2} {
		code, ans := tr.Post(t, map[string]any{"EventType": "CandidateRegistered", "CandidateId": cand, "Attempt": i})
		if code != http.StatusAccepted {
			t.Fatalf("post %d: %d %v", i, code, ans)
		}
		ids = append(ids, ans["id"].(string))
		tr.WaitStatus(t, ans["id"].(string), "processed")
	}
	eventually(t, 10*time.Second, "two welcomes", func() bool { return len(s.Bodies("/welcome")) >= 2 })
	time.Sleep(300 * time.Millisecond) // room for a wrong third
	if got := s.Bodies("/welcome"); len(got) != 2 {
		t.Fatalf("%d welcomes sent, want 2: %q", len(got), got)
	}
	ev := tr.Event(t, ids[1])
	d := ev["deliveries"].([]any)[0].(map[string]any)
	if d["status"] != "skipped" || !strings.Contains(fmt.Sprint(d["last_error"]), ids[0]+".welcome.0") {
		t.Errorf("second welcome for candidate 1 = %v, want skipped naming the first", d)
	}
	for _, id := range ids {
		if tr, _ := json.Marshal(tr.Event(t, id)); strings.Contains(string(tr), "welcome-1") || strings.Contains(string(tr), "welcome-2") {
			t.Errorf("event %s shows a once key in plain text; only its hash may be kept: %s", id, tr)
		}
	}
}
