package rules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/rules"
)

func mustLoad(t *testing.T, path string) *rules.Set {
	t.Helper()
	set, err := rules.Load(path, opts())
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return set
}

func mustParse(t *testing.T, src string) *rules.Set {
	t.Helper()
	set, err := rules.Parse("rules.yaml", []byte(src), opts())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return set
}

// sample reads an HR Manager sample and normalizes it like the engine does.
func sample(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "hrmanager", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := event.Decode(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// hireVars are the variables of the CandidateHired sample: event fields,
// the candidate and position from the API samples, no previous snapshot.
func hireVars(t *testing.T) map[string]any {
	body := sample(t, "CandidateHired.json")
	ev := map[string]any{"Type": "CandidateHired", "DepartmentId": body["DepartmentId"]}
	for k, v := range body["Message"].(map[string]any) {
		ev[k] = v
	}
	return map[string]any{
		"event":     ev,
		"candidate": sample(t, "Candidates.json")["Items"].([]any)[0],
		"position":  sample(t, "Positions.json")["Items"].([]any)[0],
		"previous":  map[string]any{"candidate": nil, "position": nil},
	}
}

func TestCandidatesAndMatches(t *testing.T) {
	set := mustLoad(t, "testdata/globs.good.yaml")
	names := func(rs []*rules.Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	cases := map[string][]string{
		"CandidateHired":      {"every-candidate-event"},
		"CandidateDeletedOwn": {"every-candidate-event"},
		"PositionPublished":   {"positions.published_or_not"},
		"PositionUnpublished": {"positions.published_or_not"},
		"ProjectCreated":      {"0-literal-dollar"},
		"ProjectUpdated":      nil,
		"candidateHired":      nil,
	}
	for typ, want := range cases {
		if got := names(set.Candidates(typ)); !slices.Equal(got, want) {
			t.Errorf("Candidates(%s) = %v, want %v", typ, got, want)
		}
	}
}

func TestEvalWithSamples(t *testing.T) {
	set := mustLoad(t, "testdata/announce.good.yaml")
	r := set.Rule("announce-hire")
	vars := hireVars(t)
	ok, err := r.Eval(vars)
	if err != nil || !ok {
		t.Fatalf("Eval = %v, %v; want true for an Engineering position", ok, err)
	}
	vars["position"].(map[string]any)["Details"].(map[string]any)["CustomText1"] = "Sales"
	if ok, err := r.Eval(vars); err != nil || ok {
		t.Errorf("Eval = %v, %v; want false for a Sales position", ok, err)
	}
	email := r.Actions[2]
	if ok, err := email.Eval(vars); err != nil || !ok {
		t.Errorf("email action Eval = %v, %v; want true without a previous snapshot", ok, err)
	}
	if _, err := r.Eval(map[string]any{"position": "not a map"}); err == nil {
		t.Error("Eval on a wrong shape gave no error")
	}
	always := mustLoad(t, "testdata/anchors.good.yaml").Rules[0]
	if ok, err := always.Eval(nil); err != nil || !ok {
		t.Errorf("a rule without when: Eval = %v, %v; want true", ok, err)
	}
}

// TestTargetMerge renders the actions of the specification's example: the
// target's settings come in, the action's own keys win, secrets arrive.
func TestTargetMerge(t *testing.T) {
	set := mustLoad(t, "testdata/announce.good.yaml")
	r := set.Rules[0]
	vars := hireVars(t)
	render := func(i int) map[string]any {
		t.Helper()
		raw, err := r.Actions[i].Impl.Render(vars)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	slack := render(0)
	if slack["webhook"] != testEnv["SLACK_HIRING_WEBHOOK"] || slack["text"] != "Kari Nordmann joins as Backend Developer" {
		t.Errorf("slack rendered %v", slack)
	}
	if _, ok := slack["target"]; ok {
		t.Error("the target key reached the kind")
	}
	http := render(1)
	headers, _ := http["headers"].(map[string]any)
	if http["url"] != "https://hris.example.com/api/hires" || headers["Authorization"] != "Bearer "+testEnv["HRIS_TOKEN"] {
		t.Errorf("http rendered %v", http)
	}
	body, _ := http["json"].(map[string]any)
	if body["positionId"] != float64(143568) || body["firstName"] != "Kari" {
		t.Errorf("http json = %v; a lone {{ }} must keep its number type", body)
	}
}

func TestActionOverridesTarget(t *testing.T) {
	set := mustParse(t, `
targets:
  chat: {slack: {webhook: "https://a.example/", username: bot}}
rules:
  - name: one
    on: CandidateHired
    actions:
      - slack: {target: chat, username: override, text: "1"}
      - slack: {target: chat, text: "2"}
`)
	for i, want := range []string{"override", "bot"} {
		raw, err := set.Rules[0].Actions[i].Impl.Render(nil)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if m["username"] != want || m["webhook"] != "https://a.example/" {
			t.Errorf("action %d rendered %v, want username %q from a fresh merge", i, m, want)
		}
	}
}

func TestNeeds(t *testing.T) {
	set := mustParse(t, `
rules:
  - name: event-only
    on: "*"
    when: event.CandidateId > 0
    actions: [{log: {message: "{{ event.Type }}"}}]
  - name: candidate-in-when
    on: "*"
    when: candidate.Email != ""
    actions: [{log: {message: x}}]
  - name: position-in-template
    on: "*"
    actions: [{log: {message: "{{ position.Name }}"}}]
  - name: previous-in-action-when
    on: "*"
    actions:
      - log: {message: x}
        when: previous.candidate == nil
`)
	cases := []struct {
		rules []string
		want  []string
	}{
		{[]string{"event-only"}, []string{}},
		{[]string{"candidate-in-when"}, []string{"candidate"}},
		{[]string{"position-in-template"}, []string{"position"}},
		{[]string{"previous-in-action-when"}, []string{"candidate"}},
		{[]string{"event-only", "candidate-in-when", "position-in-template"}, []string{"candidate", "position"}},
	}
	for _, c := range cases {
		var rs []*rules.Rule
		for _, n := range c.rules {
			rs = append(rs, set.Rule(n))
		}
		if got := set.Needs(rs); !slices.Equal(got, c.want) {
			t.Errorf("Needs(%v) = %v, want %v", c.rules, got, c.want)
		}
	}
}

func TestRetry(t *testing.T) {
	set := mustLoad(t, "testdata/globs.good.yaml")
	defaults := rules.Retry{Attempts: 5, Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute}
	if got := set.Rule("every-candidate-event").Actions[0].Retry; got != defaults {
		t.Errorf("retry = %+v, want the file's defaults %+v", got, defaults)
	}
	lifted := set.Rule("positions.published_or_not").Actions[0]
	if want := (rules.Retry{Attempts: 5, Backoff: time.Minute, MaxBackoff: 10 * time.Minute}); lifted.Retry != want {
		t.Errorf("retry = %+v, want backoff overridden only: %+v", lifted.Retry, want)
	}
	if lifted.When == nil || lifted.When.Source() != `event.Type == "PositionPublished"` {
		t.Errorf("when inside the settings was not lifted out: %v", lifted.When)
	}
	spec := mustLoad(t, "testdata/announce.good.yaml").Rules[0]
	if got := spec.Actions[0].Retry; got != rules.DefaultRetry() {
		t.Errorf("retry = %+v, want DefaultRetry", got)
	}
	if got := spec.Actions[2].Retry; got != (rules.Retry{Attempts: 3, Backoff: 10 * time.Second, MaxBackoff: time.Hour}) {
		t.Errorf("item-level retry = %+v", got)
	}
}

func TestOnce(t *testing.T) {
	set := mustParse(t, `
rules:
  - name: welcome
    on: CandidateRegistered
    actions:
      - log: {message: hi, once: "welcome-{{ candidate.Id }}"}
      - log: {message: bye}
`)
	a := set.Rule("welcome").Actions
	if a[0].Once == nil || a[1].Once != nil {
		t.Fatalf("Once = %v, %v", a[0].Once, a[1].Once)
	}
	key, err := a[0].Once.Render(map[string]any{"candidate": map[string]any{"Id": 7}})
	if err != nil || key != "welcome-7" {
		t.Errorf("once key %q %v", key, err)
	}
	if got := set.Needs(set.Candidates("CandidateRegistered")); !slices.Equal(got, []string{"candidate"}) {
		t.Errorf("Needs = %v: the once key's objects must be fetched", got)
	}
	_, err = rules.Parse("rules.yaml", []byte(`
rules:
  - name: bad
    on: "*"
    actions:
      - log: {message: x}
        once: "{{ candiate.Id }}"
`), opts())
	if err == nil || !strings.Contains(err.Error(), "rules.yaml:7:15") {
		t.Errorf("bad once template: %v", err)
	}
}
