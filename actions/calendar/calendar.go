// Package calendar is the "calendar" action of rules.yaml: an invitation
// to an event, such as an interview, as an iCalendar object (RFC 5545) sent
// by email the way Outlook and Gmail accept it (iMIP, RFC 6047). A later
// invite with the same UID moves the event; `cancel: true` cancels it.
//
// Without `uid:` an invite's UID is derived from the organizer, the
// summary template's source and the event's CandidateId and ProjectId (see
// DefaultUID); set `uid:` when an event needs another identity. SEQUENCE is
// the number of seconds since 2020 at render time (see Sequence), so the
// latest invite wins without any stored counter.
//
// Mail goes through the email package's Mailer, with the same smtp
// settings.
package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Name is the key of the action in rules.yaml.
const Name = "calendar"

// Kind is the "calendar" action kind.
type Kind struct {
	mailer *email.Mailer
}

var (
	_ actions.Kind     = (*Kind)(nil)
	_ actions.Destined = (*Kind)(nil)
	_ actions.Action   = (*Action)(nil)
)

// New returns the calendar kind that sends through the server cfg
// describes. Options are the email package's (TLS, clock).
func New(cfg email.Config, opts ...email.Option) (*Kind, error) {
	m, err := email.NewMailer(cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &Kind{mailer: m}, nil
}

// keys are the settings of a calendar action.
var keys = []string{"to", "organizer", "summary", "description", "location", "start", "end", "duration", "uid", "cancel"}

// Compile decodes a calendar action. It needs attendees (to), a summary, a
// start, and either an end or a duration; the organizer defaults to
// smtp.from.
func (k *Kind) Compile(spec *yaml.Node, env *tmpl.Env) (actions.Action, error) {
	f, err := actions.Fields(spec, keys...)
	if f == nil {
		return nil, err // not a mapping
	}
	errs := []error{err, actions.Require(spec, f, "to", "summary", "start")}
	a := &Action{mailer: k.mailer}
	texts := map[string]**tmpl.Template{
		"organizer": &a.organizer, "summary": &a.summary, "description": &a.description,
		"location": &a.location, "start": &a.start, "end": &a.end, "uid": &a.uid,
	}
	for _, key := range keys { // in a fixed order, so errors are too
		n := f[key]
		switch {
		case n == nil || key == "duration" || key == "cancel":
		case key == "to":
			a.to, err = email.CompileAddresses(key, n, env)
			errs = append(errs, err)
		default:
			*texts[key], err = env.TemplateAt(n)
			errs = append(errs, err)
		}
	}
	errs = append(errs, a.compileDuration(spec, f, env), a.compileCancel(f["cancel"], env))
	if f["organizer"] == nil && k.mailer.From() == nil {
		errs = append(errs, actions.ErrorAt(actions.Resolve(spec), "calendar needs organizer: (smtp.from is not set)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// compileDuration checks that exactly one of end and duration is set, and
// parses a constant duration now.
func (a *Action) compileDuration(spec *yaml.Node, f map[string]*yaml.Node, env *tmpl.Env) error {
	n := f["duration"]
	switch {
	case n != nil && f["end"] != nil:
		return actions.ErrorAt(n, "set end or duration, not both")
	case n == nil && f["end"] == nil:
		return actions.ErrorAt(actions.Resolve(spec), "calendar needs end or duration")
	case n == nil:
		return nil
	}
	t, err := env.TemplateAt(n)
	if err != nil {
		return err
	}
	if !t.IsConst() {
		a.durationTmpl = t
		return nil
	}
	a.duration, err = actions.Duration(n)
	return err
}

// compileCancel reads cancel: true or false, or a template that renders
// to one of them.
func (a *Action) compileCancel(n *yaml.Node, env *tmpl.Env) error {
	if n == nil {
		return nil
	}
	if n.Tag == "!!bool" {
		var err error
		a.cancel, err = actions.Bool(n)
		return err
	}
	t, err := env.TemplateAt(n)
	if err != nil {
		return err
	}
	if t.IsConst() {
		return actions.ErrorAt(n, "expected true, false or a template, got %q", n.Value)
	}
	a.cancelTmpl = t
	return nil
}

// Destination names the SMTP server, which every invitation goes to.
func (k *Kind) Destination(json.RawMessage) string { return k.mailer.Destination() }

// Send wraps the stored invitation in an iMIP message and delivers it.
func (k *Kind) Send(ctx context.Context, m actions.Message) (string, error) {
	var p Payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return "", actions.Permanent(fmt.Errorf("decoding calendar payload: %w", err))
	}
	out, err := p.Build(m.ID)
	if err != nil {
		return "", actions.Permanent(err)
	}
	return k.mailer.Send(ctx, out.From, out.Recipients, out.Data)
}
