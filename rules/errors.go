package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// Error is one problem in a rules file, at a line and column.
type Error struct {
	File         string
	Line, Column int
	// Rule is the name of the rule the problem is in, empty outside rules.
	Rule string
	Msg  string
}

// Error formats the problem as `file:line:col: rule "name": message`.
func (e *Error) Error() string {
	if e.Rule == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: rule %q: %s", e.File, e.Line, e.Column, e.Rule, e.Msg)
}

// ErrorList is every problem found while loading rules.
type ErrorList []*Error

// Error returns the problems, one a line, in file, line and column order.
func (l ErrorList) Error() string {
	s := slices.Clone(l)
	s.sort()
	lines := make([]string, len(s))
	for i, e := range s {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the list by file, line and column, keeping the order of
// problems found at the same place.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// unique drops repeats of a problem (a target's mistake is found once per
// action that uses the target). The list must be sorted.
func (l ErrorList) unique() ErrorList {
	return slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
}

// errs collects the problems of one load.
type errs struct {
	list ErrorList
}

// at records a problem at node n of file, inside rule (may be empty).
func (c *errs) at(file, rule string, n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	c.list = append(c.list, &Error{File: file, Line: line, Column: col, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// add records err, which may join several errors and may carry positions
// (tmpl.PosError); an error without a position is placed at n.
func (c *errs) add(file, rule string, n *yaml.Node, err error) {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			c.add(file, rule, n, e)
		}
		return
	}
	var pe *tmpl.PosError
	if errors.As(err, &pe) {
		if _, ok := pe.Err.(interface{ Unwrap() []error }); ok {
			c.add(file, rule, &yaml.Node{Line: pe.Line, Column: pe.Column}, pe.Err)
			return
		}
		c.list = append(c.list, &Error{File: file, Line: pe.Line, Column: pe.Column, Rule: rule, Msg: plain(pe.Err)})
		return
	}
	c.at(file, rule, n, "%s", plain(err))
}

// plain returns the message of err without the "(line:col)" that expr puts
// after its messages: the report has its own position.
func plain(err error) string {
	msg := err.Error()
	var xe *tmpl.ExprError
	if errors.As(err, &xe) {
		msg = strings.Replace(msg, xe.Error(), xe.Message, 1)
	}
	return msg
}

// inRules names the rule of the errors that were found before their rule
// was decoded (${…} expansion), from the lines each rule spans.
func (c *errs) inRules(file string, spans []span) {
	for _, e := range c.list {
		if e.File != file || e.Rule != "" {
			continue
		}
		for _, s := range spans {
			if e.Line >= s.from && (s.to == 0 || e.Line < s.to) {
				e.Rule = s.rule
			}
		}
	}
}

// span is the lines of a rule: from its first line up to, not including,
// the next rule's first line (0: to the end of the list).
type span struct {
	rule     string
	from, to int
}

// expr records an expression error of the scalar n. When n is a plain
// single-line scalar, the column points into the expression.
func (c *errs) expr(file, rule string, n *yaml.Node, err error) {
	var xe *tmpl.ExprError
	if !errors.As(err, &xe) {
		c.add(file, rule, n, err)
		return
	}
	pos := &yaml.Node{Line: n.Line, Column: n.Column}
	if n.Style == 0 && xe.Line == 1 && !strings.Contains(n.Value, "\n") {
		pos.Column += xe.Column - 1
	}
	c.at(file, rule, pos, "%s", xe.Message)
}
