package demo

import (
	"context"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/metrics"
)

// The demo's metrics are seeded within the raw retention in force: with a
// retention of a day (BEACON_METRICS_RAW_RETENTION=24h) the seeding
// succeeds, and the day chart is full.
func TestDemoMetricsWithinRetention(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, retention := range []time.Duration{24 * time.Hour, 0} { // 0: the default, a week
		clock := NewClock(now)
		svc := metrics.NewService(testutil.OpenDB(t, metrics.Migrations()), clock.Now, nil, metrics.Config{RawRetention: retention})
		if err := seedMetrics(ctx, Services{Metrics: svc}, now); err != nil {
			t.Fatalf("retention %v: %v", retention, err)
		}
		ms, err := svc.List(ctx)
		if err != nil || len(ms) != 2 {
			t.Fatalf("retention %v: metrics %+v, %v", retention, ms, err)
		}
		for _, m := range ms {
			s, err := svc.Series(ctx, m.ID, metrics.Day)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Points) != 288 {
				t.Errorf("retention %v: %s charts %d of a day's 288 buckets", retention, m.Name, len(s.Points))
			}
			w, err := svc.Series(ctx, m.ID, metrics.Week)
			if err != nil {
				t.Fatal(err)
			}
			if want := min(int(svc.RawRetention()/time.Hour), 167); len(w.Points) < want-1 {
				t.Errorf("retention %v: %s charts %d hours of the week, want about %d", retention, m.Name, len(w.Points), want)
			}
		}
	}
}
