package email

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
)

// TextPart adds a part of the given media type (e.g. "text/plain") with a
// UTF-8 body in quoted-printable, which keeps every line short and 7-bit.
func TextPart(w *multipart.Writer, mediaType string, params map[string]string, body string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mediaTypeUTF8(mediaType, params))
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("creating %s part: %w", mediaType, err)
	}
	return WriteQuotedPrintable(pw, body)
}

// Base64Part adds a part with the given header and a base64 body.
func Base64Part(w *multipart.Writer, h textproto.MIMEHeader, body []byte) error {
	h.Set("Content-Transfer-Encoding", "base64")
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("creating part: %w", err)
	}
	return WriteBase64(pw, body)
}

// mediaTypeUTF8 formats a media type with charset=UTF-8 and params.
func mediaTypeUTF8(mediaType string, params map[string]string) string {
	p := map[string]string{"charset": "UTF-8"}
	for k, v := range params {
		p[k] = v
	}
	return mime.FormatMediaType(mediaType, p)
}

// WriteQuotedPrintable writes body quoted-printable, with CRLF line breaks.
func WriteQuotedPrintable(w io.Writer, body string) error {
	qw := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qw, body); err != nil {
		return fmt.Errorf("encoding body: %w", err)
	}
	if err := qw.Close(); err != nil {
		return fmt.Errorf("encoding body: %w", err)
	}
	return nil
}

// WriteBase64 writes data in base64 lines of 76 characters ending in CRLF.
func WriteBase64(w io.Writer, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 0 {
		n := min(76, len(enc))
		if _, err := io.WriteString(w, enc[:n]+"\r\n"); err != nil {
			return fmt.Errorf("encoding body: %w", err)
		}
		enc = enc[n:]
	}
	return nil
}

// Multipart returns the Content-Type of a multipart body and a writer for
// it with a boundary derived from seed.
func Multipart(w io.Writer, subtype, seed string) (*multipart.Writer, string) {
	mw := multipart.NewWriter(w)
	b := Boundary(seed + "/" + subtype)
	_ = mw.SetBoundary(b) // Boundary only makes valid boundaries
	return mw, mime.FormatMediaType("multipart/"+subtype, map[string]string{"boundary": b})
}
