package actions

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// The helpers below decode an action's settings strictly. Every error they
// return points at a line and column (see ErrorAt), so a kind's Compile can
// collect them and hand them back with errors.Join.

// Resolve follows a YAML alias to the node it names; other nodes are
// returned as they are.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Fields returns the values of mapping n by key. A key not in allowed is an
// error at that key that suggests the closest allowed key; a key given twice
// and a node that is not a mapping are errors too. All problems are joined;
// the returned map holds every allowed key that was read.
func Fields(n *yaml.Node, allowed ...string) (map[string]*yaml.Node, error) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n == nil {
			return nil, errors.New("expected a mapping")
		}
		return nil, ErrorAt(n, "expected a mapping")
	}
	fields := make(map[string]*yaml.Node, len(n.Content)/2)
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], Resolve(n.Content[i+1])
		switch {
		case !slices.Contains(allowed, k.Value):
			errs = append(errs, unknownKey(k, allowed))
		case fields[k.Value] != nil:
			errs = append(errs, ErrorAt(k, "duplicate key %q", k.Value))
		default:
			fields[k.Value] = v
		}
	}
	return fields, errors.Join(errs...)
}

// unknownKey reports key k, suggesting the allowed key that is closest.
func unknownKey(k *yaml.Node, allowed []string) error {
	if s := Closest(k.Value, allowed); s != "" {
		return ErrorAt(k, "unknown key %q (did you mean %q?)", k.Value, s)
	}
	return ErrorAt(k, "unknown key %q (known keys: %s)", k.Value, strings.Join(allowed, ", "))
}

// Closest returns the candidate nearest to s by edit distance when it is
// near enough to be a likely typo, or "".
func Closest(s string, candidates []string) string {
	best, bestDist := "", len(s)/2+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Require returns an error at mapping n for each name missing from fields.
// A node that is not a mapping is left to Fields to report.
func Require(n *yaml.Node, fields map[string]*yaml.Node, names ...string) error {
	if n = Resolve(n); n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var errs []error
	for _, name := range names {
		if fields[name] == nil {
			errs = append(errs, ErrorAt(n, "missing required key %q", name))
		}
	}
	return errors.Join(errs...)
}

// String decodes a scalar as a string.
func String(n *yaml.Node) (string, error) {
	n = Resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", ErrorAt(n, "expected a string")
	}
	return n.Value, nil
}

// Bool decodes a scalar as a bool.
func Bool(n *yaml.Node) (bool, error) {
	n = Resolve(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		return false, ErrorAt(n, "expected true or false, got %q", n.Value)
	}
	return b, nil
}

// Int decodes a scalar as an int.
func Int(n *yaml.Node) (int, error) {
	n = Resolve(n)
	i, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return 0, ErrorAt(n, "expected a whole number, got %q", n.Value)
	}
	return i, nil
}

// Duration decodes a positive Go duration such as "15s" or "1h30m".
func Duration(n *yaml.Node) (time.Duration, error) {
	n = Resolve(n)
	if n.Kind != yaml.ScalarNode {
		return 0, ErrorAt(n, "expected a duration such as 15s")
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d <= 0 {
		return 0, ErrorAt(n, "expected a positive duration such as 15s, got %q", n.Value)
	}
	return d, nil
}

// Items returns the scalar items of a sequence; a lone scalar counts as a
// sequence of one, so `to: a@example.com` and `to: [a@example.com]` are the
// same.
func Items(n *yaml.Node) ([]*yaml.Node, error) {
	n = Resolve(n)
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, ErrorAt(n, "expected a list of strings")
	}
	var errs []error
	items := make([]*yaml.Node, 0, len(n.Content))
	for _, item := range n.Content {
		item = Resolve(item)
		if item.Kind != yaml.ScalarNode {
			errs = append(errs, ErrorAt(item, "expected a string"))
			continue
		}
		items = append(items, item)
	}
	return items, errors.Join(errs...)
}

// StringList decodes a string or a list of strings.
func StringList(n *yaml.Node) ([]string, error) {
	items, err := Items(n)
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = item.Value
	}
	return out, err
}

// Templates compiles a string or a list of strings as templates.
func Templates(env *tmpl.Env, n *yaml.Node) ([]*tmpl.Template, error) {
	items, err := Items(n)
	errs := []error{err}
	out := make([]*tmpl.Template, 0, len(items))
	for _, item := range items {
		t, err := env.TemplateAt(item)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// TemplateMap compiles a mapping of string keys to templates, such as HTTP
// headers.
func TemplateMap(env *tmpl.Env, n *yaml.Node) (map[string]*tmpl.Template, error) {
	n = Resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, ErrorAt(n, "expected a mapping of names to strings")
	}
	out := make(map[string]*tmpl.Template, len(n.Content)/2)
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], Resolve(n.Content[i+1])
		if _, dup := out[k.Value]; dup {
			errs = append(errs, ErrorAt(k, "duplicate key %q", k.Value))
			continue
		}
		t, err := env.TemplateAt(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[k.Value] = t
	}
	return out, errors.Join(errs...)
}

// Refs merges the root names used by several templates or trees, sorted and
// without repeats.
func Refs(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}
