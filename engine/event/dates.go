package event

import (
	"regexp"
	"strconv"
	"time"
)

// msDate matches HR Manager's dates, "/Date(1523353751000+0200)/": the
// milliseconds are since the epoch in UTC; the offset only says where the
// time was entered.
var msDate = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

// ParseDate reads one "/Date(ms±hhmm)/" string as a UTC time.
func ParseDate(s string) (time.Time, bool) {
	if len(s) < 9 || s[0] != '/' {
		return time.Time{}, false
	}
	m := msDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// Dates replaces the "/Date(…)/" strings inside v with time values,
// recursively and in place, and returns v.
func Dates(v any) any {
	switch x := v.(type) {
	case string:
		if t, ok := ParseDate(x); ok {
			return t
		}
	case map[string]any:
		for k, e := range x {
			x[k] = Dates(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Dates(e)
		}
	}
	return v
}
