package dbcopy_test

import (
	"testing"

	"github.com/beacon-status/beacon/internal/testutil"
)

// TestMain runs the tests on the engine BEACON_TEST_ENGINE names and stops
// the PostgreSQL cluster they started, if any.
func TestMain(m *testing.M) { testutil.Main(m) }
