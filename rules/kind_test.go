package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// fakeKind stands in for the real action kinds: it decodes its settings
// strictly, compiling some keys as templates and some as template trees.
type fakeKind struct {
	required  []string
	templates []string
	trees     []string
}

var _ actions.Kind = (*fakeKind)(nil)

func (k *fakeKind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	a := &fakeAction{templates: map[string]*tmpl.Template{}, trees: map[string]*tmpl.Tree{}}
	var errs []error
	seen := map[string]bool{}
	for i := 0; i+1 < len(spec.Content); i += 2 {
		key, val := spec.Content[i], spec.Content[i+1]
		seen[key.Value] = true
		switch {
		case slices.Contains(k.templates, key.Value):
			t, err := env.TemplateAt(val)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			a.templates[key.Value] = t
		case slices.Contains(k.trees, key.Value):
			t, err := env.Tree(val)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			a.trees[key.Value] = t
		default:
			errs = append(errs, actions.ErrorAt(key, "unknown key %q", key.Value))
		}
	}
	for _, r := range k.required {
		if !seen[r] {
			errs = append(errs, actions.ErrorAt(spec, "missing %q", r))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

func (k *fakeKind) Send(context.Context, actions.Message) (string, error) { return "ok", nil }

// fakeAction renders its templates and trees into a JSON object.
type fakeAction struct {
	templates map[string]*tmpl.Template
	trees     map[string]*tmpl.Tree
}

func (a *fakeAction) Render(vars map[string]any) (json.RawMessage, error) {
	out := map[string]any{}
	for k, t := range a.templates {
		v, err := t.Value(vars)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	for k, t := range a.trees {
		v, err := t.Render(vars)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return json.Marshal(out)
}

func (a *fakeAction) Refs() []string {
	var refs []string
	for _, t := range a.templates {
		refs = append(refs, t.Refs()...)
	}
	for _, t := range a.trees {
		refs = append(refs, t.Refs()...)
	}
	return refs
}

// kinds are the fake kinds the tests' rules use.
func kinds() map[string]actions.Kind {
	return map[string]actions.Kind{
		"http":  &fakeKind{required: []string{"url"}, templates: []string{"url", "method", "body"}, trees: []string{"json", "headers"}},
		"slack": &fakeKind{required: []string{"webhook"}, templates: []string{"webhook", "text", "username"}, trees: []string{"blocks"}},
		"email": &fakeKind{required: []string{"to", "subject"}, templates: []string{"subject", "text", "html"}, trees: []string{"to", "cc"}},
		"log":   &fakeKind{required: []string{"message"}, templates: []string{"message"}},
	}
}
