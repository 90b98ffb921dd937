package calendar

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/hirewire/hirewire/actions/email"
)

// subject is the mail's subject: the summary, marked when cancelled.
func subject(inv *Invite) string {
	if inv.Method == MethodCancel {
		return "Cancelled: " + inv.Summary
	}
	return "Invitation: " + inv.Summary
}

// plainText is the text/plain alternative for readers without a calendar.
func plainText(inv *Invite) string {
	var b strings.Builder
	if inv.Method == MethodCancel {
		b.WriteString("This event has been cancelled.\n\n")
	}
	b.WriteString(inv.Summary + "\n\n")
	b.WriteString("When: " + span(inv.Start, inv.End) + "\n")
	if inv.Location != "" {
		b.WriteString("Where: " + inv.Location + "\n")
	}
	b.WriteString("Organizer: " + inv.Organizer.Address + "\n")
	if inv.Details != "" {
		b.WriteString("\n" + inv.Details + "\n")
	}
	return b.String()
}

// span formats start and end in UTC, the end's date only when it differs.
func span(start, end time.Time) string {
	start, end = start.UTC(), end.UTC()
	const day, clock = "Mon 2 Jan 2006 15:04", "15:04"
	if start.YearDay() == end.YearDay() && start.Year() == end.Year() {
		return start.Format(day) + "–" + end.Format(clock) + " UTC"
	}
	return start.Format(day) + " – " + end.Format(day) + " UTC"
}

// Build wraps the invitation for delivery id in an iMIP message:
// multipart/mixed holding multipart/alternative (text/plain, text/calendar
// with the method) and the same calendar as the attachment invite.ics.
func (p *Payload) Build(id string) (*email.Outgoing, error) {
	from, err := email.ParseAddress(p.From)
	if err != nil {
		return nil, fmt.Errorf("calendar payload: from: %w", err)
	}
	to, err := email.ParseStrings(p.To)
	if err != nil || len(to) == 0 {
		return nil, fmt.Errorf("calendar payload: to: no valid attendees (%v)", err)
	}
	msgID := email.MessageID(id, from)
	var body bytes.Buffer
	contentType, err := p.writeBody(&body, msgID)
	if err != nil {
		return nil, err
	}
	h := p.header(from, to, msgID)
	h.Set("Content-Type", contentType)
	var b bytes.Buffer
	_, _ = h.WriteTo(&b)
	b.WriteString("\r\n")
	_, _ = body.WriteTo(&b)
	rcpt := make([]string, len(to))
	for i, a := range to {
		rcpt[i] = a.Address
	}
	return &email.Outgoing{From: from.Address, Recipients: rcpt, Data: b.Bytes()}, nil
}

// header returns the invitation's header fields but Content-Type.
func (p *Payload) header(from *mail.Address, to []*mail.Address, msgID string) *email.Header {
	var h email.Header
	h.SetDate(p.Date)
	h.SetAddresses("From", []*mail.Address{from})
	h.SetAddresses("To", to)
	if r, err := email.ParseAddress(p.ReplyTo); err == nil {
		h.SetAddresses("Reply-To", []*mail.Address{r})
	}
	h.SetText("Subject", p.Subject)
	h.Set("Message-ID", msgID)
	h.Set("MIME-Version", "1.0")
	h.Set("Auto-Submitted", "auto-generated")
	return &h
}

// writeBody writes the multipart body and returns its Content-Type.
func (p *Payload) writeBody(b *bytes.Buffer, seed string) (string, error) {
	mixed, mixedType := email.Multipart(b, "mixed", seed)
	var alt bytes.Buffer
	altWriter, altType := email.Multipart(&alt, "alternative", seed)
	if err := email.TextPart(altWriter, "text/plain", nil, p.Text); err != nil {
		return "", err
	}
	method := strings.ToUpper(p.Method)
	ch := textproto.MIMEHeader{}
	ch.Set("Content-Type", mime.FormatMediaType("text/calendar", map[string]string{"charset": "UTF-8", "method": method}))
	if err := email.Base64Part(altWriter, ch, []byte(p.ICS)); err != nil {
		return "", err
	}
	if err := altWriter.Close(); err != nil {
		return "", fmt.Errorf("closing multipart: %w", err)
	}
	if err := nest(mixed, altType, alt.Bytes()); err != nil {
		return "", err
	}
	ah := textproto.MIMEHeader{}
	ah.Set("Content-Type", mime.FormatMediaType("application/ics", map[string]string{"name": "invite.ics"}))
	ah.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "invite.ics"}))
	if err := email.Base64Part(mixed, ah, []byte(p.ICS)); err != nil {
		return "", err
	}
	if err := mixed.Close(); err != nil {
		return "", fmt.Errorf("closing multipart: %w", err)
	}
	return mixedType, nil
}

// nest adds a finished multipart body as a part of w.
func nest(w *multipart.Writer, contentType string, body []byte) error {
	pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {contentType}})
	if err != nil {
		return fmt.Errorf("creating part: %w", err)
	}
	if _, err := pw.Write(body); err != nil {
		return fmt.Errorf("writing part: %w", err)
	}
	return nil
}
