package email_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/actions/email"
)

func TestCompileErrors(t *testing.T) {
	k := newKind(t, email.Config{Host: "smtp.example.com", From: "recruiting@example.com"})
	cases := []struct {
		name, src string
		want      []string
	}{
		{"unknown keys, all reported", "to: a@example.com\nsubjekt: x\ntext: t\nbody: b\n",
			[]string{`2:1: unknown key "subjekt" (did you mean "subject"?)`, `4:1: unknown key "body"`, `1:1: missing required key "subject"`}},
		{"no recipient, no body", "subject: s\n",
			[]string{"1:1: email needs a recipient", "1:1: email needs a body"}},
		{"bad template", "to: \"{{ candidat.Email }}\"\nsubject: \"{{ candidate.FirstName \"\ntext: t\n",
			[]string{`~(^|\n)1:\d+: .*candidat`, `~(^|\n)2:\d+: .*unclosed`}},
		{"to is a mapping", "to: {a: b}\nsubject: s\ntext: t\n", []string{"1:5: expected a list of strings"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := compile(t, k, c.src)
			if err == nil {
				t.Fatal("Compile succeeded")
			}
			for _, w := range c.want {
				if !matches(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompileNeedsFromWithoutDefault(t *testing.T) {
	k := newKind(t, email.Config{Host: "smtp.example.com"})
	if _, err := compile(t, k, simpleMail); err == nil || !strings.Contains(err.Error(), "smtp.from is not set") {
		t.Errorf("Compile = %v, want a missing from error", err)
	}
	a := mustCompile(t, k, simpleMail+"from: \"Hiring {{ position.Name }} <jobs@example.com>\"\n")
	raw, err := a.Render(vars(t, nil))
	if err != nil || !strings.Contains(string(raw), `"from":"\"Hiring Backend Developer\" \u003cjobs@example.com\u003e"`) {
		t.Errorf("Render = %s, %v", raw, err)
	}
}

func TestRenderRejectsBadAddresses(t *testing.T) {
	k := newKind(t, email.Config{Host: "smtp.example.com", From: "recruiting@example.com"})
	cases := []struct {
		name, email, want string
	}{
		{"not an address", "kari nordmann", "not a valid email address"},
		{"header injection", "kari@example.com\r\nBcc: evil@example.com", "not a valid email address"},
		{"empty", "", "no recipients"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := mustCompile(t, k, simpleMail)
			_, err := a.Render(vars(t, func(m map[string]any) { m["Email"] = c.email }))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Render = %v, want %q", err, c.want)
			}
		})
	}
}

func TestRenderAcceptsListsAndSkipsEmpty(t *testing.T) {
	k := newKind(t, email.Config{Host: "smtp.example.com", From: "recruiting@example.com"})
	a := mustCompile(t, k, "to: [\"{{ candidate.Details.SecondaryEmail }}\", \"{{ [candidate.Email, 'b@example.com'] }}\", \"c@example.com, d@example.com\"]\nsubject: s\ntext: t\n")
	raw, err := a.Render(vars(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := `"to":["\u003ckari.nordmann@example.com\u003e","\u003cb@example.com\u003e","\u003cc@example.com\u003e","\u003cd@example.com\u003e"]`
	if !strings.Contains(string(raw), want) {
		t.Errorf("payload %s lacks %s", raw, want)
	}
}

func TestNewChecksConfig(t *testing.T) {
	cases := []struct {
		cfg  email.Config
		want string
	}{
		{email.Config{}, "smtp.host is required"},
		{email.Config{Host: "h", TLS: "ssl"}, `smtp.tls "ssl"`},
		{email.Config{Host: "h", Port: 70000}, "out of range"},
		{email.Config{Host: "h", From: "not an address"}, "smtp.from"},
		{email.Config{Host: "smtp.example.com", TLS: email.NoTLS, Username: "u", Password: "hunter2"}, "needs tls"},
	}
	for _, c := range cases {
		_, err := email.New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v) = %v, want %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	if _, err := email.New(email.Config{Host: "127.0.0.1", TLS: email.NoTLS, Username: "u", Password: "p"}); err != nil {
		t.Errorf("AUTH without TLS to loopback: %v", err)
	}
}

func TestConfigNeverPrintsPassword(t *testing.T) {
	cfg := email.Config{Host: "h", Username: "u", Password: "hunter2"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.String()} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "<redacted>") {
			t.Errorf("formatted config %q", s)
		}
	}
}

// matches reports whether msg contains want, or matches the regular
// expression after a leading "~" (for columns inside a template, which the
// template compiler may refine).
func matches(msg, want string) bool {
	if re, ok := strings.CutPrefix(want, "~"); ok {
		return regexp.MustCompile(re).MatchString(msg)
	}
	return strings.Contains(msg, want)
}
