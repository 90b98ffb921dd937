// Package slack is the "slack" action: it posts a message to a Slack
// incoming webhook. Values from `{{ }}` are escaped for Slack's markup while
// the literal text of the rules is not, so rules may write <url|links> and
// event data cannot.
package slack

import (
	"errors"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Name is the key of this action in rules.yaml.
const Name = "slack"

// Timeout bounds one post to Slack.
const Timeout = 15 * time.Second

// keys are the settings a slack action accepts.
var keys = []string{"webhook", "text", "blocks", "username", "icon_emoji"}

// Options configures the kind: its HTTP client and clock.
type Options = outbound.Peer

// Kind compiles and sends slack actions.
type Kind struct{ outbound.Peer }

var (
	_ actions.Kind     = (*Kind)(nil)
	_ actions.Destined = (*Kind)(nil)
)

// New returns the slack kind.
func New(opts Options) *Kind { return &Kind{opts.WithDefaults()} }

// Compile decodes a slack action's settings and compiles its templates.
// Errors never quote the webhook URL, which is a secret.
func (k *Kind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	f, err := actions.Fields(spec, keys...)
	errs := []error{err, actions.Require(spec, f, "webhook")}
	if err == nil && f["text"] == nil && f["blocks"] == nil {
		errs = append(errs, actions.ErrorAt(actions.Resolve(spec), "a slack action needs text or blocks"))
	}
	a := &Action{}
	if n := f["webhook"]; n != nil {
		a.webhook, err = outbound.CompileURL(env, n)
		errs = append(errs, err)
	}
	for _, t := range []struct {
		key string
		dst **tmpl.Template
	}{{"text", &a.text}, {"username", &a.username}, {"icon_emoji", &a.icon}} {
		if n := f[t.key]; n != nil {
			*t.dst, err = env.TemplateAt(n)
			errs = append(errs, err)
		}
	}
	if n := f["blocks"]; n != nil {
		a.blocks, err = compileBlocks(env, n)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	a.refs = a.collectRefs()
	return a, nil
}
