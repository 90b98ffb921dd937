package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Action is one compiled http action.
type Action struct {
	url     *outbound.URL
	method  string
	headers map[string]*tmpl.Template
	body    *tmpl.Template
	json    *tmpl.Tree
	timeout time.Duration
	refs    []string
}

var _ actions.Action = (*Action)(nil)

// Payload is what Render stores and Send delivers.
type Payload struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	Timeout string            `json:"timeout"`
}

// Refs names the root variables the templates use.
func (a *Action) Refs() []string { return a.refs }

func (a *Action) collectRefs() []string {
	lists := [][]string{a.url.Refs()}
	for _, h := range a.headers {
		lists = append(lists, h.Refs())
	}
	if a.body != nil {
		lists = append(lists, a.body.Refs())
	}
	if a.json != nil {
		lists = append(lists, a.json.Refs())
	}
	return actions.Refs(lists...)
}

// Render evaluates the url, headers and body into a Payload.
func (a *Action) Render(vars map[string]any) (json.RawMessage, error) {
	u, err := a.url.Render(vars)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	p := Payload{Method: a.method, URL: u, Timeout: a.timeout.String()}
	if p.Headers, err = a.renderHeaders(vars); err != nil {
		return nil, err
	}
	if p.Body, err = a.renderBody(vars); err != nil {
		return nil, err
	}
	if a.json != nil && !hasHeader(p.Headers, "Content-Type") {
		if p.Headers == nil {
			p.Headers = map[string]string{}
		}
		p.Headers["Content-Type"] = "application/json"
	}
	return outbound.JSON(p)
}

// renderHeaders renders each header; errors name the header, never its
// value, which may be a secret.
func (a *Action) renderHeaders(vars map[string]any) (map[string]string, error) {
	if len(a.headers) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(a.headers))
	for _, name := range slices.Sorted(maps.Keys(a.headers)) {
		v, err := a.headers[name].Render(vars)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("header %s: value contains a line break", name)
		}
		out[name] = v
	}
	return out, nil
}

func (a *Action) renderBody(vars map[string]any) (string, error) {
	switch {
	case a.body != nil:
		s, err := a.body.Render(vars)
		if err != nil {
			return "", fmt.Errorf("body: %w", err)
		}
		return s, nil
	case a.json != nil:
		v, err := a.json.Render(vars)
		if err != nil {
			return "", fmt.Errorf("json: %w", err)
		}
		b, err := outbound.JSON(v)
		if err != nil {
			return "", fmt.Errorf("json: encoding: %w", err)
		}
		return string(b), nil
	}
	return "", nil
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
