package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAdminNeverShowsSecretsFromTheEnvironment: a credential a rules file
// takes from the environment is sent, but the admin API shows the
// delivery without it, wherever the rule put it: a URL's path, a header
// with an unusual name, a body, or a peer's answer that echoes the URL.
func TestAdminNeverShowsSecretsFromTheEnvironment(t *testing.T) {
	t.Setenv("TEAMS_PATH_SECRET", "teams-path-2222")
	t.Setenv("SUBSCRIPTION_KEY", "subkey-1111")
	t.Setenv("BODY_SECRET", "body-secret-5555")
	s := newSink(t)
	// A peer that echoes the path it was asked for in its error, as many do.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cannot POST "+r.URL.Path, http.StatusNotFound)
	}))
	defer echo.Close()
	tr := startRouter(t, "", fmt.Sprintf(`rules:
  - name: forward
    on: CandidateHired
    actions:
      - http:
          url: %q
          headers: {Ocp-Apim-Subscription-Key: "${SUBSCRIPTION_KEY}"}
          body: '{"api_token_value":"${BODY_SECRET}","candidate":{{ event.CandidateId }}}'
      - http: {url: %q}
`, s.URL+"/hook/${TEAMS_PATH_SECRET}", echo.URL+"/hook/${TEAMS_PATH_SECRET}"))
	code, ans := tr.Post(t, map[string]any{"EventType": "CandidateHired", "CandidateId": 7})
	if code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, ans)
	}
	id := ans["id"].(string)
	tr.WaitStatus(t, id, "processed")
	eventually(t, 10*time.Second, "the forward", func() bool { return len(s.Bodies("/hook/teams-path-2222")) == 1 })
	if got := string(s.Bodies("/hook/teams-path-2222")[0]); !strings.Contains(got, "body-secret-5555") {
		t.Fatalf("the peer got %s, want the secret it needs", got)
	}
	var shown []byte
	eventually(t, 10*time.Second, "the echoing peer's answer", func() bool {
		shown, _ = json.Marshal(tr.Event(t, id))
		return strings.Contains(string(shown), "Cannot POST")
	})
	for _, secret := range []string{"teams-path-2222", "subkey-1111", "body-secret-5555"} {
		if strings.Contains(string(shown), secret) {
			t.Errorf("the admin API shows %s: %s", secret, shown)
		}
		if strings.Contains(tr.Logs.String(), secret) {
			t.Errorf("the log shows %s", secret)
		}
	}
	if !strings.Contains(string(shown), "api_token_value") {
		t.Errorf("the payload is hidden whole, want only its secrets cut: %s", shown)
	}
}
