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
	w := &walker{ctx: context.Background(), t0: env.clock.Now()}
	for _, step := range []struct {
		name string
		run  func()
	}{
		{"set up", w.stepSetUp},
		{"incident created", w.stepIncidentCreated},
		{"monitoring", w.stepMonitoring},
		{"resolved", w.stepResolved},
		{"maintenance scheduled", w.stepMaintenanceScheduled},
		{"maintenance started", w.stepMaintenanceStarted},
		{"maintenance completed", w.stepMaintenanceCompleted},
	} {
		finished := false
		t.Run(step.name, func(t *testing.T) {
			w.use(t, env, step.name)
			step.run()
			finished = true
		})
		if !finished {
			// The step stopped half way: the next one builds on what it
			// left, so the walk ends here.
			return
		}
	}
}

// use points the walker at subtest t (and env's failures at it too), for
// the step named step.
func (w *walker) use(t *testing.T, env *testEnv, step string) {
	e := *env
	e.t = t
	w.t, w.env, w.step = t, &e, step
}

// stepSetUp is step 1: a group "Platform" holding API, Dashboard and
// Search.
func (w *walker) stepSetUp() {
	t, env := w.t, w.env
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
	w.api, w.dash, w.search, w.group = api, dash, search, group.ID
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
		w.checkHistory(id, walkSpan{"operational", w.t0, time.Time{}})
	}
	w.checkEvents()
}

// stepIncidentCreated is step 2: an incident degrades API and takes
// Dashboard down.
func (w *walker) stepIncidentCreated() {
	env := w.env
	env.clock.Advance(time.Minute)
	w.t1 = env.clock.Now()
	res := env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Elevated API errors", "status": "investigating",
		"body":          "We are investigating elevated error rates.",
		"component_ids": []string{w.api, w.dash},
		"components":    map[string]string{w.api: "degraded_performance", w.dash: "major_outage"},
	}})
	w.inc = w.decodeIncident(res)
	w.checkIncident(w.inc, walkIncidentWant{
		status: "investigating", impact: "critical", startedAt: w.t1, updates: 1,
		components: []string{w.api, w.dash},
		newest: walkUpdateWant{status: "investigating", body: "We are investigating elevated error rates.", displayAt: w.t1, deliver: true,
			affected: []walkAffected{
				{Code: w.api, Name: "Platform - API", OldStatus: "operational", NewStatus: "degraded_performance"},
				{Code: w.dash, Name: "Platform - Dashboard", OldStatus: "operational", NewStatus: "major_outage"},
			}},
	})
	// The blend alone (one major outage among three) is a partial system
	// outage; the unresolved incident's critical impact raises the page.
	w.checkPage(walkWant{
		indicator: "critical", description: "Major System Outage",
		statuses:   map[string]string{w.group: "major_outage", w.api: "degraded_performance", w.dash: "major_outage", w.search: "operational"},
		unresolved: []string{w.inc.ID}, incidents: []string{w.inc.ID},
	})
	w.checkHistory(w.api, walkSpan{"operational", w.t0, w.t1}, walkSpan{"degraded_performance", w.t1, time.Time{}})
	w.checkHistory(w.dash, walkSpan{"operational", w.t0, w.t1}, walkSpan{"major_outage", w.t1, time.Time{}})
	w.checkHistory(w.search, walkSpan{"operational", w.t0, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.api, old: "operational", new: "degraded_performance", comps: []string{w.api}, deliver: true, at: w.t1},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.dash, old: "operational", new: "major_outage", comps: []string{w.dash}, deliver: true, at: w.t1},
		walkEvent{kind: notifier.IncidentCreated, incident: w.inc.ID, update: w.inc.IncidentUpdates[0].ID, comps: []string{w.api, w.dash}, deliver: true, at: w.t1},
	)
}

// stepMonitoring is step 3: a fix is in; Dashboard recovers to degraded
// while monitoring.
func (w *walker) stepMonitoring() {
	env := w.env
	env.clock.Advance(20 * time.Minute)
	w.t2 = env.clock.Now()
	res := env.mustAPI(200, "PATCH", "/incidents/"+w.inc.ID, map[string]any{"incident": map[string]any{
		"status": "monitoring", "body": "A fix has been deployed; we are monitoring.",
		"components": map[string]string{w.dash: "degraded_performance"},
	}})
	w.inc = w.decodeIncident(res)
	w.checkIncident(w.inc, walkIncidentWant{
		status: "monitoring", impact: "critical", startedAt: w.t1, monitoringAt: w.t2, updates: 2,
		components: []string{w.api, w.dash},
		newest: walkUpdateWant{status: "monitoring", body: "A fix has been deployed; we are monitoring.", displayAt: w.t2, deliver: true,
			affected: []walkAffected{{Code: w.dash, Name: "Platform - Dashboard", OldStatus: "major_outage", NewStatus: "degraded_performance"}}},
	})
	w.checkPage(walkWant{
		indicator: "critical", description: "Major System Outage",
		statuses:   map[string]string{w.group: "degraded_performance", w.api: "degraded_performance", w.dash: "degraded_performance", w.search: "operational"},
		unresolved: []string{w.inc.ID}, incidents: []string{w.inc.ID},
	})
	w.checkHistory(w.api, walkSpan{"operational", w.t0, w.t1}, walkSpan{"degraded_performance", w.t1, time.Time{}})
	w.checkHistory(w.dash, walkSpan{"operational", w.t0, w.t1}, walkSpan{"major_outage", w.t1, w.t2}, walkSpan{"degraded_performance", w.t2, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.dash, old: "major_outage", new: "degraded_performance", comps: []string{w.dash}, deliver: true, at: w.t2},
		walkEvent{kind: notifier.IncidentUpdated, incident: w.inc.ID, update: w.inc.IncidentUpdates[0].ID, comps: []string{w.api, w.dash}, deliver: true, at: w.t2},
	)
}

// stepResolved is step 4: resolved; the affected components return to
// operational.
func (w *walker) stepResolved() {
	t, env := w.t, w.env
	env.clock.Advance(30 * time.Minute)
	w.t3 = env.clock.Now()
	res := env.mustAPI(200, "PATCH", "/incidents/"+w.inc.ID, map[string]any{"incident": map[string]any{"status": "resolved"}})
	w.inc = w.decodeIncident(res)
	w.checkIncident(w.inc, walkIncidentWant{
		status: "resolved", impact: "critical", startedAt: w.t1, monitoringAt: w.t2, resolvedAt: w.t3, updates: 3,
		components: []string{w.api, w.dash},
		newest: walkUpdateWant{status: "resolved", body: "This incident has been resolved.", displayAt: w.t3, deliver: true,
			affected: []walkAffected{
				{Code: w.api, Name: "Platform - API", OldStatus: "degraded_performance", NewStatus: "operational"},
				{Code: w.dash, Name: "Platform - Dashboard", OldStatus: "degraded_performance", NewStatus: "operational"},
			}},
	})
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: w.allOperational(), incidents: []string{w.inc.ID},
	})
	w.checkHistory(w.api, walkSpan{"operational", w.t0, w.t1}, walkSpan{"degraded_performance", w.t1, w.t3}, walkSpan{"operational", w.t3, time.Time{}})
	w.checkHistory(w.dash, walkSpan{"operational", w.t0, w.t1}, walkSpan{"major_outage", w.t1, w.t2},
		walkSpan{"degraded_performance", w.t2, w.t3}, walkSpan{"operational", w.t3, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.api, old: "degraded_performance", new: "operational", comps: []string{w.api}, deliver: true, at: w.t3},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.dash, old: "degraded_performance", new: "operational", comps: []string{w.dash}, deliver: true, at: w.t3},
		walkEvent{kind: notifier.IncidentResolved, incident: w.inc.ID, update: w.inc.IncidentUpdates[0].ID, comps: []string{w.api, w.dash}, deliver: true, at: w.t3},
	)
	for _, id := range []string{w.api, w.dash, w.search} {
		var c walkComponent
		env.mustAPI(200, "GET", "/components/"+id, nil).JSON(t, &c)
		if c.Status != "operational" {
			t.Errorf("%s: GET component %s status %q, want operational", w.step, id, c.Status)
		}
	}
}

// stepMaintenanceScheduled is step 5: a maintenance of Dashboard and
// Search, two minutes ahead, that runs itself: notify at the start, quietly
// at the end.
func (w *walker) stepMaintenanceScheduled() {
	t, env := w.t, w.env
	env.clock.Advance(5 * time.Minute)
	t4 := env.clock.Now()
	w.start, w.end = t4.Add(2*time.Minute), t4.Add(32*time.Minute)
	res := env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Database upgrade", "status": "scheduled",
		"body":            "We will upgrade the primary database.",
		"scheduled_for":   w.start.Format(time.RFC3339),
		"scheduled_until": w.end.Format(time.RFC3339),
		"component_ids":   []string{w.dash, w.search},

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
	w.maint = w.decodeIncident(res)
	w.checkIncident(w.maint, walkIncidentWant{
		status: "scheduled", impact: "maintenance", startedAt: w.start, updates: 1, window: [2]time.Time{w.start, w.end},
		components: []string{w.dash, w.search},
		newest:     walkUpdateWant{status: "scheduled", body: "We will upgrade the primary database.", displayAt: t4, deliver: true, affectedNull: true},
	})
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: w.allOperational(), incidents: []string{w.inc.ID},
		upcoming: []string{w.maint.ID}, maintenances: []string{w.maint.ID},
	})
	w.checkHistory(w.dash, walkSpan{"operational", w.t0, w.t1}, walkSpan{"major_outage", w.t1, w.t2},
		walkSpan{"degraded_performance", w.t2, w.t3}, walkSpan{"operational", w.t3, time.Time{}})
	w.checkHistory(w.search, walkSpan{"operational", w.t0, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.MaintenanceScheduled, incident: w.maint.ID, update: w.maint.IncidentUpdates[0].ID, comps: []string{w.dash, w.search}, deliver: true, at: t4},
	)
	if next, ok, err := env.app.incidents.NextDue(w.ctx); err != nil || !ok || !next.Equal(w.start) {
		t.Errorf("%s: NextDue = %v, %v, %v; want %v", w.step, next, ok, err, w.start)
	}
	// A second before the start nothing is due.
	env.clock.Set(w.start.Add(-time.Second))
	w.runDue(0)
	w.checkEvents()
}

// stepMaintenanceStarted is step 6: past the start, the scheduler starts
// it.
func (w *walker) stepMaintenanceStarted() {
	env := w.env
	env.clock.Set(w.start.Add(5 * time.Second))
	w.runDue(1)
	w.maint = w.getIncident(w.maint.ID)
	w.checkIncident(w.maint, walkIncidentWant{
		status: "in_progress", impact: "maintenance", startedAt: w.start, updates: 2, window: [2]time.Time{w.start, w.end},
		components: []string{w.dash, w.search},
		newest: walkUpdateWant{status: "in_progress", body: "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
			displayAt: w.start, deliver: true,
			affected: []walkAffected{
				{Code: w.dash, Name: "Platform - Dashboard", OldStatus: "operational", NewStatus: "under_maintenance"},
				{Code: w.search, Name: "Platform - Search", OldStatus: "operational", NewStatus: "under_maintenance"},
			}},
	})
	w.checkPage(walkWant{
		indicator: "maintenance", description: "Service Under Maintenance",
		statuses:  map[string]string{w.group: "under_maintenance", w.api: "operational", w.dash: "under_maintenance", w.search: "under_maintenance"},
		incidents: []string{w.inc.ID}, active: []string{w.maint.ID}, maintenances: []string{w.maint.ID},
	})
	w.checkHistory(w.dash, walkSpan{"operational", w.t0, w.t1}, walkSpan{"major_outage", w.t1, w.t2},
		walkSpan{"degraded_performance", w.t2, w.t3}, walkSpan{"operational", w.t3, w.start}, walkSpan{"under_maintenance", w.start, time.Time{}})
	w.checkHistory(w.search, walkSpan{"operational", w.t0, w.start}, walkSpan{"under_maintenance", w.start, time.Time{}})
	w.checkHistory(w.api, walkSpan{"operational", w.t0, w.t1}, walkSpan{"degraded_performance", w.t1, w.t3}, walkSpan{"operational", w.t3, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.dash, old: "operational", new: "under_maintenance", comps: []string{w.dash}, deliver: true, at: w.start},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.search, old: "operational", new: "under_maintenance", comps: []string{w.search}, deliver: true, at: w.start},
		walkEvent{kind: notifier.MaintenanceStarted, incident: w.maint.ID, update: w.maint.IncidentUpdates[0].ID, comps: []string{w.dash, w.search}, deliver: true, at: w.start.Add(5 * time.Second)},
	)
	w.runDue(0) // exactly once
	w.checkEvents()
}

// stepMaintenanceCompleted is step 7: past the end, the scheduler completes
// it.
func (w *walker) stepMaintenanceCompleted() {
	t, env := w.t, w.env
	env.clock.Set(w.end.Add(5 * time.Second))
	w.runDue(1)
	w.maint = w.getIncident(w.maint.ID)
	w.checkIncident(w.maint, walkIncidentWant{
		status: "completed", impact: "maintenance", startedAt: w.start, resolvedAt: w.end, updates: 3, window: [2]time.Time{w.start, w.end},
		components: []string{w.dash, w.search},
		newest: walkUpdateWant{status: "completed", body: "The scheduled maintenance has been completed.", displayAt: w.end, deliver: false,
			affected: []walkAffected{
				{Code: w.dash, Name: "Platform - Dashboard", OldStatus: "under_maintenance", NewStatus: "operational"},
				{Code: w.search, Name: "Platform - Search", OldStatus: "under_maintenance", NewStatus: "operational"},
			}},
	})
	w.checkPage(walkWant{
		indicator: "none", description: "All Systems Operational",
		statuses: w.allOperational(), incidents: []string{w.inc.ID}, maintenances: []string{w.maint.ID},
	})
	w.checkHistory(w.dash, walkSpan{"operational", w.t0, w.t1}, walkSpan{"major_outage", w.t1, w.t2},
		walkSpan{"degraded_performance", w.t2, w.t3}, walkSpan{"operational", w.t3, w.start},
		walkSpan{"under_maintenance", w.start, w.end}, walkSpan{"operational", w.end, time.Time{}})
	w.checkHistory(w.search, walkSpan{"operational", w.t0, w.start}, walkSpan{"under_maintenance", w.start, w.end}, walkSpan{"operational", w.end, time.Time{}})
	w.checkEvents(
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.dash, old: "under_maintenance", new: "operational", comps: []string{w.dash}, deliver: false, at: w.end},
		walkEvent{kind: notifier.ComponentStatusChanged, comp: w.search, old: "under_maintenance", new: "operational", comps: []string{w.search}, deliver: false, at: w.end},
		walkEvent{kind: notifier.MaintenanceCompleted, incident: w.maint.ID, update: w.maint.IncidentUpdates[0].ID, comps: []string{w.dash, w.search}, deliver: false, at: w.end.Add(5 * time.Second)},
	)
	w.runDue(0)
	w.checkEvents()
	if next, ok, err := env.app.incidents.NextDue(w.ctx); err != nil || ok {
		t.Errorf("%s: NextDue = %v, %v, %v; want nothing due", w.step, next, ok, err)
	}
	// The realtime incident was left as it was.
	if got := w.getIncident(w.inc.ID); got.Status != "resolved" || len(got.IncidentUpdates) != 3 {
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

	// What the steps made, for the steps after them.
	api, dash, search, group string    // component and group ids
	t0, t1, t2, t3           time.Time // set up, incident, monitoring, resolved
	inc                      walkIncident
	maint                    walkIncident
	start, end               time.Time // the maintenance window
}

// allOperational is every component and the group operational.
func (w *walker) allOperational() map[string]string {
	return map[string]string{w.group: "operational", w.api: "operational", w.dash: "operational", w.search: "operational"}
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
