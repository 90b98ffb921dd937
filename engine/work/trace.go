package work

import (
	"encoding/json"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// Trace is what an event's processing records for people: every rule's
// verdict and why, the objects it saw, and what became of each action.
type Trace struct {
	RulesVersion string         `json:"rules_version"`
	Objects      map[string]any `json:"objects,omitempty"`
	Fetched      []string       `json:"fetched,omitempty"`
	Stale        []string       `json:"stale,omitempty"`
	Erased       []string       `json:"erased,omitempty"` // "candidate 987654": personal data forgotten
	Rules        []Verdict      `json:"rules"`
	Error        string         `json:"error,omitempty"`
}

// Verdict is one rule's outcome for one event.
type Verdict struct {
	Rule    string `json:"rule"`
	Verdict string `json:"verdict"` // matched, not matched, skipped, error
	Why     string `json:"why"`
	// Saw holds what a false condition read, e.g. position.Details.CustomText1 = "Sales".
	Saw     []tmpl.Binding `json:"saw,omitempty"`
	Actions []ActionNote   `json:"actions,omitempty"`
}

// ActionNote says what one action of a matched rule did.
type ActionNote struct {
	Index    int    `json:"index"`
	Kind     string `json:"kind"`
	Result   string `json:"result"`
	Delivery string `json:"delivery,omitempty"`
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "trace not encodable: " + err.Error()})
	}
	return b
}
