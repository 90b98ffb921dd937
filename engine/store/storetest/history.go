package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hirewire/hirewire/engine/store"
)

// finished ingests an event about key, completes it with the given status,
// trace and deliveries, and returns its id.
func finished(h *Harness, key, status, trace string, mk func(id string) []*store.Delivery) string {
	h.T.Helper()
	id, _ := h.Ingest(h.Event("CandidateHired", key, int(h.Clock.Now().UnixNano())), 0, 0)
	if got := h.Claim("events", time.Minute); !slices.Equal(got, []string{id}) {
		h.T.Fatalf("claim = %v, want [%s]", got, id)
	}
	out := &store.Outcome{Status: status, Trace: json.RawMessage(trace)}
	if mk != nil {
		out.Deliveries = mk(id)
	}
	if err := h.Store.Complete(h.Ctx, "events", id, out); err != nil {
		h.T.Fatalf("completing %s: %v", id, err)
	}
	return id
}

// finishDelivery records one attempt of a claimed delivery and its new
// status.
func finishDelivery(h *Harness, owner string, d *store.Delivery, status, detail string) {
	h.T.Helper()
	d.Status, d.Attempts = status, d.Attempts+1
	d.NextAt = h.Clock.Now().Add(time.Hour)
	a := &store.Attempt{N: d.Attempts, OK: status == store.DeliveryDelivered, Detail: detail}
	if err := h.Store.Finish(h.Ctx, owner, d, a); err != nil {
		h.T.Fatalf("finishing %s: %v", d.ID, err)
	}
}

// count runs a COUNT query straight on the database, to see rows that the
// Store no longer shows.
func count(h *Harness, query string, args ...any) int {
	h.T.Helper()
	ctx := context.Background()
	var n int
	if path, ok := strings.CutPrefix(h.URL, "sqlite:"); ok {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			h.T.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			h.T.Fatalf("%s: %v", query, err)
		}
		return n
	}
	conn, err := pgx.Connect(ctx, h.URL)
	if err != nil {
		h.T.Fatal(err)
	}
	defer conn.Close(ctx)
	for i := range args {
		query = strings.Replace(query, "?", "$"+strconv.Itoa(i+1), 1)
	}
	if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		h.T.Fatalf("%s: %v", query, err)
	}
	return n
}
