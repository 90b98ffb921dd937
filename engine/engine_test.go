package engine_test

import (
	"testing"

	"github.com/hirewire/hirewire/engine"
)

func TestRedactStore(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:./data/h.db": "sqlite:./data/h.db",
		"postgres://app:s3cret@db:5432/hw?sslmode=disable":     "postgres://db:5432/hw",
		"postgres://app@db/hw?password=s3cret&sslmode=require": "postgres://db/hw",
	} {
		if got := engine.RedactStore(in); got != want {
			t.Errorf("RedactStore(%q) = %q, want %q", in, got, want)
		}
	}
}
