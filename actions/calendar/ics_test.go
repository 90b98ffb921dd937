package calendar_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/hirewire/hirewire/actions/calendar"
)

var update = flag.Bool("update", false, "rewrite testdata/*.ics.golden")

func TestGolden(t *testing.T) {
	cases := map[string]string{
		"request": interview,
		"cancel":  interview + "cancel: true\n",
		"minimal": "to: \"{{ candidate.Email }}\"\nsummary: Interview\nstart: \"/Date(1523353751000+0200)/\"\nend: \"2018-04-10T12:30:00+02:00\"\nuid: \"interview-{{ event.CandidateId }}@example.com\"\n",
		"folded": "to: \"{{ candidate.Email }}\"\nsummary: \"Intervju for {{ position.Name }} – førstegangssamtale med Kari Nordmann på kontoret i Oslo\"\n" +
			"description: \"" + strings.Repeat("Blåbærsyltetøy 😀, ", 12) + "\"\nstart: \"{{ event.StartTime }}\"\nduration: 45m\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			k := newKind(t, offline(), renderedAt)
			_, p := render(t, mustCompile(t, k, src), vars(t, nil))
			path := filepath.Join("testdata", name+".ics.golden")
			if *update {
				if err := os.WriteFile(path, []byte(p.ICS), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if p.ICS != string(want) {
				t.Errorf("rendered .ics differs from %s:\n%s", path, p.ICS)
			}
			checkLines(t, p.ICS)
		})
	}
}

// checkLines checks that the calendar has CRLF line endings and that no
// line is longer than 75 octets or splits a UTF-8 sequence.
func checkLines(t *testing.T, ics string) {
	t.Helper()
	if !strings.HasSuffix(ics, "\r\n") || strings.Contains(strings.ReplaceAll(ics, "\r\n", ""), "\n") {
		t.Error("lines do not all end in CRLF")
	}
	for _, line := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line splits a UTF-8 sequence: %q", line)
		}
	}
}

func TestFoldingKeepsLongMultibyteText(t *testing.T) {
	long := strings.Repeat("Æøå – 面接 😀; ", 20) + "\nslutt, ferdig"
	k := newKind(t, offline(), renderedAt)
	a := mustCompile(t, k, "to: a@example.com\nsummary: s\nstart: \"{{ event.StartTime }}\"\nduration: 1h\ndescription: \"{{ event.Notes }}\"\n")
	_, p := render(t, a, vars(t, func(ev map[string]any) { ev["Notes"] = long }))
	checkLines(t, p.ICS)
	if !strings.Contains(p.ICS, "\r\n ") {
		t.Fatal("the long description was not folded")
	}
	c, err := ical.NewDecoder(strings.NewReader(p.ICS)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Events()[0].Props.Text("DESCRIPTION")
	if err != nil || got != long {
		t.Errorf("DESCRIPTION after unfolding = %q, %v; want %q", got, err, long)
	}
}

func TestReinviteKeepsUIDAndRaisesSequence(t *testing.T) {
	first, second := renderedAt, renderedAt.Add(26*time.Hour)
	var uids []string
	var seqs []int64
	for _, now := range []time.Time{first, second} {
		k := newKind(t, offline(), now)
		// A new compile, as after a rules reload: the UID must not depend on it.
		_, p := render(t, mustCompile(t, k, interview), vars(t, nil))
		uids = append(uids, p.UID)
		seqs = append(seqs, p.Sequence)
	}
	if uids[0] != uids[1] || !strings.HasSuffix(uids[0], "@hirewire") || len(uids[0]) != 32+len("@hirewire") {
		t.Errorf("UIDs = %q, want one stable …@hirewire UID", uids)
	}
	if seqs[1] <= seqs[0] {
		t.Errorf("SEQUENCE %d then %d, want increasing", seqs[0], seqs[1])
	}
	if want := int64(26 * 3600); seqs[1]-seqs[0] != want {
		t.Errorf("SEQUENCE grew by %d, want %d (seconds)", seqs[1]-seqs[0], want)
	}

	other := vars(t, func(ev map[string]any) { ev["CandidateId"] = 1234 })
	_, p := render(t, mustCompile(t, newKind(t, offline(), first), interview), other)
	if p.UID == uids[0] {
		t.Error("another candidate got the same UID")
	}
}

func TestCancelKeepsUID(t *testing.T) {
	k := newKind(t, offline(), renderedAt)
	_, req := render(t, mustCompile(t, k, interview), vars(t, nil))
	_, cancel := render(t, mustCompile(t, k, interview+"cancel: \"{{ event.Type == 'SendCalendarInvite' }}\"\n"), vars(t, nil))
	if cancel.UID != req.UID {
		t.Errorf("cancel UID %q, invite UID %q", cancel.UID, req.UID)
	}
	c, err := ical.NewDecoder(strings.NewReader(cancel.ICS)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Props.Get("METHOD"); m == nil || m.Value != "CANCEL" {
		t.Errorf("METHOD = %v", m)
	}
	if s, err := c.Events()[0].Status(); err != nil || s != ical.EventCancelled {
		t.Errorf("STATUS = %v, %v", s, err)
	}
	if cancel.Method != "CANCEL" || !strings.HasPrefix(cancel.Subject, "Cancelled: ") {
		t.Errorf("payload method %q subject %q", cancel.Method, cancel.Subject)
	}
	out, err := cancel.Build("01JCANCEL")
	if err != nil || !bytes.Contains(out.Data, []byte("text/calendar; charset=UTF-8; method=CANCEL")) {
		t.Errorf("message lacks method=CANCEL (%v)", err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2018, 4, 10, 9, 49, 11, 0, time.UTC)
	good := []any{
		"/Date(1523353751000+0200)/", "/Date(1523353751000)/", " /Date(1523353751000-0500)/ ",
		"2018-04-10T09:49:11Z", "2018-04-10T11:49:11+02:00", "2018-04-10T09:49:11.000Z",
		want.In(time.FixedZone("CEST", 7200)), &want,
	}
	for _, v := range good {
		got, err := calendar.ParseTime(v)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%v) = %v, %v; want %v", v, got, err, want)
		}
	}
	bad := []any{nil, "", "tomorrow", "2018-04-10 09:49", "2018-04-10T09:49:11", "/Date(abc)/", 1523353751000, time.Time{}}
	for _, v := range bad {
		if got, err := calendar.ParseTime(v); err == nil {
			t.Errorf("ParseTime(%#v) = %v, want an error", v, got)
		}
	}
}

func TestSequenceEpoch(t *testing.T) {
	if s := calendar.Sequence(time.Date(2020, 1, 1, 0, 0, 1, 0, time.UTC)); s != 1 {
		t.Errorf("Sequence one second after the epoch = %d", s)
	}
	if s := calendar.Sequence(time.Date(2088, 1, 1, 0, 0, 0, 0, time.UTC)); s > 1<<31-1 {
		t.Errorf("Sequence in 2088 = %d, over 32 bits", s)
	}
}
