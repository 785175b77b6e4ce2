package components_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
)

// TestUptimeManyMatchesUptime checks that the one-query form the public
// page uses gives every component exactly what Uptime gives it alone.
func TestUptimeManyMatchesUptime(t *testing.T) {
	f := mustOpen(t)
	ctx := context.Background()
	a := f.mustCreate(t, "A", components.Operational)
	b := f.mustCreate(t, "B", components.Operational)
	c := f.mustCreate(t, "C", components.DegradedPerformance)
	g := f.mustGroup(t, "G", b.ID)
	steps := []struct {
		id     string
		status components.Status
		after  time.Duration
	}{
		{a.ID, components.MajorOutage, 26 * time.Hour},
		{b.ID, components.PartialOutage, 3 * time.Hour},
		{a.ID, components.Operational, 90 * time.Minute},
		{c.ID, components.UnderMaintenance, 20 * time.Hour},
		{b.ID, components.Operational, 50 * time.Hour},
	}
	for _, s := range steps {
		f.clock.Advance(s.after)
		st := s.status
		if _, err := f.svc.Update(ctx, s.id, components.Input{Status: &st}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(7 * time.Hour)
	now := f.clock.Now()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	first, last := now.AddDate(0, 0, -10), now
	all, err := f.svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	many, err := f.svc.UptimeMany(ctx, all, first, last, loc, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := many[g.ID]; ok {
		t.Errorf("UptimeMany returned the group %s; groups have no uptime of their own", g.Name)
	}
	for _, comp := range []components.Component{a, b, c} {
		one, err := f.svc.Uptime(ctx, comp.ID, first, last, loc, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := many[comp.ID]; !reflect.DeepEqual(got, one) {
			t.Errorf("%s: UptimeMany = %+v, Uptime = %+v", comp.Name, got, one)
		}
		if comp.ID == a.ID && one.MajorOutage != 4*time.Hour+30*time.Minute {
			t.Errorf("A: major outage %v, want 4h30m", one.MajorOutage)
		}
	}
}

// TestUptimeManyFollowsHistory checks that the history UptimeMany keeps in
// memory between calls never shows a stale figure: after status changes,
// a new start date, midnight, a change written by another connection and a
// deleted component, it agrees with Uptime, and it reads again only the
// components whose history moved.
func TestUptimeManyFollowsHistory(t *testing.T) {
	f := mustOpen(t)
	ctx := context.Background()
	f.clock.Set(start.Add(-20 * 24 * time.Hour))
	a := f.mustCreate(t, "A", components.Operational)
	b := f.mustCreate(t, "B", components.Operational)
	c := f.mustCreate(t, "C", components.Operational)
	f.mustGroup(t, "G", c.ID)
	f.clock.Set(start.Add(10 * time.Hour))
	loc := mustLoad(t, "Europe/Berlin")

	check := func(step string, wantReloads int) {
		t.Helper()
		now := f.clock.Now()
		first, last := now.AddDate(0, 0, -29), now
		all, err := f.svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		many, err := f.svc.UptimeMany(ctx, all, first, last, loc, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.svc.UptimeReloads(); wantReloads >= 0 && got != wantReloads {
			t.Errorf("%s: read the history of %d components, want %d", step, got, wantReloads)
		}
		for _, comp := range all {
			if comp.Group {
				continue
			}
			one, err := f.svc.Uptime(ctx, comp.ID, first, last, loc, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := many[comp.ID]; !reflect.DeepEqual(got, one) {
				t.Errorf("%s: %s: UptimeMany = %+v, Uptime = %+v", step, comp.Name, got, one)
			}
		}
	}

	check("first call", 3)
	f.clock.Advance(time.Hour)
	check("an hour later", 0)
	f.mustSetStatus(t, a.ID, components.MajorOutage)
	f.clock.Advance(2 * time.Hour)
	check("A in outage", 1)
	f.mustSetStatus(t, a.ID, components.Operational)
	f.mustSetStatus(t, b.ID, components.DegradedPerformance)
	f.clock.Advance(20 * time.Hour)
	check("the next day", 3) // a new range of days reads everything
	check("again", 0)
	if _, err := f.svc.Update(ctx, c.ID, components.Input{StartDate: ptr(start.AddDate(0, 0, -3).Format(time.DateOnly))}); err != nil {
		t.Fatal(err)
	}
	check("C with a start date", 0)

	// Another process writes history: a partial outage of C yesterday.
	from, to := f.clock.Now().Add(-30*time.Hour), f.clock.Now().Add(-28*time.Hour)
	_, err := f.db.Write.ExecContext(ctx, `INSERT INTO component_status_intervals (component_id, status, started_at, ended_at)
		VALUES (?, 'partial_outage', ?, ?)`, c.ID, store.FormatTime(from), store.FormatTime(to))
	if err != nil {
		t.Fatal(err)
	}
	check("outside write", 1)
	f.clock.Advance(time.Minute)
	check("a minute later", 0)

	if err := f.svc.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	check("B deleted", 0)
}
