package rules

import (
	"fmt"
	"path"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Rule is one checked and compiled rule of rules.yaml.
type Rule struct {
	Name        string
	Description string
	// On lists the event types the rule listens to; each may be a glob in
	// the syntax of path.Match ("Candidate*").
	On []string
	// When is the rule's condition; nil means always.
	When    *tmpl.Expr
	Actions []*Action
	// File and Line tell where the rule starts.
	File string
	Line int
}

// Action is one compiled action of a rule.
type Action struct {
	// Kind is the action kind's name ("slack", "http", …).
	Kind string
	// Index is the action's position in its rule, from 0; with the rule's
	// name it identifies the action in delivery ids.
	Index int
	// When is the action's extra condition; nil means always.
	When  *tmpl.Expr
	Retry Retry
	// Once, if set, renders a key: an action whose key was already used by
	// a delivery that is pending or delivered is not sent again ("never
	// send the candidate this mail twice", whatever HR Manager resends).
	Once *tmpl.Template
	Impl actions.Action
}

// Retry is the retry policy of an action's deliveries.
type Retry struct {
	// Attempts is how many times a delivery is tried before it is dead.
	Attempts int
	// Backoff is the delay before the second attempt; it doubles after each
	// failure up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
}

// DefaultRetry returns the retry policy used when rules.yaml sets none:
// 12 attempts, 10s doubling up to 1h.
func DefaultRetry() Retry {
	return Retry{Attempts: 12, Backoff: 10 * time.Second, MaxBackoff: time.Hour}
}

// Matches reports whether the rule listens to events of the given type.
func (r *Rule) Matches(eventType string) bool {
	for _, p := range r.On {
		if p == eventType {
			return true
		}
		if ok, _ := path.Match(p, eventType); ok {
			return true
		}
	}
	return false
}

// Eval evaluates the rule's condition against vars (event, objects,
// previous). A rule without a condition is always true.
func (r *Rule) Eval(vars map[string]any) (bool, error) {
	if r.When == nil {
		return true, nil
	}
	ok, err := r.When.Bool(vars)
	if err != nil {
		return false, fmt.Errorf("rule %q: %w", r.Name, err)
	}
	return ok, nil
}

// Eval evaluates the action's extra condition; no condition is true.
func (a *Action) Eval(vars map[string]any) (bool, error) {
	if a.When == nil {
		return true, nil
	}
	ok, err := a.When.Bool(vars)
	if err != nil {
		return false, fmt.Errorf("action %d (%s): %w", a.Index, a.Kind, err)
	}
	return ok, nil
}

// Refs returns the root names the action uses in its condition and its
// templates.
func (a *Action) Refs() []string {
	var refs []string
	if a.When != nil {
		refs = append(refs, a.When.Refs()...)
	}
	if a.Once != nil {
		refs = append(refs, a.Once.Refs()...)
	}
	if a.Impl != nil {
		refs = append(refs, a.Impl.Refs()...)
	}
	return refs
}
