package rules

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/rules/envsubst"

	"github.com/hirewire/hirewire/rules/tmpl"
)

var topKeys = []string{"targets", "defaults", "rules"}

// file is one parsed rules file.
type file struct {
	name string
	// targets, defaults and rules are the top-level values, nil if absent.
	targets, defaults, rules *yaml.Node
	exp                      *envsubst.Expander
}

// loader checks and compiles a set of rules files.
type loader struct {
	opts     Options
	env      *tmpl.Env
	errs     errs
	files    []*file
	targets  map[string]*target
	retry    Retry
	defaults *file
	names    map[string]string
}

func newLoader(opts Options) *loader {
	return &loader{
		opts:    opts,
		env:     tmpl.NewEnv(opts.Objects...),
		targets: map[string]*target{},
		retry:   DefaultRetry(),
		names:   map[string]string{},
	}
}

// scope is where a problem is reported: a file and, maybe, a rule.
type scope struct {
	l    *loader
	f    *file
	rule string
}

func (s scope) errorf(n *yaml.Node, format string, args ...any) {
	s.l.errs.at(s.f.name, s.rule, n, format, args...)
}

func (s scope) err(n *yaml.Node, err error) { s.l.errs.add(s.f.name, s.rule, n, err) }

// exprErr reports an expression error of scalar n, pointing into it unless
// ${…} expansion changed its text.
func (s scope) exprErr(n *yaml.Node, err error) {
	if s.f.exp.Changed(n) {
		s.errorf(n, "%s", plain(err))
		return
	}
	s.l.errs.expr(s.f.name, s.rule, n, err)
}

// keys returns the entries of mapping n, reporting duplicate keys and keys
// not in known.
func (s scope) keys(n *yaml.Node, known []string) []pair {
	ps := pairs(n, func(k *yaml.Node) { s.errorf(k, "key %q given twice", k.Value) })
	out := ps[:0]
	for _, p := range ps {
		if known != nil && !contains(known, p.key.Value) {
			s.errorf(p.key, "%s", unknownKey(p.key.Value, known))
			continue
		}
		out = append(out, p)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse reads one file's YAML, expands ${NAME} and notes its top-level keys.
func (l *loader) parse(in input) {
	data, pair := envsubst.Protect(in.data)
	f := &file{name: in.name, exp: envsubst.New(l.opts.LookupEnv, pair)}
	l.files = append(l.files, f)
	s := scope{l: l, f: f}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err != io.EOF {
			s.syntax(err)
		}
		return
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		s.errorf(&extra, "only one YAML document is allowed")
	} else if err != io.EOF {
		s.syntax(err)
	}
	if len(doc.Content) == 0 {
		return
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return
	}
	if root.Kind != yaml.MappingNode {
		s.errorf(root, "expected a mapping with keys targets, defaults, rules, got %s", kindName(root))
		return
	}
	f.exp.Walk(root, func(n *yaml.Node, msg string) { s.errorf(n, "%s", msg) })
	for _, p := range s.keys(root, nil) {
		switch p.key.Value {
		case "targets":
			f.targets = p.value
		case "defaults":
			f.defaults = p.value
		case "rules":
			f.rules = p.value
		default:
			if !strings.HasPrefix(p.key.Value, "x-") {
				s.errorf(p.key, "%s", unknownKey(p.key.Value, topKeys))
			}
		}
	}
}

// syntax reports a YAML syntax error at the line yaml.v3 names.
func (s scope) syntax(err error) {
	pos := &yaml.Node{Line: 1, Column: 1}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	s.errorf(pos, "yaml: %s", msg)
}

// collect reads the targets and defaults of every file; rules may use them
// whatever file they are in.
func (l *loader) collect() {
	for _, f := range l.files {
		s := scope{l: l, f: f}
		if f.targets != nil {
			s.targets(f.targets)
		}
		if f.defaults != nil {
			s.defaults(f.defaults)
		}
	}
}

// defaults reads `defaults: {retry: …}`.
func (s scope) defaults(n *yaml.Node) {
	if s.l.defaults != nil {
		s.errorf(n, "defaults are already set in %s", s.l.defaults.name)
		return
	}
	s.l.defaults = s.f
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "defaults: expected a mapping, got %s", kindName(n))
		return
	}
	for _, p := range s.keys(n, []string{"retry"}) {
		s.l.retry = s.retry(p.value, s.l.retry)
	}
}

// rules compiles the rules of every file.
func (l *loader) rules() []*Rule {
	var out []*Rule
	for _, f := range l.files {
		if f.rules == nil {
			continue
		}
		s := scope{l: l, f: f}
		if f.rules.Kind != yaml.SequenceNode {
			s.errorf(f.rules, "rules: expected a list, got %s", kindName(f.rules))
			continue
		}
		var spans []span
		for i, item := range f.rules.Content {
			r, name := s.decodeRule(resolve(item))
			if r != nil {
				out = append(out, r)
			}
			spans = append(spans, span{rule: name, from: item.Line})
			if i > 0 {
				spans[i-1].to = item.Line
			}
		}
		l.errs.inRules(f.name, spans)
	}
	return out
}
