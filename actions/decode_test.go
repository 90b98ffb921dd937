package actions_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// mapping parses src and returns its top mapping node.
func mapping(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestFieldsReportsEveryUnknownKeyWithPlaceAndSuggestion(t *testing.T) {
	n := mapping(t, "url: x\nmethd: GET\nurl: y\nzzzzzzzz: 1\n")
	fields, err := actions.Fields(n, "url", "method")
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{
		`2:1: unknown key "methd" (did you mean "method"?)`,
		`3:1: duplicate key "url"`,
		`4:1: unknown key "zzzzzzzz" (known keys: url, method)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if fields["url"] == nil || fields["url"].Value != "x" {
		t.Errorf("url = %v, want the first value", fields["url"])
	}
	var pe *actions.PosError
	if !errors.As(err, &pe) {
		t.Errorf("error %v is not a PosError", err)
	}
}

func TestFieldsRefusesNonMapping(t *testing.T) {
	n := mapping(t, "- a\n- b\n")
	if _, err := actions.Fields(n, "a"); err == nil || !strings.Contains(err.Error(), "1:1: expected a mapping") {
		t.Errorf("err = %v", err)
	}
}

func TestRequire(t *testing.T) {
	n := mapping(t, "a: 1\n")
	fields, err := actions.Fields(n, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	err = actions.Require(n, fields, "a", "b")
	if err == nil || err.Error() != `1:1: missing required key "b"` {
		t.Errorf("err = %v", err)
	}
}

func TestScalars(t *testing.T) {
	n := mapping(t, "d: 90s\nbad: -1s\nb: true\ni: 12\ns: hi\nl: [a, b]\none: c\nnested: [[x]]\n")
	f, err := actions.Fields(n, "d", "bad", "b", "i", "s", "l", "one", "nested")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := actions.Duration(f["d"]); err != nil || d != 90*time.Second {
		t.Errorf("Duration = %v, %v", d, err)
	}
	if _, err := actions.Duration(f["bad"]); err == nil || !strings.HasPrefix(err.Error(), "2:6:") {
		t.Errorf("negative duration: err = %v", err)
	}
	if b, err := actions.Bool(f["b"]); err != nil || !b {
		t.Errorf("Bool = %v, %v", b, err)
	}
	if _, err := actions.Bool(f["s"]); err == nil {
		t.Error("Bool accepted a string")
	}
	if i, err := actions.Int(f["i"]); err != nil || i != 12 {
		t.Errorf("Int = %v, %v", i, err)
	}
	if s, err := actions.String(f["s"]); err != nil || s != "hi" {
		t.Errorf("String = %v, %v", s, err)
	}
	if _, err := actions.String(f["l"]); err == nil {
		t.Error("String accepted a list")
	}
	if l, err := actions.StringList(f["l"]); err != nil || strings.Join(l, ",") != "a,b" {
		t.Errorf("StringList = %v, %v", l, err)
	}
	if l, err := actions.StringList(f["one"]); err != nil || len(l) != 1 || l[0] != "c" {
		t.Errorf("StringList(scalar) = %v, %v", l, err)
	}
	if _, err := actions.StringList(f["nested"]); err == nil || !strings.HasPrefix(err.Error(), "8:10:") {
		t.Errorf("nested list: err = %v", err)
	}
}

func TestTemplatesAndMaps(t *testing.T) {
	env := tmpl.NewEnv("candidate")
	n := mapping(t, "to: ['{{ candidate.Email }}', x@example.com]\nh: {A: '{{ event.X }}', B: '{{ nope }}'}\n")
	f, err := actions.Fields(n, "to", "h")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := actions.Templates(env, f["to"])
	if err != nil || len(ts) != 2 {
		t.Fatalf("Templates = %v, %v", ts, err)
	}
	m, err := actions.TemplateMap(env, f["h"])
	if err == nil || !strings.HasPrefix(err.Error(), "2:28:") {
		t.Errorf("TemplateMap err = %v, want one at 2:28", err)
	}
	if m["A"] == nil {
		t.Error("TemplateMap dropped the good entry")
	}
	refs := actions.Refs(ts[0].Refs(), ts[1].Refs(), m["A"].Refs())
	if strings.Join(refs, ",") != "candidate,event" {
		t.Errorf("Refs = %v", refs)
	}
}
