package integrations

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

// Result is what one payload did.
type Result struct {
	Integration Integration
	// Alerts are the payload's alerts with what Beacon did with each, as
	// the integration's log keeps them.
	Alerts []Logged
	// Changes are the changes made to the page, for the audit log.
	Changes []Change
}

// Change is one change an integration made: an audit log entry's action
// and target.
type Change struct{ Action, Target string }

// Actor names an integration in the audit log.
func (it Integration) Actor() string { return "integration " + it.Name }

// Receive applies one payload posted by it (authenticated by the caller,
// see Authenticate): all its changes in one transaction, or none. A
// payload that cannot be read is refused with a *MalformedError or a
// *ValidationError, changes nothing on the page and is logged as refused,
// so that staff can see why.
func (s *Service) Receive(ctx context.Context, it Integration, body []byte) (Result, error) {
	res := Result{Integration: it}
	b, err := decode(it.Kind, body)
	if err != nil {
		reason := strings.TrimSpace(err.Error())
		if utf8.RuneCountInString(reason) > 300 {
			reason = string([]rune(reason)[:300]) + "…"
		}
		entry := Logged{ReceivedAt: s.now(), Status: "refused", Name: reason, Outcome: "refused: nothing changed"}
		if lerr := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.logTx(ctx, tx, it.ID, []Logged{entry}) }); lerr != nil {
			return res, errors.Join(err, lerr)
		}
		return res, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		r := &run{s: s, tx: tx, it: it, now: s.now()}
		if err := r.apply(ctx, b); err != nil {
			return err
		}
		res.Alerts, res.Changes = r.logged, r.changes
		return s.logTx(ctx, tx, it.ID, r.logged)
	})
	if err != nil {
		return Result{Integration: it}, err
	}
	if len(res.Changes) > 0 {
		s.changed()
	}
	return res, nil
}

// group is the dedupe state of one alert group (integration_groups).
type group struct {
	ID, IntegrationID, Key string
	Firing                 bool
	// IncidentID is the incident the group's alerts attach to; "" while
	// there is none (a draft, a dismissed draft, a deleted incident).
	IncidentID string
	// Draft is set while the group's incident is a draft for staff.
	Draft       bool
	Title, Body string
	// Alerts are the group's firing alerts by fingerprint.
	Alerts map[string]firingAlert
	// Components are the statuses Beacon set for them.
	Components map[string]components.Status
	StartedAt  time.Time
	ResolvedAt *time.Time
	// QuietUntil is set while the group fires again within its flap
	// window: its changes were made without telling subscribers.
	QuietUntil *time.Time
	// fresh is a group not stored yet.
	fresh bool
}

// firingAlert is one firing alert of a group, as mapped.
type firingAlert struct {
	Component string            `json:"component"`
	Status    components.Status `json:"status"`
	Name      string            `json:"name"`
	// Seen is when a payload last named it firing.
	Seen time.Time `json:"seen"`
}

// maxGroupAlerts bounds the firing alerts a group keeps: merging truncated
// payloads could otherwise grow it without end. Beyond it, the alerts
// seen firing longest ago are dropped.
const maxGroupAlerts = maxAlerts

const selectGroups = `SELECT id, integration_id, key, state, COALESCE(incident_id, ''), draft, title, body, alerts, components,
	started_at, resolved_at, quiet_until FROM integration_groups`

func scanGroup(row interface{ Scan(...any) error }) (group, error) {
	var g group
	var state, alerts, comps string
	err := row.Scan(&g.ID, &g.IntegrationID, &g.Key, &state, &g.IncidentID, &g.Draft, &g.Title, &g.Body, &alerts, &comps,
		store.Time(&g.StartedAt), store.OptTime(&g.ResolvedAt), store.OptTime(&g.QuietUntil))
	if err != nil {
		return g, err
	}
	g.Firing = state == "firing"
	if err := json.Unmarshal([]byte(alerts), &g.Alerts); err != nil {
		return g, err
	}
	return g, json.Unmarshal([]byte(comps), &g.Components)
}

// groupTx returns the group of integrationID with key, or a new one.
func groupTx(ctx context.Context, tx *sql.Tx, integrationID, key string, now time.Time) (group, error) {
	g, err := scanGroup(tx.QueryRowContext(ctx, selectGroups+` WHERE integration_id = ? AND key = ?`, integrationID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return group{ID: ids.New(), IntegrationID: integrationID, Key: key, Alerts: map[string]firingAlert{},
			Components: map[string]components.Status{}, StartedAt: now, fresh: true}, nil
	}
	if err != nil {
		return group{}, fmt.Errorf("integrations: read alert group: %w", err)
	}
	return g, nil
}

func saveGroupTx(ctx context.Context, tx *sql.Tx, g group, now time.Time) error {
	alerts, err := json.Marshal(g.Alerts)
	if err != nil {
		return fmt.Errorf("integrations: save alert group: %w", err)
	}
	comps, err := json.Marshal(g.Components)
	if err != nil {
		return fmt.Errorf("integrations: save alert group: %w", err)
	}
	state := "resolved"
	if g.Firing {
		state = "firing"
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO integration_groups (id, integration_id, key, state, incident_id, draft, title, body,
		alerts, components, started_at, updated_at, resolved_at, quiet_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, incident_id = excluded.incident_id, draft = excluded.draft,
		title = excluded.title, body = excluded.body, alerts = excluded.alerts, components = excluded.components,
		started_at = excluded.started_at, updated_at = excluded.updated_at, resolved_at = excluded.resolved_at,
		quiet_until = excluded.quiet_until`,
		g.ID, g.IntegrationID, g.Key, state, store.NullString(g.IncidentID), g.Draft, g.Title, g.Body, string(alerts), string(comps),
		store.FormatTime(g.StartedAt), store.FormatTime(now), store.NullTime(g.ResolvedAt), store.NullTime(g.QuietUntil))
	if err != nil {
		return fmt.Errorf("integrations: save alert group: %w", err)
	}
	return nil
}

// groupKept is how long a resolved alert group is remembered: its next
// firing within that time still finds the incident staff left open.
const groupKept = 30 * 24 * time.Hour

// run applies one payload inside one transaction.
type run struct {
	s     *Service
	tx    *sql.Tx
	it    Integration
	now   time.Time
	comps []components.Component
	// notes say in words what was done, for the log; changes are the
	// audit entries.
	notes   []string
	changes []Change
	logged  []Logged
}

func (r *run) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *run) change(action, target string) {
	r.changes = append(r.changes, Change{Action: "integration: " + action, Target: target})
}

func (r *run) apply(ctx context.Context, b batch) error {
	var err error
	if r.comps, err = r.s.components.ListTx(ctx, r.tx); err != nil {
		return err
	}
	g, err := groupTx(ctx, r.tx, r.it.ID, b.key, r.now)
	if err != nil {
		return err
	}
	wasFiring := g.Firing
	type seen struct {
		a              alert
		label, ignored string
	}
	var all []seen
	before := g.Alerts
	if b.complete {
		g.Alerts = map[string]firingAlert{}
	}
	for _, a := range b.alerts {
		cid, label, why := r.component(a)
		var st components.Status
		if why == "" && a.firing {
			st, why = r.status(a)
		}
		if why == "" && a.firing {
			g.Alerts[a.fingerprint] = firingAlert{Component: cid, Status: st, Name: a.name, Seen: r.now}
		} else {
			delete(g.Alerts, a.fingerprint)
		}
		all = append(all, seen{a: a, label: label, ignored: why})
	}
	if b.complete {
		named := map[string]bool{}
		for _, a := range b.alerts {
			named[a.fingerprint] = true
		}
		gone := 0
		for fp := range before {
			if !named[fp] {
				gone++
			}
		}
		if gone > 0 {
			r.note("%d alerts the payload no longer names taken as resolved", gone)
		}
	}
	if over := len(g.Alerts) - maxGroupAlerts; over > 0 {
		fps := slices.SortedFunc(maps.Keys(g.Alerts), func(a, b string) int {
			return cmp.Or(g.Alerts[a].Seen.Compare(g.Alerts[b].Seen), strings.Compare(a, b))
		})
		for _, fp := range fps[:over] {
			delete(g.Alerts, fp)
		}
		r.note("the group holds more than %d firing alerts: the %d seen longest ago dropped", maxGroupAlerts, over)
	}
	desired := map[string]components.Status{}
	byID := components.ByID(r.comps)
	for fp, fa := range g.Alerts {
		if _, ok := byID[fa.Component]; !ok {
			delete(g.Alerts, fp) // its component was deleted
			continue
		}
		if cur, ok := desired[fa.Component]; !ok || fa.Status.Worse(cur) {
			desired[fa.Component] = fa.Status
		}
	}
	switch firing := len(desired) > 0; {
	case firing && !wasFiring:
		err = r.open(ctx, &g, desired, b)
	case firing:
		err = r.follow(ctx, &g, desired)
	case wasFiring:
		err = r.close(ctx, &g)
	default:
		r.note("nothing to change: no alert of this group is firing")
	}
	if err != nil {
		return err
	}
	g.Components = desired
	// A group that never fired (its alerts all resolved or ignored) is
	// not kept; nor, after a while, one that resolved long ago.
	if !g.fresh || g.Firing {
		if err := saveGroupTx(ctx, r.tx, g, r.now); err != nil {
			return err
		}
	}
	_, err = r.tx.ExecContext(ctx, `DELETE FROM integration_groups WHERE integration_id = ? AND state = 'resolved' AND resolved_at < ?`,
		r.it.ID, store.FormatTime(r.now.Add(-groupKept)))
	if err != nil {
		return fmt.Errorf("integrations: forget old alert groups: %w", err)
	}
	outcome := strings.Join(r.notes, "; ")
	for _, x := range all {
		l := Logged{ReceivedAt: r.now, Status: "resolved", Name: x.a.name, Component: x.label, Outcome: outcome, IncidentID: g.IncidentID}
		if x.a.firing {
			l.Status = "firing"
		}
		if x.ignored != "" {
			l.Outcome, l.IncidentID = x.ignored, ""
		}
		r.logged = append(r.logged, l)
	}
	return nil
}

// component finds the component alert a names: by the integration's
// table, by id or by name (case-insensitively). why says why none.
func (r *run) component(a alert) (id, label, why string) {
	label = a.component
	if label == "" {
		label = a.labels[r.it.ComponentLabel]
	}
	if label == "" {
		return "", "", fmt.Sprintf("ignored: no %s label names a component", r.it.ComponentLabel)
	}
	want, mapped := r.it.Components[label]
	for _, c := range r.comps {
		if c.Group {
			continue
		}
		if mapped && c.ID == want || !mapped && c.ID == label {
			return c.ID, label, ""
		}
	}
	if mapped {
		return "", label, fmt.Sprintf("ignored: the components table maps %q to a component that no longer exists", label)
	}
	for _, c := range r.comps {
		if !c.Group && strings.EqualFold(c.Name, label) {
			return c.ID, label, ""
		}
	}
	return "", label, fmt.Sprintf("ignored: no component is named %q", label)
}

// status is the status a firing alert sets: a generic alert's own, or its
// severity's by the integration's table.
func (r *run) status(a alert) (components.Status, string) {
	if a.status != "" {
		return a.status, ""
	}
	sev := a.severity
	if sev == "" {
		sev = a.labels[r.it.SeverityLabel]
	}
	sev = strings.ToLower(strings.TrimSpace(sev))
	st, ok := r.it.Severities[sev]
	if !ok {
		st = r.it.DefaultStatus
	}
	if st == components.Operational {
		return "", fmt.Sprintf("ignored: severity %q changes nothing", sev)
	}
	return st, ""
}

// incident returns the group's incident, whether it is open, and whether
// there is one.
func (r *run) incident(ctx context.Context, g *group) (incidents.Incident, bool, error) {
	if g.IncidentID == "" {
		return incidents.Incident{}, false, nil
	}
	in, err := r.s.incidents.GetTx(ctx, r.tx, g.IncidentID)
	if errors.Is(err, incidents.ErrNotFound) {
		g.IncidentID = ""
		return incidents.Incident{}, false, nil
	}
	return in, err == nil, err
}

// open starts (or, after a flap, resumes) the group's episode: the
// components take their statuses and the group attaches to its incident,
// reopens it, opens one or opens a draft.
func (r *run) open(ctx context.Context, g *group, desired map[string]components.Status, b batch) error {
	flap := g.ResolvedAt != nil && r.it.FlapWindow > 0 && r.now.Sub(*g.ResolvedAt) < r.it.FlapWindow
	deliver := !flap
	g.Firing, g.ResolvedAt, g.QuietUntil = true, nil, nil
	if flap {
		quiet := r.now.Add(r.it.FlapWindow)
		g.QuietUntil = &quiet
		r.note("fired again within the flap window: subscribers not told again")
	} else {
		g.StartedAt = r.now
	}
	in, exists, err := r.incident(ctx, g)
	if err != nil {
		return err
	}
	switch {
	case exists && !in.Status.Closed():
		moving := r.moving(desired)
		if len(moving) == 0 {
			r.note("attached to incident “%s”", in.Name)
			return nil
		}
		body := r.changeWords(moving)
		return r.updateIncident(ctx, in, incidents.Change{Body: &body, Components: moving}, deliver, "updated incident “%s”", in.Name)
	case exists && flap:
		st := incidents.Investigating
		body := "Our monitoring reports the problem again."
		return r.updateIncident(ctx, in, incidents.Change{Status: &st, Body: &body, Components: r.moving(desired)}, deliver,
			"reopened incident “%s”", in.Name)
	case r.it.IncidentMode == ModePublish:
		return r.createIncident(ctx, g, desired, b, deliver)
	}
	g.IncidentID = ""
	if !flap {
		g.Draft = true
		g.Title, g.Body = r.words(desired, b)
		r.note("opened a draft incident for staff to publish")
	}
	return r.setStatuses(ctx, desired, deliver)
}

// follow applies a firing group's new alerts: components whose worst
// status changed move, ones no longer alerted are restored.
func (r *run) follow(ctx context.Context, g *group, desired map[string]components.Status) error {
	deliver := g.QuietUntil == nil
	targets := map[string]components.Status{}
	for id, st := range desired {
		if g.Components[id] != st {
			targets[id] = st
		}
	}
	var gone []string
	for id := range g.Components {
		if _, ok := desired[id]; !ok {
			gone = append(gone, id)
		}
	}
	restore, err := r.restorable(ctx, g, gone)
	if err != nil {
		return err
	}
	maps.Copy(targets, restore)
	targets = r.moving(targets)
	in, exists, err := r.incident(ctx, g)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		switch {
		case exists:
			r.note("attached to incident “%s”", in.Name)
		case g.Draft:
			r.note("attached to the draft incident")
		default:
			r.note("nothing to change")
		}
		return nil
	}
	if exists && !in.Status.Closed() {
		body := r.changeWords(targets)
		return r.updateIncident(ctx, in, incidents.Change{Body: &body, Components: targets}, deliver, "updated incident “%s”", in.Name)
	}
	return r.setStatuses(ctx, targets, deliver)
}

// close ends the group's episode: its components are restored and its
// incident resolved (or left to staff).
func (r *run) close(ctx context.Context, g *group) error {
	deliver := g.QuietUntil == nil
	resolved := r.now
	g.Firing, g.ResolvedAt, g.QuietUntil = false, &resolved, nil
	restore, err := r.restorable(ctx, g, slices.Collect(maps.Keys(g.Components)))
	if err != nil {
		return err
	}
	in, exists, err := r.incident(ctx, g)
	if err != nil {
		return err
	}
	if !deliver {
		r.note("resolved within the flap window: subscribers not told again")
	}
	switch {
	case exists && !in.Status.Closed() && r.it.AutoResolve:
		// Resolving returns the incident's components to operational;
		// those still alerted elsewhere keep their status.
		keep := map[string]components.Status{}
		for id := range g.Components {
			if _, ok := restore[id]; !ok {
				if c, ok := components.ByID(r.comps)[id]; ok {
					keep[id] = c.Status
				}
			}
		}
		st := incidents.Resolved
		body := "Our monitoring reports this resolved."
		return r.updateIncident(ctx, in, incidents.Change{Status: &st, Body: &body, Components: keep}, deliver, "resolved incident “%s”", in.Name)
	case exists && !in.Status.Closed():
		r.note("left incident “%s” open for staff", in.Name)
	case g.Draft:
		r.note("resolved before the draft was published")
	}
	return r.setStatuses(ctx, restore, deliver)
}

// restorable returns, of ids, the components an ending alert may return to
// operational: those still at the status the group set, affected by no
// other open incident and alerted by no other firing group.
func (r *run) restorable(ctx context.Context, g *group, ids []string) (map[string]components.Status, error) {
	out := map[string]components.Status{}
	byID := components.ByID(r.comps)
	for _, id := range ids {
		c, ok := byID[id]
		if !ok || c.Status != g.Components[id] {
			continue
		}
		busy, err := r.s.incidents.OpenElsewhereTx(ctx, r.tx, g.IncidentID, id)
		if err != nil {
			return nil, err
		}
		var others int
		err = r.tx.QueryRowContext(ctx, r.s.othersFiring, g.ID, id).Scan(&others)
		if err != nil {
			return nil, fmt.Errorf("integrations: check other alert groups: %w", err)
		}
		if !busy && others == 0 {
			out[id] = components.Operational
		}
	}
	return out, nil
}

// moving keeps of targets the components whose status they change.
func (r *run) moving(targets map[string]components.Status) map[string]components.Status {
	out := map[string]components.Status{}
	byID := components.ByID(r.comps)
	for id, st := range targets {
		if c, ok := byID[id]; ok && c.Status != st {
			out[id] = st
		}
	}
	return out
}

// setStatuses sets components' statuses directly (no incident).
func (r *run) setStatuses(ctx context.Context, targets map[string]components.Status, deliver bool) error {
	for _, id := range slices.Sorted(maps.Keys(targets)) {
		ch, err := r.s.components.SetStatusTx(ctx, r.tx, id, targets[id], r.now, deliver)
		if err != nil {
			return err
		}
		if ch.OldStatus != ch.NewStatus {
			r.change("set component "+string(ch.NewStatus), id)
			r.note("set %s to %s", ch.Name, strings.ToLower(ch.NewStatus.Label()))
		}
	}
	return nil
}

func (r *run) createIncident(ctx context.Context, g *group, desired map[string]components.Status, b batch, deliver bool) error {
	n := incidents.NewIncident{Components: desired, DeliverNotifications: &deliver}
	n.Name, n.Body = r.words(desired, b)
	if r.it.TemplateID != "" {
		t, err := r.s.incidents.Template(ctx, r.it.TemplateID)
		if err != nil && !errors.Is(err, incidents.ErrNotFound) {
			return err
		}
		if err == nil {
			n.Name, n.Body, n.Status = t.Title, t.Body, t.Status
			notify := deliver && t.DeliverNotifications
			n.DeliverNotifications = &notify
		}
	}
	in, err := r.s.incidents.CreateTx(ctx, r.tx, n)
	if err != nil {
		return err
	}
	g.IncidentID, g.Draft, g.Title, g.Body = in.ID, false, in.Name, n.Body
	r.change("open incident", in.ID)
	r.note("opened incident “%s”", in.Name)
	return nil
}

// updateIncident changes before, the group's incident as this run read it.
func (r *run) updateIncident(ctx context.Context, before incidents.Incident, c incidents.Change, deliver bool, format string, args ...any) error {
	c.DeliverNotifications = &deliver
	in, err := r.s.incidents.UpdateTx(ctx, r.tx, before.ID, c)
	if err != nil {
		return err
	}
	r.note(format, args...)
	if len(in.Updates) > len(before.Updates) {
		action := "update incident"
		if in.Status == incidents.Resolved {
			action = "resolve incident"
		}
		r.change(action, in.ID)
	}
	return nil
}

// names lists the names of components ids, in the page's order.
func (r *run) names(ids map[string]components.Status) []string {
	var out []string
	for _, c := range r.comps {
		if _, ok := ids[c.ID]; ok && !c.Group {
			out = append(out, c.Name)
		}
	}
	return out
}

// words are the title and text of an incident the group opens: a generic
// alert's own, or words that name only the components and their status —
// an alert's name and annotations are the monitoring's, not for the page.
func (r *run) words(desired map[string]components.Status, b batch) (title, body string) {
	worst := components.Worst(slices.Collect(maps.Values(desired))...)
	names := strings.Join(r.names(desired), ", ")
	title, body = b.title, b.message
	if title == "" {
		title = names + ": " + worst.Label()
	}
	if utf8.RuneCountInString(title) > 200 {
		title = string([]rune(title)[:200]) + "…"
	}
	if strings.TrimSpace(body) == "" {
		body = "Our monitoring reports " + strings.ToLower(worst.Label()) + " of " + names + ". We are investigating."
	}
	return title, body
}

// changeWords says what an update that only moves components changed.
func (r *run) changeWords(targets map[string]components.Status) string {
	var parts []string
	for _, c := range r.comps {
		if st, ok := targets[c.ID]; ok {
			parts = append(parts, c.Name+" is now "+strings.ToLower(st.Label()))
		}
	}
	return "Our monitoring reports: " + strings.Join(parts, ", ") + "."
}
