package fetch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// decodeJSON decodes an API answer: numbers become int or float64 as in
// event.Normalize, and "/Date(…)/" strings anywhere become time.Time (UTC).
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return event.Dates(event.Normalize(v)), nil
}

// encodeJSON is the inverse of decodeJSON for stored copies: time values go
// back to the "/Date(ms+0000)/" form so that a copy read from the store
// decodes exactly like a fresh answer.
func encodeJSON(v any) (json.RawMessage, error) {
	return json.Marshal(undates(v))
}

// undates returns v with time values turned into "/Date(…)/" strings. It
// copies maps and lists rather than changing v.
func undates(v any) any {
	switch x := v.(type) {
	case time.Time:
		return fmt.Sprintf("/Date(%d+0000)/", x.UnixMilli())
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = undates(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = undates(e)
		}
		return out
	}
	return v
}

// decodeCopy decodes a stored copy; an empty or "null" copy is nil (the
// object is gone).
func decodeCopy(data json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	return decodeJSON(data)
}
