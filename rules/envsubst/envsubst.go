// Package envsubst replaces ${NAME} in YAML files from the environment
// without ever parsing a value as YAML.
//
// Substituting into the text would let a value break the document (a `#`
// in a secret starts a comment, a `}` ends a flow mapping) and substituting
// after parsing fails on the ${…} inside flow mappings that users write, so
// Parse does both halves: each ${…} becomes a plain placeholder token before
// the YAML is parsed, and the placeholders inside the parsed scalars are
// replaced by the values afterwards. Line numbers stay true.
package envsubst

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a missing variable at a place in the file.
type Error struct {
	Line, Column int
	Name         string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: environment variable %s is not set", e.Line, e.Column, e.Name)
}

// ref is one ${NAME} or ${NAME:-default}, or a literal "${" written $${.
type ref struct {
	name, def string
	hasDef    bool
	literal   bool
	line, col int
}

var (
	refRE   = regexp.MustCompile(`\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)
	tokenRE = regexp.MustCompile(`hwenv0x([0-9]+)x`)
)

// Parse parses YAML data into a document node with every ${NAME} (or
// ${NAME:-default}) replaced using lookup. Missing variables without a
// default are returned as *Error values; the node is still returned.
func Parse(data []byte, lookup func(string) (string, bool)) (*yaml.Node, []error, error) {
	var refs []ref
	text := string(data)
	text = refRE.ReplaceAllStringFunc(text, func(m string) string {
		r := ref{literal: strings.HasPrefix(m, "$$")}
		sub := refRE.FindStringSubmatch(m)
		r.name = sub[1]
		if sub[2] != "" {
			r.def, r.hasDef = sub[2][2:], true
		}
		refs = append(refs, r)
		return fmt.Sprintf("hwenv0x%dx", len(refs)-1)
	})
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		return nil, nil, err
	}
	var errs []error
	walk(&root, func(n *yaml.Node) {
		errs = append(errs, replace(n, refs, lookup)...)
	})
	return &root, errs, nil
}

func walk(n *yaml.Node, f func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		f(n)
	}
	for _, c := range n.Content {
		walk(c, f)
	}
}

func replace(n *yaml.Node, refs []ref, lookup func(string) (string, bool)) []error {
	if !strings.Contains(n.Value, "hwenv0x") {
		return nil
	}
	var errs []error
	n.Value = tokenRE.ReplaceAllStringFunc(n.Value, func(tok string) string {
		i, _ := strconv.Atoi(tokenRE.FindStringSubmatch(tok)[1])
		r := refs[i]
		switch {
		case r.literal:
			return "${" + r.name + defSuffix(r) + "}"
		case lookupOK(lookup, r.name):
			v, _ := lookup(r.name)
			return v
		case r.hasDef:
			return r.def
		}
		errs = append(errs, &Error{Line: n.Line, Column: n.Column, Name: r.name})
		return ""
	})
	if n.Style == 0 {
		// The placeholder made a plain scalar a string; give it the tag its
		// new text has, so `port: ${PORT}` still decodes into an int.
		n.Tag = resolveTag(n.Value)
	}
	return errs
}

func defSuffix(r ref) string {
	if r.hasDef {
		return ":-" + r.def
	}
	return ""
}

func lookupOK(lookup func(string) (string, bool), name string) bool {
	_, ok := lookup(name)
	return ok
}

// resolveTag returns the tag YAML gives s as a plain scalar.
func resolveTag(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.ScalarNode {
		return "!!str"
	}
	return n.Content[0].Tag
}
