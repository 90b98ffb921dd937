package tmpl

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// maxProbes bounds how many values an explanation shows.
const maxProbes = 6

// Binding is the value one part of an expression had.
type Binding struct {
	Expr  string `json:"expr"`
	Value string `json:"value"`
}

// Probes compiles, for a condition, the data it reads — each longest
// member chain such as position.Details.CustomText1 — so that Explain can
// show what the condition saw when it was false. Conditions call it once,
// at load; it never fails the load.
func (e *Env) Probes(x *Expr) {
	tree, err := parser.Parse(x.src)
	if err != nil {
		return
	}
	c := &chainCollector{env: e, seen: map[string]bool{}}
	ast.Walk(&tree.Node, c)
	for _, s := range longest(c.chains) {
		if len(x.probes) == maxProbes {
			break
		}
		if p, err := e.Compile(s); err == nil {
			x.probes = append(x.probes, p)
		}
	}
}

// Explain evaluates the probes against vars. A probe that fails says why.
func (x *Expr) Explain(vars map[string]any) []Binding {
	out := make([]Binding, 0, len(x.probes))
	for _, p := range x.probes {
		v, err := p.Eval(vars)
		b := Binding{Expr: p.src, Value: brief(v)}
		if err != nil {
			b.Value = "error: " + err.Error()
		}
		out = append(out, b)
	}
	return out
}

// brief formats a value for a person, shortened.
func brief(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		s = "nil"
	case string:
		s = fmt.Sprintf("%q", x)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		s = string(b)
	default:
		s = String(v)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

type chainCollector struct {
	env    *Env
	seen   map[string]bool
	chains []string
}

func (c *chainCollector) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || !c.rooted(m) {
		return
	}
	s := m.String()
	if !c.seen[s] {
		c.seen[s] = true
		c.chains = append(c.chains, s)
	}
}

// rooted reports whether a member chain starts at a variable of the env.
func (c *chainCollector) rooted(m *ast.MemberNode) bool {
	n := m.Node
	for {
		switch x := n.(type) {
		case *ast.MemberNode:
			n = x.Node
		case *ast.ChainNode:
			n = x.Node
		case *ast.IdentifierNode:
			_, ok := c.env.vars[x.Value]
			return ok
		default:
			return false
		}
	}
}

// longest drops chains that another chain extends (position.Details when
// position.Details.CustomText1 is there), keeping first-seen order.
func longest(chains []string) []string {
	var out []string
	for _, s := range chains {
		extended := false
		for _, o := range chains {
			if o != s && (strings.HasPrefix(o, s+".") || strings.HasPrefix(o, s+"?.") || strings.HasPrefix(o, s+"[")) {
				extended = true
				break
			}
		}
		if !extended {
			out = append(out, s)
		}
	}
	return out
}
