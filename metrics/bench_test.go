package metrics_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/metrics"
)

// benchEnv is a fresh database with n metrics.
func benchEnv(b *testing.B, n int) (*env, []string) {
	b.Helper()
	e := newEnv(b, metrics.Config{})
	p := e.provider()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.metric(fmt.Sprintf("metric %d", i), p.ID).ID
	}
	return e, ids
}

// BenchmarkIngest measures points stored per second in the shapes clients
// send: bulk POSTs of 100 metrics' latest points (every 5 minutes: 10 each;
// or a catch-up of 100 each, the most a request takes) and single points
// (POST /metrics/{id}/data), one transaction each. The clock moves on as
// the points do, so every point is new (a replacement costs a little more).
func BenchmarkIngest(b *testing.B) {
	for _, c := range []struct {
		name      string
		perMetric int
	}{{"bulk-100x10", 10}, {"bulk-100x100", 100}} {
		b.Run(c.name, func(b *testing.B) {
			e, ids := benchEnv(b, 100)
			rng := rand.New(rand.NewPCG(1, 2))
			start := e.clock.Now().Add(-6 * 24 * time.Hour)
			at := start
			points := 0
			b.ResetTimer()
			for range b.N {
				batch := make(map[string][]metrics.Point, len(ids))
				for _, id := range ids {
					ps := make([]metrics.Point, c.perMetric)
					for j := range ps {
						ps[j] = metrics.Point{Time: at.Add(time.Duration(j) * metrics.Slot), Value: rng.Float64() * 500}
					}
					batch[id] = ps
				}
				at = at.Add(time.Duration(c.perMetric) * metrics.Slot)
				e.clock.Set(at)
				n, err := e.svc.AddPoints(e.ctx, batch)
				if err != nil {
					b.Fatal(err)
				}
				points += n
			}
			b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
		})
	}
	b.Run("single", func(b *testing.B) {
		e, ids := benchEnv(b, 100)
		at := e.clock.Now().Add(-6 * 24 * time.Hour)
		b.ResetTimer()
		for i := range b.N {
			if i%len(ids) == 0 {
				at = at.Add(metrics.Slot)
				e.clock.Set(at)
			}
			if _, err := e.svc.AddPoint(e.ctx, ids[i%len(ids)], metrics.Point{Time: at, Value: float64(i % 1000)}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	})
	// Single points from 16 clients at once, as an HTTP server takes them:
	// concurrent calls share a transaction.
	b.Run("single-16-clients", func(b *testing.B) {
		e, ids := benchEnv(b, 100)
		start := e.clock.Now().Add(-7*24*time.Hour + time.Hour)
		var next atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				at := start.Add(time.Duration(i/int64(len(ids))%20000) * metrics.Slot)
				if _, err := e.svc.AddPoint(e.ctx, ids[i%int64(len(ids))], metrics.Point{Time: at, Value: float64(i % 1000)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	})
}

var (
	fullYear = flag.Bool("metrics.fullyear", false, "BenchmarkYear: write every 30 s point of the year, not only the last 35 days'")
	yearDir  = flag.String("metrics.yeardir", "", "BenchmarkYear: leave the simulated year's database in this directory (default: a temporary one)")
)

// BenchmarkYear simulates a year of 100 metrics with one point each per
// 30 s, through the real write path in time order: the clock advances,
// each request carries 10 minutes of points of every metric (a bulk POST
// of 2,000 points), and Compact runs every simulated hour as the server's
// would. The last 35 days (what raw and 5-minute tables keep) get every
// point; the 330 days before them, whose raw and 5-minute rows compaction
// drops, get one point per metric per 5 minutes, which makes the same
// hourly rows (one per metric per hour, as a full hour would) for a tenth
// of the writes. -metrics.fullyear writes every point of the year (105 M;
// about ten times longer). It reports the file's size after a WAL
// checkpoint, the rows of each table and the ingest rate. Run it with
// -benchtime 1x:
//
//	go test ./metrics -run '^$' -bench Year -benchtime 1x -timeout 2h
func BenchmarkYear(b *testing.B) {
	if b.N > 1 {
		b.Skip("run with -benchtime 1x: one simulated year is one op")
	}
	ctx := context.Background()
	dir := *yearDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "beacon.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, metrics.Migrations()); err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(-1, 0, 0)
	full := end.Add(-metrics.FiveMinuteRetention)
	if *fullYear {
		full = start
	}
	clock := testutil.NewClock(start)
	svc := metrics.NewService(db, clock.Now, nil, metrics.Config{})
	typ := metrics.Self
	p, err := svc.CreateProvider(ctx, metrics.ProviderInput{Type: &typ})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 100)
	for i := range ids {
		name := fmt.Sprintf("metric %d", i)
		m, err := svc.Create(ctx, p.ID, metrics.MetricInput{Name: &name})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = m.ID
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const request = 10 * time.Minute
	var points int
	var writing, compacting time.Duration
	nextCompact := start.Add(time.Hour)
	b.ResetTimer()
	for t := start; t.Before(end); t = t.Add(request) {
		step := metrics.Slot
		if t.Before(full) {
			step = 5 * time.Minute
		}
		batch := make(map[string][]metrics.Point, len(ids))
		for i, id := range ids {
			ps := make([]metrics.Point, 0, request/step)
			for at := t; at.Before(t.Add(request)); at = at.Add(step) {
				// Response times around 100-300 ms with noise: realistic
				// floats, no two alike.
				ps = append(ps, metrics.Point{Time: at, Value: 100 + float64(i)*2 + rng.ExpFloat64()*50})
			}
			batch[id] = ps
		}
		clock.Set(t.Add(request - metrics.Slot))
		w := time.Now()
		n, err := svc.AddPoints(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		writing += time.Since(w)
		points += n
		if !clock.Now().Before(nextCompact) {
			c := time.Now()
			if err := svc.Compact(ctx); err != nil {
				b.Fatal(err)
			}
			compacting += time.Since(c)
			nextCompact = nextCompact.Add(time.Hour)
		}
	}
	b.StopTimer()
	if _, err := db.Write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var pages, free, pageSize int64
	for q, dst := range map[string]*int64{`PRAGMA page_count`: &pages, `PRAGMA freelist_count`: &free, `PRAGMA page_size`: &pageSize} {
		if err := db.Write.QueryRowContext(ctx, q).Scan(dst); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("simulated %s to %s: %d points written (every 30 s from %s), %d requests", start.Format(time.DateOnly),
		end.Format(time.DateOnly), points, full.Format(time.DateOnly), int(end.Sub(start)/request))
	b.Logf("database file %.1f MB after checkpoint (%d pages of %d bytes, %d of them free)", float64(info.Size())/1e6, pages, pageSize, free)
	for _, table := range []string{"metric_points", "metric_rollups_5m", "metric_rollups_1h"} {
		var rows int64
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&rows); err != nil {
			b.Fatal(err)
		}
		b.Logf("%-18s %9d rows", table, rows)
		b.ReportMetric(float64(rows), table+"-rows")
	}
	b.Logf("writing %s (%.0f points/s), compacting %s (%d runs)", writing.Round(time.Millisecond),
		float64(points)/writing.Seconds(), compacting.Round(time.Millisecond), int(end.Sub(start)/time.Hour))
	b.ReportMetric(float64(info.Size())/1e6, "MB")
	b.ReportMetric(float64(points)/writing.Seconds(), "points/s")
}
