package calendar

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The methods of an invitation (RFC 5546).
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
)

// prodID names hirewire as the producer of the calendar.
const prodID = "-//hirewire//hirewire//EN"

// Invite is one event sent as an iTIP message.
type Invite struct {
	Method    string
	UID       string
	Sequence  int64
	Stamp     time.Time
	Start     time.Time
	End       time.Time
	Summary   string
	Details   string
	Location  string
	Organizer *mail.Address
	Attendees []*mail.Address
}

// ICS returns the invite as an iCalendar object (RFC 5545): CRLF line
// endings, lines folded at 75 octets, times in UTC.
func (inv *Invite) ICS() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(fold(s)) }
	status := "CONFIRMED"
	if inv.Method == MethodCancel {
		status = "CANCELLED"
	}
	line("BEGIN:VCALENDAR")
	line("PRODID:" + prodID)
	line("VERSION:2.0")
	line("CALSCALE:GREGORIAN")
	line("METHOD:" + inv.Method)
	line("BEGIN:VEVENT")
	line("UID:" + escape(inv.UID))
	line("SEQUENCE:" + strconv.FormatInt(inv.Sequence, 10))
	line("DTSTAMP:" + utc(inv.Stamp))
	line("DTSTART:" + utc(inv.Start))
	line("DTEND:" + utc(inv.End))
	line("SUMMARY:" + escape(inv.Summary))
	if inv.Details != "" {
		line("DESCRIPTION:" + escape(inv.Details))
	}
	if inv.Location != "" {
		line("LOCATION:" + escape(inv.Location))
	}
	line("ORGANIZER" + cn(inv.Organizer) + ":mailto:" + inv.Organizer.Address)
	for _, a := range inv.Attendees {
		line("ATTENDEE" + cn(a) + ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:" + a.Address)
	}
	line("STATUS:" + status)
	line("TRANSP:OPAQUE")
	line("END:VEVENT")
	line("END:VCALENDAR")
	return b.String()
}

// utc formats t as an iCalendar UTC date-time.
func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// cn returns the ;CN= parameter of an address with a name. Parameter values
// cannot hold quotes or control characters, so those are dropped.
func cn(a *mail.Address) string {
	name := strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, a.Name)
	if name == "" {
		return ""
	}
	return `;CN="` + name + `"`
}

// escape escapes a TEXT value: backslash, semicolon, comma, and line breaks
// as \n; other control characters but tab are dropped.
func escape(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t' || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold writes one content line, folded so that no line is longer than 75
// octets (the leading space of a continuation counts) and no UTF-8 sequence
// is split, each line ending in CRLF.
func fold(s string) string {
	const limit = 75
	var b strings.Builder
	width := limit
	for len(s) > width {
		i := width
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		b.WriteString(s[:i])
		b.WriteString("\r\n ")
		s = s[i:]
		width = limit - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}
