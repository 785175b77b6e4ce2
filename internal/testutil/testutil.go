// Package testutil holds the helpers Beacon's tests share: a clock tests
// move by hand and a real, migrated SQLite database in a temporary
// directory. It is imported by tests only.
package testutil

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// Clock is a time source that moves only when a test moves it. It is safe
// for concurrent use: services read it from their own goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t, backwards too.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// OpenDB opens a real SQLite database file in a fresh temporary directory,
// applies sets in order, and closes it when the test ends.
func OpenDB(tb testing.TB, sets ...store.Migrations) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(tb.TempDir(), "beacon.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	if err := db.Migrate(ctx, sets...); err != nil {
		tb.Fatal(err)
	}
	return db
}
