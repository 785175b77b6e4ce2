// Package testutil holds the helpers Beacon's tests share: a clock tests
// move by hand; a real, migrated database on the engine BEACON_TEST_ENGINE
// names (a SQLite file in a temporary directory by default, a database of
// a throwaway PostgreSQL cluster with "postgres"); request helpers, golden
// files and a strict iCalendar reader. It is imported by tests only.
package testutil

import (
	"sync"
	"time"
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
