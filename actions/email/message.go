package email

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
)

// Outgoing is a message ready for Mailer.Send.
type Outgoing struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// Recipients are the envelope recipients (RCPT TO), Bcc included.
	Recipients []string
	// Data is the message with CRLF line endings.
	Data []byte
}

// parsed holds a payload's addresses, parsed again.
type parsed struct {
	from                 *mail.Address
	to, cc, bcc, replyTo []*mail.Address
}

// parse reads the stored addresses back.
func (p *Payload) parse() (*parsed, error) {
	var r parsed
	var err error
	if r.from, err = ParseAddress(p.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	lists := []struct {
		src []string
		dst *[]*mail.Address
	}{{p.To, &r.to}, {p.Cc, &r.cc}, {p.Bcc, &r.bcc}, {p.ReplyTo, &r.replyTo}}
	for _, l := range lists {
		if *l.dst, err = ParseStrings(l.src); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// Build turns the payload into a message for delivery id. Bcc recipients
// are envelope recipients only: no Bcc header is written.
func (p *Payload) Build(id string) (*Outgoing, error) {
	a, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("email payload: %w", err)
	}
	var rcpt []string
	for _, l := range [][]*mail.Address{a.to, a.cc, a.bcc} {
		for _, x := range l {
			rcpt = append(rcpt, x.Address)
		}
	}
	if len(rcpt) == 0 {
		return nil, errors.New("email payload has no recipients")
	}
	msgID := MessageID(id, a.from)
	var h Header
	h.SetDate(p.Date)
	h.SetAddresses("From", []*mail.Address{a.from})
	if len(a.to)+len(a.cc) == 0 {
		h.Set("To", "undisclosed-recipients:;")
	}
	h.SetAddresses("To", a.to)
	h.SetAddresses("Cc", a.cc)
	h.SetAddresses("Reply-To", a.replyTo)
	h.SetText("Subject", p.Subject)
	h.Set("Message-ID", msgID)
	h.Set("MIME-Version", "1.0")
	h.Set("Auto-Submitted", "auto-generated")
	var b bytes.Buffer
	if err := p.writeBody(&b, &h, msgID); err != nil {
		return nil, err
	}
	return &Outgoing{From: a.from.Address, Recipients: rcpt, Data: b.Bytes()}, nil
}

// writeBody writes the header h, completed with the body's Content-Type,
// and the body: one text part, or multipart/alternative when there is both
// text and HTML.
func (p *Payload) writeBody(b *bytes.Buffer, h *Header, seed string) error {
	if p.Text == "" || p.HTML == "" {
		mediaType, body := "text/plain", p.Text
		if p.HTML != "" {
			mediaType, body = "text/html", p.HTML
		}
		h.Set("Content-Type", mediaTypeUTF8(mediaType, nil))
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		_, _ = h.WriteTo(b)
		b.WriteString("\r\n")
		return WriteQuotedPrintable(b, body)
	}
	var body bytes.Buffer
	mw, contentType := Multipart(&body, "alternative", seed)
	if err := TextPart(mw, "text/plain", nil, p.Text); err != nil {
		return err
	}
	if err := TextPart(mw, "text/html", nil, p.HTML); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("closing multipart: %w", err)
	}
	h.Set("Content-Type", contentType)
	_, _ = h.WriteTo(b)
	b.WriteString("\r\n")
	_, _ = body.WriteTo(b)
	return nil
}
