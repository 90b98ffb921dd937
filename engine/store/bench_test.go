package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/engine/store/storetest"
)

// BenchmarkIngest measures group-committed ingest from 64 concurrent
// senders into a real SQLite file, every event durable before it returns.
func BenchmarkIngest(b *testing.B) {
	benchIngest(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
}

// BenchmarkIngestPostgres is BenchmarkIngest on Postgres.
func BenchmarkIngestPostgres(b *testing.B) {
	base := os.Getenv("HIREWIRE_TEST_POSTGRES")
	if base == "" {
		b.Skip("SKIPPING: set HIREWIRE_TEST_POSTGRES to benchmark Postgres")
	}
	benchIngest(b, storetest.FreshSchema(b, base))
}

func benchIngest(b *testing.B, url string) {
	s, err := store.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := []byte(`{"CustomerId":1885,"DepartmentId":18960,"Message":{"CandidateId":987654,"EventType":"CandidateUpdated","ProjectId":143568}}`)
	var n atomic.Int64
	b.SetParallelism((64 + 1) / 2) // 2 cores: 64 goroutines
	b.ResetTimer()
	begin := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			now := time.Now()
			e := &event.Event{
				ID: event.NewID(now), Source: "hrmanager", Type: "CandidateUpdated",
				Key: "candidate:" + strconv.FormatInt(i%1000, 10), Body: body,
				DedupKey: dedupKey(i), ReceivedAt: now,
			}
			if _, _, err := s.Ingest(context.Background(), e, 10*time.Minute, 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(begin).Seconds(), "events/s")
}

// dedupKey is a hash like the ones ingest computes: random, so that an
// index on it is written at a random page per event, as in production.
func dedupKey(i int64) string {
	sum := sha256.Sum256(strconv.AppendInt(nil, i, 10))
	return hex.EncodeToString(sum[:])
}
