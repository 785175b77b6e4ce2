package incidents_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/notifier"
)

const (
	op    = components.Operational
	degr  = components.DegradedPerformance
	part  = components.PartialOutage
	major = components.MajorOutage
	maint = components.UnderMaintenance
)

// page is a small page: API at the top level, Database inside the group
// Platform, and Web at the top level.
type page struct {
	api, platform, db, web string
}

func newPage(e *env) page {
	var p page
	p.api = e.component("API", "")
	p.platform = e.group("Platform")
	p.db = e.component("Database", p.platform)
	p.web = e.component("Web", "")
	return p
}

func TestCreateIncident(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	at := e.clock.Advance(time.Minute)
	changedBefore := e.changed.Load()

	in := e.create(incidents.NewIncident{
		Name:         "  Elevated errors  ",
		ComponentIDs: []string{p.web},
		Components:   map[string]components.Status{p.api: major, p.db: degr},
	})

	if got, want := in.Name, "Elevated errors"; got != want {
		t.Errorf("name: got %q, want %q", got, want)
	}
	if got, want := in.Kind, incidents.KindIncident; got != want {
		t.Errorf("kind: got %q, want %q", got, want)
	}
	if got, want := in.Status, incidents.Investigating; got != want {
		t.Errorf("status: got %q, want %q", got, want)
	}
	if got, want := in.Impact, components.ImpactCritical; got != want {
		t.Errorf("impact: got %q, want %q", got, want)
	}
	if got, want := in.ImpactOverride, components.Impact(""); got != want {
		t.Errorf("impact override: got %q, want %q", got, want)
	}
	for name, got := range map[string]time.Time{"created_at": in.CreatedAt, "updated_at": in.UpdatedAt, "started_at": in.StartedAt} {
		if !got.Equal(at) {
			t.Errorf("%s: got %s, want %s", name, got, at)
		}
	}
	if in.MonitoringAt != nil || in.ResolvedAt != nil {
		t.Errorf("monitoring_at, resolved_at: got %s, %s, want both nil", fmtTime(in.MonitoringAt), fmtTime(in.ResolvedAt))
	}
	if in.ScheduledFor != nil || in.ScheduledUntil != nil {
		t.Errorf("window: got %s..%s, want none", fmtTime(in.ScheduledFor), fmtTime(in.ScheduledUntil))
	}
	if got, want := sorted(in.ComponentIDs), sorted([]string{p.api, p.db, p.web}); !slices.Equal(got, want) {
		t.Errorf("component ids: got %v, want %v", got, want)
	}
	if got, want := len(in.Updates), 1; got != want {
		t.Fatalf("updates: got %d, want %d", got, want)
	}
	u := in.Updates[0]
	if got, want := u.Status, incidents.Investigating; got != want {
		t.Errorf("update status: got %q, want %q", got, want)
	}
	if got, want := u.Body, "We are currently investigating this issue."; got != want {
		t.Errorf("update body: got %q, want %q", got, want)
	}
	if !u.DeliverNotifications {
		t.Errorf("update deliver_notifications: got false, want true (the default)")
	}
	if got, want := u.IncidentID, in.ID; got != want {
		t.Errorf("update incident id: got %q, want %q", got, want)
	}
	if !u.DisplayAt.Equal(at) {
		t.Errorf("update display_at: got %s, want %s", u.DisplayAt, at)
	}
	wantAffected := sortedChanges([]components.Change{
		{ComponentID: p.api, Name: "API", OldStatus: op, NewStatus: major},
		{ComponentID: p.db, Name: "Platform - Database", OldStatus: op, NewStatus: degr},
	})
	if got := sortedChanges(u.AffectedComponents); !slices.Equal(got, wantAffected) {
		t.Errorf("affected components: got %+v, want %+v", got, wantAffected)
	}

	for id, want := range map[string]components.Status{p.api: major, p.db: degr, p.web: op} {
		if got := e.status(id); got != want {
			t.Errorf("status of %s: got %q, want %q", id, got, want)
		}
	}
	for _, tc := range []struct {
		name string
		id   string
		want components.Status
	}{{"API", p.api, major}, {"Database", p.db, degr}} {
		h := e.history(tc.id)
		if got, want := len(h), 2; got != want {
			t.Fatalf("%s history: got %d intervals %+v, want %d", tc.name, got, h, want)
		}
		if h[0].Status != op || h[0].End == nil || !h[0].End.Equal(at) {
			t.Errorf("%s history[0]: got %s until %s, want operational until %s", tc.name, h[0].Status, fmtTime(h[0].End), at)
		}
		if h[1].Status != tc.want || !h[1].Start.Equal(at) || h[1].End != nil {
			t.Errorf("%s history[1]: got %s from %s until %s, want open %s from %s", tc.name, h[1].Status, h[1].Start, fmtTime(h[1].End), tc.want, at)
		}
	}
	if got, want := len(e.history(p.web)), 1; got != want {
		t.Errorf("Web history: got %d intervals, want %d (listed, not changed)", got, want)
	}

	evs := e.events()
	wantKinds := []notifier.EventKind{notifier.ComponentStatusChanged, notifier.ComponentStatusChanged, notifier.IncidentCreated}
	if got := kinds(evs); !slices.Equal(got, wantKinds) {
		t.Fatalf("events: got %v, want %v", got, wantKinds)
	}
	checkComponentEvents(t, evs[:2], wantAffected, true)
	checkIncidentEvent(t, evs[2], notifier.IncidentCreated, in, true)

	if got := e.changed.Load() - changedBefore; got < 1 {
		t.Errorf("changed calls: got %d, want at least 1", got)
	}
}

// checkComponentEvents checks that evs are exactly one
// component_status_changed event per change, in any order.
func checkComponentEvents(t *testing.T, evs []notifier.Event, changes []components.Change, deliver bool) {
	t.Helper()
	if len(evs) != len(changes) {
		t.Fatalf("component events: got %d, want %d", len(evs), len(changes))
	}
	got := make([]components.Change, len(evs))
	for i, ev := range evs {
		if ev.Kind != notifier.ComponentStatusChanged {
			t.Errorf("event %d kind: got %q, want %q", ev.ID, ev.Kind, notifier.ComponentStatusChanged)
		}
		if want := []string{ev.ComponentID}; !slices.Equal(ev.ComponentIDs, want) {
			t.Errorf("event %d component ids: got %v, want %v", ev.ID, ev.ComponentIDs, want)
		}
		if ev.DeliverNotifications != deliver {
			t.Errorf("event %d (%s) deliver_notifications: got %v, want %v", ev.ID, ev.ComponentID, ev.DeliverNotifications, deliver)
		}
		if ev.IncidentID != "" || ev.UpdateID != "" {
			t.Errorf("event %d: got incident %q update %q, want none on a component event", ev.ID, ev.IncidentID, ev.UpdateID)
		}
		got[i] = components.Change{ComponentID: ev.ComponentID, OldStatus: components.Status(ev.OldStatus), NewStatus: components.Status(ev.NewStatus)}
	}
	want := make([]components.Change, len(changes))
	for i, ch := range changes {
		want[i] = components.Change{ComponentID: ch.ComponentID, OldStatus: ch.OldStatus, NewStatus: ch.NewStatus}
	}
	if got, want := sortedChanges(got), sortedChanges(want); !slices.Equal(got, want) {
		t.Errorf("component events: got %+v, want %+v", got, want)
	}
}

// checkIncidentEvent checks that ev announces in's newest update.
func checkIncidentEvent(t *testing.T, ev notifier.Event, kind notifier.EventKind, in incidents.Incident, deliver bool) {
	t.Helper()
	if ev.Kind != kind {
		t.Errorf("event %d kind: got %q, want %q", ev.ID, ev.Kind, kind)
	}
	if ev.IncidentID != in.ID {
		t.Errorf("event %d incident id: got %q, want %q", ev.ID, ev.IncidentID, in.ID)
	}
	if len(in.Updates) == 0 {
		t.Fatalf("incident %s has no updates", in.ID)
	}
	if got, want := ev.UpdateID, in.Updates[0].ID; got != want {
		t.Errorf("event %d update id: got %q, want %q (the newest update)", ev.ID, got, want)
	}
	if got, want := sorted(ev.ComponentIDs), sorted(in.ComponentIDs); !slices.Equal(got, want) {
		t.Errorf("event %d component ids: got %v, want %v", ev.ID, got, want)
	}
	if ev.DeliverNotifications != deliver {
		t.Errorf("event %d deliver_notifications: got %v, want %v", ev.ID, ev.DeliverNotifications, deliver)
	}
	if got, want := ev.DeliverNotifications, in.Updates[0].DeliverNotifications; got != want {
		t.Errorf("event %d deliver_notifications: got %v, update says %v", ev.ID, got, want)
	}
}

func TestIncidentLifecycle(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	start := e.clock.Advance(time.Minute)
	in := e.create(incidents.NewIncident{
		Name:         "Elevated errors",
		ComponentIDs: []string{p.web},
		Components:   map[string]components.Status{p.api: major, p.db: degr},
	})
	at := func(m int) *time.Time { return ptr(start.Add(time.Duration(m) * time.Minute)) }

	steps := []struct {
		name           string
		minute         int // minutes after the incident was opened
		change         incidents.Change
		wantStatus     incidents.Status
		wantBody       string
		wantKind       notifier.EventKind
		wantAffected   []components.Change
		wantMonitoring *time.Time
		wantResolved   *time.Time
		wantStatuses   map[string]components.Status
	}{
		{
			name: "identified", minute: 10,
			change:     incidents.Change{Status: ptr(incidents.Identified), Body: ptr("A bad deploy; rolling back.")},
			wantStatus: incidents.Identified, wantBody: "A bad deploy; rolling back.",
			wantKind:     notifier.IncidentUpdated,
			wantStatuses: map[string]components.Status{p.api: major, p.db: degr, p.web: op},
		},
		{
			name: "monitoring sets monitoring_at and changes a component", minute: 20,
			change:         incidents.Change{Status: ptr(incidents.Monitoring), Components: map[string]components.Status{p.api: degr}},
			wantStatus:     incidents.Monitoring,
			wantBody:       "A fix has been implemented and we are monitoring the results.",
			wantKind:       notifier.IncidentUpdated,
			wantAffected:   []components.Change{{ComponentID: p.api, Name: "API", OldStatus: major, NewStatus: degr}},
			wantMonitoring: at(20),
			wantStatuses:   map[string]components.Status{p.api: degr, p.db: degr, p.web: op},
		},
		{
			name: "back to identified keeps monitoring_at", minute: 30,
			change:     incidents.Change{Status: ptr(incidents.Identified)},
			wantStatus: incidents.Identified, wantBody: incidents.Identified.StockBody(),
			wantKind: notifier.IncidentUpdated, wantMonitoring: at(20),
			wantStatuses: map[string]components.Status{p.api: degr, p.db: degr, p.web: op},
		},
		{
			name: "monitoring again does not move monitoring_at", minute: 40,
			change:     incidents.Change{Status: ptr(incidents.Monitoring)},
			wantStatus: incidents.Monitoring, wantBody: incidents.Monitoring.StockBody(),
			wantKind: notifier.IncidentUpdated, wantMonitoring: at(20),
			wantStatuses: map[string]components.Status{p.api: degr, p.db: degr, p.web: op},
		},
		{
			name: "resolve returns the components to operational", minute: 50,
			change:     incidents.Change{Status: ptr(incidents.Resolved)},
			wantStatus: incidents.Resolved, wantBody: "This incident has been resolved.",
			wantKind: notifier.IncidentResolved,
			wantAffected: []components.Change{
				{ComponentID: p.api, Name: "API", OldStatus: degr, NewStatus: op},
				{ComponentID: p.db, Name: "Platform - Database", OldStatus: degr, NewStatus: op},
			},
			wantMonitoring: at(20), wantResolved: at(50),
			wantStatuses: map[string]components.Status{p.api: op, p.db: op, p.web: op},
		},
		{
			name: "an update after resolution keeps resolved_at", minute: 55,
			change:     incidents.Change{Body: ptr("Root cause: an expired certificate.")},
			wantStatus: incidents.Resolved, wantBody: "Root cause: an expired certificate.",
			wantKind: notifier.IncidentUpdated, wantMonitoring: at(20), wantResolved: at(50),
			wantStatuses: map[string]components.Status{p.api: op, p.db: op, p.web: op},
		},
		{
			name: "reopen clears resolved_at", minute: 60,
			change:     incidents.Change{Status: ptr(incidents.Investigating), Components: map[string]components.Status{p.web: part}},
			wantStatus: incidents.Investigating, wantBody: incidents.Investigating.StockBody(),
			wantKind:       notifier.IncidentUpdated,
			wantAffected:   []components.Change{{ComponentID: p.web, Name: "Web", OldStatus: op, NewStatus: part}},
			wantMonitoring: at(20),
			wantStatuses:   map[string]components.Status{p.api: op, p.db: op, p.web: part},
		},
		{
			name: "resolve again stamps the new time", minute: 70,
			change:     incidents.Change{Status: ptr(incidents.Resolved)},
			wantStatus: incidents.Resolved, wantBody: incidents.Resolved.StockBody(),
			wantKind:       notifier.IncidentResolved,
			wantAffected:   []components.Change{{ComponentID: p.web, Name: "Web", OldStatus: part, NewStatus: op}},
			wantMonitoring: at(20), wantResolved: at(70),
			wantStatuses: map[string]components.Status{p.api: op, p.db: op, p.web: op},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e.clock.Set(*at(step.minute))
			before := len(e.events())
			prevUpdates := len(in.Updates)
			got, err := e.svc.Update(e.ctx, in.ID, step.change)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			in = got
			if got, want := in.Status, step.wantStatus; got != want {
				t.Errorf("status: got %q, want %q", got, want)
			}
			if got, want := len(in.Updates), prevUpdates+1; got != want {
				t.Fatalf("updates: got %d, want %d", got, want)
			}
			u := in.Updates[0]
			if got, want := u.Status, step.wantStatus; got != want {
				t.Errorf("newest update status: got %q, want %q", got, want)
			}
			if got, want := u.Body, step.wantBody; got != want {
				t.Errorf("newest update body: got %q, want %q", got, want)
			}
			if !u.DisplayAt.Equal(*at(step.minute)) {
				t.Errorf("newest update display_at: got %s, want %s", u.DisplayAt, at(step.minute))
			}
			if got, want := sortedChanges(u.AffectedComponents), sortedChanges(step.wantAffected); !slices.Equal(got, want) {
				t.Errorf("affected components: got %+v, want %+v", got, want)
			}
			if !timeEq(in.MonitoringAt, step.wantMonitoring) {
				t.Errorf("monitoring_at: got %s, want %s", fmtTime(in.MonitoringAt), fmtTime(step.wantMonitoring))
			}
			if !timeEq(in.ResolvedAt, step.wantResolved) {
				t.Errorf("resolved_at: got %s, want %s", fmtTime(in.ResolvedAt), fmtTime(step.wantResolved))
			}
			if got, want := in.Impact, components.ImpactCritical; got != want {
				t.Errorf("impact: got %q, want %q (the worst the incident caused)", got, want)
			}
			for id, want := range step.wantStatuses {
				if got := e.status(id); got != want {
					t.Errorf("status of %s: got %q, want %q", id, got, want)
				}
			}
			evs := e.eventsAfter(before)
			wantKinds := make([]notifier.EventKind, 0, len(step.wantAffected)+1)
			for range step.wantAffected {
				wantKinds = append(wantKinds, notifier.ComponentStatusChanged)
			}
			wantKinds = append(wantKinds, step.wantKind)
			if got := kinds(evs); !slices.Equal(got, wantKinds) {
				t.Fatalf("events: got %v, want %v", got, wantKinds)
			}
			checkComponentEvents(t, evs[:len(evs)-1], step.wantAffected, true)
			checkIncidentEvent(t, evs[len(evs)-1], step.wantKind, in, true)
		})
	}
}

func TestResolvedAndMonitoringStamps(t *testing.T) {
	tests := []struct {
		name string
		// statuses are posted one per 10 minutes after the incident opens
		// (step 0); the wants name the step whose time must be stamped, or
		// -1 for none.
		statuses       []incidents.Status
		wantMonitoring int
		wantResolved   int
	}{
		{"investigating only", nil, -1, -1},
		{"monitoring stamps monitoring_at", []incidents.Status{incidents.Monitoring}, 1, -1},
		{"monitoring_at is set once", []incidents.Status{incidents.Monitoring, incidents.Identified, incidents.Monitoring}, 1, -1},
		{"resolve stamps resolved_at", []incidents.Status{incidents.Identified, incidents.Resolved}, -1, 2},
		{"resolved twice keeps the first resolution", []incidents.Status{incidents.Resolved, incidents.Resolved}, -1, 1},
		{"reopen to investigating clears resolved_at", []incidents.Status{incidents.Resolved, incidents.Investigating}, -1, -1},
		{"reopen to identified clears resolved_at", []incidents.Status{incidents.Resolved, incidents.Identified}, -1, -1},
		{"reopen to monitoring clears resolved_at", []incidents.Status{incidents.Resolved, incidents.Monitoring}, 2, -1},
		{"reopen to monitoring after monitoring", []incidents.Status{incidents.Monitoring, incidents.Resolved, incidents.Monitoring}, 1, -1},
		{"resolve after reopening", []incidents.Status{incidents.Resolved, incidents.Investigating, incidents.Resolved}, -1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			step := func(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Minute) }
			in := e.create(incidents.NewIncident{Name: "Outage"})
			for i, st := range tc.statuses {
				e.clock.Set(step(i + 1))
				in = e.update(in.ID, incidents.Change{Status: ptr(st)})
			}
			var wantMon, wantRes *time.Time
			if tc.wantMonitoring >= 0 {
				wantMon = ptr(step(tc.wantMonitoring))
			}
			if tc.wantResolved >= 0 {
				wantRes = ptr(step(tc.wantResolved))
			}
			in = e.get(in.ID)
			if !timeEq(in.MonitoringAt, wantMon) {
				t.Errorf("monitoring_at: got %s, want %s", fmtTime(in.MonitoringAt), fmtTime(wantMon))
			}
			if !timeEq(in.ResolvedAt, wantRes) {
				t.Errorf("resolved_at: got %s, want %s", fmtTime(in.ResolvedAt), fmtTime(wantRes))
			}
		})
	}
}

func TestResolveLeavesComponentsOfOtherOpenIncidents(t *testing.T) {
	tests := []struct {
		name string
		// other opens a second incident or maintenance on shared.
		other      func(e *env, shared string)
		wantShared components.Status
	}{
		{
			name:       "no other incident",
			other:      func(e *env, shared string) {},
			wantShared: op,
		},
		{
			name: "other incident open",
			other: func(e *env, shared string) {
				e.create(incidents.NewIncident{Name: "Other", ComponentIDs: []string{shared}})
			},
			wantShared: major,
		},
		{
			name: "other incident monitoring",
			other: func(e *env, shared string) {
				in := e.create(incidents.NewIncident{Name: "Other", ComponentIDs: []string{shared}})
				e.update(in.ID, incidents.Change{Status: ptr(incidents.Monitoring)})
			},
			wantShared: major,
		},
		{
			name: "other incident resolved",
			other: func(e *env, shared string) {
				in := e.create(incidents.NewIncident{Name: "Other", ComponentIDs: []string{shared}})
				e.update(in.ID, incidents.Change{Status: ptr(incidents.Resolved)})
			},
			wantShared: op,
		},
		{
			name: "maintenance in progress",
			other: func(e *env, shared string) {
				now := e.clock.Now()
				e.create(incidents.NewIncident{Name: "Upgrade", Status: incidents.InProgress, ComponentIDs: []string{shared},
					ScheduledFor: ptr(now.Add(-time.Hour)), ScheduledUntil: ptr(now.Add(time.Hour))})
			},
			wantShared: major,
		},
		{
			name: "maintenance only scheduled",
			other: func(e *env, shared string) {
				now := e.clock.Now()
				e.create(incidents.NewIncident{Name: "Upgrade", ComponentIDs: []string{shared},
					ScheduledFor: ptr(now.Add(time.Hour)), ScheduledUntil: ptr(now.Add(2 * time.Hour))})
			},
			wantShared: op,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			shared := e.component("Shared", "")
			own := e.component("Own", "")
			e.clock.Advance(time.Minute)
			in := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{shared: major, own: part}})
			tc.other(e, shared)
			e.clock.Advance(time.Minute)
			in = e.update(in.ID, incidents.Change{Status: ptr(incidents.Resolved)})

			if got, want := e.status(own), op; got != want {
				t.Errorf("own component: got %q, want %q", got, want)
			}
			if got, want := e.status(shared), tc.wantShared; got != want {
				t.Errorf("shared component: got %q, want %q", got, want)
			}
			want := []components.Change{{ComponentID: own, Name: "Own", OldStatus: part, NewStatus: op}}
			if tc.wantShared == op {
				want = append(want, components.Change{ComponentID: shared, Name: "Shared", OldStatus: major, NewStatus: op})
			}
			if got, want := sortedChanges(in.Updates[0].AffectedComponents), sortedChanges(want); !slices.Equal(got, want) {
				t.Errorf("resolve update affected components: got %+v, want %+v", got, want)
			}
		})
	}
}

func TestImpact(t *testing.T) {
	tests := []struct {
		name       string
		create     incidents.NewIncident // Components use the ids "a" and "b"
		change     *incidents.Change
		wantImpact components.Impact
	}{
		{"no components", incidents.NewIncident{}, nil, components.ImpactNone},
		{"degraded is minor", incidents.NewIncident{Components: map[string]components.Status{"a": degr}}, nil, components.ImpactMinor},
		{"partial outage is major", incidents.NewIncident{Components: map[string]components.Status{"a": part}}, nil, components.ImpactMajor},
		{"major outage is critical", incidents.NewIncident{Components: map[string]components.Status{"a": major}}, nil, components.ImpactCritical},
		{"the worst component wins", incidents.NewIncident{Components: map[string]components.Status{"a": degr, "b": part}}, nil, components.ImpactMajor},
		{"maintenance on an incident is no impact", incidents.NewIncident{Components: map[string]components.Status{"a": maint}}, nil, components.ImpactNone},
		{"listed but unchanged components are no impact", incidents.NewIncident{ComponentIDs: []string{"a"}}, nil, components.ImpactNone},
		{"override below derived", incidents.NewIncident{ImpactOverride: components.ImpactMinor, Components: map[string]components.Status{"a": major}}, nil, components.ImpactMinor},
		{"override above derived", incidents.NewIncident{ImpactOverride: components.ImpactCritical, Components: map[string]components.Status{"a": degr}}, nil, components.ImpactCritical},
		{"override none", incidents.NewIncident{ImpactOverride: components.ImpactNone, Components: map[string]components.Status{"a": major}}, nil, components.ImpactNone},
		{
			"an update raises the impact",
			incidents.NewIncident{Components: map[string]components.Status{"a": degr}},
			&incidents.Change{Components: map[string]components.Status{"b": major}},
			components.ImpactCritical,
		},
		{
			"improving keeps the worst impact seen",
			incidents.NewIncident{Components: map[string]components.Status{"a": part}},
			&incidents.Change{Components: map[string]components.Status{"a": degr}},
			components.ImpactMajor,
		},
		{
			"setting an override",
			incidents.NewIncident{Components: map[string]components.Status{"a": major}},
			&incidents.Change{ImpactOverride: ptr(components.ImpactMinor)},
			components.ImpactMinor,
		},
		{
			"clearing the override derives again",
			incidents.NewIncident{ImpactOverride: components.ImpactNone, Components: map[string]components.Status{"a": major}},
			&incidents.Change{ImpactOverride: ptr(components.Impact(""))},
			components.ImpactCritical,
		},
		{
			"override survives a status change",
			incidents.NewIncident{ImpactOverride: components.ImpactMinor, Components: map[string]components.Status{"a": major}},
			&incidents.Change{Status: ptr(incidents.Identified), Components: map[string]components.Status{"b": major}},
			components.ImpactMinor,
		},
		{
			"a maintenance has maintenance impact",
			incidents.NewIncident{ComponentIDs: []string{"a"}, ScheduledFor: ptr(t0.Add(time.Hour)), ScheduledUntil: ptr(t0.Add(2 * time.Hour))},
			nil,
			components.ImpactMaintenance,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			idOf := map[string]string{"a": e.component("A", ""), "b": e.component("B", "")}
			resolve := func(m map[string]components.Status, list []string) (map[string]components.Status, []string) {
				var outM map[string]components.Status
				if m != nil {
					outM = map[string]components.Status{}
					for k, v := range m {
						outM[idOf[k]] = v
					}
				}
				var outL []string
				for _, k := range list {
					outL = append(outL, idOf[k])
				}
				return outM, outL
			}
			n := tc.create
			n.Name = "Impact"
			n.Components, n.ComponentIDs = resolve(n.Components, n.ComponentIDs)
			in := e.create(n)
			if tc.change != nil {
				c := *tc.change
				c.Components, _ = resolve(c.Components, nil)
				in = e.update(in.ID, c)
			}
			if got, want := in.Impact, tc.wantImpact; got != want {
				t.Errorf("impact: got %q, want %q", got, want)
			}
			if got, want := e.get(in.ID).Impact, tc.wantImpact; got != want {
				t.Errorf("stored impact: got %q, want %q", got, want)
			}
		})
	}
}

func TestDeliverNotificationsFalse(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	in := e.create(incidents.NewIncident{Name: "Quiet", DeliverNotifications: ptr(false),
		Components: map[string]components.Status{p.api: part}})
	if in.Updates[0].DeliverNotifications {
		t.Errorf("first update deliver_notifications: got true, want false")
	}
	evs := e.events()
	if got, want := kinds(evs), []notifier.EventKind{notifier.ComponentStatusChanged, notifier.IncidentCreated}; !slices.Equal(got, want) {
		t.Fatalf("create events: got %v, want %v", got, want)
	}
	checkComponentEvents(t, evs[:1], []components.Change{{ComponentID: p.api, OldStatus: op, NewStatus: part}}, false)
	checkIncidentEvent(t, evs[1], notifier.IncidentCreated, in, false)

	tests := []struct {
		name        string
		deliver     *bool
		wantDeliver bool
		wantKind    notifier.EventKind
		status      incidents.Status
	}{
		{"update without notifications", ptr(false), false, notifier.IncidentUpdated, incidents.Identified},
		{"update with the default", nil, true, notifier.IncidentUpdated, incidents.Monitoring},
		{"resolve without notifications", ptr(false), false, notifier.IncidentResolved, incidents.Resolved},
		{"reopen with notifications", ptr(true), true, notifier.IncidentUpdated, incidents.Investigating},
	}
	next := map[components.Status]components.Status{part: major, major: part, op: part}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Advance(time.Minute)
			before := len(e.events())
			c := incidents.Change{Status: ptr(tc.status), DeliverNotifications: tc.deliver}
			old := e.status(p.api)
			var want []components.Change
			if tc.status != incidents.Resolved {
				c.Components = map[string]components.Status{p.api: next[old]}
				want = []components.Change{{ComponentID: p.api, OldStatus: old, NewStatus: next[old]}}
			} else {
				want = []components.Change{{ComponentID: p.api, OldStatus: old, NewStatus: op}}
			}
			in = e.update(in.ID, c)
			if got := in.Updates[0].DeliverNotifications; got != tc.wantDeliver {
				t.Errorf("update deliver_notifications: got %v, want %v", got, tc.wantDeliver)
			}
			evs := e.eventsAfter(before)
			if got, want := kinds(evs), []notifier.EventKind{notifier.ComponentStatusChanged, tc.wantKind}; !slices.Equal(got, want) {
				t.Fatalf("events: got %v, want %v", got, want)
			}
			checkComponentEvents(t, evs[:1], want, tc.wantDeliver)
			checkIncidentEvent(t, evs[1], tc.wantKind, in, tc.wantDeliver)
		})
	}
}

func TestUpdateWithoutTimelineEntry(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	in := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{p.api: major}})

	tests := []struct {
		name   string
		change incidents.Change
		check  func(t *testing.T, in incidents.Incident)
	}{
		{
			name:   "rename",
			change: incidents.Change{Name: ptr("  API outage ")},
			check: func(t *testing.T, in incidents.Incident) {
				if got, want := in.Name, "API outage"; got != want {
					t.Errorf("name: got %q, want %q", got, want)
				}
			},
		},
		{
			name:   "list another component without changing it",
			change: incidents.Change{ComponentIDs: &[]string{p.api, p.web}},
			check: func(t *testing.T, in incidents.Incident) {
				if got, want := sorted(in.ComponentIDs), sorted([]string{p.api, p.web}); !slices.Equal(got, want) {
					t.Errorf("component ids: got %v, want %v", got, want)
				}
				if got, want := e.status(p.web), op; got != want {
					t.Errorf("web status: got %q, want %q", got, want)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Advance(time.Minute)
			before := e.counts()
			got := e.update(in.ID, tc.change)
			tc.check(t, got)
			tc.check(t, e.get(in.ID))
			if got, want := len(got.Updates), len(in.Updates); got != want {
				t.Errorf("updates: got %d, want %d (no timeline entry)", got, want)
			}
			if after := e.counts(); after.Events != before.Events || after.Updates != before.Updates {
				t.Errorf("events, updates: got %d, %d, want %d, %d", after.Events, after.Updates, before.Events, before.Updates)
			}
			if !got.UpdatedAt.Equal(e.clock.Now()) {
				t.Errorf("updated_at: got %s, want %s", got.UpdatedAt, e.clock.Now())
			}
		})
	}
}

func TestEditUpdate(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	in := e.create(incidents.NewIncident{Name: "Outage", Body: "We are investigaitng.", Components: map[string]components.Status{p.api: major}})
	other := e.create(incidents.NewIncident{Name: "Other"})
	e.clock.Advance(time.Minute)
	in = e.update(in.ID, incidents.Change{Status: ptr(incidents.Identified), Body: ptr("Found it.")})
	first, second := in.Updates[1], in.Updates[0]

	e.clock.Advance(time.Minute)
	before := e.counts()
	backdated := first.DisplayAt.Add(-5 * time.Minute)
	got, err := e.svc.EditUpdate(e.ctx, in.ID, first.ID, incidents.UpdateEdit{Body: ptr("We are investigating."), DisplayAt: &backdated})
	if err != nil {
		t.Fatalf("edit update: %v", err)
	}
	if got.ID != first.ID || got.Body != "We are investigating." || !got.DisplayAt.Equal(backdated) {
		t.Errorf("edited update: got id %s body %q display_at %s, want %s %q %s", got.ID, got.Body, got.DisplayAt, first.ID, "We are investigating.", backdated)
	}
	if !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Errorf("edited update updated_at: got %s, want %s", got.UpdatedAt, e.clock.Now())
	}
	if got.Status != first.Status || got.DeliverNotifications != first.DeliverNotifications ||
		!slices.Equal(got.AffectedComponents, first.AffectedComponents) || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("edited update: got %+v, want only body, display_at and updated_at changed from %+v", got, first)
	}
	after := e.get(in.ID)
	if got, want := after.Updates[0], second; got.ID != want.ID || got.Body != want.Body {
		t.Errorf("other update: got %s %q, want %s %q untouched", got.ID, got.Body, want.ID, want.Body)
	}
	if got, want := after.Status, incidents.Identified; got != want {
		t.Errorf("status: got %q, want %q", got, want)
	}
	if c := e.counts(); c.Events != before.Events || c.Updates != before.Updates || c.Intervals != before.Intervals {
		t.Errorf("events, updates, intervals: got %d, %d, %d, want %d, %d, %d (an edit notifies no one)",
			c.Events, c.Updates, c.Intervals, before.Events, before.Updates, before.Intervals)
	}

	errs := []struct {
		name      string
		incident  string
		update    string
		edit      incidents.UpdateEdit
		wantField string
		wantErr   error
	}{
		{"blank body", in.ID, first.ID, incidents.UpdateEdit{Body: ptr("  \n ")}, "body", nil},
		{"body too long", in.ID, first.ID, incidents.UpdateEdit{Body: ptr(string(make([]byte, 25001)))}, "body", nil},
		{"unknown update", in.ID, "zzzzzzzzzzzz", incidents.UpdateEdit{Body: ptr("x")}, "", incidents.ErrNotFound},
		{"update of another incident", other.ID, first.ID, incidents.UpdateEdit{Body: ptr("x")}, "", incidents.ErrNotFound},
		{"unknown incident", "zzzzzzzzzzzz", first.ID, incidents.UpdateEdit{Body: ptr("x")}, "", incidents.ErrNotFound},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.EditUpdate(e.ctx, tc.incident, tc.update, tc.edit)
			if err == nil {
				t.Fatalf("got no error, want one")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error: got %v, want %v", err, tc.wantErr)
			}
			if got := validationField(err); got != tc.wantField {
				t.Errorf("validation field: got %q, want %q (err %v)", got, tc.wantField, err)
			}
			if got, want := e.get(in.ID).Updates[1].Body, "We are investigating."; got != want {
				t.Errorf("body after failed edit: got %q, want %q", got, want)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	in := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{p.api: major, p.db: part}})
	keep := e.create(incidents.NewIncident{Name: "Other", ComponentIDs: []string{p.api}})
	before := e.counts()

	got, err := e.svc.Delete(e.ctx, in.ID)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got.ID != in.ID || got.Name != in.Name {
		t.Errorf("deleted: got %s %q, want %s %q", got.ID, got.Name, in.ID, in.Name)
	}
	if _, err := e.svc.Get(e.ctx, in.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("get after delete: got %v, want ErrNotFound", err)
	}
	for _, table := range []string{"incident_updates", "incident_components"} {
		var n int
		if err := e.db.Read.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM `+table+` WHERE incident_id = ?`, in.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s rows of the deleted incident: got %d, want 0", table, n)
		}
	}
	after := e.counts()
	if !mapsEqual(after.Statuses, before.Statuses) || after.Intervals != before.Intervals || after.Events != before.Events {
		t.Errorf("components, intervals, events: got %v %d %d, want %v %d %d (delete touches no component)",
			after.Statuses, after.Intervals, after.Events, before.Statuses, before.Intervals, before.Events)
	}
	if k := e.get(keep.ID); len(k.Updates) != 1 || !slices.Equal(k.ComponentIDs, []string{p.api}) {
		t.Errorf("other incident: got %d updates, components %v, want untouched", len(k.Updates), k.ComponentIDs)
	}
	if _, err := e.svc.Delete(e.ctx, in.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestPostmortem(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	in := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{p.api: major}})
	maint := e.create(incidents.NewIncident{Name: "Upgrade", ScheduledFor: ptr(t0.Add(time.Hour)), ScheduledUntil: ptr(t0.Add(2 * time.Hour))})
	notify := incidents.Publication{NotifySubscribers: true}

	// Before resolution: a draft may be saved but not published.
	if _, err := e.svc.SetPostmortem(e.ctx, in.ID, "Draft."); err != nil {
		t.Fatalf("set postmortem: %v", err)
	}
	if _, err := e.svc.PublishPostmortem(e.ctx, in.ID, notify); validationField(err) != "status" {
		t.Errorf("publish before resolution: got %v, want a status ValidationError", err)
	}
	e.clock.Advance(time.Hour)
	e.update(in.ID, incidents.Change{Status: ptr(incidents.Resolved)})

	steps := []struct {
		name          string
		do            func() (incidents.Incident, error)
		wantField     string // "" for success
		wantStatus    incidents.Status
		wantBody      string // the published text
		wantDraft     string
		wantPublished bool
		wantEvent     bool
		wantDeliver   bool
	}{
		{
			name: "blank draft cannot be published",
			do: func() (incidents.Incident, error) {
				if _, err := e.svc.SetPostmortem(e.ctx, in.ID, " "); err != nil {
					return incidents.Incident{}, err
				}
				return e.svc.PublishPostmortem(e.ctx, in.ID, notify)
			},
			wantField: "body_draft",
		},
		{
			name: "too long a draft",
			do: func() (incidents.Incident, error) {
				return e.svc.SetPostmortem(e.ctx, in.ID, strings.Repeat("x", 25001))
			},
			wantField: "body",
		},
		{
			name:       "save a draft",
			do:         func() (incidents.Incident, error) { return e.svc.SetPostmortem(e.ctx, in.ID, "# What happened") },
			wantStatus: incidents.Resolved, wantDraft: "# What happened",
		},
		{
			name:       "publish and notify",
			do:         func() (incidents.Incident, error) { return e.svc.PublishPostmortem(e.ctx, in.ID, notify) },
			wantStatus: incidents.Postmortem, wantBody: "# What happened", wantDraft: "# What happened", wantPublished: true, wantEvent: true, wantDeliver: true,
		},
		{
			name: "editing the draft leaves the published text",
			do: func() (incidents.Incident, error) {
				return e.svc.SetPostmortem(e.ctx, in.ID, "# What happened, revised")
			},
			wantStatus: incidents.Postmortem, wantBody: "# What happened", wantDraft: "# What happened, revised", wantPublished: true, wantDeliver: true,
		},
		{
			name:       "revert",
			do:         func() (incidents.Incident, error) { return e.svc.RevertPostmortem(e.ctx, in.ID) },
			wantStatus: incidents.Resolved, wantBody: "# What happened", wantDraft: "# What happened, revised",
		},
		{
			name:      "revert an unpublished postmortem",
			do:        func() (incidents.Incident, error) { return e.svc.RevertPostmortem(e.ctx, in.ID) },
			wantField: "postmortem",
		},
		{
			name: "publish without notifying",
			do: func() (incidents.Incident, error) {
				return e.svc.PublishPostmortem(e.ctx, in.ID, incidents.Publication{})
			},
			wantStatus: incidents.Postmortem, wantBody: "# What happened, revised", wantDraft: "# What happened, revised", wantPublished: true, wantEvent: true, wantDeliver: false,
		},
		{
			name: "a maintenance has no postmortem",
			do: func() (incidents.Incident, error) {
				if _, err := e.svc.SetPostmortem(e.ctx, maint.ID, "Notes"); err != nil {
					return incidents.Incident{}, err
				}
				return e.svc.PublishPostmortem(e.ctx, maint.ID, notify)
			},
			wantField: "status",
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e.clock.Advance(time.Minute)
			before := len(e.events())
			beforeUpdates := len(e.get(in.ID).Updates)
			got, err := step.do()
			if step.wantField != "" {
				if f := validationField(err); f != step.wantField {
					t.Fatalf("error: got %v (field %q), want a ValidationError on %q", err, f, step.wantField)
				}
				if n := len(e.events()); n != before {
					t.Errorf("events: got %d, want %d", n, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v", err)
			}
			if got.Status != step.wantStatus {
				t.Errorf("status: got %q, want %q", got.Status, step.wantStatus)
			}
			if got.Postmortem.Body != step.wantBody {
				t.Errorf("postmortem body: got %q, want %q", got.Postmortem.Body, step.wantBody)
			}
			if got.Postmortem.Draft != step.wantDraft {
				t.Errorf("postmortem draft: got %q, want %q", got.Postmortem.Draft, step.wantDraft)
			}
			if published := got.Postmortem.PublishedAt != nil; published != step.wantPublished {
				t.Errorf("published: got %v, want %v", published, step.wantPublished)
			} else if published && step.wantEvent && !got.Postmortem.PublishedAt.Equal(e.clock.Now()) {
				t.Errorf("published_at: got %s, want %s", got.Postmortem.PublishedAt, e.clock.Now())
			}
			if step.wantPublished && got.Postmortem.NotifiedSubscribers != step.wantDeliver {
				t.Errorf("notified subscribers: got %v, want %v", got.Postmortem.NotifiedSubscribers, step.wantDeliver)
			}
			if got.ResolvedAt == nil {
				t.Errorf("resolved_at: got nil, want the resolution time kept")
			}
			if n := len(got.Updates); n != beforeUpdates {
				t.Errorf("updates: got %d, want %d", n, beforeUpdates)
			}
			evs := e.eventsAfter(before)
			if !step.wantEvent {
				if len(evs) != 0 {
					t.Errorf("events: got %v, want none", kinds(evs))
				}
				return
			}
			if got, want := kinds(evs), []notifier.EventKind{notifier.PostmortemPublished}; !slices.Equal(got, want) {
				t.Fatalf("events: got %v, want %v", got, want)
			}
			ev := evs[0]
			if ev.IncidentID != in.ID || ev.DeliverNotifications != step.wantDeliver ||
				!slices.Equal(ev.ComponentIDs, []string{p.api}) {
				t.Errorf("event: got incident %s deliver %v components %v, want %s %v %v",
					ev.IncidentID, ev.DeliverNotifications, ev.ComponentIDs, in.ID, step.wantDeliver, []string{p.api})
			}
		})
	}
}

func TestBackfilled(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	e.clock.Advance(30 * 24 * time.Hour)
	date := t0.Add(7 * 24 * time.Hour)
	before := e.counts()

	in := e.create(incidents.NewIncident{Name: "Last month's outage", Backfilled: true, BackfillDate: &date,
		Status: incidents.Investigating, Body: "Database failover took 20 minutes.", ComponentIDs: []string{p.db}})

	if !in.Backfilled {
		t.Errorf("backfilled: got false, want true")
	}
	if got, want := in.Status, incidents.Resolved; got != want {
		t.Errorf("status: got %q, want %q", got, want)
	}
	for name, got := range map[string]*time.Time{"created_at": &in.CreatedAt, "started_at": &in.StartedAt, "resolved_at": in.ResolvedAt} {
		if !timeEq(got, &date) {
			t.Errorf("%s: got %s, want the backfill date %s", name, fmtTime(got), date)
		}
	}
	if len(in.Updates) != 1 {
		t.Fatalf("updates: got %d, want 1", len(in.Updates))
	}
	u := in.Updates[0]
	if !u.DisplayAt.Equal(date) || u.DeliverNotifications || u.Status != incidents.Resolved ||
		u.Body != "Database failover took 20 minutes." || u.AffectedComponents != nil {
		t.Errorf("update: got status %q body %q display_at %s deliver %v affected %v, want resolved, the body, %s, false, none",
			u.Status, u.Body, u.DisplayAt, u.DeliverNotifications, u.AffectedComponents, date)
	}
	if !slices.Equal(in.ComponentIDs, []string{p.db}) {
		t.Errorf("component ids: got %v, want %v", in.ComponentIDs, []string{p.db})
	}
	after := e.counts()
	if after.Events != 0 || after.Intervals != before.Intervals || !mapsEqual(after.Statuses, before.Statuses) {
		t.Errorf("events, intervals, statuses: got %d, %d, %v, want 0, %d, %v", after.Events, after.Intervals, after.Statuses, before.Intervals, before.Statuses)
	}

	// Later edits of a backfilled incident stay quiet.
	in = e.update(in.ID, incidents.Change{Body: ptr("Correction: 25 minutes.")})
	if got := in.Updates[0]; got.DeliverNotifications || got.Body != "Correction: 25 minutes." {
		t.Errorf("later update: got deliver %v body %q, want false and the new body", got.DeliverNotifications, got.Body)
	}
	if _, err := e.svc.Update(e.ctx, in.ID, incidents.Change{Components: map[string]components.Status{p.db: major}}); validationField(err) != "components" {
		t.Errorf("components on a backfilled incident's update: got %v, want a components ValidationError", err)
	}
	if _, err := e.svc.SetPostmortem(e.ctx, in.ID, "Notes"); err != nil {
		t.Fatalf("set postmortem: %v", err)
	}
	if _, err := e.svc.PublishPostmortem(e.ctx, in.ID, incidents.Publication{NotifySubscribers: true}); err != nil {
		t.Fatalf("publish postmortem: %v", err)
	}
	if n := len(e.events()); n != 0 {
		t.Errorf("events after editing a backfilled incident: got %v, want none", kinds(e.events()))
	}
	if got, want := e.status(p.db), op; got != want {
		t.Errorf("db status: got %q, want %q", got, want)
	}

	now := e.clock.Now()
	bad := []struct {
		name      string
		n         incidents.NewIncident
		wantField string
	}{
		{"components map", incidents.NewIncident{Components: map[string]components.Status{p.db: major}, BackfillDate: &date}, "components"},
		{"future date", incidents.NewIncident{BackfillDate: ptr(now.Add(time.Minute))}, "backfill_date"},
		{"no date", incidents.NewIncident{}, "backfill_date"},
		{"maintenance", incidents.NewIncident{BackfillDate: &date, ScheduledFor: &date, ScheduledUntil: ptr(date.Add(time.Hour))}, "backfilled"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			tc.n.Name = "Backfill"
			tc.n.Backfilled = true
			_, err := e.svc.Create(e.ctx, tc.n)
			if got := validationField(err); got != tc.wantField {
				t.Errorf("error: got %v (field %q), want a ValidationError on %q", err, got, tc.wantField)
			}
			if after := e.counts(); after.Incidents != before.Incidents || after.Events != before.Events {
				t.Errorf("incidents, events: got %d, %d, want %d, %d", after.Incidents, after.Events, before.Incidents, before.Events)
			}
		})
	}
	t.Run("date now is allowed", func(t *testing.T) {
		if _, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: "Just now", Backfilled: true, BackfillDate: &now}); err != nil {
			t.Errorf("got %v, want no error", err)
		}
	})
}
