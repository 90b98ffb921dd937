package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/engine/store"
)

func TestOpenRefusesUnknownStores(t *testing.T) {
	for _, url := range []string{
		"mysql://root:hunter2@db/hirewire", "redis:hunter2@cache", "hirewire.db", "sqlite:",
		"postgres://hirewire:hunter2@127.0.0.1:1/hirewire?sslmode=disable&connect_timeout=2",
		"postgresql://hirewire:hunter2@[::1/hirewire", "postgres://hirewire:hunter2@host/db?sslmode=bogus",
	} {
		s, err := store.Open(t.Context(), url)
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		t.Logf("Open(…) = %v", err)
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error shows the password: %v", url, err)
		}
	}
}

// rawSQLite opens the database file of a store directly.
func rawSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSQLiteSetup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "hirewire.db")
	for range 2 { // the second open finds the schema up to date
		s, err := store.Open(t.Context(), "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db := rawSQLite(t, path)
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var versions, latest int
	err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&versions, &latest)
	if err != nil || versions != latest || latest < 1 {
		t.Errorf("schema_migrations: %d rows, latest %d, %v", versions, latest, err)
	}
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hirewire.db")
	s, err := store.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db := rawSQLite(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(context.Background(), "sqlite:"+path)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	}
}
