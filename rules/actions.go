package rules

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// common keys of an action item, beside its one kind key.
const (
	keyWhen   = "when"
	keyRetry  = "retry"
	keyOnce   = "once"
	keyTarget = "target"
)

// actions compiles a rule's non-empty list of actions.
func (s scope) actions(n *yaml.Node) []*Action {
	if n.Kind != yaml.SequenceNode {
		s.errorf(n, "actions: expected a list, got %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		s.errorf(n, "actions: the list is empty")
		return nil
	}
	var out []*Action
	for i, item := range n.Content {
		if a := s.action(i, resolve(item)); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// action compiles one item: `{<kind>: {settings}, when: …, retry: …,
// once: …}`.
func (s scope) action(index int, n *yaml.Node) *Action {
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "an action must be a mapping like {%s: {…}}, got %s", s.kindList(), kindName(n))
		return nil
	}
	var kindKey, settings, when, retry, once *yaml.Node
	unknown := false
	for _, p := range s.keys(n, nil) {
		switch k := p.key.Value; {
		case k == keyWhen:
			when = p.value
		case k == keyRetry:
			retry = p.value
		case k == keyOnce:
			once = p.value
		case s.l.opts.Kinds[k] == nil:
			s.errorf(p.key, "%s", s.unknownKind(k))
			unknown = true
		case kindKey != nil:
			s.errorf(p.key, "action has two kinds, %q and %q: write each as its own list item", kindKey.Value, k)
		default:
			kindKey, settings = p.key, p.value
		}
	}
	if kindKey == nil {
		if !unknown {
			s.errorf(n, "action has no kind (one of %s)", s.kindList())
		}
		return nil
	}
	a := &Action{Kind: kindKey.Value, Index: index}
	st := s.settings(a.Kind, settings)
	if st.spec == nil {
		return nil
	}
	when = s.lift(when, st.when)
	retry = s.lift(retry, st.retry)
	once = s.lift(once, st.once)
	if when != nil {
		a.When = s.when(when)
	}
	if once != nil {
		a.Once = s.template(once)
	}
	a.Retry = s.l.retry
	if retry != nil {
		a.Retry = s.retry(retry, a.Retry)
	}
	impl, err := s.l.opts.Kinds[a.Kind].Compile(st.spec, s.l.env)
	if err != nil {
		s.compileErr(st, err)
		return nil
	}
	a.Impl = impl
	return a
}

// spec is an action's settings as handed to its kind.
type spec struct {
	spec              *yaml.Node
	when, retry, once pair
	target            *target
	own               map[[2]int]bool
}

// settings builds the mapping handed to the kind: the target's settings
// under the action's own, with target, when, retry and once taken out
// (when, retry and once are returned beside it).
func (s scope) settings(kind string, n *yaml.Node) spec {
	n = resolve(n)
	st := spec{spec: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return st
	}
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "%s: expected a mapping of settings, got %s", kind, kindName(n))
		return spec{}
	}
	var own []pair
	var ref *yaml.Node
	for _, p := range s.keys(n, nil) {
		switch p.key.Value {
		case keyWhen:
			st.when = p
		case keyRetry:
			st.retry = p
		case keyOnce:
			st.once = p
		case keyTarget:
			ref = p.value
		default:
			own = append(own, p)
		}
	}
	if ref != nil {
		merged, t := s.mergeTarget(kind, ref, own)
		if t == nil {
			return spec{}
		}
		st.target, st.own = t, places(n)
		own = merged
	}
	for _, p := range own {
		st.spec.Content = append(st.spec.Content, p.key, p.value)
	}
	return st
}

// template compiles a template setting such as once.
func (s scope) template(n *yaml.Node) *tmpl.Template {
	t, err := s.l.env.TemplateAt(n)
	if err != nil {
		s.err(n, err)
		return nil
	}
	return t
}

// lift returns the when, retry or once of an action item, or the one written in
// its settings; both is an error.
func (s scope) lift(outer *yaml.Node, inner pair) *yaml.Node {
	if inner.key == nil {
		return outer
	}
	if outer != nil {
		s.errorf(inner.key, "%q is given both in the action and in its settings", inner.key.Value)
		return outer
	}
	return inner.value
}

// compileErr reports a kind's errors; one about a setting merged in from a
// target is reported as the target's, in the target's file.
func (s scope) compileErr(st spec, err error) {
	var tmp errs
	tmp.add(s.f.name, s.rule, st.spec, err)
	for _, e := range tmp.list {
		at := [2]int{e.Line, e.Column}
		if t := st.target; t != nil && t.places[at] && !st.own[at] {
			e.File, e.Rule = t.file.name, ""
			e.Msg = fmt.Sprintf("target %q: %s", t.name.Value, e.Msg)
		}
	}
	s.l.errs.list = append(s.l.errs.list, tmp.list...)
}

func (s scope) kindList() string { return strings.Join(sortedKeys(s.l.opts.Kinds), ", ") }

// unknownKind names a bad kind key and the known kinds.
func (s scope) unknownKind(k string) string {
	if c := closest(k, []string{keyWhen, keyRetry, keyOnce}); c != "" {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", k, c)
	}
	known := sortedKeys(s.l.opts.Kinds)
	if c := closest(k, known); c != "" {
		return fmt.Sprintf("unknown action kind %q (did you mean %q? known kinds: %s)", k, c, s.kindList())
	}
	return fmt.Sprintf("unknown action kind %q (known kinds: %s)", k, s.kindList())
}
