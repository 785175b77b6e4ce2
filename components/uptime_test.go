package components_test

import (
	"context"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
)

// change is one status change of a component's timeline.
type change struct {
	at     time.Time
	status components.Status
}

// mustTimeline creates a component at created with in (named "API" unless
// in names it) and then plays changes by moving the fake clock to each
// change's time and setting the status, so the history is the one the
// service records in production.
func (f *fixture) mustTimeline(tb testing.TB, created time.Time, in components.Input, changes ...change) components.Component {
	tb.Helper()
	if in.Name == nil {
		in.Name = ptr("API")
	}
	f.clock.Set(created)
	c, err := f.svc.Create(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ch := range changes {
		f.clock.Set(ch.at)
		f.mustSetStatus(tb, c.ID, ch.status)
	}
	return c
}

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// at is a wall-clock time in loc.
func at(loc *time.Location, year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, loc)
}

// wantDay is what a test checks of one Day.
type wantDay struct {
	date        string
	noData      bool
	tracked     time.Duration
	major       time.Duration
	partial     time.Duration
	degraded    time.Duration
	maintenance time.Duration
	percent     float64
}

func checkDays(tb testing.TB, got []components.Day, want []wantDay) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d days, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		gw := wantDay{g.Date, g.NoData, g.Tracked, g.MajorOutage, g.PartialOut, g.Degraded, g.Maintenance, g.Percent()}
		if gw != w {
			tb.Errorf("day %d:\n got %+v\nwant %+v", i, gw, w)
		}
	}
}

const day = 24 * time.Hour

func TestUptimeWeighting(t *testing.T) {
	utc := time.UTC
	d2 := func(h, m int) time.Time { return at(utc, 2025, time.June, 2, h, m) }
	d3 := at(utc, 2025, time.June, 3, 0, 0)
	tests := []struct {
		name    string
		changes []change
		want    wantDay
	}{
		{"operational", nil,
			wantDay{date: "2025-06-02", tracked: day, percent: 100}},
		{"major outage counts in full", []change{{d2(10, 0), major}, {d2(12, 24), op}},
			wantDay{date: "2025-06-02", tracked: day, major: 144 * time.Minute, percent: 90}},
		{"partial outage counts 0.3", []change{{d2(8, 0), part}, {d2(16, 0), op}},
			wantDay{date: "2025-06-02", tracked: day, partial: 8 * time.Hour, percent: 90}},
		{"a whole day of partial outage", []change{{d2(0, 0), part}},
			wantDay{date: "2025-06-02", tracked: day, partial: day, percent: 70}},
		{"degraded does not count", []change{{d2(0, 0), degr}},
			wantDay{date: "2025-06-02", tracked: day, degraded: day, percent: 100}},
		{"maintenance does not count", []change{{d2(0, 0), maint}},
			wantDay{date: "2025-06-02", tracked: day, maintenance: day, percent: 100}},
		{"mixed", []change{
			{d2(1, 0), major}, {d2(2, 0), part}, {d2(4, 0), degr}, {d2(7, 0), maint}, {d2(11, 0), op},
		}, wantDay{
			date: "2025-06-02", tracked: day, major: time.Hour, partial: 2 * time.Hour,
			degraded: 3 * time.Hour, maintenance: 4 * time.Hour,
			percent: 93.33, // (1440 − 60 − 0.3×120) / 1440
		}},
		{"status flapping", []change{
			{d2(1, 0), major}, {d2(1, 30), op}, {d2(5, 0), major}, {d2(5, 30), op},
		}, wantDay{date: "2025-06-02", tracked: day, major: time.Hour, percent: 95.83}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustOpen(t)
			c := f.mustTimeline(t, at(utc, 2025, time.June, 1, 0, 0), components.Input{}, tt.changes...)
			f.clock.Set(d3)
			u, err := f.svc.Uptime(context.Background(), c.ID, d2(0, 0), d2(0, 0), utc, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			checkDays(t, u.Days, []wantDay{tt.want})
			if got, want := u.Percent(), tt.want.percent; got != want {
				t.Errorf("Uptime.Percent = %v, want %v", got, want)
			}
			wantDown := tt.want.major + time.Duration(0.3*float64(tt.want.partial))
			if got := u.Days[0].Downtime(); got != wantDown {
				t.Errorf("Downtime = %v, want %v", got, wantDown)
			}
			if u.Tracked != tt.want.tracked || u.MajorOutage != tt.want.major || u.PartialOut != tt.want.partial {
				t.Errorf("totals = tracked %v major %v partial %v, want %v %v %v",
					u.Tracked, u.MajorOutage, u.PartialOut, tt.want.tracked, tt.want.major, tt.want.partial)
			}
		})
	}
}

func TestUptimeOutageAcrossMidnight(t *testing.T) {
	utc := time.UTC
	f := mustOpen(t)
	c := f.mustTimeline(t, at(utc, 2025, time.June, 1, 0, 0), components.Input{},
		change{at(utc, 2025, time.June, 2, 22, 0), major},
		change{at(utc, 2025, time.June, 3, 2, 0), op},
	)
	f.clock.Set(at(utc, 2025, time.June, 5, 0, 0))
	u, err := f.svc.Uptime(context.Background(), c.ID, at(utc, 2025, time.June, 1, 0, 0), at(utc, 2025, time.June, 4, 0, 0), utc, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkDays(t, u.Days, []wantDay{
		{date: "2025-06-01", tracked: day, percent: 100},
		{date: "2025-06-02", tracked: day, major: 2 * time.Hour, percent: 91.67},
		{date: "2025-06-03", tracked: day, major: 2 * time.Hour, percent: 91.67},
		{date: "2025-06-04", tracked: day, percent: 100},
	})
	if got, want := u.Percent(), 95.83; got != want { // 92 h up of 96
		t.Errorf("Percent = %v, want %v", got, want)
	}
}

func TestUptimeTimeZones(t *testing.T) {
	// One six-hour outage, 20:00–02:00 UTC, falls on different local days.
	outageStart := time.Date(2025, time.June, 10, 20, 0, 0, 0, time.UTC)
	outageEnd := time.Date(2025, time.June, 11, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		zone string
		want []wantDay
	}{
		{"Etc/UTC", []wantDay{
			{date: "2025-06-10", tracked: day, major: 4 * time.Hour, percent: 83.33},
			{date: "2025-06-11", tracked: day, major: 2 * time.Hour, percent: 91.67},
		}},
		// 01:30–07:30 IST on the 11th.
		{"Asia/Kolkata", []wantDay{
			{date: "2025-06-10", tracked: day, percent: 100},
			{date: "2025-06-11", tracked: day, major: 6 * time.Hour, percent: 75},
		}},
		// 13:00–19:00 PDT on the 10th.
		{"America/Los_Angeles", []wantDay{
			{date: "2025-06-10", tracked: day, major: 6 * time.Hour, percent: 75},
			{date: "2025-06-11", tracked: day, percent: 100},
		}},
		// 06:00–12:00 AEST on the 11th.
		{"Australia/Sydney", []wantDay{
			{date: "2025-06-10", tracked: day, percent: 100},
			{date: "2025-06-11", tracked: day, major: 6 * time.Hour, percent: 75},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			f := mustOpen(t)
			c := f.mustTimeline(t, time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC), components.Input{},
				change{outageStart, major}, change{outageEnd, op})
			f.clock.Set(time.Date(2025, time.June, 15, 0, 0, 0, 0, time.UTC))
			u, err := f.svc.Uptime(context.Background(), c.ID,
				at(loc, 2025, time.June, 10, 0, 0), at(loc, 2025, time.June, 11, 0, 0), loc, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			checkDays(t, u.Days, tt.want)
			if got, want := u.MajorOutage, 6*time.Hour; got != want {
				t.Errorf("MajorOutage = %v, want %v", got, want)
			}
		})
	}
}

func TestUptimeDaylightSaving(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		name string
		date time.Time // the day the clocks change, local midnight
		want []wantDay
	}{
		// Clocks go forward at 02:00: the day has 23 hours, and midnight to
		// noon is 11 of them.
		{"spring forward", at(ny, 2025, time.March, 9, 0, 0), []wantDay{
			{date: "2025-03-08", tracked: day, percent: 100},
			{date: "2025-03-09", tracked: 23 * time.Hour, major: 11 * time.Hour, percent: 52.17}, // 12/23
			{date: "2025-03-10", tracked: day, percent: 100},
		}},
		// Clocks go back at 02:00: 25 hours, and midnight to noon is 13.
		{"fall back", at(ny, 2025, time.November, 2, 0, 0), []wantDay{
			{date: "2025-11-01", tracked: day, percent: 100},
			{date: "2025-11-02", tracked: 25 * time.Hour, major: 13 * time.Hour, percent: 48}, // 12/25
			{date: "2025-11-03", tracked: day, percent: 100},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustOpen(t)
			y, m, d := tt.date.Date()
			c := f.mustTimeline(t, tt.date.AddDate(0, 0, -7), components.Input{},
				change{tt.date, major}, change{at(ny, y, m, d, 12, 0), op})
			f.clock.Set(tt.date.AddDate(0, 0, 7))
			u, err := f.svc.Uptime(context.Background(), c.ID, tt.date.AddDate(0, 0, -1), tt.date.AddDate(0, 0, 1), ny, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			checkDays(t, u.Days, tt.want)
		})
	}
}

func TestUptimeBeforeCreationAndAfterNow(t *testing.T) {
	utc := time.UTC
	f := mustOpen(t)
	c := f.mustTimeline(t, at(utc, 2025, time.June, 10, 12, 0), components.Input{})
	f.clock.Set(at(utc, 2025, time.June, 11, 18, 0))
	u, err := f.svc.Uptime(context.Background(), c.ID, at(utc, 2025, time.June, 8, 0, 0), at(utc, 2025, time.June, 12, 0, 0), utc, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkDays(t, u.Days, []wantDay{
		{date: "2025-06-08", noData: true, percent: 100},
		{date: "2025-06-09", noData: true, percent: 100},
		{date: "2025-06-10", tracked: 12 * time.Hour, percent: 100},
		{date: "2025-06-11", tracked: 18 * time.Hour, percent: 100},
		{date: "2025-06-12", noData: true, percent: 100},
	})
	if got, want := u.Tracked, 30*time.Hour; got != want {
		t.Errorf("Tracked = %v, want %v", got, want)
	}
}

func TestUptimeTodayUpToNow(t *testing.T) {
	utc := time.UTC
	f := mustOpen(t)
	c := f.mustTimeline(t, at(utc, 2025, time.June, 1, 0, 0), components.Input{},
		change{at(utc, 2025, time.June, 5, 6, 0), major}) // still going on
	f.clock.Set(at(utc, 2025, time.June, 5, 12, 0))
	u, err := f.svc.Uptime(context.Background(), c.ID, at(utc, 2025, time.June, 4, 0, 0), at(utc, 2025, time.June, 5, 0, 0), utc, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkDays(t, u.Days, []wantDay{
		{date: "2025-06-04", tracked: day, percent: 100},
		{date: "2025-06-05", tracked: 12 * time.Hour, major: 6 * time.Hour, percent: 50},
	})
	if got, want := u.Percent(), 83.33; got != want { // 30 h up of 36
		t.Errorf("Percent = %v, want %v", got, want)
	}
}

func TestUptimeStartDate(t *testing.T) {
	utc := time.UTC
	kolkata := mustLoad(t, "Asia/Kolkata")
	tests := []struct {
		name        string
		loc         *time.Location
		created     time.Time
		in          components.Input
		changes     []change
		now         time.Time
		first, last time.Time
		want        []wantDay
	}{
		{
			name:    "start date before creation counts the gap as operational",
			loc:     utc,
			created: at(utc, 2025, time.June, 7, 12, 0),
			in:      components.Input{StartDate: ptr("2025-06-05"), Status: ptr(major)},
			changes: []change{{at(utc, 2025, time.June, 8, 0, 0), op}},
			now:     at(utc, 2025, time.June, 9, 0, 0),
			first:   at(utc, 2025, time.June, 3, 0, 0), last: at(utc, 2025, time.June, 8, 0, 0),
			want: []wantDay{
				{date: "2025-06-03", noData: true, percent: 100},
				{date: "2025-06-04", noData: true, percent: 100},
				{date: "2025-06-05", tracked: day, percent: 100},
				{date: "2025-06-06", tracked: day, percent: 100},
				{date: "2025-06-07", tracked: day, major: 12 * time.Hour, percent: 50},
				{date: "2025-06-08", tracked: day, percent: 100},
			},
		},
		{
			name:    "start date is a day in the page's zone",
			loc:     kolkata,
			created: at(kolkata, 2025, time.June, 7, 0, 0),
			in:      components.Input{StartDate: ptr("2025-06-05")},
			now:     at(kolkata, 2025, time.June, 8, 0, 0),
			first:   at(kolkata, 2025, time.June, 4, 0, 0), last: at(kolkata, 2025, time.June, 5, 0, 0),
			want: []wantDay{
				{date: "2025-06-04", noData: true, percent: 100},
				{date: "2025-06-05", tracked: day, percent: 100},
			},
		},
		{
			name:    "start date after creation hides the days before it",
			loc:     utc,
			created: at(utc, 2025, time.June, 1, 0, 0),
			in:      components.Input{StartDate: ptr("2025-06-05")},
			changes: []change{{at(utc, 2025, time.June, 2, 0, 0), major}, {at(utc, 2025, time.June, 3, 0, 0), op}},
			now:     at(utc, 2025, time.June, 7, 0, 0),
			first:   at(utc, 2025, time.June, 1, 0, 0), last: at(utc, 2025, time.June, 6, 0, 0),
			want: []wantDay{
				{date: "2025-06-01", noData: true, percent: 100},
				{date: "2025-06-02", noData: true, percent: 100},
				{date: "2025-06-03", noData: true, percent: 100},
				{date: "2025-06-04", noData: true, percent: 100},
				{date: "2025-06-05", tracked: day, percent: 100},
				{date: "2025-06-06", tracked: day, percent: 100},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustOpen(t)
			c := f.mustTimeline(t, tt.created, tt.in, tt.changes...)
			f.clock.Set(tt.now)
			u, err := f.svc.Uptime(context.Background(), c.ID, tt.first, tt.last, tt.loc, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			checkDays(t, u.Days, tt.want)
		})
	}
}

func TestUptimeOneDayInThirty(t *testing.T) {
	// The spec's example: 86 400 s of major outage in 30 days is 96.67 %.
	utc := time.UTC
	f := mustOpen(t)
	c := f.mustTimeline(t, at(utc, 2025, time.June, 1, 0, 0), components.Input{},
		change{at(utc, 2025, time.June, 10, 15, 0), major},
		change{at(utc, 2025, time.June, 11, 15, 0), op},
	)
	f.clock.Set(at(utc, 2025, time.July, 1, 0, 0))
	u, err := f.svc.Uptime(context.Background(), c.ID, at(utc, 2025, time.June, 1, 0, 0), at(utc, 2025, time.June, 30, 0, 0), utc, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(u.Days), 30; got != want {
		t.Fatalf("%d days, want %d", got, want)
	}
	if got, want := u.MajorOutage, 86400*time.Second; got != want {
		t.Errorf("MajorOutage = %v, want %v", got, want)
	}
	if got, want := u.Tracked, 30*day; got != want {
		t.Errorf("Tracked = %v, want %v", got, want)
	}
	if got, want := u.Percent(), 96.67; got != want {
		t.Errorf("Percent = %v, want %v", got, want)
	}
	if got, want := u.ComponentID, c.ID; got != want {
		t.Errorf("ComponentID = %q, want %q", got, want)
	}
}

// TestUptimeLast checks that the uptime of a range's last days is the one
// computed over those days alone: the days themselves, the totals and the
// weighted percentage. An outage 40 days back counts in 90 days, not in 30.
func TestUptimeLast(t *testing.T) {
	utc := time.UTC
	f := mustOpen(t)
	c := f.mustTimeline(t, at(utc, 2025, time.March, 1, 0, 0), components.Input{},
		change{at(utc, 2025, time.April, 20, 10, 0), major}, // 40 days back: 6 h
		change{at(utc, 2025, time.April, 20, 16, 0), op},
		change{at(utc, 2025, time.May, 20, 8, 0), part},   // 10 days back: 5 h partial
		change{at(utc, 2025, time.May, 20, 13, 0), major}, // then 30 min major
		change{at(utc, 2025, time.May, 20, 13, 30), op},
	)
	now := at(utc, 2025, time.May, 30, 18, 0)
	f.clock.Set(now)
	uptime := func(first time.Time) components.Uptime {
		t.Helper()
		u, err := f.svc.Uptime(context.Background(), c.ID, first, now, utc, now)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	all, last30 := uptime(now.AddDate(0, 0, -89)), uptime(now.AddDate(0, 0, -29))

	got := all.Last(30)
	if len(got.Days) != 30 || got.Days[0] != last30.Days[0] || got.Days[29] != last30.Days[29] {
		t.Fatalf("Last(30) has %d days from %v to %v, want those of %v to %v", len(got.Days), got.Days[0], got.Days[len(got.Days)-1], last30.Days[0], last30.Days[29])
	}
	if got.Tracked != last30.Tracked || got.MajorOutage != last30.MajorOutage || got.PartialOut != last30.PartialOut {
		t.Errorf("Last(30) totals tracked %v major %v partial %v, want %v %v %v",
			got.Tracked, got.MajorOutage, got.PartialOut, last30.Tracked, last30.MajorOutage, last30.PartialOut)
	}
	// 30 min + 0.3 × 5 h = 2 h down in 29 days 18 h; 6 h more in 89 days 18 h.
	for _, tt := range []struct {
		name string
		u    components.Uptime
		want float64
	}{
		{"90 days", all, 99.63},
		{"the last 30 of them", got, 99.72},
		{"30 days computed alone", last30, 99.72},
		{"more days than there are", all.Last(200), 99.63},
		{"the last day", all.Last(1), 100},
		{"no day", all.Last(0), 100},
	} {
		if p := tt.u.Percent(); p != tt.want {
			t.Errorf("%s: Percent = %v, want %v", tt.name, p, tt.want)
		}
	}
	if all.Percent() != uptime(now.AddDate(0, 0, -89)).Percent() || len(all.Days) != 90 {
		t.Error("Last changed the uptime it was called on")
	}
}

func TestUptimePercentRounding(t *testing.T) {
	tests := []struct {
		name    string
		tracked time.Duration
		major   time.Duration
		partial time.Duration
		want    float64
	}{
		{"spec example", 30 * day, 86400 * time.Second, 0, 96.67},
		{"nothing tracked", 0, 0, 0, 100},
		{"no downtime", 90 * day, 0, 0, 100},
		{"two thirds", 3 * time.Hour, time.Hour, 0, 66.67},
		{"one third", 3 * time.Hour, 2 * time.Hour, 0, 33.33},
		{"an hour in 90 days", 90 * day, time.Hour, 0, 99.95},
		{"a minute in 90 days rounds to 100", 90 * day, time.Minute, 0, 100},
		{"an hour in a week", 7 * day, time.Hour, 0, 99.4},
		{"partial weighted", day, time.Hour, time.Hour, 94.58}, // 1.3 h down of 24
		{"all down", day, day, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := components.Uptime{Tracked: tt.tracked, MajorOutage: tt.major, PartialOut: tt.partial}
			if got := u.Percent(); got != tt.want {
				t.Errorf("Uptime.Percent = %v, want %v", got, tt.want)
			}
			d := components.Day{Tracked: tt.tracked, MajorOutage: tt.major, PartialOut: tt.partial}
			if got := d.Percent(); got != tt.want {
				t.Errorf("Day.Percent = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUptimeRefused(t *testing.T) {
	utc := time.UTC
	f := mustOpen(t)
	api := f.mustCreate(t, "API", components.Operational)
	g := f.mustGroup(t, "G", api.ID)
	now := at(utc, 2025, time.June, 1, 0, 0)
	tests := []struct {
		name        string
		id          string
		first, last time.Time
		field       string
	}{
		{"last before first", api.ID, now, now.AddDate(0, 0, -1), "end"},
		{"over ten years", api.ID, now.AddDate(-11, 0, 0), now, "start"},
		{"a group", g.ID, now, now, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Uptime(context.Background(), tt.id, tt.first, tt.last, utc, now)
			checkValidation(t, err, tt.field)
		})
	}
}
