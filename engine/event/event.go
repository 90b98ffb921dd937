// Package event holds the Event type that every stage of hirewire shares: what
// a webhook became once it was accepted, and how expressions see it.
package event

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Event is one accepted webhook. Body is the canonical JSON of the webhook
// with the source's secret removed; everything else is derived from it at
// ingest.
type Event struct {
	// ID is hirewire's id for the event, sortable by time of receipt.
	ID string
	// Source is the name of the configured source ("hrmanager").
	Source string
	// Type is Message.EventType.
	Type string
	// Key names the object the event is about ("candidate:987654"), so that
	// events about one object are processed in arrival order. Empty when the
	// event names no object.
	Key string
	// Body is the webhook body, secret removed, keys sorted.
	Body json.RawMessage
	// DedupKey is the hash that identifies duplicates of this event.
	DedupKey string
	// ReceivedAt is when the first copy of the event was received.
	ReceivedAt time.Time
	// LastSeenAt is when the latest duplicate was received; data fetched for
	// an event must be younger than this when its type asks for fresh data.
	LastSeenAt time.Time
	// NotBefore holds the event back until then (debounce, API waits).
	NotBefore time.Time
	// Attempts counts how often processing the event was started.
	Attempts int
}

// Fields returns the event as rules see it: the fields of Message merged
// over the top-level user data (Message wins), plus Type, Id and ReceivedAt.
// Numbers become int or float64 so they compare naturally in expressions.
func (e *Event) Fields() (map[string]any, error) {
	var body map[string]any
	if err := Decode(e.Body, &body); err != nil {
		return nil, fmt.Errorf("decoding event %s: %w", e.ID, err)
	}
	fields := make(map[string]any, len(body)+4)
	for k, v := range body {
		if k != "Message" {
			fields[k] = v
		}
	}
	if msg, ok := body["Message"].(map[string]any); ok {
		for k, v := range msg {
			fields[k] = v
		}
	}
	fields["Type"] = e.Type
	fields["Id"] = e.ID
	fields["ReceivedAt"] = e.ReceivedAt
	return fields, nil
}

// Decode unmarshals JSON like encoding/json but turns numbers into int when
// they are whole and fit, float64 otherwise, instead of always float64 (which
// loses large ids) or json.Number (which expressions compare as strings).
func Decode(data []byte, v *map[string]any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	m, ok := Normalize(raw).(map[string]any)
	if !ok {
		return fmt.Errorf("not a JSON object")
	}
	*v = m
	return nil
}

// Normalize converts json.Number values inside v, recursively, as Decode
// describes. Other values are returned as they are.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = Normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = Normalize(e)
		}
		return x
	}
	return v
}

// crockford is the alphabet of ULIDs: no I, L, O or U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new event id: 26 characters in the ULID layout (48 bits of
// milliseconds, 80 random bits), so ids sort by time of receipt.
func NewID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	// 128 bits into 26 base32 digits, most significant first.
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
