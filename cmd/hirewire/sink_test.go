package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSinkPrintsWhatItReceives(t *testing.T) {
	var out bytes.Buffer
	srv := httptest.NewServer(sinkHandler(&lockedWriter{w: &out}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hris/hires", strings.NewReader(`{"firstName":"Kari"}`))
	req.Header.Set("Idempotency-Key", "01X.announce-hire.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	for _, want := range []string{"--- HTTP POST /hris/hires", "Idempotency-Key: 01X.announce-hire.1", `{"firstName":"Kari"}`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	s := &sinkSession{out: &out}
	_ = s.Mail("recruiting@example.com", nil)
	_ = s.Rcpt("kari@example.com", nil)
	if err := s.Data(strings.NewReader("Subject: Hi\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "--- MAIL from recruiting@example.com to kari@example.com") || !strings.Contains(out.String(), "Subject: Hi") {
		t.Errorf("mail output:\n%s", out.String())
	}
}
