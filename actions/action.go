// Package actions defines what an action kind (http, slack, email, calendar,
// log) provides to hirewire: a compiler that turns one action of rules.yaml
// into an Action, and a sender that delivers what an Action rendered.
//
// An action's life has two halves. When rules load, Kind.Compile decodes the
// action's YAML strictly and compiles its templates. When an event matches,
// Action.Render evaluates the templates into a Message payload that is stored
// with the delivery, so every retry sends exactly the same thing even after
// the rules change. Kind.Send then delivers the payload, as many times as the
// delivery's retry policy allows.
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// Kind is one kind of action. Implementations must be safe for concurrent
// use.
type Kind interface {
	// Compile decodes one action's settings (a YAML mapping, with its target
	// already merged in and the common keys when/retry removed) and compiles
	// its templates against env. Errors should be made with ErrorAt so they
	// point at a line and column; several may be joined with errors.Join.
	Compile(spec *yaml.Node, env *tmpl.Env) (Action, error)

	// Send delivers one rendered message. A nil error means delivered; the
	// returned detail (e.g. "200 OK") is kept on the attempt. An error is
	// retried per the delivery's policy unless it is Permanent; RetryAfter
	// asks for a delay of at least the given duration.
	Send(ctx context.Context, m Message) (detail string, err error)
}

// Destined is implemented by kinds whose messages go to a peer over the
// network. Destination names the peer a payload goes to (a URL's scheme
// and host, an SMTP server), so that the worker can keep one slow or hung
// peer from holding every delivery slot while the others wait. It returns
// "" when the payload names no peer it can read.
type Destined interface {
	Destination(payload json.RawMessage) string
}

// Action is one compiled action of a rule.
type Action interface {
	// Render evaluates the action's templates against vars (event, objects,
	// previous) and returns the payload to store and later Send. An error
	// means this event cannot be delivered by this action (bad address, bad
	// date); it is recorded and the delivery is dead, never retried.
	Render(vars map[string]any) (json.RawMessage, error)

	// Refs names the root variables the templates use ("event",
	// "candidate", …), so that only needed objects are fetched.
	Refs() []string
}

// Message is what a delivery hands to Kind.Send.
type Message struct {
	// ID is the delivery id: stable across attempts, used as Idempotency-Key.
	ID string
	// Payload is what Action.Render returned.
	Payload json.RawMessage
	// Attempt counts from 1.
	Attempt int
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the delivery is marked dead at once.
func Permanent(err error) error { return &permanentError{err} }

// IsPermanent reports whether err, or an error it wraps, was made by
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError carries the delay a peer asked for (HTTP Retry-After).
type retryAfterError struct {
	err   error
	delay time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter wraps a retryable err with the minimum delay before the next
// attempt.
func RetryAfter(err error, d time.Duration) error { return &retryAfterError{err, d} }

// RetryDelay returns the delay asked for by RetryAfter, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.delay, true
	}
	return 0, false
}

// PosError is an error at a place in a YAML file.
type PosError = tmpl.PosError

// ErrorAt returns an error that points at node n.
func ErrorAt(n *yaml.Node, format string, args ...any) error {
	return tmpl.ErrorAt(n, format, args...)
}
