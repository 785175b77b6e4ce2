package components_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
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
