// Package tmpl compiles the expressions and `{{ expr }}` templates of
// rules.yaml against hirewire's expression environment, once, at load.
//
// The environment has one variable per root name: `event`, `previous`, and
// one per configured object (`candidate`, `position`, …). Referring to any
// other root name is a compile error, so a typo is caught when the rules
// load, not when an event arrives.
package tmpl

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Reserved root names that are not objects.
const (
	VarEvent    = "event"
	VarPrevious = "previous"
	VarID       = "id" // only in an object's get template
)

// Env describes the variables an expression may use.
type Env struct {
	vars    map[string]any
	objects map[string]bool
}

// NewEnv returns the environment of rules for the given object names.
func NewEnv(objects ...string) *Env {
	e := &Env{vars: map[string]any{VarEvent: map[string]any{}, VarPrevious: map[string]any{}}, objects: map[string]bool{}}
	for _, o := range objects {
		e.vars[o] = map[string]any{}
		e.objects[o] = true
	}
	return e
}

// With returns a copy of e with extra root variables (e.g. "id" for an
// object's get template), each typed like the given sample value.
func (e *Env) With(vars map[string]any) *Env {
	n := &Env{vars: maps.Clone(e.vars), objects: e.objects}
	maps.Copy(n.vars, vars)
	return n
}

// IsObject reports whether name is a configured object.
func (e *Env) IsObject(name string) bool { return e.objects[name] }

// Expr is a compiled expression.
type Expr struct {
	src     string
	prog    *vm.Program
	refs    []string
	objects []string // objects used by name (not under previous), for errors
	probes  []*Expr  // see Probes
}

// Compile compiles an expression that may return any value.
func (e *Env) Compile(src string) (*Expr, error) { return e.compile(src) }

// CompileBool compiles a condition: it must return a bool.
func (e *Env) CompileBool(src string) (*Expr, error) { return e.compile(src, expr.AsBool()) }

func (e *Env) compile(src string, opts ...expr.Option) (*Expr, error) {
	opts = append([]expr.Option{expr.Env(e.vars)}, opts...)
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, cleanError(err)
	}
	c, err := e.collect(prog)
	if err != nil {
		return nil, err
	}
	x := &Expr{src: src, prog: prog, refs: slices.Sorted(maps.Keys(c.seen))}
	for name := range c.direct {
		if e.objects[name] {
			x.objects = append(x.objects, name)
		}
	}
	slices.Sort(x.objects)
	return x, nil
}

// cleanError keeps the first line of expr's message: the rest is a drawing
// of the source that does not fit a file:line:col report. When expr knows
// where in the source the problem is, the result is an *ExprError.
func cleanError(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	var fe *file.Error
	if errors.As(err, &fe) && fe.Line > 0 {
		return &ExprError{text: msg, Message: fe.Message, Line: fe.Line, Column: fe.Column + 1}
	}
	return fmt.Errorf("%s", msg)
}

// ExprError is an expression error that knows where in the expression's
// source it is, so that callers can point into the YAML scalar holding it.
type ExprError struct {
	text string
	// Message is the error without its position.
	Message string
	// Line and Column (both from 1) locate the error in the source.
	Line, Column int
}

// Error returns the message followed by "(line:column)".
func (e *ExprError) Error() string { return e.text }

// refs collects the root names an expression uses, and the objects under
// previous.X, refusing previous.X when X is not a configured object.
func (e *Env) collect(prog *vm.Program) (*refCollector, error) {
	c := &refCollector{env: e, seen: map[string]bool{}, direct: map[string]bool{}}
	node := prog.Node()
	ast.Walk(&node, c)
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

type refCollector struct {
	env    *Env
	seen   map[string]bool // root names, and objects under previous
	direct map[string]bool // root names only
	err    error
}

func (c *refCollector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if _, ok := c.env.vars[n.Value]; ok {
			c.seen[n.Value] = true
			c.direct[n.Value] = true
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != VarPrevious {
			return
		}
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return
		}
		if !c.env.objects[prop.Value] && c.err == nil {
			c.err = fmt.Errorf("unknown object %q in previous.%s", prop.Value, prop.Value)
			return
		}
		c.seen[prop.Value] = true
	}
}

// Source returns the expression's text.
func (x *Expr) Source() string { return x.src }

// Refs returns the sorted root names (and objects under previous) used.
func (x *Expr) Refs() []string { return x.refs }

// Eval runs the expression.
func (x *Expr) Eval(vars map[string]any) (any, error) {
	v, err := expr.Run(x.prog, vars)
	if err != nil {
		return nil, x.explainNil(cleanError(err), vars)
	}
	return v, nil
}

// explainNil adds to an error the likely cause when an object the
// expression uses is nil: expr only says "cannot fetch X from <nil>".
func (x *Expr) explainNil(err error, vars map[string]any) error {
	for _, o := range x.objects {
		if vars[o] == nil {
			return fmt.Errorf("%w (%s is nil: the event names no %s, or it was not found)", err, o, o)
		}
	}
	return err
}

// Bool runs a condition compiled with CompileBool.
func (x *Expr) Bool(vars map[string]any) (bool, error) {
	v, err := x.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition returned %T, not bool", v)
	}
	return b, nil
}

// Template is a string with `{{ expr }}` parts.
type Template struct {
	src   string
	parts []part
	refs  []string
}

type part struct {
	text string
	expr *Expr
}

// Template compiles a template string. A string without `{{` is a constant.
func (e *Env) Template(src string) (*Template, error) {
	t := &Template{src: src}
	seen := map[string]bool{}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		j := TagEnd(rest[i+2:])
		if j < 0 {
			return nil, fmt.Errorf("template %q: unclosed {{", src)
		}
		code := strings.TrimSpace(rest[i+2 : i+2+j])
		if code == "" {
			return nil, fmt.Errorf("template %q: empty {{ }}", src)
		}
		x, err := e.Compile(code)
		if err != nil {
			return nil, fmt.Errorf("in {{ %s }}: %w", code, err)
		}
		for _, r := range x.refs {
			seen[r] = true
		}
		t.parts = append(t.parts, part{expr: x})
		rest = rest[i+2+j+2:]
	}
	t.refs = slices.Sorted(maps.Keys(seen))
	return t, nil
}

// TagEnd returns the index in s, the text after a `{{`, of the `}}` that
// ends the tag, skipping quoted strings so that `{{ "}}" }}` works; -1 if
// the tag is not closed.
func TagEnd(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			return i
		}
	}
	return -1
}

// Source returns the template's text.
func (t *Template) Source() string { return t.src }

// Refs returns the sorted root names the template uses.
func (t *Template) Refs() []string { return t.refs }

// IsConst reports whether the template has no `{{ }}`.
func (t *Template) IsConst() bool {
	return len(t.parts) == 0 || len(t.parts) == 1 && t.parts[0].expr == nil
}

// Lone reports whether the whole template is one `{{ }}`, whose value keeps
// its type when rendered with Value.
func (t *Template) Lone() bool { return len(t.parts) == 1 && t.parts[0].expr != nil }

// Render evaluates the template to a string. Values are formatted with
// String.
func (t *Template) Render(vars map[string]any) (string, error) {
	return t.RenderWith(vars, String)
}

// RenderWith is Render with a formatter applied to each `{{ }}` value, e.g.
// to escape values for Slack or a URL path.
func (t *Template) RenderWith(vars map[string]any, format func(any) string) (string, error) {
	if t.IsConst() {
		if len(t.parts) == 0 {
			return "", nil
		}
		return t.parts[0].text, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.Eval(vars)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %w", p.expr.src, err)
		}
		b.WriteString(format(v))
	}
	return b.String(), nil
}

// Value evaluates the template; a lone `{{ }}` keeps its value's type,
// anything else is a string.
func (t *Template) Value(vars map[string]any) (any, error) {
	if t.Lone() {
		v, err := t.parts[0].expr.Eval(vars)
		if err != nil {
			return nil, fmt.Errorf("{{ %s }}: %w", t.parts[0].expr.src, err)
		}
		return v, nil
	}
	return t.Render(vars)
}

// String formats a value for a template: strings as they are, nil as "",
// times in RFC 3339 (UTC), whole floats without exponent, maps and lists as
// JSON.
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case fmt.Stringer:
		return x.String()
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}
