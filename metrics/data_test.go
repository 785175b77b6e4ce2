package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/metrics"
)

func TestAddPoint(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	m := e.metric("Latency")
	changes, v0 := e.changed, e.svc.DataVersion()

	// Cast to the nearest slot; a later point in the slot replaces it.
	got, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: t0.Add(-time.Minute - 15*time.Second), Value: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := (metrics.Point{Time: t0.Add(-time.Minute), Value: 10}); got != want {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: t0.Add(-time.Minute + 14*time.Second + 999*time.Millisecond), Value: 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: t0.Add(-90 * time.Second), Value: 4}); err != nil {
		t.Fatal(err)
	}
	last, ok, err := e.svc.Last(e.ctx, m.ID)
	if err != nil || !ok || last != (metrics.Point{Time: t0.Add(-time.Minute), Value: 20}) {
		t.Errorf("Last: %+v, %v, %v", last, ok, err)
	}
	if rows := e.dataRows(); rows != [3]int{2, 1, 1} {
		t.Errorf("rows: %v, want 2 raw points in one 5-minute bucket and one hour", rows)
	}
	s, err := e.svc.Series(e.ctx, m.ID, metrics.Day)
	if err != nil {
		t.Fatal(err)
	}
	want := metrics.Aggregate{Time: t0.Add(-5 * time.Minute), Min: 4, Max: 20, Sum: 24, Count: 2}
	if len(s.Points) != 1 || s.Points[0] != want {
		t.Errorf("day series %+v, want one bucket %+v", s.Points, want)
	}
	if s.Points[0].Avg() != 12 {
		t.Errorf("Avg %v", s.Points[0].Avg())
	}
	if e.svc.DataVersion() != v0+3 || e.changed != changes {
		t.Errorf("DataVersion moved %d times, %d changes reported: want 3 and none", e.svc.DataVersion()-v0, e.changed-changes)
	}
	if got, _ := e.svc.Get(e.ctx, m.ID); got.MostRecentDataAt == nil || !got.MostRecentDataAt.Equal(t0.Add(-time.Minute)) {
		t.Errorf("most recent data at %v", got.MostRecentDataAt)
	}

	// Refused: nothing written, nothing moved.
	v1 := e.svc.DataVersion()
	for _, c := range []struct {
		field string
		p     metrics.Point
	}{
		{"value", metrics.Point{Time: t0, Value: math.NaN()}},
		{"value", metrics.Point{Time: t0, Value: math.Inf(-1)}},
		{"value", metrics.Point{Time: t0, Value: 1.0000001e15}},
		{"value", metrics.Point{Time: t0, Value: -math.MaxFloat64}},
		{"timestamp", metrics.Point{Time: t0.Add(5*time.Minute + 15*time.Second), Value: 1}},
		{"timestamp", metrics.Point{Time: t0.Add(-7*24*time.Hour - 16*time.Second), Value: 1}},
	} {
		_, err := e.svc.AddPoint(e.ctx, m.ID, c.p)
		wantInvalid(t, err, c.field)
	}
	_, err = e.svc.AddPoint(e.ctx, "nope", metrics.Point{Time: t0, Value: 1})
	wantNotFound(t, err)
	if rows := e.dataRows(); rows != [3]int{2, 1, 1} || e.svc.DataVersion() != v1 {
		t.Errorf("refused points changed the data: %v, version moved %d", rows, e.svc.DataVersion()-v1)
	}
	// The edges are taken.
	for i, at := range []time.Time{t0.Add(5 * time.Minute), t0.Add(-7 * 24 * time.Hour)} {
		v := []float64{metrics.MaxValue, -metrics.MaxValue}[i]
		if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: at, Value: v}); err != nil {
			t.Errorf("point %v at %v: %v", v, at, err)
		}
	}
	if got, _ := e.svc.Get(e.ctx, m.ID); !got.MostRecentDataAt.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("most recent data at %v, want the newest point's", got.MostRecentDataAt)
	}

	// Reset empties every table of that metric only.
	other := e.metric("Other")
	if _, err := e.svc.AddPoint(e.ctx, other.ID, metrics.Point{Time: t0, Value: 1}); err != nil {
		t.Fatal(err)
	}
	v2 := e.svc.DataVersion()
	if err := e.svc.Reset(e.ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if rows := e.dataRows(); rows != [3]int{1, 1, 1} {
		t.Errorf("rows after reset: %v, want the other metric's", rows)
	}
	if _, ok, err := e.svc.Last(e.ctx, m.ID); ok || err != nil {
		t.Errorf("Last after reset: %v, %v", ok, err)
	}
	if got, _ := e.svc.Get(e.ctx, m.ID); got.MostRecentDataAt != nil || e.svc.DataVersion() == v2 {
		t.Errorf("after reset: most recent data at %v, version moved %v", got.MostRecentDataAt, e.svc.DataVersion() != v2)
	}
	wantNotFound(t, e.svc.Reset(e.ctx, "nope"))
	_, _, err = e.svc.Last(e.ctx, "nope")
	wantNotFound(t, err)
	_, err = e.svc.Series(e.ctx, "nope", metrics.Day)
	wantNotFound(t, err)
	_, err = e.svc.Series(e.ctx, m.ID, metrics.Period("year"))
	wantInvalid(t, err, "period")
}

func TestAddPointsAllOrNothing(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	a, b := e.metric("A"), e.metric("B")
	good := []metrics.Point{{Time: t0.Add(-time.Hour), Value: 1}, {Time: t0.Add(-time.Hour + 10*time.Second), Value: 2}, {Time: t0, Value: 3}}
	for _, c := range []struct {
		field  string
		points map[string][]metrics.Point
	}{
		{"data." + b.ID + "[1].value", map[string][]metrics.Point{a.ID: good, b.ID: {good[0], {Time: t0, Value: math.NaN()}}}},
		{"data." + b.ID + "[0].timestamp", map[string][]metrics.Point{a.ID: good, b.ID: {{Time: t0.Add(time.Hour), Value: 1}}}},
		{"data", map[string][]metrics.Point{a.ID: make([]metrics.Point, 5001), b.ID: make([]metrics.Point, 5000)}},
	} {
		n, err := e.svc.AddPoints(e.ctx, c.points)
		wantInvalid(t, err, c.field)
		if n != 0 {
			t.Errorf("refused request reports %d points", n)
		}
	}
	// An unknown metric is not found, and its error names it.
	for _, ps := range [][]metrics.Point{good, nil} {
		n, err := e.svc.AddPoints(e.ctx, map[string][]metrics.Point{a.ID: good, "unknown00000": ps})
		wantNotFound(t, err)
		if n != 0 || err == nil || !strings.Contains(err.Error(), "unknown00000") {
			t.Errorf("unknown metric: %d points, %v", n, err)
		}
	}
	if rows := e.dataRows(); rows != [3]int{} || e.svc.DataVersion() != 0 {
		t.Fatalf("refused requests wrote %v", rows)
	}

	// Within a request too, the later point of a slot wins.
	n, err := e.svc.AddPoints(e.ctx, map[string][]metrics.Point{a.ID: good, b.ID: {{Time: t0, Value: 5}, {Time: t0.Add(time.Second), Value: 6}}})
	if err != nil || n != 5 {
		t.Fatalf("AddPoints: %d, %v", n, err)
	}
	if rows := e.dataRows(); rows != [3]int{3, 3, 3} {
		t.Errorf("rows %v, want 3 raw (a slot of a's and one of b's taken twice), 3 buckets of 5 minutes, 3 hours", rows)
	}
	if last, _, _ := e.svc.Last(e.ctx, b.ID); last.Value != 6 {
		t.Errorf("b's last value %v, want the later point's 6", last.Value)
	}
	if s, _ := e.svc.Series(e.ctx, a.ID, metrics.Week); len(s.Points) != 2 || s.Points[0] != (metrics.Aggregate{Time: t0.Add(-time.Hour), Min: 2, Max: 2, Sum: 2, Count: 1}) {
		t.Errorf("a's week %+v", s.Points)
	}
	if n, err := e.svc.AddPoints(e.ctx, nil); n != 0 || err != nil {
		t.Errorf("no points: %d, %v", n, err)
	}
}

func TestSeriesBounds(t *testing.T) {
	e := newEnv(t, metrics.Config{RawRetention: 40 * 24 * time.Hour})
	m := e.metric("M")
	now := t0.Add(2*time.Hour + 7*time.Minute + 13*time.Second) // 14:07:13, a Tuesday
	e.clock.Set(now)
	for _, c := range []struct {
		period   metrics.Period
		from, to time.Time
		step     time.Duration
	}{
		{metrics.Day, time.Date(2026, 3, 9, 14, 10, 0, 0, time.UTC), time.Date(2026, 3, 10, 14, 10, 0, 0, time.UTC), 5 * time.Minute},
		{metrics.Week, time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), time.Hour},
		{metrics.Month, time.Date(2026, 2, 8, 16, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC), 4 * time.Hour},
	} {
		// A point just inside each end, one in the slot just before the
		// start (a point is cast to the nearest slot: c.from less a second
		// would land in c.from's).
		in := map[string][]metrics.Point{m.ID: {{Time: c.from.Add(-metrics.Slot), Value: 100}, {Time: c.from, Value: 1}, {Time: now, Value: 2}}}
		if err := e.svc.Reset(e.ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddPoints(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		s, err := e.svc.Series(e.ctx, m.ID, c.period)
		if err != nil {
			t.Fatal(err)
		}
		if !s.From.Equal(c.from) || !s.To.Equal(c.to) || s.Step != c.step || s.Period != c.period || s.Metric.ID != m.ID ||
			s.To.Sub(s.From) != c.step*time.Duration(c.period.Buckets()) {
			t.Errorf("%s: from %v to %v step %v", c.period, s.From, s.To, s.Step)
		}
		if len(s.Points) != 2 || s.Points[0].Time != c.from || s.Points[0].Sum != 1 || s.Points[1].Time != c.to.Add(-c.step) || s.Points[1].Sum != 2 {
			t.Errorf("%s: points %+v", c.period, s.Points)
		}
	}
}

// Concurrent single points share transactions: each call returns once its
// own point is committed, an unknown metric fails only its own call, and
// every point is there.
func TestAddPointConcurrent(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	ms := []metrics.Metric{e.metric("A"), e.metric("B"), e.metric("C")}
	const callers, each = 24, 40
	errs := make(chan error, callers*each)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				id := ms[(c+i)%len(ms)].ID
				if c == 0 {
					id = "unknown00000"
				}
				at := t0.Add(-time.Duration(c*each+i) * metrics.Slot)
				got, err := e.svc.AddPoint(e.ctx, id, metrics.Point{Time: at, Value: float64(c)})
				if c == 0 {
					if !errors.Is(err, metrics.ErrNotFound) {
						errs <- fmt.Errorf("unknown metric: %v", err)
					}
					continue
				}
				if err != nil || got != (metrics.Point{Time: at, Value: float64(c)}) {
					errs <- fmt.Errorf("point %d of caller %d: %+v, %v", i, c, got, err)
					continue
				}
				// Committed when AddPoint returns: a read sees it.
				var v float64
				if err := e.db.Read.QueryRowContext(e.ctx, `SELECT value FROM metric_points WHERE at = ?`, at.Unix()).Scan(&v); err != nil || v != float64(c) {
					errs <- fmt.Errorf("point %d of caller %d not readable after AddPoint returned: %v, %v", i, c, v, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if rows := e.dataRows(); rows[0] != (callers-1)*each {
		t.Errorf("%d raw points, want %d", rows[0], (callers-1)*each)
	}
	total := int64(0)
	for _, m := range ms {
		s, err := e.svc.Series(e.ctx, m.ID, metrics.Week)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range s.Points {
			total += a.Count
		}
	}
	if total != (callers-1)*each {
		t.Errorf("the rollups count %d points, want %d", total, (callers-1)*each)
	}
	// Each committed batch moves the version once: never more than once a
	// point (how many batches there were depends on the scheduling;
	// TestAddPointHandOff shows the batching itself).
	if v := e.svc.DataVersion(); v > (callers-1)*each {
		t.Errorf("the version moved %d times for %d points", v, (callers-1)*each)
	}
	t.Logf("%d points in %d transactions", (callers-1)*each, e.svc.DataVersion())
}

// While a batch commits, the calls arriving meanwhile queue and are
// committed together in the next transaction, led by the first of them;
// the leaders' contexts being cancelled gives up no one's point.
func TestAddPointHandOff(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	m := e.metric("M")
	const waiting = 5
	inTx, release := make(chan struct{}), make(chan struct{})
	txs := 0
	metrics.SetTxHook(e.svc, func() {
		txs++
		if txs == 1 {
			close(inTx)
			<-release
		}
	})
	ctx1, cancel1 := context.WithCancel(e.ctx)
	ctx2, cancel2 := context.WithCancel(e.ctx)
	errs := make(chan error, waiting+1)
	add := func(ctx context.Context, i int) {
		_, err := e.svc.AddPoint(ctx, m.ID, metrics.Point{Time: t0.Add(-time.Duration(i) * metrics.Slot), Value: float64(i)})
		errs <- err
	}
	go add(ctx1, 0) // leads the first batch, alone
	<-inTx
	cancel1()
	go add(ctx2, 1) // queued first: leads the second batch
	for metrics.QueuedSingles(e.svc) < 1 {
		runtime.Gosched()
	}
	cancel2()
	for i := 2; i <= waiting; i++ {
		go add(e.ctx, i)
	}
	for metrics.QueuedSingles(e.svc) < waiting {
		runtime.Gosched()
	}
	close(release)
	for range waiting + 1 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// Two committed transactions, whichever number of attempts they took
	// (a transaction may run again: see store.DB.ForceRetries).
	if e.svc.DataVersion() != 2 {
		t.Errorf("%d points in %d transactions (%d attempts): want 2", waiting+1, e.svc.DataVersion(), txs)
	}
	if rows := e.dataRows(); rows[0] != waiting+1 {
		t.Errorf("%d points stored, want %d", rows[0], waiting+1)
	}
}

// A batch whose commit panics fails its callers with an error and does not
// stall the queue: the next AddPoint commits.
func TestAddPointPanic(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	m := e.metric("M")
	metrics.SetTxHook(e.svc, func() { panic("boom") })
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: t0, Value: 1}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("a panicking commit: %v", err)
	}
	metrics.SetTxHook(e.svc, nil)
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: t0, Value: 2}); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := e.svc.Last(e.ctx, m.ID); err != nil || !ok || p.Value != 2 {
		t.Errorf("last %+v, %v, %v", p, ok, err)
	}
}
