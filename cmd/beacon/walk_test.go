package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// TestWalk is the scripted walk of issue 2's "Done when": a group with three
// components, an incident affecting two of them, an update to monitoring,
// the resolution, and a maintenance two minutes ahead that starts and
// completes on its own. After every step it reads back every public
// endpoint, the management lists, the component history and the outbox.
func TestWalk(t *testing.T) {
	env := newTestEnv(t)
	w := &walker{t: t, env: env, ctx: context.Background()}
	t0 := env.clock.Now()

	// Step 1: a group "Platform" holding API, Dashboard and Search.
	w.step = "set up"
	api := w.createComponent("API")
	dash := w.createComponent("Dashboard")
	search := w.createComponent("Search")
	res := env.mustAPI(201, "POST", "/component-groups", map[string]any{
		"component_group": map[string]any{"name": "Platform", "components": []string{api, dash, search}},
	})
	var group struct {
		ID         string   `json:"id"`
		Components []string `json:"components"`
	}
	res.JSON(t, &group)
	if !slices.Equal(group.Components, []string{api, dash, search}) {
		t.Fatalf("%s: group members %v, want %v", w.step, group.Components, []string{api, dash, search})
	}
	w.order = []string{group.ID, api, dash, search}
	w.members = map[string][]string{group.ID: {api, dash, search}}
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: map[string]string{group.ID: "operational", api: "operational", dash: "operational", search: "operational"},
	})
	for _, id := range []string{api, dash, search} {
		w.checkHistory(id, walkSpan{"operational", t0, time.Time{}})
	}
	w.checkEvents()

	// Step 2: an incident degrades API and takes Dashboard down.
	w.step = "incident created"
	env.clock.Advance(time.Minute)
	t1 := env.clock.Now()
	res = env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Elevated API errors", "status": "investigating",
		"body":          "We are investigating elevated error rates.",
		"component_ids": []string{api, dash},
		"components":    map[string]string{api: "degraded_performance", dash: "major_outage"},
	}})
	inc := w.decodeIncident(res)
	w.checkIncident(inc, walkIncidentWant{
		status: "investigating", impact: "critical", startedAt: t1, updates: 1,
		components: []string{api, dash},
		newest: walkUpdateWant{status: "investigating", body: "We are investigating elevated error rates.", displayAt: t1, deliver: true,
			affected: []walkAffected{
				{Code: api, Name: "Platform - API", OldStatus: "operational", NewStatus: "degraded_performance"},
				{Code: dash, Name: "Platform - Dashboard", OldStatus: "operational", NewStatus: "major_outage"},
			}},
	})
	// The blend alone (one major outage among three) is a partial system
	// outage; the unresolved incident's critical impact raises the page.
	w.checkPage(walkWant{
		indicator: "critical", description: "Major System Outage",
		statuses:   map[string]string{group.ID: "major_outage", api: "degraded_performance", dash: "major_outage", search: "operational"},
		unresolved: []string{inc.ID}, incidents: []string{inc.ID},
	})
	w.checkHistory(api, walkSpan{"operational", t0, t1}, walkSpan{"degraded_performance", t1, time.Time{}})
	w.checkHistory(dash, walkSpan{"operational", t0, t1}, walkSpan{"major_outage", t1, time.Time{}})
	w.checkHistory(search, walkSpan{"operational", t0, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: api, old: "operational", new: "degraded_performance", comps: []string{api}, deliver: true, at: t1},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: dash, old: "operational", new: "major_outage", comps: []string{dash}, deliver: true, at: t1},
		walkEvent{kind: notifier.IncidentCreated, incident: inc.ID, update: inc.IncidentUpdates[0].ID, comps: []string{api, dash}, deliver: true, at: t1},
	)

	// Step 3: a fix is in; Dashboard recovers to degraded while monitoring.
	w.step = "monitoring"
	env.clock.Advance(20 * time.Minute)
	t2 := env.clock.Now()
	res = env.mustAPI(200, "PATCH", "/incidents/"+inc.ID, map[string]any{"incident": map[string]any{
		"status": "monitoring", "body": "A fix has been deployed; we are monitoring.",
		"components": map[string]string{dash: "degraded_performance"},
	}})
	inc = w.decodeIncident(res)
	w.checkIncident(inc, walkIncidentWant{
		status: "monitoring", impact: "critical", startedAt: t1, monitoringAt: t2, updates: 2,
		components: []string{api, dash},
		newest: walkUpdateWant{status: "monitoring", body: "A fix has been deployed; we are monitoring.", displayAt: t2, deliver: true,
			affected: []walkAffected{{Code: dash, Name: "Platform - Dashboard", OldStatus: "major_outage", NewStatus: "degraded_performance"}}},
	})
	w.checkPage(walkWant{
		indicator: "critical", description: "Major System Outage",
		statuses:   map[string]string{group.ID: "degraded_performance", api: "degraded_performance", dash: "degraded_performance", search: "operational"},
		unresolved: []string{inc.ID}, incidents: []string{inc.ID},
	})
	w.checkHistory(api, walkSpan{"operational", t0, t1}, walkSpan{"degraded_performance", t1, time.Time{}})
	w.checkHistory(dash, walkSpan{"operational", t0, t1}, walkSpan{"major_outage", t1, t2}, walkSpan{"degraded_performance", t2, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: dash, old: "major_outage", new: "degraded_performance", comps: []string{dash}, deliver: true, at: t2},
		walkEvent{kind: notifier.IncidentUpdated, incident: inc.ID, update: inc.IncidentUpdates[0].ID, comps: []string{api, dash}, deliver: true, at: t2},
	)

	// Step 4: resolved; the affected components return to operational.
	w.step = "resolved"
	env.clock.Advance(30 * time.Minute)
	t3 := env.clock.Now()
	res = env.mustAPI(200, "PATCH", "/incidents/"+inc.ID, map[string]any{"incident": map[string]any{"status": "resolved"}})
	inc = w.decodeIncident(res)
	w.checkIncident(inc, walkIncidentWant{
		status: "resolved", impact: "critical", startedAt: t1, monitoringAt: t2, resolvedAt: t3, updates: 3,
		components: []string{api, dash},
		newest: walkUpdateWant{status: "resolved", body: "This incident has been resolved.", displayAt: t3, deliver: true,
			affected: []walkAffected{
				{Code: api, Name: "Platform - API", OldStatus: "degraded_performance", NewStatus: "operational"},
				{Code: dash, Name: "Platform - Dashboard", OldStatus: "degraded_performance", NewStatus: "operational"},
			}},
	})
	allOperational := map[string]string{group.ID: "operational", api: "operational", dash: "operational", search: "operational"}
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: allOperational, incidents: []string{inc.ID},
	})
	w.checkHistory(api, walkSpan{"operational", t0, t1}, walkSpan{"degraded_performance", t1, t3}, walkSpan{"operational", t3, time.Time{}})
	w.checkHistory(dash, walkSpan{"operational", t0, t1}, walkSpan{"major_outage", t1, t2},
		walkSpan{"degraded_performance", t2, t3}, walkSpan{"operational", t3, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: api, old: "degraded_performance", new: "operational", comps: []string{api}, deliver: true, at: t3},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: dash, old: "degraded_performance", new: "operational", comps: []string{dash}, deliver: true, at: t3},
		walkEvent{kind: notifier.IncidentResolved, incident: inc.ID, update: inc.IncidentUpdates[0].ID, comps: []string{api, dash}, deliver: true, at: t3},
	)
	for _, id := range []string{api, dash, search} {
		var c walkComponent
		env.mustAPI(200, "GET", "/components/"+id, nil).JSON(t, &c)
		if c.Status != "operational" {
			t.Errorf("%s: GET component %s status %q, want operational", w.step, id, c.Status)
		}
	}

	// Step 5: a maintenance of Dashboard and Search, two minutes ahead, that
	// runs itself: notify at the start, quietly at the end.
	w.step = "maintenance scheduled"
	env.clock.Advance(5 * time.Minute)
	t4 := env.clock.Now()
	start, end := t4.Add(2*time.Minute), t4.Add(32*time.Minute)
	res = env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Database upgrade", "status": "scheduled",
		"body":            "We will upgrade the primary database.",
		"scheduled_for":   start.Format(time.RFC3339),
		"scheduled_until": end.Format(time.RFC3339),
		"component_ids":   []string{dash, search},

		"scheduled_remind_prior":                         false,
		"scheduled_auto_in_progress":                     true,
		"scheduled_auto_completed":                       true,
		"auto_transition_to_maintenance_state":           true,
		"auto_transition_to_operational_state":           true,
		"auto_transition_deliver_notifications_at_start": true,
		"auto_transition_deliver_notifications_at_end":   false,
	}})
	var flags struct {
		RemindPrior   bool `json:"scheduled_remind_prior"`
		AutoStart     bool `json:"scheduled_auto_in_progress"`
		AutoComplete  bool `json:"scheduled_auto_completed"`
		ToMaintenance bool `json:"auto_transition_to_maintenance_state"`
		ToOperational bool `json:"auto_transition_to_operational_state"`
		NotifyStart   bool `json:"auto_transition_deliver_notifications_at_start"`
		NotifyEnd     bool `json:"auto_transition_deliver_notifications_at_end"`
	}
	res.JSON(t, &flags)
	if flags.RemindPrior || !flags.AutoStart || !flags.AutoComplete || !flags.ToMaintenance || !flags.ToOperational || !flags.NotifyStart || flags.NotifyEnd {
		t.Errorf("%s: automation flags %+v, want all on except reminder and notify at end", w.step, flags)
	}
	m := w.decodeIncident(res)
	w.checkIncident(m, walkIncidentWant{
		status: "scheduled", impact: "maintenance", startedAt: start, updates: 1, window: [2]time.Time{start, end},
		components: []string{dash, search},
		newest:     walkUpdateWant{status: "scheduled", body: "We will upgrade the primary database.", displayAt: t4, deliver: true, affectedNull: true},
	})
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: allOperational, incidents: []string{inc.ID},
		upcoming: []string{m.ID}, maintenances: []string{m.ID},
	})
	w.checkHistory(dash, walkSpan{"operational", t0, t1}, walkSpan{"major_outage", t1, t2},
		walkSpan{"degraded_performance", t2, t3}, walkSpan{"operational", t3, time.Time{}})
	w.checkHistory(search, walkSpan{"operational", t0, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.MaintenanceScheduled, incident: m.ID, update: m.IncidentUpdates[0].ID, comps: []string{dash, search}, deliver: true, at: t4},
	)
	if next, ok, err := env.app.incidents.NextDue(w.ctx); err != nil || !ok || !next.Equal(start) {
		t.Errorf("%s: NextDue = %v, %v, %v; want %v", w.step, next, ok, err, start)
	}
	// A second before the start nothing is due.
	env.clock.Set(start.Add(-time.Second))
	w.runDue(0)
	w.checkEvents()

	// Step 6: past the start, the scheduler starts it.
	w.step = "maintenance started"
	env.clock.Set(start.Add(5 * time.Second))
	w.runDue(1)
	m = w.getIncident(m.ID)
	w.checkIncident(m, walkIncidentWant{
		status: "in_progress", impact: "maintenance", startedAt: start, updates: 2, window: [2]time.Time{start, end},
		components: []string{dash, search},
		newest: walkUpdateWant{status: "in_progress", body: "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
			displayAt: start, deliver: true,
			affected: []walkAffected{
				{Code: dash, Name: "Platform - Dashboard", OldStatus: "operational", NewStatus: "under_maintenance"},
				{Code: search, Name: "Platform - Search", OldStatus: "operational", NewStatus: "under_maintenance"},
			}},
	})
	w.checkPage(walkWant{
		indicator: "maintenance", description: "Service Under Maintenance",
		statuses:  map[string]string{group.ID: "under_maintenance", api: "operational", dash: "under_maintenance", search: "under_maintenance"},
		incidents: []string{inc.ID}, active: []string{m.ID}, maintenances: []string{m.ID},
	})
	w.checkHistory(dash, walkSpan{"operational", t0, t1}, walkSpan{"major_outage", t1, t2},
		walkSpan{"degraded_performance", t2, t3}, walkSpan{"operational", t3, start}, walkSpan{"under_maintenance", start, time.Time{}})
	w.checkHistory(search, walkSpan{"operational", t0, start}, walkSpan{"under_maintenance", start, time.Time{}})
	w.checkHistory(api, walkSpan{"operational", t0, t1}, walkSpan{"degraded_performance", t1, t3}, walkSpan{"operational", t3, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: dash, old: "operational", new: "under_maintenance", comps: []string{dash}, deliver: true, at: start},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: search, old: "operational", new: "under_maintenance", comps: []string{search}, deliver: true, at: start},
		walkEvent{kind: notifier.MaintenanceStarted, incident: m.ID, update: m.IncidentUpdates[0].ID, comps: []string{dash, search}, deliver: true, at: start.Add(5 * time.Second)},
	)
	w.runDue(0) // exactly once
	w.checkEvents()

	// Step 7: past the end, the scheduler completes it.
	w.step = "maintenance completed"
	env.clock.Set(end.Add(5 * time.Second))
	w.runDue(1)
	m = w.getIncident(m.ID)
	w.checkIncident(m, walkIncidentWant{
		status: "completed", impact: "maintenance", startedAt: start, resolvedAt: end, updates: 3, window: [2]time.Time{start, end},
		components: []string{dash, search},
		newest: walkUpdateWant{status: "completed", body: "The scheduled maintenance has been completed.", displayAt: end, deliver: false,
			affected: []walkAffected{
				{Code: dash, Name: "Platform - Dashboard", OldStatus: "under_maintenance", NewStatus: "operational"},
				{Code: search, Name: "Platform - Search", OldStatus: "under_maintenance", NewStatus: "operational"},
			}},
	})
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: allOperational, incidents: []string{inc.ID}, maintenances: []string{m.ID},
	})
	w.checkHistory(dash, walkSpan{"operational", t0, t1}, walkSpan{"major_outage", t1, t2},
		walkSpan{"degraded_performance", t2, t3}, walkSpan{"operational", t3, start},
		walkSpan{"under_maintenance", start, end}, walkSpan{"operational", end, time.Time{}})
	w.checkHistory(search, walkSpan{"operational", t0, start}, walkSpan{"under_maintenance", start, end}, walkSpan{"operational", end, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: dash, old: "under_maintenance", new: "operational", comps: []string{dash}, deliver: false, at: end},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: search, old: "under_maintenance", new: "operational", comps: []string{search}, deliver: false, at: end},
		walkEvent{kind: notifier.MaintenanceCompleted, incident: m.ID, update: m.IncidentUpdates[0].ID, comps: []string{dash, search}, deliver: false, at: end.Add(5 * time.Second)},
	)
	w.runDue(0)
	w.checkEvents()
	if next, ok, err := env.app.incidents.NextDue(w.ctx); err != nil || ok {
		t.Errorf("%s: NextDue = %v, %v, %v; want nothing due", w.step, next, ok, err)
	}
	// The realtime incident was left as it was.
	if got := w.getIncident(inc.ID); got.Status != "resolved" || len(got.IncidentUpdates) != 3 {
		t.Errorf("%s: incident is %s with %d updates, want resolved with 3", w.step, got.Status, len(got.IncidentUpdates))
	}
}

// walker carries the walk's state between steps.
type walker struct {
	t       *testing.T
	env     *testEnv
	ctx     context.Context
	step    string              // named in every failure
	order   []string            // every component and group id in page order
	members map[string][]string // group id → member ids
	seen    int64               // last outbox event already checked
}

// The parts of the API's JSON the walk checks.
type (
	walkStatus struct {
		Indicator   string `json:"indicator"`
		Description string `json:"description"`
	}
	walkComponent struct {
		ID         string    `json:"id"`
		Name       string    `json:"name"`
		Status     string    `json:"status"`
		GroupID    *string   `json:"group_id"`
		Group      bool      `json:"group"`
		Components *[]string `json:"components"`
	}
	walkAffected struct {
		Code      string `json:"code"`
		Name      string `json:"name"`
		OldStatus string `json:"old_status"`
		NewStatus string `json:"new_status"`
	}
	walkUpdate struct {
		ID                   string          `json:"id"`
		Status               string          `json:"status"`
		Body                 string          `json:"body"`
		IncidentID           string          `json:"incident_id"`
		DisplayAt            string          `json:"display_at"`
		AffectedComponents   *[]walkAffected `json:"affected_components"`
		DeliverNotifications bool            `json:"deliver_notifications"`
	}
	walkIncident struct {
		ID              string          `json:"id"`
		Name            string          `json:"name"`
		Status          string          `json:"status"`
		Impact          string          `json:"impact"`
		MonitoringAt    *string         `json:"monitoring_at"`
		ResolvedAt      *string         `json:"resolved_at"`
		StartedAt       string          `json:"started_at"`
		IncidentUpdates []walkUpdate    `json:"incident_updates"`
		Components      []walkComponent `json:"components"`
		ScheduledFor    *string         `json:"scheduled_for"`
		ScheduledUntil  *string         `json:"scheduled_until"`
	}
	walkBody struct {
		Page struct {
			ID string `json:"id"`
		} `json:"page"`
		Components            []walkComponent `json:"components"`
		Incidents             []walkIncident  `json:"incidents"`
		ScheduledMaintenances []walkIncident  `json:"scheduled_maintenances"`
		Status                *walkStatus     `json:"status"`
	}
)

func (w *walker) createComponent(name string) string {
	w.t.Helper()
	var c walkComponent
	w.env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name}}).JSON(w.t, &c)
	if c.ID == "" || c.Name != name || c.Status != "operational" {
		w.t.Fatalf("%s: created component %+v, want %q operational with an id", w.step, c, name)
	}
	return c.ID
}

func (w *walker) decodeIncident(res response) walkIncident {
	w.t.Helper()
	var in walkIncident
	res.JSON(w.t, &in)
	if in.ID == "" || len(in.IncidentUpdates) == 0 {
		w.t.Fatalf("%s: incident without id or updates: %s", w.step, res.Body)
	}
	return in
}

func (w *walker) getIncident(id string) walkIncident {
	w.t.Helper()
	return w.decodeIncident(w.env.mustAPI(200, "GET", "/incidents/"+id, nil))
}

func (w *walker) runDue(want int) {
	w.t.Helper()
	n, err := w.env.app.incidents.RunDue(w.ctx)
	if err != nil {
		w.t.Fatalf("%s: RunDue: %v", w.step, err)
	}
	if n != want {
		w.t.Errorf("%s: RunDue performed %d transitions, want %d", w.step, n, want)
	}
}

// v2 fetches a public endpoint, checks its content type and that none of
// its lists is null, and decodes it.
func (w *walker) v2(path string) walkBody {
	w.t.Helper()
	res := w.env.do("GET", "/api/v2/"+path, nil)
	if res.Status != 200 {
		w.t.Fatalf("%s: GET %s: status %d: %s", w.step, path, res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		w.t.Errorf("%s: GET %s: Content-Type %q", w.step, path, ct)
	}
	var raw map[string]json.RawMessage
	res.JSON(w.t, &raw)
	for _, k := range []string{"components", "incidents", "scheduled_maintenances"} {
		if v, ok := raw[k]; ok && string(v) == "null" {
			w.t.Errorf("%s: GET %s: %s is null, want []", w.step, path, k)
		}
	}
	var b walkBody
	res.JSON(w.t, &b)
	if b.Page.ID != w.env.pageID {
		w.t.Errorf("%s: GET %s: page id %q, want %q", w.step, path, b.Page.ID, w.env.pageID)
	}
	return b
}

// walkWant is the page as it should read after a step.
type walkWant struct {
	indicator, description string
	statuses               map[string]string // component and group id → status
	unresolved             []string          // unresolved incidents, newest first
	incidents              []string          // incidents.json, newest first
	upcoming, active       []string          // maintenances by state
	maintenances           []string          // scheduled-maintenances.json
}

func walkIDs[T any](list []T, id func(T) string) []string {
	out := []string{}
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

func walkIncidentIDs(list []walkIncident) []string {
	return walkIDs(list, func(in walkIncident) string { return in.ID })
}

func walkOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkPage reads every public endpoint and the management lists.
func (w *walker) checkPage(want walkWant) {
	w.t.Helper()
	t := w.t
	wantStatus := walkStatus{want.indicator, want.description}
	activeAndUpcoming := append(append([]string{}, want.active...), want.upcoming...)

	sum := w.v2("summary.json")
	if sum.Status == nil || *sum.Status != wantStatus {
		t.Errorf("%s: summary.json status %+v, want %+v", w.step, sum.Status, wantStatus)
	}
	w.checkComponents("summary.json", sum.Components, want.statuses)
	if got := walkIncidentIDs(sum.Incidents); !slices.Equal(got, walkOrEmpty(want.unresolved)) {
		t.Errorf("%s: summary.json incidents %v, want %v", w.step, got, want.unresolved)
	}
	if got := walkIncidentIDs(sum.ScheduledMaintenances); !slices.Equal(got, activeAndUpcoming) {
		t.Errorf("%s: summary.json scheduled_maintenances %v, want %v", w.step, got, activeAndUpcoming)
	}
	for _, in := range append(append([]walkIncident{}, sum.Incidents...), sum.ScheduledMaintenances...) {
		for _, c := range in.Components {
			if c.Status != want.statuses[c.ID] {
				t.Errorf("%s: summary.json incident %s lists component %s as %q, want %q", w.step, in.ID, c.ID, c.Status, want.statuses[c.ID])
			}
		}
	}

	st := w.v2("status.json")
	if st.Status == nil || *st.Status != wantStatus {
		t.Errorf("%s: status.json status %+v, want %+v", w.step, st.Status, wantStatus)
	}
	w.checkComponents("components.json", w.v2("components.json").Components, want.statuses)

	lists := []struct {
		path string
		get  func(walkBody) []walkIncident
		want []string
	}{
		{"incidents.json", func(b walkBody) []walkIncident { return b.Incidents }, want.incidents},
		{"incidents/unresolved.json", func(b walkBody) []walkIncident { return b.Incidents }, want.unresolved},
		{"scheduled-maintenances.json", func(b walkBody) []walkIncident { return b.ScheduledMaintenances }, want.maintenances},
		{"scheduled-maintenances/upcoming.json", func(b walkBody) []walkIncident { return b.ScheduledMaintenances }, want.upcoming},
		{"scheduled-maintenances/active.json", func(b walkBody) []walkIncident { return b.ScheduledMaintenances }, want.active},
	}
	for _, l := range lists {
		if got := walkIncidentIDs(l.get(w.v2(l.path))); !slices.Equal(got, walkOrEmpty(l.want)) {
			t.Errorf("%s: %s lists %v, want %v", w.step, l.path, got, walkOrEmpty(l.want))
		}
	}

	managed := []struct {
		path string
		want []string
	}{
		{"/incidents/unresolved", want.unresolved},
		{"/incidents/upcoming", want.upcoming},
		{"/incidents/active_maintenance", want.active},
	}
	for _, l := range managed {
		var list []walkIncident
		w.env.mustAPI(200, "GET", l.path, nil).JSON(t, &list)
		if got := walkIncidentIDs(list); !slices.Equal(got, walkOrEmpty(l.want)) {
			t.Errorf("%s: GET %s lists %v, want %v", w.step, l.path, got, walkOrEmpty(l.want))
		}
	}
}

// checkComponents checks the order, statuses and group shape of a
// component list.
func (w *walker) checkComponents(path string, list []walkComponent, statuses map[string]string) {
	w.t.Helper()
	if got := walkIDs(list, func(c walkComponent) string { return c.ID }); !slices.Equal(got, w.order) {
		w.t.Errorf("%s: %s component order %v, want %v", w.step, path, got, w.order)
	}
	for _, c := range list {
		if c.Status != statuses[c.ID] {
			w.t.Errorf("%s: %s component %s (%s) is %q, want %q", w.step, path, c.ID, c.Name, c.Status, statuses[c.ID])
		}
		members, isGroup := w.members[c.ID]
		switch {
		case isGroup && (!c.Group || c.Components == nil || !slices.Equal(*c.Components, members)):
			w.t.Errorf("%s: %s group %s: group %v, components %v; want true, %v", w.step, path, c.ID, c.Group, c.Components, members)
		case !isGroup && (c.Group || c.Components != nil):
			w.t.Errorf("%s: %s component %s has group %v, components %v", w.step, path, c.ID, c.Group, c.Components)
		}
		if !isGroup {
			for g, ms := range w.members {
				if slices.Contains(ms, c.ID) && (c.GroupID == nil || *c.GroupID != g) {
					w.t.Errorf("%s: %s component %s group_id %v, want %s", w.step, path, c.ID, c.GroupID, g)
				}
			}
		}
	}
}

// walkUpdateWant is the newest update an incident should carry.
type walkUpdateWant struct {
	status, body string
	displayAt    time.Time
	deliver      bool
	affected     []walkAffected
	affectedNull bool // affected_components is null
}

// walkIncidentWant is an incident as the management API should return it.
type walkIncidentWant struct {
	status, impact string
	startedAt      time.Time
	monitoringAt   time.Time // zero for null
	resolvedAt     time.Time // zero for null
	window         [2]time.Time
	updates        int
	components     []string
	newest         walkUpdateWant
}

func (w *walker) sameTime(what, got string, want time.Time) {
	w.t.Helper()
	g, err := time.Parse(time.RFC3339Nano, got)
	if err != nil || !g.Equal(want) {
		w.t.Errorf("%s: %s = %q, want %s", w.step, what, got, want.Format(time.RFC3339))
	}
}

func (w *walker) optTime(what string, got *string, want time.Time) {
	w.t.Helper()
	switch {
	case want.IsZero() && got != nil:
		w.t.Errorf("%s: %s = %q, want null", w.step, what, *got)
	case !want.IsZero() && got == nil:
		w.t.Errorf("%s: %s is null, want %s", w.step, what, want.Format(time.RFC3339))
	case got != nil:
		w.sameTime(what, *got, want)
	}
}

func (w *walker) checkIncident(in walkIncident, want walkIncidentWant) {
	w.t.Helper()
	t := w.t
	if in.Status != want.status || in.Impact != want.impact {
		t.Errorf("%s: incident %s is %s/%s, want %s/%s", w.step, in.ID, in.Status, in.Impact, want.status, want.impact)
	}
	w.sameTime("started_at", in.StartedAt, want.startedAt)
	w.optTime("monitoring_at", in.MonitoringAt, want.monitoringAt)
	w.optTime("resolved_at", in.ResolvedAt, want.resolvedAt)
	w.optTime("scheduled_for", in.ScheduledFor, want.window[0])
	w.optTime("scheduled_until", in.ScheduledUntil, want.window[1])
	if got := walkIDs(in.Components, func(c walkComponent) string { return c.ID }); !slices.Equal(got, want.components) {
		t.Errorf("%s: incident components %v, want %v", w.step, got, want.components)
	}
	if len(in.IncidentUpdates) != want.updates {
		t.Fatalf("%s: incident has %d updates, want %d", w.step, len(in.IncidentUpdates), want.updates)
	}
	for i, u := range in.IncidentUpdates {
		if u.IncidentID != in.ID {
			t.Errorf("%s: update %d incident_id %q, want %q", w.step, i, u.IncidentID, in.ID)
		}
		if i > 0 {
			prev, _ := time.Parse(time.RFC3339Nano, in.IncidentUpdates[i-1].DisplayAt)
			cur, _ := time.Parse(time.RFC3339Nano, u.DisplayAt)
			if cur.After(prev) {
				t.Errorf("%s: updates not newest first: %s after %s", w.step, u.DisplayAt, in.IncidentUpdates[i-1].DisplayAt)
			}
		}
	}
	u, nw := in.IncidentUpdates[0], want.newest
	if u.Status != nw.status || u.Body != nw.body || u.DeliverNotifications != nw.deliver {
		t.Errorf("%s: newest update %s %q deliver=%v, want %s %q deliver=%v", w.step, u.Status, u.Body, u.DeliverNotifications, nw.status, nw.body, nw.deliver)
	}
	w.sameTime("newest update display_at", u.DisplayAt, nw.displayAt)
	switch {
	case nw.affectedNull && u.AffectedComponents != nil:
		t.Errorf("%s: newest update affected_components %+v, want null", w.step, *u.AffectedComponents)
	case !nw.affectedNull && (u.AffectedComponents == nil || !slices.Equal(*u.AffectedComponents, nw.affected)):
		t.Errorf("%s: newest update affected_components %+v, want %+v", w.step, u.AffectedComponents, nw.affected)
	}
}

// walkSpan is one expected history interval; a zero end means still open.
type walkSpan struct {
	status     string
	start, end time.Time
}

func (w *walker) checkHistory(id string, want ...walkSpan) {
	w.t.Helper()
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := w.env.app.components.History(w.ctx, id, time.Time{}, far)
	if err != nil {
		w.t.Fatalf("%s: history of %s: %v", w.step, id, err)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, wt := got[i], want[i]
		ok = string(g.Status) == wt.status && g.Start.Equal(wt.start) &&
			(wt.end.IsZero() && g.End == nil || !wt.end.IsZero() && g.End != nil && g.End.Equal(wt.end))
	}
	if !ok {
		var g, wt strings.Builder
		span := func(b *strings.Builder, status string, start time.Time, end *time.Time) {
			to := "open"
			if end != nil {
				to = end.Format(time.TimeOnly)
			}
			b.WriteString(" " + status + "@" + start.Format(time.TimeOnly) + "–" + to)
		}
		for _, iv := range got {
			span(&g, string(iv.Status), iv.Start, iv.End)
		}
		for _, s := range want {
			var end *time.Time
			if !s.end.IsZero() {
				end = &s.end
			}
			span(&wt, s.status, s.start, end)
		}
		w.t.Errorf("%s: history of %s:\n got%s\nwant%s", w.step, id, g.String(), wt.String())
	}
}

// walkEvent is one expected outbox row.
type walkEvent struct {
	kind             notifier.EventKind
	incident, update string
	comp, old, new   string
	comps            []string
	deliver          bool
	at               time.Time
}

// checkEvents checks the events written since the last check, in order.
func (w *walker) checkEvents(want ...walkEvent) {
	w.t.Helper()
	got, err := w.env.app.outbox.Events(w.ctx, notifier.EventFilter{AfterID: w.seen})
	if err != nil {
		w.t.Fatalf("%s: events: %v", w.step, err)
	}
	if len(got) > 0 {
		w.seen = got[len(got)-1].ID
	}
	if len(got) != len(want) {
		kinds := walkIDs(got, func(e notifier.Event) string { return string(e.Kind) })
		w.t.Errorf("%s: %d new events %v, want %d", w.step, len(got), kinds, len(want))
		return
	}
	for i, e := range got {
		wt := want[i]
		if e.Kind != wt.kind || e.IncidentID != wt.incident || e.UpdateID != wt.update ||
			e.ComponentID != wt.comp || e.OldStatus != wt.old || e.NewStatus != wt.new ||
			!slices.Equal(e.ComponentIDs, wt.comps) || e.DeliverNotifications != wt.deliver ||
			!e.CreatedAt.Equal(wt.at) || e.FannedOutAt != nil {
			w.t.Errorf("%s: event %d:\n got %s incident=%q update=%q component=%q %q→%q ids=%v deliver=%v at=%s fanned=%v\nwant %s incident=%q update=%q component=%q %q→%q ids=%v deliver=%v at=%s",
				w.step, i, e.Kind, e.IncidentID, e.UpdateID, e.ComponentID, e.OldStatus, e.NewStatus, e.ComponentIDs, e.DeliverNotifications, e.CreatedAt.Format(time.TimeOnly), e.FannedOutAt,
				wt.kind, wt.incident, wt.update, wt.comp, wt.old, wt.new, wt.comps, wt.deliver, wt.at.Format(time.TimeOnly))
		}
	}
}
