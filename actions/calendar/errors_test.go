package calendar_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/actions/email"
)

func TestCompileErrors(t *testing.T) {
	k := newKind(t, offline(), renderedAt)
	cases := []struct {
		name, src string
		want      []string
	}{
		{"unknown key and missing keys", "to: a@example.com\nsumary: x\nduration: 1h\n",
			[]string{`2:1: unknown key "sumary" (did you mean "summary"?)`, `1:1: missing required key "summary"`, `1:1: missing required key "start"`}},
		{"end and duration", "to: a@example.com\nsummary: s\nstart: \"{{ event.StartTime }}\"\nend: \"{{ event.EndTime }}\"\nduration: 1h\n",
			[]string{"5:11: set end or duration, not both"}},
		{"neither end nor duration", "to: a@example.com\nsummary: s\nstart: \"{{ event.StartTime }}\"\n",
			[]string{"1:1: calendar needs end or duration"}},
		{"bad duration", "to: a@example.com\nsummary: s\nstart: x\nduration: an hour\n",
			[]string{`4:11: expected a positive duration such as 15s, got "an hour"`}},
		{"bad cancel", "to: a@example.com\nsummary: s\nstart: x\nduration: 1h\ncancel: maybe\n",
			[]string{`5:9: expected true, false or a template, got "maybe"`}},
		{"unknown object", "to: \"{{ candiate.Email }}\"\nsummary: s\nstart: x\nduration: 1h\n",
			[]string{`~(^|\n)1:\d+: .*candiate`}},
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

func TestCompileNeedsOrganizerWithoutDefault(t *testing.T) {
	k := newKind(t, email.Config{Host: "smtp.example.com"}, renderedAt)
	const src = "to: a@example.com\nsummary: s\nstart: \"{{ event.StartTime }}\"\nduration: 1h\n"
	if _, err := compile(t, k, src); err == nil || !strings.Contains(err.Error(), "organizer") {
		t.Errorf("Compile = %v, want a missing organizer error", err)
	}
	_, p := render(t, mustCompile(t, k, src+"organizer: boss@example.com\n"), vars(t, nil))
	if p.From != "<boss@example.com>" || p.ReplyTo != "" {
		t.Errorf("from %q reply-to %q, want the organizer as sender", p.From, p.ReplyTo)
	}
}

func TestRenderErrors(t *testing.T) {
	k := newKind(t, offline(), renderedAt)
	cases := []struct {
		name, src string
		edit      func(ev map[string]any)
		want      string
	}{
		{"bad start", interview, func(ev map[string]any) { ev["StartTime"] = "next tuesday" }, `start: "next tuesday" is neither RFC 3339`},
		{"missing start", interview, func(ev map[string]any) { delete(ev, "StartTime") }, "start: is empty"},
		{"end before start", strings.Replace(interview, "duration: 1h", `end: "2026-03-10T07:00:00Z"`, 1), nil, "is not after start"},
		{"bad attendee", strings.Replace(interview, "to: [", "to: [\"{{ event.Extra }}\", ", 1), func(ev map[string]any) { ev["Extra"] = "nobody" }, "not a valid email address"},
		{"bad organizer", strings.Replace(interview, "organizer: \"Ola Hansen <{{ position.PositionLeader.Email }}>\"", "organizer: \"{{ event.Who }}\"", 1), func(ev map[string]any) { ev["Who"] = "a@b.c, d@e.f" }, "organizer: "},
		{"bad duration", strings.Replace(interview, "duration: 1h", `duration: "{{ event.Length }}"`, 1), func(ev map[string]any) { ev["Length"] = "90" }, "duration: \"90\" is not a positive duration"},
		{"empty uid", interview + "uid: \"{{ event.Nothing }}\"\n", nil, "uid rendered empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := mustCompile(t, k, c.src).Render(vars(t, c.edit))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Render = %v, want %q", err, c.want)
			}
		})
	}
}

func TestLoneDateKeepsItsType(t *testing.T) {
	k := newKind(t, offline(), renderedAt)
	a := mustCompile(t, k, "to: a@example.com\nsummary: s\nstart: \"{{ event.When }}\"\nend: \"{{ event.When + duration('90m') }}\"\n")
	when := renderedAt.Add(48 * 3600e9)
	_, p := render(t, a, vars(t, func(ev map[string]any) { ev["When"] = when }))
	if !p.Start.Equal(when) || p.End.Sub(p.Start).Minutes() != 90 {
		t.Errorf("start %v end %v", p.Start, p.End)
	}
	if refs := a.Refs(); !slices.Equal(refs, []string{"event"}) {
		t.Errorf("Refs = %q", refs)
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
