package rules

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

// brackets are stand-ins for the braces of ${…}: an unquoted ${NAME} in a
// flow mapping ({webhook: ${HOOK}}) is not valid YAML, while $(NAME) is,
// and has the same length, so every column stays true.
var brackets = [][2]byte{{'(', ')'}, {'<', '>'}, {'^', '^'}, {'~', '~'}}

// protectable is a ${…} that protect rewrites: a good name and maybe a
// default, on one line, without quotes that could end the scalar.
var protectable = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}\n"']*)?\}`)

// protect rewrites each well-formed ${…} of data with a pair of brackets
// that data never has after a '$', so that the expander knows each one for
// its own. It returns data unchanged, with '{' and '}', if every pair is
// taken.
func protect(data []byte) ([]byte, [2]byte) {
	pair := [2]byte{'{', '}'}
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

// expander replaces `${NAME}` in the scalars of a parsed file.
type expander struct {
	lookup func(string) (string, bool)
	// pair is what protect put for the braces.
	pair [2]byte
	// changed holds the scalars whose text was changed, so that positions
	// inside them are no longer exact.
	changed map[*yaml.Node]bool
	seen    map[*yaml.Node]bool
	// values are the texts put in, which may be secrets: they are cut out
	// of error messages.
	values []string
}

func newExpander(lookup func(string) (string, bool), pair [2]byte) *expander {
	return &expander{lookup: lookup, pair: pair, changed: map[*yaml.Node]bool{}, seen: map[*yaml.Node]bool{}}
}

// walk expands every scalar under n once (aliases share nodes), reporting
// problems to report.
func (x *expander) walk(n *yaml.Node, report func(n *yaml.Node, msg string)) {
	if n == nil || x.seen[n] {
		return
	}
	x.seen[n] = true
	if n.Kind != yaml.ScalarNode {
		for _, c := range n.Content {
			x.walk(c, report)
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
	}
}

// next finds the next reference in s: protected, or with plain braces.
func (x *expander) next(s string) (i int, closer byte) {
	i, closer = strings.Index(s, "$"+string(x.pair[0])), x.pair[1]
	if j := strings.Index(s, "${"); j >= 0 && (i < 0 || j < i) {
		i, closer = j, '}'
	}
	return i, closer
}

// expand replaces the references of s; `$${` stands for a literal `${`.
// Errors name the variable, never a value.
func (x *expander) expand(s string) (string, error) {
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
func (x *expander) resolve(ref string) (string, bool, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !varName.MatchString(name) {
		return "", false, fmt.Errorf("invalid environment variable name %q", name)
	}
	v, ok := x.lookup(name)
	if !ok && hasDef {
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

// redact replaces every substituted value in the messages of list.
func redact(list ErrorList, values []string) {
	// Longest first, so that a value containing another is cut whole.
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	for _, e := range list {
		for _, v := range values {
			e.Msg = strings.ReplaceAll(e.Msg, v, "[redacted]")
		}
	}
}
