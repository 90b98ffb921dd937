package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresURL returns the test database from HIREWIRE_TEST_POSTGRES, or
// skips the test, loudly.
func PostgresURL(t testing.TB) string {
	base := os.Getenv("HIREWIRE_TEST_POSTGRES")
	if base == "" {
		t.Skip("SKIPPING POSTGRES TESTS: set HIREWIRE_TEST_POSTGRES, " +
			"e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return base
}

// FreshSchema creates a schema of its own for one test, dropped when the
// test ends, and returns base with search_path set to it, so that tests
// running at once never see each other's rows.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "hirewire_test_" + hex.EncodeToString(b)
	sql := func(stmt string) {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Fatalf("connecting to postgres: %v", err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	sql("CREATE SCHEMA " + schema)
	t.Cleanup(func() { sql("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing HIREWIRE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
