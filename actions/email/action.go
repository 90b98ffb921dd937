package email

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Action is a compiled email action.
type Action struct {
	to, cc, bcc, replyTo *Addresses
	fromTmpl             *tmpl.Template
	from                 *mail.Address // smtp.from, used when fromTmpl is nil
	subject, text, html  *tmpl.Template
	now                  func() time.Time
}

// Payload is what an email action renders and stores with the delivery:
// addresses already validated and formatted, texts rendered.
type Payload struct {
	Date    time.Time `json:"date"`
	From    string    `json:"from"`
	To      []string  `json:"to,omitempty"`
	Cc      []string  `json:"cc,omitempty"`
	Bcc     []string  `json:"bcc,omitempty"`
	ReplyTo []string  `json:"reply_to,omitempty"`
	Subject string    `json:"subject"`
	Text    string    `json:"text,omitempty"`
	HTML    string    `json:"html,omitempty"`
}

// Refs returns the root names the action's templates use.
func (a *Action) Refs() []string {
	lists := [][]string{a.to.Refs(), a.cc.Refs(), a.bcc.Refs(), a.replyTo.Refs()}
	for _, t := range []*tmpl.Template{a.fromTmpl, a.subject, a.text, a.html} {
		if t != nil {
			lists = append(lists, t.Refs())
		}
	}
	return actions.Refs(lists...)
}

// Render renders the addresses and texts. An address that does not parse,
// or no recipient at all, is an error: the delivery cannot be made.
func (a *Action) Render(vars map[string]any) (json.RawMessage, error) {
	p := Payload{Date: a.now().Truncate(time.Second)}
	var err error
	if p.From, err = a.renderFrom(vars); err != nil {
		return nil, err
	}
	total := 0
	for _, l := range []struct {
		list *Addresses
		dst  *[]string
	}{{a.to, &p.To}, {a.cc, &p.Cc}, {a.bcc, &p.Bcc}, {a.replyTo, &p.ReplyTo}} {
		if *l.dst, err = renderList(l.list, vars); err != nil {
			return nil, err
		}
		if l.list != a.replyTo {
			total += len(*l.dst)
		}
	}
	if total == 0 {
		return nil, errors.New("no recipients: to, cc and bcc rendered empty")
	}
	for _, f := range []struct {
		name string
		t    *tmpl.Template
		dst  *string
	}{{"subject", a.subject, &p.Subject}, {"text", a.text, &p.Text}, {"html", a.html, &p.HTML}} {
		if err := renderText(f.name, f.t, vars, f.dst); err != nil {
			return nil, err
		}
	}
	return json.Marshal(p)
}

// renderFrom renders the from template, or uses smtp.from.
func (a *Action) renderFrom(vars map[string]any) (string, error) {
	if a.fromTmpl == nil {
		return a.from.String(), nil
	}
	s, err := a.fromTmpl.Render(vars)
	if err != nil {
		return "", fmt.Errorf("from: %w", err)
	}
	from, err := ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("from: %w", err)
	}
	return from.String(), nil
}

// renderList renders a list of addresses; a nil list renders to nil.
func renderList(l *Addresses, vars map[string]any) ([]string, error) {
	if l == nil {
		return nil, nil
	}
	list, err := l.Render(vars)
	if err != nil {
		return nil, err
	}
	return Strings(list), nil
}

// renderText renders t into dst; a nil t leaves dst empty.
func renderText(name string, t *tmpl.Template, vars map[string]any, dst *string) error {
	if t == nil {
		return nil
	}
	s, err := t.Render(vars)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = s
	return nil
}
