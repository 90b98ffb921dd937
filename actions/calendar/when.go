package calendar

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// ParseTime reads a rendered start or end: a time.Time (a lone `{{ }}` of a
// date field), an RFC 3339 string, or HR Manager's /Date(ms±hhmm)/.
func ParseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return time.Time{}, errors.New("is the zero time")
		}
		return x, nil
	case *time.Time:
		if x == nil {
			return time.Time{}, errors.New("is empty")
		}
		return ParseTime(*x)
	case nil:
		return time.Time{}, errors.New("is empty")
	case string:
		return parseTimeString(x)
	}
	return time.Time{}, fmt.Errorf("is a %T, not a date", v)
}

// parseTimeString reads /Date(ms±hhmm)/ or RFC 3339.
func parseTimeString(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("is empty")
	}
	if t, ok := event.ParseDate(s); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-03-02T10:00:00+01:00) nor /Date(ms+hhmm)/", s)
	}
	return t, nil
}

// parseDuration reads a rendered duration such as "1h" or "45m".
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 1h or 45m", s)
	}
	return d, nil
}
