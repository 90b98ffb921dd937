package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

const (
	kari      = "CandidateId:987654"
	kariTrace = `{"objects":{"candidate":{"FirstName":"Kari","Email":"kari@example.com"}},"rules":[]}`
)

// kariHistory stores a processed event about Kari with a delivered, a
// dead, a retrying and an in-flight delivery (leased to "sender"), and a
// failed event; it returns the processed event's id and its deliveries.
func kariHistory(h *Harness) (string, []*store.Delivery) {
	h.T.Helper()
	now := h.Clock.Now()
	var ds []*store.Delivery
	id := finished(h, kari, store.StatusProcessed, kariTrace, func(id string) []*store.Delivery {
		ds = []*store.Delivery{delivery(id, 0, `{"text":"hello Kari"}`, now), delivery(id, 1, `{"text":"Kari"}`, now),
			delivery(id, 2, `{"text":"Kari"}`, now), delivery(id, 3, `{"text":"Kari"}`, now)}
		ds[1].Status, ds[1].LastError = store.DeliveryDead, "HTTP 400: bad email kari@example.com"
		return ds
	})
	if got := claimDeliveries(h, "sender"); len(got) != 3 {
		h.T.Fatalf("claimed %v, want Kari's 3 pending deliveries", got)
	}
	finishDelivery(h, "sender", ds[0], store.DeliveryDelivered, "HTTP 200: ok, Kari")
	finishDelivery(h, "sender", ds[2], store.DeliveryPending, "HTTP 503: try later, Kari")
	h.Clock.Advance(time.Second)
	finished(h, kari, store.StatusFailed, `{"error":"bad body"}`, nil)
	h.Clock.Advance(time.Second)
	return id, ds
}

func testErasePersonal(t *testing.T, h *Harness) {
	id, ds := kariHistory(h)
	other := finished(h, "CandidateId:111", store.StatusProcessed, kariTrace, func(id string) []*store.Delivery {
		return []*store.Delivery{delivery(id, 0, `{"text":"Ola"}`, h.Clock.Now().Add(time.Hour))}
	})
	deletion, _ := h.Ingest(h.Event("CandidateUpdated", kari, 1), 0, 0)
	h.Claim("events", time.Minute)
	later, _ := h.Ingest(h.Event("CandidateUpdated", kari, 2), 0, 0)
	var seen []string
	er := store.Erasure{Key: kari, Keep: deletion, Trace: func(tr json.RawMessage) json.RawMessage {
		seen = append(seen, string(tr))
		return json.RawMessage(`{"objects":{"candidate":"erased"}}`)
	}}
	n, err := h.Store.ErasePersonal(h.Ctx, er)
	if err != nil || n != 2 {
		t.Fatalf("ErasePersonal = %d, %v; want Kari's 2 finished events", n, err)
	}
	slices.Sort(seen)
	if want := []string{`{"error":"bad body"}`, kariTrace}; !slices.Equal(seen, want) {
		t.Errorf("traces given to redact = %v, want %v", seen, want)
	}
	checkErased(t, h, id, ds)
	if rec := h.Record(other); string(rec.Trace) != kariTrace || string(rec.Deliveries[0].Payload) != `{"text":"Ola"}` {
		t.Errorf("another candidate's event was touched: %s %s", rec.Trace, rec.Deliveries[0].Payload)
	}
	for _, keep := range []string{deletion, later} {
		if rec := h.Record(keep); rec.Trace != nil || rec.Status != store.StatusPending {
			t.Errorf("unfinished event %s: status %s, trace %s; want it untouched", keep, rec.Status, rec.Trace)
		}
	}
	if n, err := h.Store.ErasePersonal(h.Ctx, er); err != nil || n != 2 {
		t.Errorf("erasing again = %d, %v; want 2, nil", n, err)
	}
}

// checkErased checks that Kari's processed event keeps its history but
// none of her data, and that nothing of it can be sent any more.
func checkErased(t *testing.T, h *Harness, id string, ds []*store.Delivery) {
	t.Helper()
	rec := h.Record(id)
	if string(rec.Trace) != `{"objects":{"candidate":"erased"}}` || len(rec.Deliveries) != 4 {
		t.Fatalf("erased event: trace %s, %d deliveries", rec.Trace, len(rec.Deliveries))
	}
	wantStatus := []string{store.DeliveryDelivered, store.DeliveryDead, store.DeliveryDead, store.DeliveryDead}
	wantErr := []string{"", store.ErasedError, store.ErasedError, store.ErasedError}
	for i, d := range rec.Deliveries {
		if string(d.Payload) != store.ErasedPayload || d.Status != wantStatus[i] || d.LastError != wantErr[i] {
			t.Errorf("delivery %d: %s %q %s; want %s %q with the erased payload", i, d.Status, d.LastError, d.Payload, wantStatus[i], wantErr[i])
		}
		for _, a := range d.History {
			if a.Detail != "" || a.N != 1 {
				t.Errorf("delivery %d attempt %d kept detail %q", i, a.N, a.Detail)
			}
		}
	}
	if len(rec.Deliveries[0].History) != 1 || !rec.Deliveries[0].History[0].OK || len(rec.Deliveries[2].History) != 1 {
		t.Errorf("attempts lost: %+v %+v", rec.Deliveries[0].History, rec.Deliveries[2].History)
	}
	ds[3].Status = store.DeliveryDelivered
	finishDeliveryErr := h.Store.Finish(h.Ctx, "sender", ds[3], &store.Attempt{N: 1, OK: true, Detail: "Kari"})
	if !errors.Is(finishDeliveryErr, store.ErrLeaseLost) {
		t.Errorf("Finish of the send in flight = %v, want ErrLeaseLost", finishDeliveryErr)
	}
	h.Clock.Advance(2 * time.Hour)
	if got := claimDeliveries(h, "sender"); len(got) != 1 || got[0] == ds[2].ID {
		t.Errorf("claimed %v; want only the other candidate's delivery", got)
	}
	if err := h.Store.RetryDelivery(h.Ctx, ds[1].ID); err == nil {
		t.Error("RetryDelivery of an erased delivery succeeded")
	}
}

func testEraseDefaultsAndNoKey(t *testing.T, h *Harness) {
	keyless := finished(h, "", store.StatusProcessed, kariTrace, nil)
	id := finished(h, kari, store.StatusProcessed, kariTrace, nil)
	if n, err := h.Store.ErasePersonal(h.Ctx, store.Erasure{Key: ""}); err != nil || n != 0 {
		t.Fatalf("erasing no key = %d, %v; want 0, nil", n, err)
	}
	if rec := h.Record(keyless); string(rec.Trace) != kariTrace {
		t.Errorf("erasing no key touched an event without a key: %s", rec.Trace)
	}
	if n, err := h.Store.ErasePersonal(h.Ctx, store.Erasure{Key: kari}); err != nil || n != 1 {
		t.Fatalf("ErasePersonal = %d, %v; want 1, nil", n, err)
	}
	var tr map[string]string
	rec := h.Record(id)
	if err := json.Unmarshal(rec.Trace, &tr); err != nil || len(tr) != 1 || tr["erased_at"] != h.Clock.Now().Format(time.RFC3339) {
		t.Errorf("trace after erasing with no redaction = %s, want only erased_at", rec.Trace)
	}
}

// testEraseWhileFinishing: an attempt finishing while its candidate is
// erased either loses its lease (and records nothing) or is recorded and
// then erased; no attempt keeps its detail, whatever the interleaving.
func testEraseWhileFinishing(t *testing.T, h *Harness) {
	for i := range 40 {
		key := "CandidateId:" + strconv.Itoa(1000+i)
		var d *store.Delivery
		id := finished(h, key, store.StatusProcessed, kariTrace, func(id string) []*store.Delivery {
			d = delivery(id, 0, `{"text":"Kari"}`, h.Clock.Now())
			return []*store.Delivery{d}
		})
		if got := claimDeliveries(h, "sender"); len(got) != 1 {
			t.Fatalf("claimed %v, want the new delivery", got)
		}
		d.Status, d.Attempts = store.DeliveryDelivered, 1
		var wg sync.WaitGroup
		wg.Go(func() {
			err := h.Store.Finish(h.Ctx, "sender", d, &store.Attempt{N: 1, OK: true, Detail: "HTTP 200: welcome Kari"})
			if err != nil && !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("Finish: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := h.Store.ErasePersonal(h.Ctx, store.Erasure{Key: key}); err != nil {
				t.Errorf("ErasePersonal: %v", err)
			}
		})
		wg.Wait()
		for _, dd := range h.Record(id).Deliveries {
			for _, a := range dd.History {
				if a.Detail != "" {
					t.Fatalf("round %d: attempt kept %q after its candidate was erased", i, a.Detail)
				}
			}
		}
	}
}
