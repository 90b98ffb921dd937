package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Action is a compiled calendar action.
type Action struct {
	mailer                          *email.Mailer
	to                              *email.Addresses
	organizer, summary, description *tmpl.Template
	location, start, end, uid       *tmpl.Template
	duration                        time.Duration
	durationTmpl, cancelTmpl        *tmpl.Template
	cancel                          bool
}

// Payload is what a calendar action renders and stores with the delivery:
// the finished .ics and what the message around it needs.
type Payload struct {
	Date     time.Time `json:"date"`
	From     string    `json:"from"`
	ReplyTo  string    `json:"reply_to,omitempty"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject"`
	Text     string    `json:"text"`
	Method   string    `json:"method"`
	UID      string    `json:"uid"`
	Sequence int64     `json:"sequence"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	ICS      string    `json:"ics"`
}

// Refs returns the root names the action's templates use.
func (a *Action) Refs() []string {
	lists := [][]string{a.to.Refs()}
	for _, t := range []*tmpl.Template{a.organizer, a.summary, a.description, a.location, a.start, a.end, a.uid, a.durationTmpl, a.cancelTmpl} {
		if t != nil {
			lists = append(lists, t.Refs())
		}
	}
	return actions.Refs(lists...)
}

// Render builds the invitation. Bad addresses, bad dates, or an end that
// is not after the start are errors: the invite cannot be sent.
func (a *Action) Render(vars map[string]any) (json.RawMessage, error) {
	now := a.mailer.Now().UTC().Truncate(time.Second)
	inv := &Invite{Method: MethodRequest, Stamp: now, Sequence: Sequence(now)}
	steps := []func(*Invite, map[string]any) error{a.renderPeople, a.renderTexts, a.renderTimes, a.renderCancel}
	for _, step := range steps {
		if err := step(inv, vars); err != nil {
			return nil, err
		}
	}
	if a.uid == nil {
		inv.UID = DefaultUID(inv.Organizer.Address, a.summary.Source(), vars)
	}
	return json.Marshal(a.payload(inv))
}

// renderPeople renders the attendees and the organizer.
func (a *Action) renderPeople(inv *Invite, vars map[string]any) error {
	var err error
	if inv.Attendees, err = a.to.Render(vars); err != nil {
		return err
	}
	if len(inv.Attendees) == 0 {
		return errors.New("no attendees: to rendered empty")
	}
	inv.Organizer = a.mailer.From()
	if a.organizer == nil {
		return nil
	}
	s, err := a.organizer.Render(vars)
	if err != nil {
		return fmt.Errorf("organizer: %w", err)
	}
	if inv.Organizer, err = email.ParseAddress(s); err != nil {
		return fmt.Errorf("organizer: %w", err)
	}
	return nil
}

// renderTexts renders summary, description, location and uid.
func (a *Action) renderTexts(inv *Invite, vars map[string]any) error {
	fields := []struct {
		name string
		t    *tmpl.Template
		dst  *string
	}{{"summary", a.summary, &inv.Summary}, {"description", a.description, &inv.Details}, {"location", a.location, &inv.Location}, {"uid", a.uid, &inv.UID}}
	for _, f := range fields {
		if f.t == nil {
			continue
		}
		s, err := f.t.Render(vars)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = s
	}
	if a.uid != nil && email.CleanText(inv.UID) == "" {
		return errors.New("uid rendered empty")
	}
	inv.UID = email.CleanText(inv.UID)
	return nil
}

// renderTimes renders start and end (or start plus duration).
func (a *Action) renderTimes(inv *Invite, vars map[string]any) error {
	var err error
	if inv.Start, err = renderTime(a.start, vars); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	switch {
	case a.end != nil:
		if inv.End, err = renderTime(a.end, vars); err != nil {
			return fmt.Errorf("end: %w", err)
		}
	case a.durationTmpl != nil:
		s, err := a.durationTmpl.Render(vars)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		d, err := parseDuration(s)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		inv.End = inv.Start.Add(d)
	default:
		inv.End = inv.Start.Add(a.duration)
	}
	if !inv.End.After(inv.Start) {
		return fmt.Errorf("end %s is not after start %s", inv.End.UTC().Format(time.RFC3339), inv.Start.UTC().Format(time.RFC3339))
	}
	return nil
}

// renderTime renders a start or end and reads it as a time.
func renderTime(t *tmpl.Template, vars map[string]any) (time.Time, error) {
	v, err := t.Value(vars)
	if err != nil {
		return time.Time{}, err
	}
	return ParseTime(v)
}

// renderCancel decides between METHOD:REQUEST and METHOD:CANCEL.
func (a *Action) renderCancel(inv *Invite, vars map[string]any) error {
	cancel := a.cancel
	if a.cancelTmpl != nil {
		v, err := a.cancelTmpl.Value(vars)
		if err != nil {
			return fmt.Errorf("cancel: %w", err)
		}
		if cancel, err = asBool(v); err != nil {
			return fmt.Errorf("cancel: %w", err)
		}
	}
	if cancel {
		inv.Method = MethodCancel
	}
	return nil
}

// asBool reads a rendered cancel: a bool, or a string such as "true".
func asBool(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	b, err := strconv.ParseBool(tmpl.String(v))
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", tmpl.String(v))
	}
	return b, nil
}

// payload stores the invite with what the message around it needs. The
// mail comes from smtp.from when set, else from the organizer; replies go
// to the organizer.
func (a *Action) payload(inv *Invite) Payload {
	from := a.mailer.From()
	if from == nil {
		from = inv.Organizer
	}
	p := Payload{
		Date: inv.Stamp, From: from.String(), To: email.Strings(inv.Attendees),
		Subject: subject(inv), Text: plainText(inv), Method: inv.Method,
		UID: inv.UID, Sequence: inv.Sequence, Start: inv.Start.UTC(), End: inv.End.UTC(), ICS: inv.ICS(),
	}
	if inv.Organizer.Address != from.Address {
		p.ReplyTo = (&mail.Address{Name: inv.Organizer.Name, Address: inv.Organizer.Address}).String()
	}
	return p
}
