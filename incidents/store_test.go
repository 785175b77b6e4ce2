package incidents_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// listScene fills e with incidents and maintenances of every kind of
// state over three weeks.
func listScene(e *env) {
	a, b, c := e.component("A", ""), e.component("B", ""), e.component("C", "")
	e.create(incidents.NewIncident{Name: "Old outage", Components: map[string]components.Status{a: components.MajorOutage, b: components.DegradedPerformance}})
	for i := range 6 {
		e.clock.Advance(3 * 24 * time.Hour)
		in := e.create(incidents.NewIncident{Name: "Outage " + string(rune('a'+i)), ComponentIDs: []string{c, a}})
		e.clock.Advance(time.Duration(i+1) * time.Hour)
		if i%3 != 2 {
			e.update(in.ID, incidents.Change{Status: ptr(incidents.Resolved), Body: ptr("Fixed.")})
		}
	}
	e.create(incidents.NewIncident{Name: "No components"})
	e.create(incidents.NewIncident{Name: "Upcoming", ComponentIDs: []string{b}, ScheduledFor: ptr(e.clock.Now().Add(time.Hour)), ScheduledUntil: ptr(e.clock.Now().Add(2 * time.Hour))})
	e.create(incidents.NewIncident{Name: "Running", ComponentIDs: []string{a}, ScheduledFor: ptr(e.clock.Now().Add(-time.Hour)), ScheduledUntil: ptr(e.clock.Now().Add(time.Hour)), Status: incidents.InProgress})
	date := t0.Add(24 * time.Hour)
	e.create(incidents.NewIncident{Name: "Backfilled", Backfilled: true, BackfillDate: &date, ComponentIDs: []string{b}})
	e.clock.Advance(time.Hour)
}

// TestListMany checks that ListMany gives each filter exactly what List
// gives it alone.
func TestListMany(t *testing.T) {
	e := newEnv(t)
	listScene(e)
	now := e.clock.Now()
	filters := []incidents.Filter{
		{Kind: incidents.KindIncident, Statuses: []incidents.Status{incidents.Investigating, incidents.Identified, incidents.Monitoring}, Limit: 1000},
		{Kind: incidents.KindIncident, Limit: 3},
		{Kind: incidents.KindMaintenance, Statuses: []incidents.Status{incidents.Scheduled}, Upcoming: true},
		{Kind: incidents.KindMaintenance, Statuses: []incidents.Status{incidents.Resolved}},
		{From: now.AddDate(0, 0, -8), Limit: 1000},
		{From: now.AddDate(0, 0, -8), Brief: true},
		{Query: "outage", Offset: 2, Limit: 3},
	}
	got, err := e.svc.ListMany(e.ctx, filters...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(filters) {
		t.Fatalf("got %d lists, want %d", len(got), len(filters))
	}
	for i, f := range filters {
		want, err := e.svc.List(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("filter %d (%+v):\ngot  %+v\nwant %+v", i, f, got[i], want)
		}
	}
	if len(got[4]) == 0 || len(got[4][0].Updates) == 0 {
		t.Errorf("the past days list came without updates: %+v", got[4])
	}
	if none, err := e.svc.ListMany(e.ctx, incidents.Filter{Query: "nothing like this"}); err != nil || len(none) != 1 || len(none[0]) != 0 {
		t.Errorf("ListMany of no match = %v, %v; want one empty list", none, err)
	}
}

// TestSpans checks Spans against the brief list it replaces on the page.
func TestSpans(t *testing.T) {
	e := newEnv(t)
	listScene(e)
	from := e.clock.Now().AddDate(0, 0, -10)
	list, err := e.svc.List(e.ctx, incidents.Filter{From: from, Brief: true, Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	var want []incidents.Span
	for _, in := range list {
		if len(in.ComponentIDs) == 0 || in.Kind == incidents.KindMaintenance && in.Status == incidents.Scheduled && in.ScheduledFor != nil {
			continue
		}
		want = append(want, incidents.Span{ID: in.ID, Name: in.Name, Kind: in.Kind, Status: in.Status, StartedAt: in.StartedAt,
			ResolvedAt: in.ResolvedAt, ComponentIDs: sorted(in.ComponentIDs)})
	}
	got, err := e.svc.Spans(e.ctx, from, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].ComponentIDs = sorted(got[i].ComponentIDs)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Spans:\ngot  %+v\nwant %+v", got, want)
	}
	names := func(l []incidents.Span) []string {
		var out []string
		for _, s := range l {
			out = append(out, s.Name)
		}
		return out
	}
	if n := names(got); slices.Contains(n, "Upcoming") || !slices.Contains(n, "Running") || slices.Contains(n, "No components") ||
		!slices.Contains(n, "Old outage") || slices.Contains(n, "Outage a") {
		t.Errorf("Spans named %v: want Running and the open Old outage, not Upcoming, No components nor Outage a, resolved before", n)
	}
	if limited, err := e.svc.Spans(e.ctx, from, time.Time{}, 2); err != nil || !reflect.DeepEqual(names(limited), names(got)[:2]) {
		t.Errorf("Spans limited to 2 = %v, %v; want %v", names(limited), err, names(got)[:2])
	}
	// Bounded by until, the spans that started later do not count
	// against the limit: the oldest-started one still comes with limit 1.
	oldest := got[0]
	for _, sp := range got {
		if sp.StartedAt.Before(oldest.StartedAt) {
			oldest = sp
		}
	}
	if oldest.ID == got[0].ID {
		t.Fatalf("the scene's newest span %v is also the oldest-started: the bound would prove nothing", names(got))
	}
	until := oldest.StartedAt.Add(time.Second)
	bounded, err := e.svc.Spans(e.ctx, from, until, 1)
	if err != nil || len(bounded) != 1 || bounded[0].ID != oldest.ID {
		t.Errorf("Spans until %v limited to 1 = %v, %v; want %s", until, names(bounded), err, oldest.Name)
	}
	for _, sp := range got {
		if !sp.StartedAt.Before(until) && slices.ContainsFunc(bounded, func(b incidents.Span) bool { return b.ID == sp.ID }) {
			t.Errorf("Spans until %v returned %s, started %v", until, sp.Name, sp.StartedAt)
		}
	}
}

// TestListQuery checks the name search: a substring, ignoring the case of
// ASCII letters only (as SQLite's LIKE did, and as lower() does on both
// engines), with %, _ and \ taken literally.
func TestListQuery(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"API outage", "Panne ÉLECTRIQUE", "panne électrique", "100% CPU", "disk_full", `C:\ drive`} {
		e.create(incidents.NewIncident{Name: name})
		e.clock.Advance(time.Minute)
	}
	for _, c := range []struct {
		query string
		want  []string // newest first
	}{
		{"OUTAGE", []string{"API outage"}},
		{"api OUT", []string{"API outage"}},
		{"PANNE", []string{"panne électrique", "Panne ÉLECTRIQUE"}},
		{"électrique", []string{"panne électrique"}},
		{"ÉLECTRIQUE", []string{"Panne ÉLECTRIQUE"}},
		{"Électrique", []string{"Panne ÉLECTRIQUE"}},
		{"0%", []string{"100% CPU"}},
		{"k_f", []string{"disk_full"}},
		{"k%f", nil},
		{"sk_", []string{"disk_full"}},
		{`:\`, []string{`C:\ drive`}},
		{"_", []string{"disk_full"}},
	} {
		list, err := e.svc.List(e.ctx, incidents.Filter{Query: c.query})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, in := range list {
			got = append(got, in.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Query %q = %q, want %q", c.query, got, c.want)
		}
		if n, err := e.svc.Count(e.ctx, incidents.Filter{Query: c.query}); err != nil || n != len(c.want) {
			t.Errorf("Count of %q = %d, %v; want %d", c.query, n, err, len(c.want))
		}
	}
}
