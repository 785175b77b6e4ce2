package metrics_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/beacon-status/beacon/metrics"
)

// bruteSeries computes a period's buckets straight from every point
// written (slot start → value, the last write of a slot kept).
func bruteSeries(points map[int64]float64, period metrics.Period, now time.Time) []metrics.Aggregate {
	step := int64(period.Step() / time.Second)
	to := now.Unix() - now.Unix()%step + step
	from := to - step*int64(period.Buckets())
	buckets := map[int64]*metrics.Aggregate{}
	for at, v := range points {
		if at < from || at >= to {
			continue
		}
		b := at - at%step
		a := buckets[b]
		if a == nil {
			a = &metrics.Aggregate{Time: time.Unix(b, 0).UTC(), Min: v, Max: v}
			buckets[b] = a
		}
		a.Min, a.Max, a.Sum, a.Count = min(a.Min, v), max(a.Max, v), a.Sum+v, a.Count+1
	}
	var out []metrics.Aggregate
	for b := from; b < to; b += step {
		if a := buckets[b]; a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// checkSeries compares every period's series with the brute force.
func (e *env) checkSeries(id string, points map[int64]float64, when string) {
	e.t.Helper()
	for _, period := range metrics.Periods {
		s, err := e.svc.Series(e.ctx, id, period)
		if err != nil {
			e.t.Fatal(err)
		}
		want := bruteSeries(points, period, e.clock.Now())
		if len(s.Points) != len(want) {
			e.t.Fatalf("%s, %s: %d buckets, want %d", when, period, len(s.Points), len(want))
		}
		for i, got := range s.Points {
			w := want[i]
			// Sums are added in another order: equal to rounding.
			if got.Time != w.Time || got.Min != w.Min || got.Max != w.Max || got.Count != w.Count ||
				math.Abs(got.Sum-w.Sum) > 1e-9*max(1, math.Abs(w.Sum)) {
				e.t.Fatalf("%s, %s bucket %d: %+v, want %+v", when, period, i, got, w)
			}
		}
	}
}

// The rollups always equal what the raw points give, whatever the order
// of the writes, however many points replace earlier ones, and after
// compaction has dropped the raw points.
func TestSeriesEqualsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	e := newEnv(t, metrics.Config{RawRetention: 32 * 24 * time.Hour})
	m, other := e.metric("M"), e.metric("Other")
	now := t0.Add(17*time.Minute + 40*time.Second)
	e.clock.Set(now)
	points, otherPoints := map[int64]float64{}, map[int64]float64{}
	span := int64(31 * 24 * 3600)
	write := func(n int) {
		t.Helper()
		batch := map[string][]metrics.Point{}
		for range n {
			at := now.Add(-time.Duration(rng.Int64N(span)) * time.Second)
			if len(points) > 0 && rng.IntN(3) == 0 {
				// Often a slot already written: a replacement, sometimes
				// by the same value.
				for slot := range points {
					at = time.Unix(slot-15+rng.Int64N(30), 0) // cast to slot
					break
				}
			}
			v := math.Round(rng.NormFloat64()*1000) / 8
			if rng.IntN(10) == 0 {
				v = points[slotOf(at)]
			}
			batch[m.ID] = append(batch[m.ID], metrics.Point{Time: at, Value: v})
			batch[other.ID] = append(batch[other.ID], metrics.Point{Time: at, Value: -v})
			points[slotOf(at)] = v
			otherPoints[slotOf(at)] = -v
		}
		if _, err := e.svc.AddPoints(e.ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// Dense where it can be: a few hours full of replacements.
	for range 20 {
		batch := map[string][]metrics.Point{}
		for range 50 {
			at := now.Add(-time.Duration(rng.Int64N(3*3600)) * time.Second)
			v := float64(rng.IntN(100))
			batch[m.ID] = append(batch[m.ID], metrics.Point{Time: at, Value: v})
			points[slotOf(at)] = v
		}
		if _, err := e.svc.AddPoints(e.ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for range 30 {
		write(1 + rng.IntN(300))
	}
	// Points in the 5-minute bucket that straddles the 7-day retention,
	// before it and at its edge (replaced below, after compaction).
	edge := now.Add(-7 * 24 * time.Hour) // 12:17:40
	for i, at := range []time.Time{edge.Add(-160 * time.Second), edge.Add(-100 * time.Second), edge.Add(5 * time.Second)} {
		if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: at, Value: float64(i)}); err != nil {
			t.Fatal(err)
		}
		points[slotOf(at)] = float64(i)
	}
	// Single points replacing others.
	for range 200 {
		var at int64
		for slot := range points {
			at = slot
			break
		}
		v := float64(rng.IntN(1000))
		if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: time.Unix(at+14, 0), Value: v}); err != nil {
			t.Fatal(err)
		}
		points[at] = v
	}
	e.checkSeries(m.ID, points, "written")

	// Compaction with the default raw retention drops raw points older than
	// 7 days (from the hour) and nothing the charts read.
	raw := e.count(`SELECT COUNT(*) FROM metric_points`)
	e.svc = metrics.NewService(e.db, e.clock.Now, nil, metrics.Config{})
	if err := e.svc.Compact(e.ctx); err != nil {
		t.Fatal(err)
	}
	cut := now.Add(-7 * 24 * time.Hour).Truncate(time.Hour).Unix()
	if n := e.count(`SELECT COUNT(*) FROM metric_points WHERE at < ?`, cut); n != 0 {
		t.Errorf("%d raw points older than the retention left", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM metric_points`); n == raw || n != e.count(`SELECT COUNT(*) FROM metric_points WHERE at >= ?`, cut) {
		t.Errorf("compaction kept %d of %d raw points", n, raw)
	}
	e.checkSeries(m.ID, points, "compacted")

	// Points replaced after compaction, at the retention's edge too.
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: edge.Add(10 * time.Second), Value: -1}); err != nil {
		t.Fatal(err)
	}
	points[slotOf(edge.Add(10*time.Second))] = -1
	for range 300 {
		at := now.Add(-time.Duration(rng.Int64N(7*24*3600)) * time.Second)
		v := float64(rng.IntN(1000))
		if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: at, Value: v}); err != nil {
			t.Fatal(err)
		}
		points[slotOf(at)] = v
	}
	e.checkSeries(m.ID, points, "replaced after compaction")

	// The other metric's series are its own.
	e.checkSeries(other.ID, otherPoints, "the other metric")
}

// Compact drops each table's rows past their age in batches, whatever
// their number, and keeps the rest.
func TestCompact(t *testing.T) {
	e := newEnv(t, metrics.Config{RawRetention: 24 * time.Hour})
	m, keep := e.metric("M"), e.metric("Keep")
	// 1,500 points of M over the first 12.5 hours.
	for i := range 3 {
		batch := map[string][]metrics.Point{}
		for j := range 500 {
			batch[m.ID] = append(batch[m.ID], metrics.Point{Time: e.clock.Now().Add(-time.Duration(i*500+j) * 30 * time.Second), Value: 1})
		}
		if _, err := e.svc.AddPoints(e.ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.AddPoint(e.ctx, keep.ID, metrics.Point{Time: t0, Value: 1}); err != nil {
		t.Fatal(err)
	}
	before := e.dataRows()
	if before != [3]int{1501, 152, 15} {
		t.Fatalf("rows %v", before)
	}
	v := e.svc.DataVersion()
	// A day and half an hour later, the raw points before 12:00 of the
	// first day go (the cut-off is rounded down to the hour): all of M's
	// but its last, in two batches. The rollups stay.
	e.clock.Set(t0.Add(24*time.Hour + 30*time.Minute))
	if err := e.svc.Compact(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.dataRows(); got != [3]int{2, 152, 15} {
		t.Errorf("after a day: %v", got)
	}
	// After 35 days the 5-minute rows go, after 2 years the hours.
	e.clock.Set(t0.Add(35*24*time.Hour + time.Hour))
	if err := e.svc.Compact(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.dataRows(); got != [3]int{0, 0, 15} {
		t.Errorf("after 35 days: %v", got)
	}
	e.clock.Set(t0.Add(2*365*24*time.Hour + time.Hour))
	if err := e.svc.Compact(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.dataRows(); got != [3]int{} {
		t.Errorf("after 2 years: %v", got)
	}
	if e.svc.DataVersion() != v {
		t.Error("compaction moved DataVersion: it drops only what no chart shows")
	}
}

// slotOf is the slot a point at t is stored in (Unix seconds).
func slotOf(t time.Time) int64 { return metrics.Point{Time: t}.InSlot().Time.Unix() }

// Raising the raw retention after a compaction does not let a compacted
// span's slots be written again (they would count twice in the rollups):
// such points are refused, single or in bulk; an old span never stored is
// taken.
func TestRaisedRetention(t *testing.T) {
	e := newEnv(t, metrics.Config{RawRetention: 24 * time.Hour})
	m := e.metric("M")
	old := t0.Add(-20 * time.Hour)
	if _, err := e.svc.AddPoints(e.ctx, map[string][]metrics.Point{m.ID: {{Time: old, Value: 1}, {Time: old.Add(time.Minute), Value: 2}}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(t0.Add(2 * 24 * time.Hour))
	if err := e.svc.Compact(e.ctx); err != nil {
		t.Fatal(err)
	}
	if rows := e.dataRows(); rows != [3]int{0, 1, 1} {
		t.Fatalf("after compaction %v, want the rollups only", rows)
	}
	e.svc = metrics.NewService(e.db, e.clock.Now, nil, metrics.Config{RawRetention: 30 * 24 * time.Hour})
	_, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: old, Value: 1})
	wantInvalid(t, err, "timestamp")
	_, err = e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: old.Add(2 * time.Minute), Value: 3}) // a new slot of the bucket
	wantInvalid(t, err, "timestamp")
	_, err = e.svc.AddPoints(e.ctx, map[string][]metrics.Point{m.ID: {{Time: old.Add(time.Hour), Value: 5}, {Time: old.Add(time.Minute), Value: 2}}})
	wantInvalid(t, err, "data."+m.ID+"[1].timestamp")
	if rows := e.dataRows(); rows != [3]int{0, 1, 1} {
		t.Errorf("refused points wrote %v", rows)
	}
	// A span of the hour compacted to its hour rollup only is refused too.
	if _, err := e.db.Write.ExecContext(e.ctx, `DELETE FROM metric_rollups_5m`); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: old.Add(10 * time.Minute), Value: 3})
	wantInvalid(t, err, "timestamp")
	// An old span that was never stored is taken.
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: old.Add(-2 * time.Hour), Value: 7}); err != nil {
		t.Fatal(err)
	}
	s, err := e.svc.Series(e.ctx, m.ID, metrics.Week)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 2 || s.Points[0].Count != 1 || s.Points[1].Count != 2 || s.Points[1].Sum != 3 {
		t.Errorf("the week counts %+v", s.Points)
	}
}

// A compaction transaction that runs again, as on PostgreSQL after a
// serialization conflict, starts again from the metric its first run
// started from: every metric's old points go.
func TestCompactRunsAgain(t *testing.T) {
	e := newEnv(t, metrics.Config{RawRetention: 24 * time.Hour})
	old := t0.Add(-20 * time.Hour)
	for _, name := range []string{"A", "B"} {
		if _, err := e.svc.AddPoint(e.ctx, e.metric(name).ID, metrics.Point{Time: old, Value: 1}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Set(t0.Add(2 * 24 * time.Hour))
	e.db.ForceRetries(true)
	if err := e.svc.Compact(e.ctx); err != nil {
		t.Fatal(err)
	}
	if rows := e.dataRows(); rows != [3]int{0, 2, 2} {
		t.Errorf("after compaction %v, want the rollups only", rows)
	}
}
