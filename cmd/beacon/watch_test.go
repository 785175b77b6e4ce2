package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/testutil"
)

// Two apps on one database, as two replicas (or a server and a command):
// what one commits reaches the other's page, API v2 and settings in force
// through its watch, which its own change hooks never see.
func TestWatchFollowsAnotherProcess(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	a := newTestEnvOn(t, cfg)
	b := newTestEnvOn(t, cfg)
	if before := b.do("GET", "/", nil); before.Status != 200 {
		t.Fatalf("GET / on b: %d", before.Status)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.app.watchChanges(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})

	began := time.Now()
	a.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Made elsewhere"}})
	shown := testWaitFor(t, "b's page and summary.json to show a's component", func() bool {
		return strings.Contains(string(b.do("GET", "/", nil).Body), "Made elsewhere") &&
			strings.Contains(string(b.do("GET", "/api/v2/summary.json", nil).Body), "Made elsewhere")
	})
	t.Logf("a's component on b's page %s after the commit", shown.Sub(began).Round(time.Millisecond))

	name := "Status desk"
	began = time.Now()
	if err := a.app.inForce.SaveNotify(ctx, settings.Notifications{EmailFromName: &name}); err != nil {
		t.Fatal(err)
	}
	shown = testWaitFor(t, "b's settings in force to take a's sender name", func() bool {
		return b.app.inForce.Notify().EmailFromName == name
	})
	t.Logf("a's saved setting in force on b %s after the commit", shown.Sub(began).Round(time.Millisecond))
}

// newTestEnvOn opens an app on cfg at the usual test clock.
func newTestEnvOn(tb testing.TB, cfg Config) *testEnv {
	tb.Helper()
	return openTestEnv(tb, cfg, testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)))
}

// testWaitFor polls cond every 10ms until it holds, failing the test after
// 10 seconds, and returns when it first held.
func testWaitFor(t *testing.T, what string, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after 10s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Now()
}
