package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"
)

// Header is an ordered list of header fields that event data cannot break
// out of: every value is cleaned of control characters (CleanText), text
// that is not ASCII is encoded with mime.QEncoding, and long fields are
// folded.
type Header struct {
	fields [][2]string
}

// Set adds a structured field (Content-Type, Message-ID, …) as it is, only
// cleaned.
func (h *Header) Set(name, value string) {
	h.fields = append(h.fields, [2]string{name, CleanText(value)})
}

// SetText adds an unstructured field such as Subject.
func (h *Header) SetText(name, value string) {
	h.fields = append(h.fields, [2]string{name, mime.QEncoding.Encode("utf-8", CleanText(value))})
}

// SetAddresses adds an address field; nothing is added for an empty list.
func (h *Header) SetAddresses(name string, list []*mail.Address) {
	if len(list) == 0 {
		return
	}
	clean := make([]*mail.Address, len(list))
	for i, a := range list {
		clean[i] = &mail.Address{Name: CleanText(a.Name), Address: CleanText(a.Address)}
	}
	h.fields = append(h.fields, [2]string{name, strings.Join(Strings(clean), ", ")})
}

// SetDate adds a Date field.
func (h *Header) SetDate(t time.Time) {
	h.fields = append(h.fields, [2]string{"Date", t.Format(time.RFC1123Z)})
}

// WriteTo writes the fields, each ending in CRLF, without the blank line
// that ends a header.
func (h *Header) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for _, f := range h.fields {
		b.WriteString(fold(f[0] + ": " + f[1]))
		b.WriteString("\r\n")
	}
	return b.WriteTo(w)
}

// fold breaks a field longer than 78 octets at spaces (RFC 5322 2.2.3).
func fold(line string) string {
	const limit = 78
	var b strings.Builder
	for len(line) > limit {
		i := strings.LastIndexByte(line[:limit], ' ')
		if i <= 0 {
			i = strings.IndexByte(line[1:], ' ') + 1
			if i <= 0 {
				break
			}
		}
		b.WriteString(line[:i])
		b.WriteString("\r\n")
		line = line[i:]
	}
	b.WriteString(line)
	return b.String()
}

// MessageID returns the Message-ID for a delivery: the same for every
// attempt, so that a resent message is recognisable as the same one. The
// domain is the sender's.
func MessageID(deliveryID string, from *mail.Address) string {
	local := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, deliveryID)
	domain := "hirewire.invalid"
	if from != nil {
		if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i+1 < len(from.Address) {
			domain = CleanText(from.Address[i+1:])
		}
	}
	return "<hirewire." + local + "@" + domain + ">"
}

// Boundary returns a multipart boundary derived from seed, so that the same
// message is built byte for byte the same. "=_" cannot occur in
// quoted-printable or base64 text, so no body can contain it.
func Boundary(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return "=_hw" + hex.EncodeToString(sum[:12])
}
