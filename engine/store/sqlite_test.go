package store_test

import (
	"path/filepath"
	"testing"

	"github.com/hirewire/hirewire/engine/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "data", "hirewire.db")
	})
}
