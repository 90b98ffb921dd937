package store_test

import (
	"testing"

	"github.com/hirewire/hirewire/engine/store/storetest"
)

func TestPostgres(t *testing.T) {
	base := storetest.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) string { return storetest.FreshSchema(t, base) })
}
