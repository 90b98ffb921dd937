package work

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

// DefaultEraseOn returns the event types of HR Manager that ask for a
// candidate's personal data to be forgotten, each mapped to the object it
// erases.
func DefaultEraseOn() map[string]string {
	return map[string]string{
		"CandidateDeleted":       "candidate",
		"CandidateDeletedByUser": "candidate",
		"CandidateDeletedOwn":    "candidate",
	}
}

// erase forgets the object that a deletion event is about before any rule
// sees the event — its cached copies, and what the stored history of the
// object's earlier events holds of it — and returns the object's name (""
// if the event erases nothing): rules of such an event see that object as
// nil, so that no action sends on the data of a person who asked to be
// forgotten, and no call fetches it again. When erasing fails the event is
// deferred and ok is false.
func (w *Worker) erase(ctx context.Context, e *event.Event, fields map[string]any, tr *Trace) (object string, ok bool) {
	object = w.opts.EraseOn[e.Type]
	if object == "" || w.opts.Fetcher == nil {
		return "", true
	}
	id, err := w.opts.Fetcher.ObjectID(object, fields)
	if err == nil && id != "" {
		err = w.opts.Fetcher.Erase(ctx, object, id)
	}
	history := ""
	if err == nil && id != "" {
		history, err = w.eraseHistory(ctx, e, object, id)
	}
	if err != nil {
		if ctx.Err() == nil {
			w.opts.Logger.Warn("erasing personal data failed; will retry", "event", e.ID, "object", object, "err", err)
			w.deferEvent(ctx, e, store.StatusPending, w.opts.Now().Add(fetchRetry), "erasing "+object+" failed: "+err.Error())
		}
		return "", false
	}
	if id != "" {
		w.opts.Logger.Info("erased personal data", "event", e.ID, "object", object, "id", id, "history", history)
		tr.Erased = append(tr.Erased, object+" "+id)
		if history != "" {
			tr.Erased = append(tr.Erased, history)
		}
	}
	return object, true
}

// eraseHistory forgets what the stored history of the object's earlier
// events holds of it, and says how many events that was ("" when the
// event's key does not name the object).
func (w *Worker) eraseHistory(ctx context.Context, e *event.Event, object, id string) (string, error) {
	if !aboutObject(e.Key, id) {
		return "", nil
	}
	n, err := w.opts.Store.ErasePersonal(ctx, store.Erasure{Key: e.Key, Keep: e.ID, Trace: w.eraseTrace(object)})
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 stored event", nil
	}
	return fmt.Sprintf("%d stored events", n), nil
}

// aboutObject tells whether an event's ordering key ("CandidateId:987654")
// names the object with that id, so that its history is the object's. An
// order_by that keys a deletion by another field (its project) must not
// erase the history of that other object.
func aboutObject(key, id string) bool {
	return strings.HasSuffix(key, ":"+id)
}

// erasedTrace is a Trace after erasure, with the time it happened.
type erasedTrace struct {
	Trace
	ErasedAt time.Time `json:"erased_at"`
}

// eraseTrace returns the redaction of stored traces for an erasure of
// object: the object's copy becomes "erased", and so does everything a
// rule recorded of the data it read (values seen by a false condition,
// error messages, which may quote them). Rule names, verdicts and
// deliveries stay, so the history still says what happened.
func (w *Worker) eraseTrace(object string) func(json.RawMessage) json.RawMessage {
	now := w.opts.Now().UTC()
	return func(raw json.RawMessage) json.RawMessage {
		var t erasedTrace
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // ids in other objects' copies stay exact
		if dec.Decode(&t) != nil {
			return mustJSON(map[string]time.Time{"erased_at": now})
		}
		if t.ErasedAt.IsZero() {
			t.ErasedAt = now
		}
		if t.Objects[object] != nil {
			t.Objects[object] = "erased"
		}
		for i := range t.Rules {
			redactVerdict(&t.Rules[i])
		}
		return mustJSON(t)
	}
}

// erasedDetail stands for an error message that may quote personal data.
const erasedDetail = "(details erased)"

// redactVerdict drops what a verdict recorded of the data its rule read.
func redactVerdict(v *Verdict) {
	v.Saw = nil
	if v.Verdict == "error" {
		v.Why = "when: " + erasedDetail
	}
	for i := range v.Actions {
		a := &v.Actions[i]
		switch {
		case strings.HasPrefix(a.Result, "skipped: when: "):
			a.Result = "skipped: when: " + erasedDetail
		case strings.HasPrefix(a.Result, "dead: cannot render"):
			a.Result = "dead: cannot render " + erasedDetail
		case a.Delivery != "":
			a.Result = "delivery " + a.Delivery // drops a rendered once key
		}
	}
}

// without returns names less drop.
func without(names []string, drop string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == drop })
}
