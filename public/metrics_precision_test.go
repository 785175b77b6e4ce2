package public

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/metrics"
)

// TestMetricsKeepDoublePrecision: the charts show a metric's values with
// every digit a float64 keeps, from the raw points (a day) and from the
// roll-ups (a week, a month), on both engines: a column of 4-byte floats
// (PostgreSQL's REAL, not SQLite's) would keep 16777216 and 16777220 of 16777217.25 and 16777219.75,
// and an average drawn from numeric sums would be formatted otherwise.
func TestMetricsKeepDoublePrecision(t *testing.T) {
	env := pgNewEnv(t) // America/New_York; the clock at 2026-03-10 12:00 UTC
	m := mtMetric(t, env, "Queue depth", true)
	if _, err := env.svc.Metrics.Update(context.Background(), m.ID, metrics.MetricInput{DecimalPlaces: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(-3 * time.Hour)
	mtPush(t, env, m.ID, 16777217.25)
	env.clock.Advance(30 * time.Second)
	mtPush(t, env, m.ID, 16777219.75)
	env.clock.Advance(3*time.Hour - 30*time.Second)
	for _, path := range []string{"/", "/?metrics=week", "/?metrics=month"} {
		got := mtRead(t, pgGet(env, path).Body)
		if got == nil || len(got.tips) != 1 {
			t.Fatalf("GET %s: no chart", path)
		}
		if want := "16777218.50 ms"; len(got.tips[0]) != 1 || !strings.HasSuffix(got.tips[0][0], " · "+want) {
			t.Errorf("GET %s: tooltips %q, want one ending %q", path, got.tips[0], want)
		}
	}
}
