// Package envsubst replaces ${NAME} in YAML files from the environment
// without ever parsing a value as YAML and without moving a column.
//
// Substituting into the text would let a value break the document (a `#`
// in a secret starts a comment, a `}` ends a flow mapping), and
// substituting after parsing fails on the ${…} inside flow mappings that
// users write ({webhook: ${HOOK}}). So Protect first rewrites each ${NAME}
// as $(NAME) — valid YAML of the same length — and the Expander replaces
// the references inside the parsed scalars.
package envsubst

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// minSecret is the shortest substituted value that is redacted from errors;
// shorter ones (ports, flags) would garble messages and hide little.
const minSecret = 4

// Pair is the two bytes that stand for the braces of ${…} in a protected
// file.
type Pair [2]byte

// brackets are stand-ins for the braces of ${…}: an unquoted ${NAME} in a
// flow mapping ({webhook: ${HOOK}}) is not valid YAML, while $(NAME) is,
// and has the same length, so every column stays true.
var brackets = []Pair{{'(', ')'}, {'<', '>'}, {'^', '^'}, {'~', '~'}}

// protectable is a ${…} that Protect rewrites: a good name and maybe a
// default, on one line, without quotes that could end the scalar.
var protectable = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}\n"']*)?\}`)

// Protect rewrites each well-formed ${…} of data with a pair of brackets
// that data never has after a '$', so that the expander knows each one for
// its own. It returns data unchanged, with '{' and '}', if every pair is
// taken.
func Protect(data []byte) ([]byte, Pair) {
	pair := Pair{'{', '}'}
	for _, p := range brackets {
		if !bytes.Contains(data, []byte{'$', p[0]}) {
			pair = p
			break
		}
	}
	if pair[0] == '{' {
		return data, pair
	}
	out := slices.Clone(data)
	for _, m := range protectable.FindAllIndex(out, -1) {
		out[m[0]+1], out[m[1]-1] = pair[0], pair[1]
	}
	return out, pair
}

// Expander replaces `${NAME}` in the scalars of a parsed file.
type Expander struct {
	lookup func(string) (string, bool)
	// pair is what Protect put for the braces.
	pair Pair
	// changed holds the scalars whose text was changed, so that positions
	// inside them are no longer exact.
	changed map[*yaml.Node]bool
	seen    map[*yaml.Node]bool
	// values are the texts put in, which may be secrets: they are cut out
	// of error messages.
	values []string
}

// New returns an Expander for a file that Protect rewrote with pair.
func New(lookup func(string) (string, bool), pair Pair) *Expander {
	return &Expander{lookup: lookup, pair: pair, changed: map[*yaml.Node]bool{}, seen: map[*yaml.Node]bool{}}
}

// Walk expands every scalar under n once (aliases share nodes), reporting
// problems to report. A plain scalar that changed gets the tag its new text
// has, so that `port: ${PORT}` still decodes into an int.
func (x *Expander) Walk(n *yaml.Node, report func(n *yaml.Node, msg string)) {
	if n == nil || x.seen[n] {
		return
	}
	x.seen[n] = true
	if n.Kind != yaml.ScalarNode {
		for _, c := range n.Content {
			x.Walk(c, report)
		}
		return
	}
	if !strings.Contains(n.Value, "$") {
		return
	}
	v, err := x.expand(n.Value)
	if err != nil {
		report(n, err.Error())
		return
	}
	if v != n.Value {
		n.Value = v
		x.changed[n] = true
		if n.Style == 0 {
			n.Tag = resolveTag(v)
		}
	}
}

// next finds the next reference in s: protected, or with plain braces.
func (x *Expander) next(s string) (i int, closer byte) {
	i, closer = strings.Index(s, "$"+string(x.pair[0])), x.pair[1]
	if j := strings.Index(s, "${"); j >= 0 && (i < 0 || j < i) {
		i, closer = j, '}'
	}
	return i, closer
}

// expand replaces the references of s; `$${` stands for a literal `${`.
// Errors name the variable, never a value.
func (x *Expander) expand(s string) (string, error) {
	var b strings.Builder
	var missing []string
	for {
		i, closer := x.next(s)
		if i < 0 {
			b.WriteString(s)
			break
		}
		escaped := i > 0 && s[i-1] == '$'
		b.WriteString(s[:i-btoi(escaped)])
		end := strings.IndexByte(s[i+2:], closer)
		if end < 0 {
			if escaped {
				b.WriteString("${")
				s = s[i+2:]
				continue
			}
			return "", fmt.Errorf("unclosed ${ (write $${ for a literal ${)")
		}
		ref := s[i+2 : i+2+end]
		s = s[i+2+end+1:]
		if escaped {
			b.WriteString("${" + ref + "}")
			continue
		}
		v, ok, err := x.resolve(ref)
		if err != nil {
			return "", err
		}
		if !ok {
			missing = append(missing, ref)
		}
		b.WriteString(v)
	}
	return b.String(), missingError(missing)
}

// resolve looks up NAME or NAME:-default.
func (x *Expander) resolve(ref string) (string, bool, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !varName.MatchString(name) {
		return "", false, fmt.Errorf("invalid environment variable name %q", name)
	}
	v, ok := x.lookup(name)
	if (!ok || v == "") && hasDef { // as in a shell: empty counts as unset
		return def, true, nil
	}
	if len(v) >= minSecret {
		x.values = append(x.values, v)
	}
	return v, ok, nil
}

func missingError(missing []string) error {
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("environment variable %s is not set", missing[0])
	}
	return fmt.Errorf("environment variables %s are not set", strings.Join(missing, ", "))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Changed reports whether Walk changed the text of n, so that positions
// inside it are no longer exact.
func (x *Expander) Changed(n *yaml.Node) bool { return x.changed[n] }

// Values returns the values Walk substituted (of 4 bytes or more), which
// may be secrets.
func (x *Expander) Values() []string { return slices.Clone(x.values) }

// Redact replaces every value Walk substituted (of 4 bytes or more: shorter
// ones are ports and flags) in msg, so that no secret reaches an error.
func (x *Expander) Redact(msg string) string {
	// Longest first, so that a value containing another is cut whole.
	slices.SortFunc(x.values, func(a, b string) int { return len(b) - len(a) })
	for _, v := range x.values {
		msg = strings.ReplaceAll(msg, v, "[redacted]")
	}
	return msg
}

// resolveTag returns the tag YAML gives s as a plain scalar.
func resolveTag(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.ScalarNode {
		return "!!str"
	}
	return n.Content[0].Tag
}

// Error is a problem with a ${…} at a place in a file.
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg) }

// Parse parses YAML data with every ${NAME} (or ${NAME:-default}) replaced
// using lookup; a ${…} inside a flow mapping is fine. Problems with
// variables are returned as *Error values with the node still returned; a
// YAML syntax error is err.
func Parse(data []byte, lookup func(string) (string, bool)) (root *yaml.Node, problems []error, err error) {
	root, _, problems, err = ParseExpander(data, lookup)
	return root, problems, err
}

// ParseExpander is Parse that also returns the Expander, which knows the
// values it put in (Values, Redact).
func ParseExpander(data []byte, lookup func(string) (string, bool)) (root *yaml.Node, x *Expander, problems []error, err error) {
	protected, pair := Protect(data)
	root = &yaml.Node{}
	if err := yaml.Unmarshal(protected, root); err != nil {
		return nil, nil, nil, err
	}
	x = New(lookup, pair)
	x.Walk(root, func(n *yaml.Node, msg string) {
		problems = append(problems, &Error{Line: n.Line, Column: n.Column, Msg: msg})
	})
	return root, x, problems, nil
}
