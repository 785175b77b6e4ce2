package components_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
)

// TestSLATarget sets, keeps, changes and clears a component's target, and
// refuses targets that are no percentage or have more than 3 decimals,
// leaving the stored one as it was.
func TestSLATarget(t *testing.T) {
	f := mustOpen(t)
	ctx := context.Background()
	target := func(v float64) **float64 { p := &v; return &p }
	c, err := f.svc.Create(ctx, components.Input{Name: ptr("API"), SLATarget: target(99.9)})
	if err != nil {
		t.Fatal(err)
	}
	show := func(p *float64) any {
		if p == nil {
			return "none"
		}
		return *p
	}
	read := func() *float64 {
		t.Helper()
		got, err := f.svc.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.SLATarget
	}
	if got := read(); got == nil || *got != 99.9 {
		t.Fatalf("after create the target is %v, want 99.9", show(got))
	}
	if _, err := f.svc.Update(ctx, c.ID, components.Input{Name: ptr("API v2")}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got == nil || *got != 99.9 {
		t.Errorf("an update without a target left %v, want 99.9", show(got))
	}
	for _, v := range []float64{99.999, 100, 0.001, 1.005, 95, 99.95} { // 1.005 × 1000 is 1004.999… in floating point
		if _, err := f.svc.Update(ctx, c.ID, components.Input{SLATarget: target(v)}); err != nil {
			t.Fatalf("target %v: %v", v, err)
		}
		if got := read(); got == nil || *got != v {
			t.Errorf("target %v read back as %v", v, show(got))
		}
	}
	for _, v := range []float64{0, -1, 100.001, 101, 99.9999, 12.3456, math.NaN(), math.Inf(1), 1e-10, 0.0004, 4e-7, 100.0000001} {
		_, err := f.svc.Update(ctx, c.ID, components.Input{SLATarget: target(v)})
		var verr *components.ValidationError
		if !errors.As(err, &verr) || verr.Field != "sla_target" {
			t.Errorf("target %v: %v, want a validation error on sla_target", v, err)
		}
	}
	if got := read(); got == nil || *got != 99.95 {
		t.Errorf("refused targets changed it to %v, want 99.95", show(got))
	}
	var none *float64
	if _, err := f.svc.Update(ctx, c.ID, components.Input{SLATarget: &none}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != nil {
		t.Errorf("after clearing the target is %v, want none", show(got))
	}
	other, err := f.svc.Create(ctx, components.Input{Name: ptr("Web")})
	if err != nil || other.SLATarget != nil {
		t.Errorf("a component created without a target has %v (%v), want none", show(other.SLATarget), err)
	}
}

func TestParseSLATarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64 // 0: none
		ok   bool
	}{
		{"", 0, true}, {"  ", 0, true}, {"99.9", 99.9, true}, {" 99.95 % ", 99.95, true}, {"100", 100, true},
		{"99.9999", 0, false}, {"0", 0, false}, {"abc", 0, false}, {"1e400", 0, false}, {"NaN", 0, false}, {"100.5%", 0, false},
	} {
		got, err := components.ParseSLATarget(tc.in)
		var verr *components.ValidationError
		switch {
		case !tc.ok && (!errors.As(err, &verr) || verr.Field != "sla_target"):
			t.Errorf("%q: %v, %v; want a validation error on sla_target", tc.in, got, err)
		case tc.ok && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.ok && tc.want == 0 && got != nil:
			t.Errorf("%q: %v, want none", tc.in, *got)
		case tc.ok && tc.want != 0 && (got == nil || *got != tc.want):
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestMissedSLA compares the exact figure with the target, and shows it
// cut at the target's decimals: a month marked below never shows a figure
// at or above its target, and one not marked never shows one under it.
func TestMissedSLA(t *testing.T) {
	month := 30 * day
	down := func(d time.Duration) components.Uptime { return components.Uptime{Tracked: month, MajorOutage: d} }
	target := func(v float64) components.Component { return components.Component{SLATarget: &v} }
	for _, tc := range []struct {
		name  string
		c     components.Component
		u     components.Uptime
		shown string
		want  bool
	}{
		{"no target", components.Component{}, down(month), "", false},
		{"no data", target(99.9), components.Uptime{}, "100.00", false},
		{"above", target(99.9), down(time.Minute), "99.99", false},
		{"below", target(99.9), down(time.Hour), "99.86", true},
		{"rounds up to the target but is below it", target(99.86), down(3732480 * time.Millisecond), "99.85", true}, // 99.856
		{"just below", target(99.86), down(3629800 * time.Millisecond), "99.85", true},                              // 99.85999…
		{"exactly the target", target(99.86), down(3628800 * time.Millisecond), "99.86", false},                     // 99.86
		{"three decimals, rounds down to below", target(99.991), down(228096 * time.Millisecond), "99.991", false},  // 99.9912
		{"three decimals, below", target(99.991), down(233281 * time.Millisecond), "99.990", true},                  // 99.99099…
		{"three decimals, far below", target(99.995), down(4 * time.Minute), "99.990", true},                        // 99.9907…
		{"partial outage weighs 0.3", target(99.9), components.Uptime{Tracked: month, PartialOut: 2 * time.Hour}, "99.91", false},
		{"full", target(100), down(0), "100.00", false},
		{"a second down misses 100", target(100), down(time.Second), "99.99", true},
	} {
		if got := tc.c.MissedSLA(tc.u); got != tc.want {
			t.Errorf("%s: MissedSLA(%v %%) = %v, want %v", tc.name, tc.u.Percent(), got, tc.want)
		}
		if tc.c.SLATarget != nil {
			if got := strconv.FormatFloat(tc.c.SLAPercent(tc.u), 'f', tc.c.SLADecimals(), 64); got != tc.shown {
				t.Errorf("%s: shown as %s, want %s", tc.name, got, tc.shown)
			}
		}
	}
}

// TestUptimeSpan: a month cut from a longer range totals as Uptime over
// that month alone.
func TestUptimeSpan(t *testing.T) {
	utc := time.UTC
	f := mustOpen(t)
	c := f.mustTimeline(t, at(utc, 2025, time.March, 10, 0, 0), components.Input{},
		change{at(utc, 2025, time.March, 31, 20, 0), major}, // across the month's end: 4 h in March, 3 h in April
		change{at(utc, 2025, time.April, 1, 3, 0), part},
		change{at(utc, 2025, time.April, 1, 13, 0), op}, // 10 h partial in April
	)
	now := at(utc, 2025, time.May, 15, 0, 0)
	f.clock.Set(now)
	uptime := func(first, last time.Time) components.Uptime {
		t.Helper()
		u, err := f.svc.Uptime(context.Background(), c.ID, first, last, utc, now)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	all := uptime(at(utc, 2025, time.March, 1, 0, 0), at(utc, 2025, time.May, 31, 0, 0))
	for _, m := range []struct {
		i, j        int
		first, last time.Time
	}{
		{0, 31, at(utc, 2025, time.March, 1, 0, 0), at(utc, 2025, time.March, 31, 0, 0)},
		{31, 61, at(utc, 2025, time.April, 1, 0, 0), at(utc, 2025, time.April, 30, 0, 0)},
		{61, 92, at(utc, 2025, time.May, 1, 0, 0), at(utc, 2025, time.May, 31, 0, 0)},
	} {
		got, want := all.Span(m.i, m.j), uptime(m.first, m.last)
		if got.Tracked != want.Tracked || got.MajorOutage != want.MajorOutage || got.PartialOut != want.PartialOut || got.Percent() != want.Percent() ||
			len(got.Days) != len(want.Days) || got.Days[0] != want.Days[0] {
			t.Errorf("%s: Span totals %v %v %v (%v %%), want %v %v %v (%v %%)", m.first.Month(),
				got.Tracked, got.MajorOutage, got.PartialOut, got.Percent(), want.Tracked, want.MajorOutage, want.PartialOut, want.Percent())
		}
	}
	if march := all.Span(0, 31); march.MajorOutage != 4*time.Hour || march.Tracked != 22*day {
		t.Errorf("March: %v major over %v tracked, want 4h over 22 days", march.MajorOutage, march.Tracked)
	}
}

// TestDayStart: where daylight time begins at midnight, the day begins
// when the clock jumps, not at 23:00 the day before (which made the
// uptime's day loop never end); other days begin at midnight.
func TestDayStart(t *testing.T) {
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    int
		want string
	}{{5, "2026-09-05T00:00:00-04:00"}, {6, "2026-09-06T01:00:00-03:00"}, {7, "2026-09-07T00:00:00-03:00"}} {
		if got := components.DayStart(2026, time.September, tc.d, santiago).Format(time.RFC3339); got != tc.want {
			t.Errorf("2026-09-%02d starts at %s, want %s", tc.d, got, tc.want)
		}
	}
}
