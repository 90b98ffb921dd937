package rules

import (
	"slices"
	"time"
)

// Set is a complete, checked set of rules, loaded from one or more files.
// A Set is never changed after it is built, so it may be shared freely.
type Set struct {
	// Version is the sha256 (hex) of the files' names and contents.
	Version  string
	LoadedAt time.Time
	Rules    []*Rule
	// Files are the files read, in the order read.
	Files []string

	objects map[string]bool
	secrets []string
}

// Secrets returns the values that ${NAME} references put into the rules
// files (4 bytes or more): target credentials, which are cut out of
// anything shown.
func (s *Set) Secrets() []string { return slices.Clone(s.secrets) }

// Candidates returns the rules whose `on` matches the event type, in file
// order.
func (s *Set) Candidates(eventType string) []*Rule {
	var out []*Rule
	for _, r := range s.Rules {
		if r.Matches(eventType) {
			out = append(out, r)
		}
	}
	return out
}

// Rule returns the rule with the given name, or nil.
func (s *Set) Rule(name string) *Rule {
	for _, r := range s.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Needs returns the sorted names of the configured objects the given rules
// refer to, in conditions, action conditions, templates or as
// previous.<object>, so that only those are fetched.
func (s *Set) Needs(rules []*Rule) []string {
	seen := map[string]bool{}
	mark := func(refs []string) {
		for _, r := range refs {
			if s.objects[r] {
				seen[r] = true
			}
		}
	}
	for _, r := range rules {
		if r.When != nil {
			mark(r.When.Refs())
		}
		for _, a := range r.Actions {
			mark(a.Refs())
		}
	}
	out := make([]string, 0, len(seen))
	for o := range seen {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}
