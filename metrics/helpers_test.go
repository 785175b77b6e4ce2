package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/metrics"
)

// t0 is the fake clock's start: a whole hour, so buckets are easy to tell.
var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// env is a migrated database with the service on it and a count of the
// changes it reported.
type env struct {
	t       testing.TB
	ctx     context.Context
	clock   *testutil.Clock
	db      *store.DB
	svc     *metrics.Service
	changed int
}

func newEnv(t testing.TB, cfg metrics.Config) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: testutil.NewClock(t0)}
	e.db = testutil.OpenDB(t, metrics.Migrations())
	e.svc = metrics.NewService(e.db, e.clock.Now, func() { e.changed++ }, cfg)
	return e
}

func ptr[T any](v T) *T { return &v }

// provider creates a provider of type Self.
func (e *env) provider() metrics.Provider {
	e.t.Helper()
	p, err := e.svc.CreateProvider(e.ctx, metrics.ProviderInput{Type: ptr(metrics.Self)})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// metric creates a metric named name under a new Self provider, or under
// provider when one is given.
func (e *env) metric(name string, provider ...string) metrics.Metric {
	e.t.Helper()
	pid := ""
	if len(provider) > 0 {
		pid = provider[0]
	} else {
		pid = e.provider().ID
	}
	m, err := e.svc.Create(e.ctx, pid, metrics.MetricInput{Name: &name})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// count returns the number of rows query counts.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Read.QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// dataRows is how many rows each data table holds: raw, 5-minute, hour.
func (e *env) dataRows() [3]int {
	e.t.Helper()
	return [3]int{e.count(`SELECT COUNT(*) FROM metric_points`), e.count(`SELECT COUNT(*) FROM metric_rollups_5m`),
		e.count(`SELECT COUNT(*) FROM metric_rollups_1h`)}
}

// wantInvalid fails unless err is a ValidationError naming field.
func wantInvalid(t testing.TB, err error, field string) {
	t.Helper()
	var v *metrics.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("got %v, want a ValidationError on %s", err, field)
	}
	if v.Field != field {
		t.Fatalf("got a ValidationError on %s (%v), want one on %s", v.Field, v, field)
	}
}

// wantNotFound fails unless err is ErrNotFound.
func wantNotFound(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, metrics.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}
