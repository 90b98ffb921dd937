package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultRetention is how long history is kept when hirewire.yaml does not
// say: thirty days.
const DefaultRetention = Retention(30 * 24 * time.Hour)

// Forever is the retention that keeps history for good (`retention: 0`
// or `retention: forever`).
const Forever = Retention(-1)

// Retention is how long events, their deliveries and attempts are kept
// once nothing waits on them. In hirewire.yaml it is a Go duration
// ("720h") or a number of days ("30d"); 0 (in any unit) or "forever"
// keeps history for good. The zero value stands for "not set" and becomes DefaultRetention.
type Retention time.Duration

// UnmarshalYAML reads "30d", "720h", "0" or "forever", and reports a bad
// value at its line and column.
func (r *Retention) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseRetention(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%d:%d: retention: %q is not a duration such as 30d or 720h, nor 0 or forever", n.Line, n.Column, n.Value)
	}
	*r = v
	return nil
}

func parseRetention(s string) (Retention, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "0", "forever":
		return Forever, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("bad number of days %q", days)
		}
		d = time.Duration(n * float64(24*time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
	}
	if d == 0 {
		return Forever, nil
	}
	return Retention(d), nil
}

// Keep returns how long history is kept, and false when it is kept
// forever.
func (r Retention) Keep() (time.Duration, bool) {
	if r <= 0 {
		return 0, false
	}
	return time.Duration(r), true
}

// String formats r the way hirewire.yaml may write it.
func (r Retention) String() string {
	d, ok := r.Keep()
	switch {
	case !ok:
		return "forever"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
