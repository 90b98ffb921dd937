package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// testOnce: a once key is held by one pending or delivered delivery; a
// later delivery with the key is created skipped, saying by which; a dead
// delivery frees the key, and retrying it while another holds the key is
// refused.
func testOnce(t *testing.T, h *Harness) {
	now := h.Clock.Now()
	withKey := func(key string) func(string) []*store.Delivery {
		return func(id string) []*store.Delivery {
			d := delivery(id, 0, `{}`, now)
			d.OnceKey = key
			return []*store.Delivery{d}
		}
	}
	first := processed(h, withKey("welcome-7"))
	second := processed(h, withKey("welcome-7"))
	other := processed(h, withKey("welcome-8"))
	d1, d2 := h.Record(first).Deliveries[0], h.Record(second).Deliveries[0]
	if d1.Status != store.DeliveryPending || d1.OnceKey != "welcome-7" {
		t.Fatalf("first = %+v, want pending with its key", d1)
	}
	if d2.Status != store.DeliverySkipped || !strings.Contains(d2.LastError, d1.ID) {
		t.Fatalf("second = %+v, want skipped naming %s", d2, d1.ID)
	}
	if d := h.Record(other).Deliveries[0]; d.Status != store.DeliveryPending {
		t.Fatalf("another key = %+v, want pending", d)
	}
	if ids := claimDeliveries(h, "w"); len(ids) != 2 {
		t.Fatalf("claimed %v, want the two pending ones (never the skipped)", ids)
	}
	d1.Status, d1.Attempts, d1.LastError = store.DeliveryDead, 1, "HTTP 400"
	if err := h.Store.Finish(h.Ctx, "w", d1, &store.Attempt{N: 1, At: now, Detail: "HTTP 400"}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Second)
	third := processed(h, withKey("welcome-7"))
	d3 := h.Record(third).Deliveries[0]
	if d3.Status != store.DeliveryPending {
		t.Fatalf("after the holder died = %+v, want pending", d3)
	}
	err := h.Store.RetryDelivery(h.Ctx, d1.ID)
	if err == nil || !strings.Contains(err.Error(), d3.ID) {
		t.Errorf("retrying the dead one while %s holds the key = %v, want refused naming it", d3.ID, err)
	}
}
