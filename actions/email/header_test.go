package email_test

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/actions/email"
)

func TestHeaderFoldsAndEncodes(t *testing.T) {
	subject := strings.Repeat("Søknad mottatt – 面接のご案内 ", 6)
	var to []*mail.Address
	for i, n := range []string{"Kari Nordmann", "Ola Hansen", "Åse Ødegård", "Per Persen", "Line Linnestad"} {
		to = append(to, &mail.Address{Name: n, Address: "person" + string(rune('a'+i)) + "@example.com"})
	}
	var h email.Header
	h.SetText("Subject", subject+"\r\nBcc: evil@example.com")
	h.SetAddresses("To", to)
	var b bytes.Buffer
	if _, err := h.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line of %d octets: %q", len(line), line)
		}
		for i := 0; i < len(line); i++ {
			if line[i] >= 0x80 {
				t.Fatalf("header line is not ASCII: %q", line)
			}
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(b.String() + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if want := strings.TrimSpace(subject) + " Bcc: evil@example.com"; err != nil || got != want {
		t.Errorf("Subject = %q (%v), want %q", got, err, want)
	}
	if len(m.Header["Bcc"]) != 0 {
		t.Error("a Bcc header was injected")
	}
	list, err := m.Header.AddressList("To")
	if err != nil || len(list) != 5 || list[2].Name != "Åse Ødegård" {
		t.Errorf("To = %v, %v", list, err)
	}
}

func TestMessageIDAndBoundary(t *testing.T) {
	from := &mail.Address{Address: "recruiting@example.com"}
	if id := email.MessageID("01J/ab c", from); id != "<hirewire.01J-ab-c@example.com>" {
		t.Errorf("MessageID = %q", id)
	}
	if id := email.MessageID("x", nil); id != "<hirewire.x@hirewire.invalid>" {
		t.Errorf("MessageID without sender = %q", id)
	}
	if a, b := email.Boundary("seed"), email.Boundary("seed"); a != b || !strings.HasPrefix(a, "=_") {
		t.Errorf("Boundary = %q, %q", a, b)
	}
}
