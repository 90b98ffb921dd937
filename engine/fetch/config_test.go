package fetch

import (
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadObjects(t *testing.T) {
	good := objectsConfig()[0]
	with := func(change func(*ObjectConfig)) ObjectConfig {
		c := good
		change(&c)
		return c
	}
	cases := []struct {
		name string
		objs []ObjectConfig
		want []string
	}{
		{"id syntax", []ObjectConfig{with(func(c *ObjectConfig) { c.ID = "event.CandidateId +" })}, []string{`object "candidate": id:`}},
		{"id unknown root", []ObjectConfig{with(func(c *ObjectConfig) { c.ID = "candidate.Id" })}, []string{`object "candidate": id:`}},
		{"templated method", []ObjectConfig{with(func(c *ObjectConfig) { c.Get = "{{ id }}/json" })}, []string{`object "candidate": get: the first path segment`}},
		{"absolute get", []ObjectConfig{with(func(c *ObjectConfig) { c.Get = "https://evil.example/x" })}, []string{`object "candidate": get: must be a path`}},
		{"bad template", []ObjectConfig{with(func(c *ObjectConfig) { c.Get = "Candidates/?canid={{ id " })}, []string{`object "candidate": get:`}},
		{"bad select", []ObjectConfig{with(func(c *ObjectConfig) { c.Select = "Items[" })}, []string{`object "candidate": select:`}},
		{"negative ttl", []ObjectConfig{with(func(c *ObjectConfig) { c.TTL = -time.Second })}, []string{`object "candidate": negative`}},
		{"twice", []ObjectConfig{good, good}, []string{`object "candidate": defined twice`}},
		{"reserved", []ObjectConfig{with(func(c *ObjectConfig) { c.Name = "event" })}, []string{`object "event": reserved`}},
		{"all at once", []ObjectConfig{
			with(func(c *ObjectConfig) { c.Select = "Items[" }),
			with(func(c *ObjectConfig) { c.Name = "position"; c.ID = "(" }),
		}, []string{`object "candidate": select:`, `object "position": id:`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Options{BaseURL: "http://api.invalid", Store: newMemStore(), Objects: c.objs})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewNeedsAPIOrFixtures(t *testing.T) {
	if _, err := New(Options{Store: newMemStore()}); err == nil {
		t.Error("no base URL and no fixtures accepted")
	}
	if _, err := New(Options{BaseURL: "http://api.invalid"}); err == nil {
		t.Error("no store accepted")
	}
	if _, err := New(Options{Fixtures: t.TempDir(), Objects: objectsConfig()}); err != nil {
		t.Errorf("fixtures without store: %v", err)
	}
}

func TestNames(t *testing.T) {
	f, err := New(Options{Fixtures: t.TempDir(), Objects: objectsConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names(), ","); got != "candidate,position" {
		t.Errorf("Names = %s", got)
	}
}
