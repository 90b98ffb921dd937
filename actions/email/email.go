// Package email is the "email" action of rules.yaml: it renders a message
// from templates when an event matches and sends it over SMTP, as the smtp
// section of hirewire.yaml configures.
//
// The package also holds what every mail-sending kind shares (the calendar
// kind uses it): Mailer, which speaks SMTP with STARTTLS, implicit TLS or
// none and AUTH PLAIN/LOGIN; Header, which makes header injection through
// event data impossible; and address and MIME helpers.
package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Name is the key of the action in rules.yaml.
const Name = "email"

// Kind is the "email" action kind.
type Kind struct {
	mailer *Mailer
}

var (
	_ actions.Kind     = (*Kind)(nil)
	_ actions.Destined = (*Kind)(nil)
	_ actions.Action   = (*Action)(nil)
)

// New returns the email kind that sends through the server cfg describes.
func New(cfg Config, opts ...Option) (*Kind, error) {
	m, err := NewMailer(cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &Kind{mailer: m}, nil
}

// keys are the settings of an email action.
var keys = []string{"to", "cc", "bcc", "reply_to", "from", "subject", "text", "html"}

// Compile decodes an email action: to, cc, bcc and reply_to are templates
// or lists of templates; from, subject, text and html are templates. It
// needs a recipient, a subject, a body, and a sender unless smtp.from is
// set.
func (k *Kind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	f, err := actions.Fields(spec, keys...)
	if f == nil {
		return nil, err // not a mapping
	}
	errs := []error{err}
	a := &Action{from: k.mailer.From(), now: k.mailer.now}
	lists := map[string]**Addresses{"to": &a.to, "cc": &a.cc, "bcc": &a.bcc, "reply_to": &a.replyTo}
	texts := map[string]**tmpl.Template{"from": &a.fromTmpl, "subject": &a.subject, "text": &a.text, "html": &a.html}
	for _, key := range keys { // in a fixed order, so errors are too
		n := f[key]
		switch {
		case n == nil:
		case lists[key] != nil:
			*lists[key], err = CompileAddresses(key, n, env)
			errs = append(errs, err)
		default:
			*texts[key], err = env.TemplateAt(n)
			errs = append(errs, err)
		}
	}
	errs = append(errs, a.check(spec, f))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// check reports the settings an email cannot do without.
func (a *Action) check(spec *yaml.Node, f map[string]*yaml.Node) error {
	var errs []error
	if f["to"] == nil && f["cc"] == nil && f["bcc"] == nil {
		errs = append(errs, actions.ErrorAt(actions.Resolve(spec), "email needs a recipient: to, cc or bcc"))
	}
	if f["text"] == nil && f["html"] == nil {
		errs = append(errs, actions.ErrorAt(actions.Resolve(spec), "email needs a body: text or html"))
	}
	if f["from"] == nil && a.from == nil {
		errs = append(errs, actions.ErrorAt(actions.Resolve(spec), "email needs from: (smtp.from is not set)"))
	}
	errs = append(errs, actions.Require(spec, f, "subject"))
	return errors.Join(errs...)
}

// Destination names the SMTP server, which every message goes to.
func (k *Kind) Destination(json.RawMessage) string { return k.mailer.Destination() }

// Send builds the message a payload describes and delivers it. The
// Message-ID comes from the delivery id, so every attempt sends the same
// message.
func (k *Kind) Send(ctx context.Context, m actions.Message) (string, error) {
	var p Payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return "", actions.Permanent(fmt.Errorf("decoding email payload: %w", err))
	}
	msg, err := p.Build(m.ID)
	if err != nil {
		return "", actions.Permanent(err)
	}
	return k.mailer.Send(ctx, msg.From, msg.Recipients, msg.Data)
}
