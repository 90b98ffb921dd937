package work

import (
	"context"
	"slices"

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

// erase forgets the cached copies of the object that a deletion event is
// about before any rule sees the event, and returns the object's name
// ("" if the event erases nothing): rules of such an event see that object
// as nil, so that no action sends on the data of a person who asked to be
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
	if err != nil {
		if ctx.Err() == nil {
			w.opts.Logger.Warn("erasing personal data failed; will retry", "event", e.ID, "object", object, "err", err)
			w.deferEvent(ctx, e, store.StatusPending, w.opts.Now().Add(fetchRetry), "erasing "+object+" failed: "+err.Error())
		}
		return "", false
	}
	if id != "" {
		w.opts.Logger.Info("erased cached copies", "event", e.ID, "object", object, "id", id)
		tr.Erased = append(tr.Erased, object+" "+id)
	}
	return object, true
}

// without returns names less drop.
func without(names []string, drop string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == drop })
}
