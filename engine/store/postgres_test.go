package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hirewire/hirewire/engine/store/storetest"
)

// postgresURL returns the test database from HIREWIRE_TEST_POSTGRES, or
// skips the test, loudly.
func postgresURL(t *testing.T) string {
	base := os.Getenv("HIREWIRE_TEST_POSTGRES")
	if base == "" {
		t.Skip("SKIPPING POSTGRES STORE TESTS: set HIREWIRE_TEST_POSTGRES, " +
			"e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return base
}

// freshSchema creates a schema of its own for one test, dropped when the
// test ends, and returns base with search_path set to it.
func freshSchema(t testing.TB, base string) string {
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

func TestPostgres(t *testing.T) {
	base := postgresURL(t)
	storetest.Run(t, func(t *testing.T) string { return freshSchema(t, base) })
}
