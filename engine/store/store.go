// Package store persists hirewire's state: events, their processing
// outcome, deliveries and their attempts, object snapshots and the API
// budget; and forgets it again: the personal data of a person who asked
// to be forgotten, and history past its retention. Store is the contract; Open picks the implementation from a URL
// ("sqlite:./data/hirewire.db", later "postgres://…").
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// Sentinel errors. Callers compare with errors.Is.
var (
	// ErrNotFound: no record has that id. Answer 404.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the store cannot take writes now (closed, disk
	// error). Ingest answers 503 so the sender retries.
	ErrUnavailable = errors.New("store unavailable")
	// ErrNotRetryable: the delivery cannot be retried (delivered, erased,
	// never rendered, or its once key is held); the message says why.
	// Answer 409.
	ErrNotRetryable = errors.New("not retryable")
	// ErrLeaseLost: the claim on a record expired and someone else may
	// have it; drop the work without writing.
	ErrLeaseLost = errors.New("lease lost")
)

// Event statuses.
const (
	StatusPending   = "pending"         // waiting to be processed (maybe held by NotBefore)
	StatusWaiting   = "waiting_for_api" // needs an object it cannot fetch yet
	StatusProcessed = "processed"       // rules evaluated, deliveries created
	StatusFailed    = "failed"          // could not be processed (bad body); kept for inspection
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // due at NextAt
	DeliveryDelivered = "delivered" // an attempt succeeded
	DeliveryDead      = "dead"      // permanent failure or attempts exhausted
	DeliverySkipped   = "skipped"   // never sent: its once key was used by another delivery
)

// Store is the persistence contract. Every method is safe for concurrent
// use. Writes that return nil are durable (committed and fsync'd).
type Store interface {
	// Ingest records e durably unless an event with e.DedupKey was received
	// less than window ago: then nothing new is stored, dup is true, id is
	// the first event's id, and the first event's LastSeenAt becomes
	// e.ReceivedAt; if the first is still pending and hold > 0, its
	// NotBefore moves to e.ReceivedAt+hold (debounce: the burst collapses
	// and is processed once, after it ends). A new event gets NotBefore =
	// e.ReceivedAt+hold. Concurrent calls are batched into one transaction
	// (group commit). e.ID must be set by the caller.
	Ingest(ctx context.Context, e *event.Event, window, hold time.Duration) (id string, dup bool, err error)

	// ClaimEvents leases up to n events that are due (status pending or
	// waiting, NotBefore <= now, no live lease), in arrival order, skipping
	// an event while an earlier unfinished event has the same non-empty
	// Key. The lease ends at now+lease; Attempts is incremented.
	ClaimEvents(ctx context.Context, owner string, n int, lease time.Duration) ([]*event.Event, error)

	// Defer releases a claimed event and holds it until the given time with
	// status (StatusPending or StatusWaiting) and a reason for the trace.
	Defer(ctx context.Context, owner, id string, attempt int, status string, until time.Time, reason string) error

	// Complete marks a claimed event processed (or failed), stores the
	// outcome and creates its deliveries, in one transaction. Only the
	// claim that holds the event may complete it: owner must hold the
	// lease and, when out.Attempt is set, the claim must be that attempt.
	// A claim whose lease ran out (and was taken over, or completed by
	// another claim) gets ErrLeaseLost and writes nothing, so a slow
	// worker never adds its deliveries to an event that another claim
	// processed.
	Complete(ctx context.Context, owner, id string, out *Outcome) error

	// ClaimDeliveries leases up to n pending deliveries with NextAt <= now,
	// in order, passing over those whose Destination admit refuses; admit
	// (nil: take all) is asked in order, inside the claim.
	ClaimDeliveries(ctx context.Context, owner string, n int, lease time.Duration, admit func(destination string) bool) ([]*Delivery, error)

	// Finish records one attempt of a claimed delivery and its new state:
	// d.Status, d.NextAt, d.Attempts and d.LastError are written from d.
	Finish(ctx context.Context, owner string, d *Delivery, a *Attempt) error

	// ReleaseAll drops every lease held by owner (graceful shutdown) so
	// the work is picked up again at once.
	ReleaseAll(ctx context.Context, owner string) error

	// Event returns one event with its outcome, deliveries and attempts.
	Event(ctx context.Context, id string) (*EventRecord, error)
	// Events lists recent events, newest first.
	Events(ctx context.Context, f EventFilter) ([]*EventRecord, error)
	// Deliveries lists deliveries, newest first ("" status = all).
	Deliveries(ctx context.Context, status string, limit int) ([]*Delivery, error)
	// RetryDelivery makes a dead (or pending) delivery due now with its
	// attempt budget renewed. An erased delivery is never sent again.
	RetryDelivery(ctx context.Context, id string) error
	// Replay stores a copy of event id as a new event (new id, not a
	// duplicate) and returns its id.
	Replay(ctx context.Context, id string, now time.Time) (string, error)

	// Snapshot returns the stored copy of one object (ErrNotFound if none).
	Snapshot(ctx context.Context, object, id string) (*Snapshot, error)
	// PutSnapshot stores a freshly fetched copy: the copy it replaces
	// becomes Prior (the `previous.<object>` of rules).
	PutSnapshot(ctx context.Context, s *Snapshot) error
	// DeleteSnapshot erases an object's copies (personal data).
	DeleteSnapshot(ctx context.Context, object, id string) error
	// TakeCall reserves one call of an API method if the budget allows it
	// at now: fewer than perHour calls in the hour and perDay in the day
	// before now, and no pause in force. Otherwise ok is false and next is
	// the earliest time a call could be allowed. Nodes sharing a store
	// share the budget; it survives restarts.
	TakeCall(ctx context.Context, method string, now time.Time, perHour, perDay int) (ok bool, next time.Time, err error)
	// PauseMethod stops calls of a method until the given time (the API
	// throttled us).
	PauseMethod(ctx context.Context, method string, until time.Time) error

	// ErasePersonal forgets the personal data that stored history holds
	// about one person: in every finished (processed or failed) event
	// with the ordering key er.Key, except the event er.Keep, the trace is
	// replaced by er.Trace(trace); every delivery of those events gets
	// ErasedPayload as payload and has the details of its attempts blanked;
	// a pending one becomes dead with ErasedError, so that nothing is sent
	// with the data of a person who asked to be forgotten (an attempt in
	// flight loses its lease, and its Finish ErrLeaseLost). Event bodies
	// stay: HR Manager's carry identifiers only. It answers how many
	// events it erased; erasing again is harmless. An empty key erases
	// nothing.
	ErasePersonal(ctx context.Context, er Erasure) (int, error)
	// Prune deletes up to limit events received before before, oldest
	// first, with their deliveries and attempts, in one transaction, and
	// answers how many it deleted; callers repeat while it answers limit,
	// so that a long prune never holds the write lock long. Only finished
	// events (processed or failed) whose deliveries are all delivered or
	// dead are deleted: pending work is never lost. API call records older
	// than a day, which no budget counts any more, go too; snapshots are
	// a cache and stay. limit <= 0 means 1000.
	Prune(ctx context.Context, before time.Time, limit int) (int, error)

	// Stats counts events by status and deliveries by status, for metrics.
	Stats(ctx context.Context) (Stats, error)

	Close() error
}

// Outcome is the result of processing one event.
type Outcome struct {
	Attempt      int             // the claim's Event.Attempts; 0: not checked
	Status       string          // StatusProcessed or StatusFailed
	RulesVersion string          // sha256 of the rule set used
	Trace        json.RawMessage // verdicts, objects seen, errors: for the UI
	Deliveries   []*Delivery
	ProcessedAt  time.Time
}

// Delivery is one (event, rule, action): its rendered payload and state.
type Delivery struct {
	ID          string // "<event id>.<rule>.<action index>", the Idempotency-Key
	EventID     string
	Rule        string
	Action      int
	Kind        string // http, slack, email, calendar, log
	Payload     json.RawMessage
	Status      string
	Attempts    int
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
	NextAt      time.Time
	LastError   string
	// OnceKey, if set, may be held by one pending or delivered delivery
	// at a time: Complete creates a delivery whose key is held as
	// DeliverySkipped, saying by which.
	OnceKey string
	// Destination names the peer the delivery goes to (an HTTP origin, the
	// SMTP server); "" when its kind cannot tell.
	Destination string
	// Claim counts the claims of the delivery, set by ClaimDeliveries:
	// Finish records an attempt only for the latest claim, so an attempt
	// that outlived its lease cannot overwrite the one that took over.
	Claim     int64
	CreatedAt time.Time
	UpdatedAt time.Time
	History   []*Attempt // filled by Event
}

// Attempt is one try of a delivery.
type Attempt struct {
	DeliveryID string
	N          int
	At         time.Time
	Duration   time.Duration
	OK         bool
	Detail     string // what the peer answered, or the error
}

// EventRecord is an event with what became of it.
type EventRecord struct {
	event.Event
	Status       string
	Reason       string // why it waits, or why it failed
	RulesVersion string
	Trace        json.RawMessage
	ProcessedAt  time.Time
	Deliveries   []*Delivery
}

// EventFilter selects events for Events.
type EventFilter struct {
	Type   string
	Status string
	Limit  int // default 50
}

// Snapshot is a stored copy of one object fetched from the API.
type Snapshot struct {
	Object    string // configured object name ("candidate")
	ID        string
	Data      json.RawMessage // after select
	FetchedAt time.Time
	Prior     json.RawMessage // the copy before Data; nil if none
	PriorAt   time.Time
}

// What ErasePersonal leaves in place of personal data.
const (
	// ErasedPayload replaces the payload of an erased delivery.
	ErasedPayload = `{"erased":true}`
	// ErasedError is the last error of a delivery that was pending when
	// its data was erased, and so will never be sent.
	ErasedError = "erased: personal data was deleted on request"
)

// Erasure names the stored history that ErasePersonal forgets.
type Erasure struct {
	// Key is the ordering key of the events about the person, e.g.
	// "CandidateId:987654"; an empty key erases nothing.
	Key string
	// Keep is the id of the event that asked for the erasure; it is left
	// as it is.
	Keep string
	// Trace returns what to store in place of an event's trace; it knows
	// the trace's shape and keeps what is not personal. Nil replaces every
	// trace by {"erased_at":"<RFC 3339>"}.
	Trace func(trace json.RawMessage) json.RawMessage
}

// Stats are counts for metrics.
type Stats struct {
	Events     map[string]int // by status
	Deliveries map[string]int // by status
}
