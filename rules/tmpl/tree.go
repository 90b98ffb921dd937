package tmpl

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// PosError is an error at a place in a YAML file.
type PosError struct {
	Line, Column int
	Err          error
}

func (e *PosError) Error() string { return fmt.Sprintf("%d:%d: %v", e.Line, e.Column, e.Err) }
func (e *PosError) Unwrap() error { return e.Err }

// ErrorAt returns an error that points at node n.
func ErrorAt(n *yaml.Node, format string, args ...any) error {
	return &PosError{Line: n.Line, Column: n.Column, Err: fmt.Errorf(format, args...)}
}

// Tree is a YAML value (mapping, sequence, scalar) whose string leaves are
// templates: the `json:` body of an http action, Slack blocks. Rendering
// gives plain Go values ready for json.Marshal; a leaf that is one lone
// `{{ }}` keeps its value's type.
type Tree struct {
	kind  yaml.Kind
	tmpl  *Template // string leaf
	value any       // other scalar leaf (number, bool, null)
	keys  []string
	items []*Tree
	refs  []string
}

// TemplateAt compiles the string scalar n as a template; errors point at n.
func (e *Env) TemplateAt(n *yaml.Node) (*Template, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, ErrorAt(n, "expected a string")
	}
	t, err := e.Template(n.Value)
	if err != nil {
		return nil, &PosError{Line: n.Line, Column: n.Column, Err: err}
	}
	return t, nil
}

// Tree compiles a YAML value into a Tree. All errors are returned, joined.
func (e *Env) Tree(n *yaml.Node) (*Tree, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	t := &Tree{kind: n.Kind}
	var errs []error
	seen := map[string]bool{}
	add := func(c *Tree) {
		for _, r := range c.refs {
			seen[r] = true
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			tp, err := e.TemplateAt(n)
			if err != nil {
				return nil, err
			}
			t.tmpl = tp
			t.refs = tp.refs
			return t, nil
		}
		if err := n.Decode(&t.value); err != nil {
			return nil, ErrorAt(n, "%v", err)
		}
		return t, nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			c, err := e.Tree(n.Content[i+1])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t.keys = append(t.keys, n.Content[i].Value)
			t.items = append(t.items, c)
			add(c)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			c, err := e.Tree(item)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t.items = append(t.items, c)
			add(c)
		}
	default:
		return nil, ErrorAt(n, "unexpected YAML node")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for r := range seen {
		t.refs = append(t.refs, r)
	}
	return t, nil
}

// Refs returns the root names used anywhere in the tree (unsorted).
func (t *Tree) Refs() []string { return t.refs }

// Render evaluates every template leaf.
func (t *Tree) Render(vars map[string]any) (any, error) { return t.RenderWith(vars, nil) }

// RenderWith is Render with format applied to every `{{ }}` value of leaves
// that render to strings (lone `{{ }}` leaves keep their value and type);
// format nil means String.
func (t *Tree) RenderWith(vars map[string]any, format func(any) string) (any, error) {
	switch t.kind {
	case yaml.ScalarNode:
		if t.tmpl == nil {
			return t.value, nil
		}
		if t.tmpl.Lone() {
			return t.tmpl.Value(vars)
		}
		if format == nil {
			format = String
		}
		return t.tmpl.RenderWith(vars, format)
	case yaml.MappingNode:
		m := make(map[string]any, len(t.keys))
		for i, k := range t.keys {
			v, err := t.items[i].RenderWith(vars, format)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = v
		}
		return m, nil
	default:
		l := make([]any, len(t.items))
		for i, c := range t.items {
			v, err := c.RenderWith(vars, format)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = v
		}
		return l, nil
	}
}
