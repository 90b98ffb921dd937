package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// errAt makes an error about the setting at path ("sources.hrmanager.secret")
// that starts with the line and column of the setting in doc, or of its
// nearest enclosing setting when it was left out (and defaulted).
func errAt(doc *yaml.Node, path string, format string, args ...any) error {
	return errors.New(posOf(doc, path) + path + ": " + fmt.Sprintf(format, args...))
}

// posOf returns "line:col: " of the setting at path (see errAt), or "".
func posOf(doc *yaml.Node, path string) string {
	if k := keyNode(doc, strings.Split(path, ".")); k != nil {
		return fmt.Sprintf("%d:%d: ", k.Line, k.Column)
	}
	return ""
}

// keyNode returns the key node of the deepest prefix of path present in
// doc, nil if not even the first key is.
func keyNode(doc *yaml.Node, path []string) *yaml.Node {
	var found *yaml.Node
	n := doc
	for _, name := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				found, next = n.Content[i], n.Content[i+1]
				break
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return found
}

// typeErrorLine is one line of a *yaml.TypeError: line, tag, the start of
// the value (cut by yaml.v3 to 7 characters and "..."), and the Go type.
var (
	typeErrorLine = regexp.MustCompile("^line ([0-9]+): cannot unmarshal (!![a-z]+)(?: `(.*)`)? into ([^ ]+)$")
	errorLine     = regexp.MustCompile("^line ([0-9]+): ")
)

// typeErrors rewrites the errors yaml.v3 reports for values of the wrong
// type as line:col errors that name the setting and what it takes. They
// never repeat the value, which may have come from a secret variable.
func typeErrors(doc *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var errs []error
	for _, line := range te.Errors {
		m := typeErrorLine.FindStringSubmatch(line)
		if m == nil {
			if l := errorLine.FindStringSubmatch(line); l != nil {
				errs = append(errs, fmt.Errorf("%s: a value of the wrong type", l[1]))
			} else {
				errs = append(errs, errors.New("a value of the wrong type"))
			}
			continue
		}
		n, _ := strconv.Atoi(m[1])
		msg := fmt.Sprintf("want %s, not %s", want(m[4]), tagName(m[2]))
		path, v := valueAtLine(doc, n, strings.TrimSuffix(m[3], "..."))
		if v == nil {
			errs = append(errs, fmt.Errorf("%d: %s", n, msg))
			continue
		}
		errs = append(errs, fmt.Errorf("%d:%d: %s: %s", v.Line, v.Column, path, msg))
	}
	return errors.Join(errs...)
}

// valueAtLine finds the value node on line whose text starts with prefix
// (several settings may share a line: {per_hour: 8, per_day: lots}), else
// the first on the line, with its path.
func valueAtLine(doc *yaml.Node, line int, prefix string) (string, *yaml.Node) {
	var firstPath, matchPath string
	var first, match *yaml.Node
	walkValues(doc, "", func(path string, v *yaml.Node) {
		if v.Line != line {
			return
		}
		if first == nil {
			firstPath, first = path, v
		}
		if match == nil && v.Kind == yaml.ScalarNode && prefix != "" && strings.HasPrefix(v.Value, prefix) {
			matchPath, match = path, v
		}
	})
	if match != nil {
		return matchPath, match
	}
	return firstPath, first
}

// walkValues calls fn for every value node under n (not keys), with its
// path, in document order.
func walkValues(n *yaml.Node, path string, fn func(string, *yaml.Node)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkValues(c, path, fn)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := strings.TrimPrefix(path+"."+n.Content[i].Value, ".")
			fn(p, n.Content[i+1])
			walkValues(n.Content[i+1], p, fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			fn(p, c)
			walkValues(c, p, fn)
		}
	}
}

// want describes a Go type the way a config's reader thinks of it.
func want(goType string) string {
	switch goType {
	case reflect.TypeFor[time.Duration]().String():
		return "a duration such as 90s, 10m or 1h30m"
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number"
	case "bool":
		return "true or false"
	case "string":
		return "a single value"
	}
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "config."), strings.HasPrefix(goType, "email."):
		return "a mapping of settings"
	}
	return goType
}

// tagName describes a YAML tag.
func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "text"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!null":
		return "nothing"
	}
	return tag
}
