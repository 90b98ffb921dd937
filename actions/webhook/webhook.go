// Package webhook is the "http" action: it forwards an event to a URL fixed
// in the rules, with templated headers and a templated text or JSON body,
// and carries the delivery id as Idempotency-Key so the peer can drop
// repeats.
package webhook

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Name is the key of this action in rules.yaml.
const Name = "http"

// Defaults and limits of the settings.
const (
	DefaultTimeout = 15 * time.Second
	MaxTimeout     = 5 * time.Minute
)

// keys are the settings an http action accepts.
var keys = []string{"url", "method", "headers", "body", "json", "timeout"}

// methods are the HTTP methods an http action may use.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// reserved are headers that hirewire or net/http set and rules may not.
var reserved = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Idempotency-Key"}

// Options configures the kind: its HTTP client and clock.
type Options = outbound.Peer

// Kind compiles and sends http actions.
type Kind struct{ outbound.Peer }

var (
	_ actions.Kind     = (*Kind)(nil)
	_ actions.Destined = (*Kind)(nil)
)

// New returns the http kind.
func New(opts Options) *Kind { return &Kind{opts.WithDefaults()} }

// Compile decodes an http action's settings and compiles its templates.
func (k *Kind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	f, err := actions.Fields(spec, keys...)
	errs := []error{err, actions.Require(spec, f, "url")}
	a := &Action{method: http.MethodPost, timeout: DefaultTimeout}
	if n := f["url"]; n != nil {
		a.url, err = outbound.CompileURL(env, n)
		errs = append(errs, err)
	}
	if n := f["method"]; n != nil {
		a.method, err = method(n)
		errs = append(errs, err)
	}
	if n := f["headers"]; n != nil {
		a.headers, err = headers(env, n)
		errs = append(errs, err)
	}
	if n := f["timeout"]; n != nil {
		a.timeout, err = timeout(n)
		errs = append(errs, err)
	}
	errs = append(errs, a.compileBody(env, f["body"], f["json"]))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	a.refs = a.collectRefs()
	return a, nil
}

func method(n *yaml.Node) (string, error) {
	m, err := actions.String(n)
	if err != nil {
		return "", err
	}
	m = strings.ToUpper(m)
	if !slices.Contains(methods, m) {
		return "", actions.ErrorAt(n, "unknown method %q (one of %s)", n.Value, strings.Join(methods, ", "))
	}
	return m, nil
}

func timeout(n *yaml.Node) (time.Duration, error) {
	d, err := actions.Duration(n)
	if err == nil && d > MaxTimeout {
		err = actions.ErrorAt(n, "timeout %s is longer than %s", d, MaxTimeout)
	}
	return d, err
}

// headers compiles the header templates and checks their names.
func headers(env *tmpl.Env, n *yaml.Node) (map[string]*tmpl.Template, error) {
	h, err := actions.TemplateMap(env, n)
	errs := []error{err}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch {
		case !validName(k.Value):
			errs = append(errs, actions.ErrorAt(k, "%q is not a valid header name", k.Value))
		case slices.Contains(reserved, http.CanonicalHeaderKey(k.Value)):
			errs = append(errs, actions.ErrorAt(k, "header %s is set by hirewire and cannot be changed", k.Value))
		}
	}
	return h, errors.Join(errs...)
}

// validName reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// compileBody compiles body (a template) or json (a tree); not both.
func (a *Action) compileBody(env *tmpl.Env, body, js *yaml.Node) error {
	var err error
	switch {
	case body != nil && js != nil:
		return actions.ErrorAt(js, "use body or json, not both")
	case body != nil:
		a.body, err = env.TemplateAt(actions.Resolve(body))
	case js != nil:
		a.json, err = env.Tree(js)
	}
	return err
}
