package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	for _, c := range []struct {
		yaml string
		keep time.Duration
		ok   bool
	}{
		{"", 30 * 24 * time.Hour, true},
		{"retention: 30d\n", 30 * 24 * time.Hour, true},
		{"retention: 1.5d\n", 36 * time.Hour, true},
		{"retention: 720h\n", 720 * time.Hour, true},
		{"retention: 2h30m\n", 150 * time.Minute, true},
		{"retention: 0\n", 0, false},
		{"retention: 0s\n", 0, false},
		{"retention: forever\n", 0, false},
	} {
		cfg, err := Parse([]byte(secured+"listen: :1\n"+c.yaml), env(nil))
		if err != nil {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if keep, ok := cfg.Retention.Keep(); keep != c.keep || ok != c.ok {
			t.Errorf("%q: Keep() = %v, %v; want %v, %v", c.yaml, keep, ok, c.keep, c.ok)
		}
	}
}

func TestRetentionErrorsPointAtTheValue(t *testing.T) {
	for src, want := range map[string]string{
		"listen: :1\nretention: 30 days\n": `2:12: retention: "30 days" is not a duration`,
		"retention: -1h\n":                 `1:12: retention: "-1h" is not a duration`,
		"retention: [30d]\n":               `1:12: retention: "" is not a duration`,
		"retention: 5m\n":                  `retention: 5m0s is not longer than sources.hrmanager.dedup_window (10m0s)`,
	} {
		_, err := Parse([]byte(src), env(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

func TestRetentionString(t *testing.T) {
	for r, want := range map[Retention]string{
		DefaultRetention:              "30d",
		Retention(36 * time.Hour):     "36h0m0s",
		Forever:                       "forever",
		Retention(7 * 24 * time.Hour): "7d",
	} {
		if got := r.String(); got != want {
			t.Errorf("%d: String() = %q, want %q", r, got, want)
		}
	}
}
