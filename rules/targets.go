package rules

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// target is a named destination: settings per action kind, kept where
// rules.yaml holds them (secrets stay there).
type target struct {
	file  *file
	name  *yaml.Node
	kinds map[string]*yaml.Node
	// places are the positions of the target's nodes, so that a kind's
	// error about a merged-in key is reported in the target's file.
	places map[[2]int]bool
}

// targets reads `targets: {name: {<kind>: {settings}}}`.
func (s scope) targets(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "targets: expected a mapping of names to {kind: settings}, got %s", kindName(n))
		return
	}
	for _, p := range s.keys(n, nil) {
		name := p.key.Value
		if first, dup := s.l.targets[name]; dup {
			s.errorf(p.key, "duplicate target %q (first at %s:%d:%d)", name, first.file.name, first.name.Line, first.name.Column)
			continue
		}
		if t := s.target(p); t != nil {
			s.l.targets[name] = t
		}
	}
}

// target reads one target's {kind: settings} mapping.
func (s scope) target(p pair) *target {
	if p.value.Kind != yaml.MappingNode {
		s.errorf(p.value, "target %q: expected a mapping like {%s: {…}}, got %s", p.key.Value, s.kindList(), kindName(p.value))
		return nil
	}
	t := &target{file: s.f, name: p.key, kinds: map[string]*yaml.Node{}, places: places(p.value)}
	for _, kp := range s.keys(p.value, nil) {
		kind, settings := kp.key.Value, kp.value
		switch {
		case s.l.opts.Kinds[kind] == nil:
			s.errorf(kp.key, "target %q: %s", p.key.Value, s.unknownKind(kind))
		case settings.Kind != yaml.MappingNode:
			s.errorf(settings, "target %q: %s: expected a mapping of settings, got %s", p.key.Value, kind, kindName(settings))
		default:
			s.checkTargetKeys(p.key.Value, settings)
			t.kinds[kind] = settings
		}
	}
	return t
}

// checkTargetKeys refuses the keys that belong to an action, not a place.
func (s scope) checkTargetKeys(name string, settings *yaml.Node) {
	for _, p := range pairs(settings, func(*yaml.Node) {}) {
		switch p.key.Value {
		case keyTarget, keyWhen, keyRetry, keyOnce:
			s.errorf(p.key, "target %q: %q belongs in the action, not in a target", name, p.key.Value)
		}
	}
}

// places returns the positions of n and everything under it.
func places(n *yaml.Node) map[[2]int]bool {
	m := map[[2]int]bool{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		m[[2]int{n.Line, n.Column}] = true
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return m
}

// mergeTarget puts the action's own settings over those of the target it
// names. Nodes are shared, never changed: the result is a new list.
func (s scope) mergeTarget(kind string, ref *yaml.Node, own []pair) ([]pair, *target) {
	if ref.Kind != yaml.ScalarNode {
		s.errorf(ref, "target: expected a target name, got %s", kindName(ref))
		return nil, nil
	}
	t, ok := s.l.targets[ref.Value]
	if !ok {
		s.errorf(ref, "%s", s.unknownTarget(ref.Value))
		return nil, nil
	}
	settings, ok := t.kinds[kind]
	if !ok {
		s.errorf(ref, "target %q has no %s settings", ref.Value, kind)
		return nil, nil
	}
	mine := map[string]bool{}
	for _, p := range own {
		mine[p.key.Value] = true
	}
	var out []pair
	for _, p := range pairs(settings, func(*yaml.Node) {}) {
		if !mine[p.key.Value] {
			out = append(out, p)
		}
	}
	return append(out, own...), t
}

func (s scope) unknownTarget(name string) string {
	known := sortedKeys(s.l.targets)
	if c := closest(name, known); c != "" {
		return fmt.Sprintf("unknown target %q (did you mean %q?)", name, c)
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown target %q (no targets are defined)", name)
	}
	return fmt.Sprintf("unknown target %q (known: %s)", name, strings.Join(known, ", "))
}
