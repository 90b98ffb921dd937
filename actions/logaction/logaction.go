// Package logaction is the "log" action: it writes a templated message to
// hirewire's log, for trying rules out and for audit trails.
package logaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Name is the key of this action in rules.yaml.
const Name = "log"

// Kind compiles and sends log actions.
type Kind struct {
	logger *slog.Logger
}

var _ actions.Kind = (*Kind)(nil)

// New returns the log kind, writing to logger (slog.Default when nil).
func New(logger *slog.Logger) *Kind {
	if logger == nil {
		logger = slog.Default()
	}
	return &Kind{logger: logger}
}

// Payload is what Render stores and Send logs.
type Payload struct {
	Message string `json:"message"`
}

// Compile decodes a log action's settings: one required message template.
func (k *Kind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	f, err := actions.Fields(spec, "message")
	errs := []error{err, actions.Require(spec, f, "message")}
	a := &Action{}
	if n := f["message"]; n != nil {
		a.message, err = env.TemplateAt(n)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// Send writes the message at Info level with the delivery id.
func (k *Kind) Send(ctx context.Context, m actions.Message) (string, error) {
	var p Payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return "", actions.Permanent(fmt.Errorf("decoding log payload: %w", err))
	}
	k.logger.InfoContext(ctx, p.Message, "action", Name, "delivery", m.ID)
	return "logged", nil
}

// Action is one compiled log action.
type Action struct {
	message *tmpl.Template
}

var _ actions.Action = (*Action)(nil)

// Refs names the root variables the message uses.
func (a *Action) Refs() []string { return a.message.Refs() }

// Render evaluates the message.
func (a *Action) Render(vars map[string]any) (json.RawMessage, error) {
	msg, err := a.message.Render(vars)
	if err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	return json.Marshal(Payload{Message: msg})
}
