// Package actiontest helps test action kinds: HR Manager sample data as the
// variables templates see, compiling an action from YAML text, a recording
// HTTP peer, and golden files.
package actiontest

import (
	"embed"
	"encoding/json"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

//go:embed samples/*.json
var samples embed.FS

// EventID is the id of the sample events.
const EventID = "01JH0000000000000000000000"

// ReceivedAt is when the sample events were received.
var ReceivedAt = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// Vars returns what templates see for the sample event of the given type
// (CandidateHired or SendCalendarInvite): `event` with the webhook secret
// removed, `candidate` and `position` from the sample API answers with
// dates as time values, and `previous` empty.
func Vars(t testing.TB, eventType string) map[string]any {
	t.Helper()
	var body map[string]any
	if err := event.Decode(read(t, eventType+".json"), &body); err != nil {
		t.Fatal(err)
	}
	delete(body, "WebhookSecret")
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{ID: EventID, Source: "hrmanager", Type: eventType, Body: raw, ReceivedAt: ReceivedAt}
	fields, err := ev.Fields()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"event":     fields,
		"candidate": firstItem(t, "Candidates.json"),
		"position":  firstItem(t, "Positions.json"),
		"previous":  map[string]any{},
	}
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := samples.ReadFile("samples/" + name)
	if err != nil {
		t.Fatalf("sample %s: %v", name, err)
	}
	return b
}

// firstItem returns Items[0] of a sample list answer.
func firstItem(t testing.TB, name string) map[string]any {
	t.Helper()
	var list map[string]any
	if err := event.Decode(read(t, name), &list); err != nil {
		t.Fatal(err)
	}
	items, _ := list["Items"].([]any)
	if len(items) == 0 {
		t.Fatalf("sample %s has no Items", name)
	}
	return event.Dates(items[0]).(map[string]any)
}
