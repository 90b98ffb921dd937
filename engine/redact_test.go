package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAdminNeverShowsSecretsFromTheEnvironment: a credential a rules file
// takes from the environment is sent, but the admin API shows the
// delivery without it, wherever the rule put it: a URL's path, a header
// with an unusual name, a body.
func TestAdminNeverShowsSecretsFromTheEnvironment(t *testing.T) {
	t.Setenv("TEAMS_PATH_SECRET", "teams-path-2222")
	t.Setenv("SUBSCRIPTION_KEY", "subkey-1111")
	t.Setenv("BODY_SECRET", "body-secret-5555")
	s := newSink(t)
	tr := startRouter(t, "", fmt.Sprintf(`rules:
  - name: forward
    on: CandidateHired
    actions:
      - http:
          url: %q
          headers: {Ocp-Apim-Subscription-Key: "${SUBSCRIPTION_KEY}"}
          body: '{"api_token_value":"${BODY_SECRET}","candidate":{{ event.CandidateId }}}'
`, s.URL+"/hook/${TEAMS_PATH_SECRET}"))
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
	shown, _ := json.Marshal(tr.Event(t, id))
	for _, secret := range []string{"teams-path-2222", "subkey-1111", "body-secret-5555"} {
		if strings.Contains(string(shown), secret) {
			t.Errorf("the admin API shows %s: %s", secret, shown)
		}
	}
	if !strings.Contains(string(shown), "api_token_value") {
		t.Errorf("the payload is hidden whole, want only its secrets cut: %s", shown)
	}
}
