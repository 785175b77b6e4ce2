package main

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/metrics"
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

// A point pushed through one app reaches the other's charts: its watch
// moves the metrics' DataVersion, which the points another process writes
// never move otherwise, so the other's charts, once a minute old, are drawn
// again with the point, as the pushing app's own are.
func TestWatchMovesAnotherProcessCharts(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	a := newTestEnvOn(t, cfg)
	b := newTestEnvOn(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.app.watchChanges(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})

	prov, err := a.app.systemMetrics.CreateProvider(ctx, metrics.ProviderInput{Type: ptr(metrics.Self)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.app.systemMetrics.Create(ctx, prov.ID, metrics.MetricInput{Name: ptr("Pushed elsewhere"), Suffix: ptr("ms"), Display: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	testWaitFor(t, "b's page to chart a's metric, with no data", func() bool {
		body := string(b.do("GET", "/", nil).Body)
		return strings.Contains(body, "Pushed elsewhere") && strings.Contains(body, "No data over the last day")
	})
	// b's charts, drawn at 12:00, may be drawn again from 12:01; the day
	// chart's window moves on by a bucket only at 12:05.
	b.clock.Advance(time.Minute)

	began := time.Now()
	if _, err := a.app.systemMetrics.AddPoint(ctx, m.ID, metrics.Point{Time: a.clock.Now(), Value: 123}); err != nil {
		t.Fatal(err)
	}
	shown := testWaitFor(t, "b's chart to show the point pushed through a", func() bool {
		return strings.Contains(string(b.do("GET", "/", nil).Body), "Latest 123 ms")
	})
	t.Logf("a's point on b's chart %s after the commit", shown.Sub(began).Round(time.Millisecond))

	// As on a, a point does not redraw charts younger than a minute: b
	// hears of the next one but shows it only a minute after drawing.
	version := b.app.systemMetrics.DataVersion()
	a.clock.Advance(30 * time.Second)
	if _, err := a.app.systemMetrics.AddPoint(ctx, m.ID, metrics.Point{Time: a.clock.Now(), Value: 456}); err != nil {
		t.Fatal(err)
	}
	testWaitFor(t, "b's metrics to hear of a's second point", func() bool { return b.app.systemMetrics.DataVersion() != version })
	if body := string(b.do("GET", "/", nil).Body); !strings.Contains(body, "Latest 123 ms") {
		t.Error("b's charts, drawn under a minute ago, were drawn again for a point")
	}
	b.clock.Advance(time.Minute)
	if body := string(b.do("GET", "/", nil).Body); !strings.Contains(body, "highest 456 ms") {
		t.Error("b's charts a minute after drawing do not show a's second point")
	}
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

// A point pushed through one app costs the other what it costs the pusher:
// the metrics' DataVersion moves, and the page, its settings and its
// dispatcher are left alone (outsideChange follows everything else). On
// PostgreSQL, whose notifications say what changed; SQLite's poll cannot
// tell, and follows every change in full.
func TestWatchFollowsAnotherProcessPushAsThePusher(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	a := newTestEnvOn(t, cfg)
	b := newTestEnvOn(t, cfg)
	m := apitest.Object(t, a.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Self"}}))
	metric := apitest.String(t, a.mustAPI(201, "POST", "/metrics_providers/"+m["id"].(string)+"/metrics",
		map[string]any{"metric": map[string]any{"name": "Latency", "suffix": "ms", "display": true}}), "id")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var heard atomic.Int64 // changes b has followed
	wg.Go(func() {
		b.app.db.Watch(ctx, func(all bool) {
			b.app.outsideChange(ctx, all)
			heard.Add(1)
		})
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	// Both pages are built after each change b has followed.
	get := func() {
		t.Helper()
		for _, e := range []*testEnv{a, b} {
			if res := e.do("GET", "/", nil); res.Status != 200 {
				t.Fatalf("GET /: %d", res.Status)
			}
		}
	}
	follow := func(what string, commit func()) {
		t.Helper()
		before := heard.Load()
		commit()
		testWaitFor(t, "b to follow "+what, func() bool { return heard.Load() > before })
		get()
	}
	testWaitFor(t, "b to follow what came before", func() bool { return heard.Load() > 0 })
	get()
	aBuilds, bBuilds, version := a.app.public.Builds(), b.app.public.Builds(), b.app.systemMetrics.DataVersion()

	follow("a point", func() {
		a.mustAPI(201, "POST", "/metrics/"+metric+"/data", map[string]any{"data": map[string]any{"timestamp": a.clock.Now().Unix(), "value": 12}})
	})
	if b.app.systemMetrics.DataVersion() == version {
		t.Error("b's metrics DataVersion did not move for a's point")
	}
	if got := a.app.public.Builds() - aBuilds; got != 0 {
		t.Errorf("a rebuilt its page %d times for its own point", got)
	}
	got, want := b.app.public.Builds()-bBuilds, uint64(0)
	if testutil.Engine() == store.SQLite {
		want = 1
	}
	if got != want {
		t.Errorf("b rebuilt its page %d times for a's point, want %d", got, want)
	}

	// Anything else still reaches b's page in full: a metric renamed (the
	// metrics' own table, which a point updates too) and an incident.
	bBuilds = b.app.public.Builds()
	follow("a metric renamed", func() {
		a.mustAPI(200, "PATCH", "/metrics/"+metric, map[string]any{"metric": map[string]any{"name": "Push latency"}})
	})
	if got := b.app.public.Builds() - bBuilds; got != 1 {
		t.Errorf("b rebuilt its page %d times for a's metric renamed, want 1", got)
	}
	if body := string(b.do("GET", "/", nil).Body); !strings.Contains(body, "Push latency") {
		t.Error("b's page does not show a's metric renamed")
	}
	bBuilds = b.app.public.Builds()
	follow("an incident", func() {
		a.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Slow pushes"}})
	})
	if got := b.app.public.Builds() - bBuilds; got != 1 {
		t.Errorf("b rebuilt its page %d times for a's incident, want 1", got)
	}
	if body := string(b.do("GET", "/", nil).Body); !strings.Contains(body, "Slow pushes") {
		t.Error("b's page does not show a's incident")
	}
}
