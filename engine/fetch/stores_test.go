package fetch

import (
	"path/filepath"
	"testing"

	"github.com/hirewire/hirewire/engine/store"
)

// storeKinds are the stores the store-backed tests run against: the real
// SQLite store and a small in-memory one.
var storeKinds = []string{"sqlite", "mem"}

// openStore returns a fresh store of a kind, closed when the test ends.
func openStore(t *testing.T, kind string) Store {
	t.Helper()
	switch kind {
	case "mem":
		return newMemStore()
	case "sqlite":
		st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "hirewire.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	t.Fatalf("unknown store kind %q", kind)
	return nil
}

// eachStore runs fn once per store kind.
func eachStore(t *testing.T, fn func(t *testing.T, kind string)) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) { fn(t, kind) })
	}
}
