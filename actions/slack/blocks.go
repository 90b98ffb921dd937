package slack

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// escaper escapes the three characters that are markup in Slack text.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape formats a template value for Slack text.
func Escape(v any) string { return escaper.Replace(tmpl.String(v)) }

// block is Block Kit written as YAML, with template leaves. Unlike
// tmpl.Tree, every string that comes from `{{ }}` is escaped, also the
// value of a leaf that is one lone `{{ }}`.
type block struct {
	tmpl  *tmpl.Template // string leaf
	value any            // other scalar leaf
	keys  []string       // mapping
	items []*block       // mapping values or sequence items
	seq   bool
}

// compileBlocks compiles the blocks list; all errors are joined.
func compileBlocks(env *tmpl.Env, n *yaml.Node) (*block, error) {
	if actions.Resolve(n).Kind != yaml.SequenceNode {
		return nil, actions.ErrorAt(n, "blocks must be a list of Block Kit blocks")
	}
	return compileBlock(env, n)
}

func compileBlock(env *tmpl.Env, n *yaml.Node) (*block, error) {
	n = actions.Resolve(n)
	b := &block{seq: n.Kind == yaml.SequenceNode}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" {
			return b, n.Decode(&b.value)
		}
		t, err := env.TemplateAt(n)
		b.tmpl = t
		return b, err
	case yaml.MappingNode, yaml.SequenceNode:
	default:
		return nil, actions.ErrorAt(n, "unexpected YAML node")
	}
	var errs []error
	step := 1
	if !b.seq {
		step = 2
	}
	for i := 0; i < len(n.Content); i += step {
		if !b.seq {
			b.keys = append(b.keys, n.Content[i].Value)
		}
		c, err := compileBlock(env, n.Content[i+step-1])
		errs = append(errs, err)
		b.items = append(b.items, c)
	}
	return b, errors.Join(errs...)
}

// refs adds the root names used in b to seen.
func (b *block) refs(seen []string) []string {
	if b.tmpl != nil {
		return append(seen, b.tmpl.Refs()...)
	}
	for _, c := range b.items {
		seen = c.refs(seen)
	}
	return seen
}

// render evaluates b into values for json.Marshal.
func (b *block) render(vars map[string]any) (any, error) {
	switch {
	case b.tmpl != nil && b.tmpl.Lone():
		v, err := b.tmpl.Value(vars)
		return escapeValue(v), err
	case b.tmpl != nil:
		return b.tmpl.RenderWith(vars, Escape)
	case b.keys != nil:
		m := make(map[string]any, len(b.keys))
		for i, k := range b.keys {
			v, err := b.items[i].render(vars)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = v
		}
		return m, nil
	case b.seq:
		l := make([]any, len(b.items))
		for i, c := range b.items {
			v, err := c.render(vars)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = v
		}
		return l, nil
	}
	return b.value, nil
}

// escapeValue escapes every string inside a value from `{{ }}`, keeping
// numbers, bools, lists and maps as they are (so a lone `{{ }}` may supply
// a whole list of blocks).
func escapeValue(v any) any {
	switch x := v.(type) {
	case string:
		return escaper.Replace(x)
	case time.Time:
		return tmpl.String(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = escapeValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = escapeValue(e)
		}
		return l
	}
	return v
}
