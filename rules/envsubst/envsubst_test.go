package envsubst

import (
	"errors"
	"testing"
)

func lookup(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestParseFlowMappingAndHostileValues(t *testing.T) {
	src := "smtp: {host: h, port: ${PORT}, password: ${PW}}\nurl: https://x/${CUST}/a\nlit: $${KEEP}\ndef: ${NOPE:-fallback}\n"
	root, errs, err := Parse([]byte(src), lookup(map[string]string{"PORT": "2525", "PW": "a#b}: c", "CUST": "acme"}))
	if err != nil || len(errs) > 0 {
		t.Fatalf("err=%v errs=%v", err, errs)
	}
	var got struct {
		SMTP struct {
			Host     string
			Port     int
			Password string
		}
		URL, Lit, Def string
	}
	if err := root.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.SMTP.Port != 2525 || got.SMTP.Password != "a#b}: c" || got.URL != "https://x/acme/a" || got.Lit != "${KEEP}" || got.Def != "fallback" {
		t.Errorf("got %+v", got)
	}
}

func TestMissingVariableHasPlace(t *testing.T) {
	root, errs, err := Parse([]byte("a: 1\nb:\n  c: \"x ${MISSING} y\"\n"), lookup(nil))
	if err != nil || root == nil {
		t.Fatal(err)
	}
	var e *Error
	if len(errs) != 1 || !errors.As(errs[0], &e) || e.Line != 3 || e.Column != 6 || e.Msg != "environment variable MISSING is not set" {
		t.Fatalf("errs = %v", errs)
	}
	if errs[0].Error() != "3:6: environment variable MISSING is not set" {
		t.Errorf("message = %q", errs[0])
	}
}

func TestSyntaxErrorStillReported(t *testing.T) {
	if _, _, err := Parse([]byte("a: [\n"), lookup(nil)); err == nil {
		t.Fatal("no error")
	}
}
