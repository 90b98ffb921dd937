package calendar_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind, such as
// a connection that Send forgot to close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
