package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/fetch"
	"github.com/hirewire/hirewire/engine/work"
	"github.com/hirewire/hirewire/rules"
)

// TestFile is a file of rule tests (`hirewire test`): events in, the
// rules that should match and what their actions should render out.
type TestFile struct {
	Tests []RuleTest `yaml:"tests"`
}

// RuleTest is one rule test.
type RuleTest struct {
	Name string `yaml:"name"`
	// Event is the webhook's Message, or the path of a webhook body
	// (relative to the test file).
	Event yaml.Node `yaml:"event"`
	// Objects replace what the config's fixtures would give; Previous sets
	// previous.<object>.
	Objects  map[string]any `yaml:"objects"`
	Previous map[string]any `yaml:"previous"`
	Expect   Expectation    `yaml:"expect"`
}

// Expectation is what a rule test checks.
type Expectation struct {
	Matched    []string       `yaml:"matched"`     // exactly these rules match
	NotMatched []string       `yaml:"not_matched"` // none of these match
	Actions    []ActionExpect `yaml:"actions"`
}

// ActionExpect checks one action's rendered payload.
type ActionExpect struct {
	Rule     string         `yaml:"rule"`
	Index    int            `yaml:"index"`
	Contains map[string]any `yaml:"contains"` // these keys, with these values
	Error    string         `yaml:"error"`    // rendering fails with this text
}

// RunRuleTests runs the tests in files against the config's rules and
// writes one line per test to w. It returns how many failed.
func RunRuleTests(cfg *config.Config, files []string, w io.Writer) (failed int, err error) {
	kinds, err := buildKinds(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	set, err := rules.Load(cfg.Rules, rules.Options{Objects: objectNames(cfg), Kinds: kinds})
	if err != nil {
		return 0, err
	}
	fetcher, err := fixtureFetcher(cfg)
	if err != nil {
		return 0, err
	}
	worker := work.New(work.Options{Objects: objectNames(cfg), Logger: slog.New(slog.DiscardHandler)})
	r := &ruleTester{set: set, fetcher: fetcher, worker: worker, objects: objectNames(cfg)}
	for _, f := range files {
		n, err := r.runFile(f, w)
		if err != nil {
			return failed, err
		}
		failed += n
	}
	return failed, nil
}

// fixtureFetcher serves objects from the config's fixtures, if it has any.
func fixtureFetcher(cfg *config.Config) (*fetch.Fetcher, error) {
	src := cfg.Source()
	if src.API.Fixtures == "" || len(src.Objects) == 0 {
		return nil, nil
	}
	var objs []fetch.ObjectConfig
	for _, name := range objectNames(cfg) {
		o := src.Objects[name]
		objs = append(objs, fetch.ObjectConfig{Name: name, ID: o.ID, Get: o.Get, Select: o.Select, TTL: o.TTL})
	}
	return fetch.New(fetch.Options{Fixtures: src.API.Fixtures, Objects: objs})
}

type ruleTester struct {
	set     *rules.Set
	fetcher *fetch.Fetcher
	worker  *work.Worker
	objects []string
}

func (r *ruleTester) runFile(path string, w io.Writer) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var tf TestFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	failed := 0
	for _, t := range tf.Tests {
		problems := r.run(filepath.Dir(path), &t)
		if len(problems) == 0 {
			fmt.Fprintf(w, "PASS  %s\n", t.Name)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL  %s (%s:%d)\n", t.Name, path, t.Event.Line)
		for _, p := range problems {
			fmt.Fprintf(w, "      %s\n", p)
		}
	}
	return failed, nil
}

// run evaluates one test and returns what did not hold.
func (r *ruleTester) run(dir string, t *RuleTest) []string {
	e, err := testEvent(dir, &t.Event)
	if err != nil {
		return []string{err.Error()}
	}
	fields, err := e.Fields()
	if err != nil {
		return []string{err.Error()}
	}
	vars, err := r.vars(e, fields, t)
	if err != nil {
		return []string{err.Error()}
	}
	tr := &work.Trace{}
	dels := r.worker.Evaluate(e, r.set, vars, tr)
	return check(t.Expect, tr, dels)
}

// testEvent builds the event of a test from a Message mapping or a file.
func testEvent(dir string, n *yaml.Node) (*event.Event, error) {
	var body []byte
	switch n.Kind {
	case yaml.ScalarNode:
		data, err := os.ReadFile(filepath.Join(dir, n.Value))
		if err != nil {
			return nil, err
		}
		body = data
	case yaml.MappingNode:
		var msg map[string]any
		if err := n.Decode(&msg); err != nil {
			return nil, err
		}
		body, _ = json.Marshal(map[string]any{"Message": msg})
	default:
		return nil, fmt.Errorf("event: want a Message mapping or a file name")
	}
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	delete(env, config.DefaultSecretField)
	msg, _ := env["Message"].(map[string]any)
	typ, _ := msg["EventType"].(string)
	if typ == "" {
		return nil, fmt.Errorf("event: no EventType")
	}
	body, _ = json.Marshal(env)
	now := time.Now()
	return &event.Event{ID: "test", Source: "hrmanager", Type: typ, Body: body, ReceivedAt: now, LastSeenAt: now}, nil
}

// vars gives the test's objects, else the fixtures', to the rules.
func (r *ruleTester) vars(e *event.Event, fields map[string]any, t *RuleTest) (map[string]any, error) {
	vars := map[string]any{"event": fields, "previous": map[string]any{}}
	for _, o := range r.objects {
		vars[o] = nil
	}
	if r.fetcher != nil {
		res, err := r.fetcher.Fetch(context.Background(), e, fields, r.set.Needs(r.set.Candidates(e.Type)))
		if err != nil {
			return nil, fmt.Errorf("fixtures: %w", err)
		}
		for k, v := range res.Objects {
			vars[k] = v
		}
	}
	for k, v := range t.Objects {
		vars[k] = event.Dates(jsonish(v))
	}
	prev := map[string]any{}
	for k, v := range t.Previous {
		prev[k] = event.Dates(jsonish(v))
	}
	vars["previous"] = prev
	return vars, nil
}

// jsonish makes YAML-decoded values look like decoded JSON (ints stay
// ints, as event.Decode gives).
func jsonish(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out map[string]any
	if event.Decode([]byte(`{"v":`+string(b)+`}`), &out) != nil {
		return v
	}
	return out["v"]
}
