package outbound

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// URL is a URL template whose scheme, host and port are fixed in the rules.
// Values rendered into the path are path-escaped and values rendered into
// the query or fragment are query-escaped, so event data cannot add a path
// segment, a query parameter, or change where the request goes.
type URL struct {
	base  string // scheme://authority, constant
	path  *tmpl.Template
	query *tmpl.Template // from the first ? or # on
	refs  []string
}

// errFixedHost is the message for a template before the path.
const errFixedHost = "the scheme, host and port of a url must be fixed: a {{ }} may only appear in the path or query"

// CompileURL compiles the scalar n as a URL template. Errors point at n and
// never quote the URL, which may hold a secret.
func CompileURL(env *tmpl.Env, n *yaml.Node) (*URL, error) {
	n = actions.Resolve(n)
	if _, err := env.TemplateAt(n); err != nil {
		return nil, err
	}
	src := n.Value
	head := src
	if i := strings.Index(src, "{{"); i >= 0 {
		head = src[:i]
	}
	base, err := fixedBase(head, len(head) < len(src))
	if err != nil {
		return nil, actions.ErrorAt(n, "%v", err)
	}
	tail := src[len(base):]
	cut := literalIndex(tail, "?#")
	u := &URL{base: base}
	if u.path, err = env.Template(tail[:cut]); err == nil {
		u.query, err = env.Template(tail[cut:])
	}
	if err != nil {
		return nil, actions.ErrorAt(n, "%v", err)
	}
	u.refs = actions.Refs(u.path.Refs(), u.query.Refs())
	return u, nil
}

// fixedBase returns the scheme://host:port that starts head, the literal
// text before the first template (templated says whether one follows).
func fixedBase(head string, templated bool) (string, error) {
	lower := strings.ToLower(head)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return "", errors.New("url must start with http:// or https://")
	}
	start := strings.Index(head, "://") + 3
	end := strings.IndexAny(head[start:], "/?#")
	if end < 0 {
		if templated {
			return "", errors.New(errFixedHost)
		}
		end = len(head) - start
	}
	base := head[:start+end]
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "", errors.New("url has no valid host")
	}
	return base, nil
}

// literalIndex returns the index of the first byte of chars in s that is
// outside `{{ }}`, or len(s).
func literalIndex(s, chars string) int {
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "{{") {
			end := tmpl.TagEnd(s[i+2:])
			if end < 0 {
				return len(s)
			}
			i += 2 + end + 1
			continue
		}
		if strings.IndexByte(chars, s[i]) >= 0 {
			return i
		}
	}
	return len(s)
}

// Refs returns the root names the template uses.
func (u *URL) Refs() []string { return u.refs }

// IsConst reports whether the URL has no `{{ }}`.
func (u *URL) IsConst() bool { return u.path.IsConst() && u.query.IsConst() }

// Render evaluates the URL with escaped values.
func (u *URL) Render(vars map[string]any) (string, error) {
	path, err := u.path.RenderWith(vars, pathValue)
	if err != nil {
		return "", err
	}
	query, err := u.query.RenderWith(vars, queryValue)
	if err != nil {
		return "", err
	}
	if !u.path.IsConst() && hasDotSegment(path) {
		return "", errors.New("rendered url path has a . or .. segment")
	}
	return u.base + path + query, nil
}

// pathValue escapes a value for one path segment; a value that is a dot
// segment on its own has its dots escaped too.
func pathValue(v any) string {
	s := url.PathEscape(tmpl.String(v))
	if s == "." || s == ".." {
		return strings.ReplaceAll(s, ".", "%2E")
	}
	return s
}

func queryValue(v any) string { return url.QueryEscape(tmpl.String(v)) }

func hasDotSegment(path string) bool {
	return slices.ContainsFunc(strings.Split(path, "/"), func(s string) bool { return s == "." || s == ".." })
}

// Redact returns scheme://host/… for a URL, dropping user info, path and
// query, which may carry secrets (a Slack webhook URL is one).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<url>"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// Origin returns the scheme and host (with port, if any) of rawURL, in
// lower case, or "" if it has none. It never includes user info, path or
// query, which may hold secrets, so it may be logged.
func Origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
