package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The stream test posts streamEvents hires from streamPosters goroutines
// while the rules are reloaded streamReloads times.
const (
	streamEvents  = 400
	streamPosters = 4
	streamReloads = 20
)

// streamRules is rules.yaml with one rule per name, each sending every hire
// to the sink with the event id and the rule's name.
func streamRules(sinkURL string, names ...string) string {
	var b strings.Builder
	b.WriteString("rules:\n")
	for _, n := range names {
		fmt.Fprintf(&b, `  - name: %s
    on: CandidateHired
    actions:
      - http:
          url: "%s/hook"
          json: {id: "{{ event.Id }}", rule: %s}
`, n, sinkURL, n)
	}
	return b.String()
}

// TestReloadUnderAStreamLosesNothing reloads the rules 20 times, between
// two valid versions, while hires stream in from several goroutines: every
// accepted event is processed once, under one of the two versions, and
// each rule of that version delivers to the sink exactly once.
func TestReloadUnderAStreamLosesNothing(t *testing.T) {
	s := newSink(t)
	versions := [2]string{streamRules(s.URL, "alpha"), streamRules(s.URL, "alpha", "beta")}
	tr := startRouter(t, "", versions[0])
	path := filepath.Join(tr.Dir, "rules.yaml")
	want := map[string][]string{fingerprint(t, path): {"alpha"}, versionOf(t, versions[1]): {"alpha", "beta"}}
	loaded := strings.Count(tr.Logs.String(), "rules loaded")

	var posted atomic.Int64
	ids, errs := make(chan string, streamEvents), make(chan error, streamPosters)
	var wg sync.WaitGroup
	for g := range streamPosters {
		wg.Go(func() {
			for i := range streamEvents / streamPosters {
				id, err := postHire(tr, 200000+g*1000+i)
				if err != nil {
					errs <- err
					return
				}
				ids <- id
				posted.Add(1)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done); close(ids); close(errs) }()
	reloadDuring(t, tr, path, versions, &posted, done)
	<-done
	for err := range errs {
		t.Fatalf("posting a hire: %v", err)
	}
	var accepted []string
	for id := range ids {
		accepted = append(accepted, id)
	}
	if len(accepted) != streamEvents {
		t.Fatalf("%d events accepted, want %d", len(accepted), streamEvents)
	}
	if n := strings.Count(tr.Logs.String(), "rules loaded") - loaded; n != streamReloads {
		t.Errorf("the rules in force changed %d times, want %d", n, streamReloads)
	}
	checkStream(t, tr, s, accepted, want)
}

// versionOf is the Version rules.yaml with content would have.
func versionOf(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "rules.yaml")
	must(t, os.WriteFile(p, []byte(content), 0o600))
	return fingerprint(t, p)
}

// postHire posts a hire about candidate and returns the event id. It
// reports failures instead of failing the test, for use in goroutines.
func postHire(tr *testRouter, candidate int) (string, error) {
	body, _ := json.Marshal(map[string]any{"CustomerId": 1885, "WebhookSecret": tr.Secret,
		"Message": map[string]any{"EventType": "CandidateHired", "CandidateId": candidate, "ProjectId": 143568}})
	resp, err := http.Post(tr.Webhook+"/hooks/hrmanager", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ans struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("candidate %d: %d %v", candidate, resp.StatusCode, err)
	}
	return ans.ID, nil
}

// reloadDuring switches the rules between the two versions streamReloads
// times, spread over the stream: the i-th reload waits for i/(reloads+1) of
// the events to be posted. It renames each version into place and applies
// it at once, by POST /-/reload and Router.Reload in turn; the watcher
// sees the same changes and must find nothing more to do.
func reloadDuring(t *testing.T, tr *testRouter, path string, versions [2]string, posted *atomic.Int64, done chan struct{}) {
	t.Helper()
	for i := 1; i <= streamReloads; i++ {
		for posted.Load() < int64(i*streamEvents/(streamReloads+1)) && !isClosed(done) {
			time.Sleep(time.Millisecond)
		}
		tmp := path + ".new"
		must(t, os.WriteFile(tmp, []byte(versions[i%2]), 0o600))
		must(t, os.Rename(tmp, path))
		if i%2 == 1 {
			var st rulesStatus
			if code := tr.AdminDo(t, http.MethodPost, "/-/reload", &st); code != http.StatusOK {
				t.Errorf("reload %d: POST /-/reload: %d %+v", i, code, st)
			}
		} else {
			tr.Router.Reload()
		}
		if got, want := tr.rulesStatus(t).Version, fingerprint(t, path); got != want {
			t.Errorf("after reload %d: version %s, want %s", i, got, want)
		}
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// streamEvent is an event as GET /api/events lists it.
type streamEvent struct {
	ID           string   `json:"id"`
	Status       string   `json:"status"`
	RulesVersion string   `json:"rules_version"`
	Matched      []string `json:"matched"`
}

// checkStream waits for every accepted event to be processed and its
// deliveries to be done, then checks each against the rules of the version
// it records.
func checkStream(t *testing.T, tr *testRouter, s *sink, accepted []string, want map[string][]string) {
	t.Helper()
	events := waitProcessed(t, tr, accepted)
	expected := map[string]int{} // "event id/rule" → requests the sink should have had
	perVersion := map[string]int{}
	for _, ev := range events {
		rules, ok := want[ev.RulesVersion]
		if !ok {
			t.Errorf("event %s: rules_version %q is neither version", ev.ID, ev.RulesVersion)
			continue
		}
		perVersion[short(ev.RulesVersion)]++
		if !slices.Equal(ev.Matched, rules) {
			t.Errorf("event %s under %s: matched %v, want %v", ev.ID, short(ev.RulesVersion), ev.Matched, rules)
		}
		for _, r := range rules {
			expected[ev.ID+"/"+r] = 1
		}
	}
	if len(perVersion) != 2 {
		t.Errorf("events by version %v, want events under both versions", perVersion)
	}
	eventually(t, 30*time.Second, "every delivery to be done", func() bool {
		return len(s.Bodies("/hook")) >= len(expected) && len(deliveries(t, tr, "pending")) == 0
	})
	if dead := deliveries(t, tr, "dead"); len(dead) > 0 {
		t.Errorf("%d dead deliveries, e.g. %v", len(dead), dead[0])
	}
	got := map[string]int{}
	for _, b := range s.Bodies("/hook") {
		var d struct{ ID, Rule string }
		must(t, json.Unmarshal(b, &d))
		got[d.ID+"/"+d.Rule]++
	}
	for k, n := range got {
		if n != expected[k] {
			t.Errorf("delivery %s reached the sink %d times, want %d", k, n, expected[k])
		}
	}
	for k := range expected {
		if got[k] == 0 {
			t.Errorf("delivery %s never reached the sink", k)
		}
	}
	t.Logf("%d events, by version %v; %d deliveries", len(events), perVersion, len(got))
}

// waitProcessed waits until every id is processed and returns the events.
func waitProcessed(t *testing.T, tr *testRouter, ids []string) []streamEvent {
	t.Helper()
	var out []streamEvent
	eventually(t, 30*time.Second, "every accepted event to be processed", func() bool {
		var list struct{ Events []streamEvent }
		tr.AdminDo(t, http.MethodGet, fmt.Sprintf("/api/events?limit=%d", 2*len(ids)), &list)
		byID := map[string]streamEvent{}
		for _, ev := range list.Events {
			byID[ev.ID] = ev
		}
		out = out[:0]
		for _, id := range ids {
			ev, ok := byID[id]
			if !ok || ev.Status != "processed" {
				return false
			}
			out = append(out, ev)
		}
		return true
	})
	return out
}

// deliveries lists the deliveries with status.
func deliveries(t *testing.T, tr *testRouter, status string) []map[string]any {
	t.Helper()
	var list struct{ Deliveries []map[string]any }
	tr.AdminDo(t, http.MethodGet, "/api/deliveries?limit=1000&status="+status, &list)
	return list.Deliveries
}

// short is a version as the log shows it.
func short(v string) string { return v[:min(12, len(v))] }
