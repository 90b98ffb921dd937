package email

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// ParseAddress parses one address ("a@example.com" or "Name <a@example.com>")
// after turning control characters into spaces, so that a line break in
// event data can never start a header of its own.
func ParseAddress(s string) (*mail.Address, error) {
	list, err := ParseAddressList(s)
	if err != nil {
		return nil, err
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("%s holds %d addresses, not one", quote(s), len(list))
	}
	return list[0], nil
}

// ParseAddressList parses a comma-separated list of addresses as
// ParseAddress does.
func ParseAddressList(s string) ([]*mail.Address, error) {
	clean := CleanText(s)
	if clean == "" {
		return nil, errors.New("empty address")
	}
	list, err := mail.ParseAddressList(clean)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid email address (%v)", quote(s), err)
	}
	for _, a := range list {
		a.Name = CleanText(a.Name)
	}
	return list, nil
}

// quote shows a bad value in an error, shortened.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// CleanText turns every control character (CR, LF, tab, …) into a space,
// collapses runs of spaces and trims the result: what is left is safe in a
// header field.
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Addresses is a compiled list of address templates: the `to:` of an email
// or a calendar invite.
type Addresses struct {
	key   string
	items []*tmpl.Template
}

// CompileAddresses compiles n, a list of templates or a single template
// string, each of which renders to one address or a comma-separated list.
// key names the list in render errors.
func CompileAddresses(key string, n *yaml.Node, env *tmpl.Env) (*Addresses, error) {
	items, err := actions.Templates(env, n)
	return &Addresses{key: key, items: items}, err
}

// Len returns how many templates the list has.
func (a *Addresses) Len() int {
	if a == nil {
		return 0
	}
	return len(a.items)
}

// Refs returns the root names the templates use.
func (a *Addresses) Refs() []string {
	var refs []string
	for _, t := range a.Addresses() {
		refs = append(refs, t.Refs()...)
	}
	return refs
}

// Addresses returns the compiled templates.
func (a *Addresses) Addresses() []*tmpl.Template {
	if a == nil {
		return nil
	}
	return a.items
}

// Render evaluates every template and parses the results. A template that
// renders to nothing adds no address; one that renders to something that is
// not an address is an error. A lone `{{ }}` may also yield a list.
func (a *Addresses) Render(vars map[string]any) ([]*mail.Address, error) {
	var out []*mail.Address
	for i, t := range a.Addresses() {
		v, err := t.Value(vars)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", a.key, i, err)
		}
		for _, s := range flatten(v) {
			if strings.TrimSpace(s) == "" {
				continue
			}
			list, err := ParseAddressList(s)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", a.key, i, err)
			}
			out = append(out, list...)
		}
	}
	return out, nil
}

// flatten turns a rendered value into strings: lists give one per item.
func flatten(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, tmpl.String(e))
		}
		return out
	case []string:
		return x
	}
	return []string{tmpl.String(v)}
}

// Strings formats addresses for a header or a stored payload.
func Strings(list []*mail.Address) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.String()
	}
	return out
}

// ParseStrings parses what Strings made; it is how Send reads a payload.
func ParseStrings(list []string) ([]*mail.Address, error) {
	out := make([]*mail.Address, 0, len(list))
	for _, s := range list {
		a, err := ParseAddress(s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
