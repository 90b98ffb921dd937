package rules

import (
	"fmt"
	"path"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/rules/tmpl"
)

var (
	ruleKeys = []string{"name", "description", "on", "when", "actions"}
	// ruleName keeps names safe inside delivery ids.
	ruleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// decodeRule checks and compiles one rule; nil if it has any problem. The
// rule's name is returned either way, when it has a good one.
func (s scope) decodeRule(n *yaml.Node) (*Rule, string) {
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "a rule must be a mapping, got %s", kindName(n))
		return nil, ""
	}
	before := len(s.l.errs.list)
	r := &Rule{File: s.f.name, Line: n.Line}
	ps := pairs(n, func(*yaml.Node) {})
	for _, p := range ps {
		if p.key.Value == "name" {
			s.name(r, p.value)
		}
	}
	if r.Name == "" && !hasKey(ps, "name") {
		s.errorf(n, "rule has no name")
	}
	s.rule = r.Name
	seen := map[string]bool{}
	for _, p := range s.keys(n, ruleKeys) {
		seen[p.key.Value] = true
		switch p.key.Value {
		case "description":
			r.Description, _ = s.str(p.value)
		case "on":
			r.On = s.on(p.value)
		case "when":
			r.When = s.when(p.value)
		case "actions":
			r.Actions = s.actions(p.value)
		}
	}
	for _, k := range []string{"on", "actions"} {
		if !seen[k] {
			s.errorf(n, "rule has no %q", k)
		}
	}
	if len(s.l.errs.list) > before {
		return nil, r.Name
	}
	return r, r.Name
}

func hasKey(ps []pair, key string) bool {
	for _, p := range ps {
		if p.key.Value == key {
			return true
		}
	}
	return false
}

// name checks a rule's name: well formed and unique across all files.
func (s scope) name(r *Rule, n *yaml.Node) {
	name, ok := s.str(n)
	if !ok {
		return
	}
	if !ruleName.MatchString(name) {
		s.errorf(n, "rule name %q must start with a letter or digit and hold only letters, digits, '_', '.' and '-'", name)
		return
	}
	r.Name = name
	if first, dup := s.l.names[name]; dup {
		s.errorf(n, "duplicate rule name (first at %s)", first)
		return
	}
	s.l.names[name] = fmt.Sprintf("%s:%d:%d", s.f.name, n.Line, n.Column)
}

// str returns the text of a scalar that is not null.
func (s scope) str(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		s.errorf(n, "expected a string, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// on reads an event type, a glob, or a list of them.
func (s scope) on(n *yaml.Node) []string {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			s.errorf(n, "on: the list is empty")
		}
	}
	var out []string
	for _, item := range items {
		item = resolve(item)
		v, ok := s.str(item)
		if !ok {
			continue
		}
		if _, err := path.Match(v, ""); err != nil || v == "" {
			s.errorf(item, "on: %q is not an event type or glob", v)
			continue
		}
		out = append(out, v)
	}
	return out
}

// when compiles a condition, with the probes that explain it when false.
func (s scope) when(n *yaml.Node) *tmpl.Expr {
	v, ok := s.str(n)
	if !ok {
		return nil
	}
	x, err := s.l.env.CompileBool(v)
	if err != nil {
		s.exprErr(n, err)
		return nil
	}
	s.l.env.Probes(x)
	return x
}
