package incidents

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// Service runs the lifecycle of incidents and maintenances. Every change
// that subscribers may hear about is written to the notifier's outbox in the
// same transaction as the change.
type Service struct {
	db         *store.DB
	components *components.Service
	outbox     *notifier.Outbox
	now        func() time.Time
	changed    func()
	// wake nudges the scheduler when a maintenance window may have moved.
	wake chan struct{}
	q    queries
}

// NewService returns a service on db. changed is called after every
// committed change (to refresh cached pages).
func NewService(db *store.DB, comps *components.Service, outbox *notifier.Outbox, now func() time.Time, changed func()) *Service {
	if changed == nil {
		changed = func() {}
	}
	return &Service{db: db, components: comps, outbox: outbox, now: now, changed: changed, wake: make(chan struct{}, 1), q: newQueries(db)}
}

// Limits on what staff may write.
const (
	maxName       = 255
	maxBody       = 25000
	maxComponents = 500
)

// AutomationInput sets a maintenance's flags; nil leaves a flag as it is, or
// on create takes its default (every automation on).
type AutomationInput struct {
	RemindPrior        *bool
	AutoInProgress     *bool
	AutoCompleted      *bool
	ToMaintenanceState *bool
	ToOperationalState *bool
	NotifyAtStart      *bool
	NotifyAtEnd        *bool
}

func (a AutomationInput) applyTo(dst *Automation) {
	set := func(d *bool, p *bool) {
		if p != nil {
			*d = *p
		}
	}
	set(&dst.RemindPrior, a.RemindPrior)
	set(&dst.AutoInProgress, a.AutoInProgress)
	set(&dst.AutoCompleted, a.AutoCompleted)
	set(&dst.ToMaintenanceState, a.ToMaintenanceState)
	set(&dst.ToOperationalState, a.ToOperationalState)
	set(&dst.NotifyAtStart, a.NotifyAtStart)
	set(&dst.NotifyAtEnd, a.NotifyAtEnd)
}

// NewIncident describes an incident or maintenance to create. A maintenance
// is one with a window (ScheduledFor and ScheduledUntil) or a maintenance
// status.
type NewIncident struct {
	Name           string
	Status         Status // "" means investigating, or scheduled for a maintenance
	Body           string // "" means the stock text for the status
	ImpactOverride components.Impact
	// ComponentIDs are the affected components; Components also sets their
	// statuses (and adds them to the affected set).
	ComponentIDs         []string
	Components           map[string]components.Status
	DeliverNotifications *bool // nil means true
	ScheduledFor         *time.Time
	ScheduledUntil       *time.Time
	Automation           AutomationInput
	// Backfilled enters a past, already resolved incident that notifies no
	// one and changes no component; BackfillDate is when it happened.
	Backfilled   bool
	BackfillDate *time.Time
	// Metadata is a JSON object to keep with the incident; nil for none.
	Metadata json.RawMessage
}

// Change is a PATCH of an incident: field edits, and an update appended to
// the timeline when Status or Body is set or component statuses change.
type Change struct {
	Name                 *string
	Status               *Status
	Body                 *string
	ImpactOverride       *components.Impact // pointer to "" clears the override
	ComponentIDs         *[]string
	Components           map[string]components.Status
	DeliverNotifications *bool
	ScheduledFor         *time.Time
	ScheduledUntil       *time.Time
	Automation           AutomationInput
	// Metadata, when not nil, replaces the incident's metadata; an empty
	// object or null removes it.
	Metadata json.RawMessage
}

func validateName(name *string) error {
	n := strings.TrimSpace(*name)
	if n == "" {
		return invalid("name", "can't be blank")
	}
	if utf8.RuneCountInString(n) > maxName {
		return invalid("name", "is too long (maximum is %d characters)", maxName)
	}
	if err := chars.CheckLine(n); err != nil {
		return invalid("name", "%v", err)
	}
	*name = n
	return nil
}

// validateBody returns body with the characters no page, feed or message
// may carry removed (terminal colour codes pasted from a log, NULs), and
// line breaks as LF: Markdown is cleaned rather than refused.
func validateBody(body string) (string, error) {
	body = chars.Clean(body)
	if utf8.RuneCountInString(body) > maxBody {
		return "", invalid("body", "is too long (maximum is %d characters)", maxBody)
	}
	return body, nil
}

func validateStatuses(m map[string]components.Status) error {
	for id, st := range m {
		if !st.Valid() {
			return invalid("components", "status %q of %s must be one of operational, degraded_performance, partial_outage, major_outage, under_maintenance", st, id)
		}
	}
	return nil
}

// affectedIDs merges listed ids with the keys of statuses, keeping the order
// given and then the remaining keys sorted, so results are deterministic.
func affectedIDs(listed []string, statuses map[string]components.Status) ([]string, error) {
	out := make([]string, 0, len(listed)+len(statuses))
	seen := map[string]bool{}
	for _, id := range listed {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	var extra []string
	for id := range statuses {
		if !seen[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	out = append(out, extra...)
	if len(out) > maxComponents {
		return nil, invalid("component_ids", "may name at most %d components", maxComponents)
	}
	return out, nil
}

// checkComponentsTx verifies that every id is an existing component that is
// not a group.
func (s *Service) checkComponentsTx(ctx context.Context, tx *sql.Tx, idList []string) error {
	for _, id := range idList {
		c, err := s.components.GetTx(ctx, tx, id)
		if err != nil {
			return invalid("component_ids", "%s is not a component", ids.Quote(id))
		}
		if c.Group {
			return invalid("component_ids", "%s is a group; name its components", ids.Quote(id))
		}
	}
	return nil
}

// Create opens an incident or schedules a maintenance, applies the component
// statuses it sets, posts its first update and writes its event, all in one
// transaction.
func (s *Service) Create(ctx context.Context, n NewIncident) (Incident, error) {
	var in Incident
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) {
		in, err = s.CreateTx(ctx, tx, n)
		return err
	})
	if err != nil {
		return Incident{}, err
	}
	s.afterCommit(in.Kind == KindMaintenance)
	return s.Get(ctx, in.ID)
}

// CreateTx is Create inside the caller's transaction, for a use case that
// opens an incident together with changes of its own (an alert's). It
// returns the incident as written; the caller commits and then tells the
// change hooks, as Create does.
func (s *Service) CreateTx(ctx context.Context, tx *sql.Tx, n NewIncident) (Incident, error) {
	if err := validateName(&n.Name); err != nil {
		return Incident{}, err
	}
	var err error
	if n.Body, err = validateBody(n.Body); err != nil {
		return Incident{}, err
	}
	if err := validateStatuses(n.Components); err != nil {
		return Incident{}, err
	}
	if n.ImpactOverride != "" && !n.ImpactOverride.Valid() {
		return Incident{}, invalid("impact_override", "must be one of none, maintenance, minor, major, critical")
	}
	if n.Status != "" && !n.Status.Valid() {
		return Incident{}, invalid("status", "must be one of investigating, identified, monitoring, resolved, scheduled, in_progress, verifying, completed")
	}
	metadata, err := normalizeMetadata(n.Metadata)
	if err != nil {
		return Incident{}, err
	}
	now := s.now()
	in := Incident{ID: ids.New(), Kind: KindIncident, Name: n.Name, Status: n.Status, ImpactOverride: n.ImpactOverride,
		CreatedAt: now, UpdatedAt: now, StartedAt: now, Metadata: metadata}
	deliver := n.DeliverNotifications == nil || *n.DeliverNotifications
	displayAt := now

	maintenance := n.ScheduledFor != nil || n.ScheduledUntil != nil || n.Status.Maintenance()
	switch {
	case n.Backfilled && maintenance:
		return Incident{}, invalid("backfilled", "applies to incidents, not scheduled maintenances")
	case n.Backfilled:
		if len(n.Components) > 0 {
			return Incident{}, invalid("components", "can't be set on a backfilled incident; name them in component_ids")
		}
		if n.BackfillDate == nil {
			return Incident{}, invalid("backfill_date", "can't be blank for a backfilled incident")
		}
		if n.BackfillDate.After(now) {
			return Incident{}, invalid("backfill_date", "must be in the past")
		}
		in.Backfilled = true
		in.Status = Resolved
		in.CreatedAt, in.StartedAt, displayAt = *n.BackfillDate, *n.BackfillDate, *n.BackfillDate
		in.ResolvedAt = timePtr(*n.BackfillDate)
		deliver = false
	case maintenance:
		if n.ScheduledFor == nil || n.ScheduledUntil == nil {
			return Incident{}, invalid("scheduled_for", "and scheduled_until are both required for a scheduled maintenance")
		}
		if !n.ScheduledUntil.After(*n.ScheduledFor) {
			return Incident{}, invalid("scheduled_until", "must be after scheduled_for")
		}
		if in.Status == "" {
			in.Status = Scheduled
		}
		if !in.Status.Maintenance() {
			return Incident{}, invalid("status", "of a scheduled maintenance must be one of scheduled, in_progress, verifying, completed")
		}
		in.Kind = KindMaintenance
		in.ScheduledFor, in.ScheduledUntil = n.ScheduledFor, n.ScheduledUntil
		in.StartedAt = *n.ScheduledFor
		in.Automation = Automation{true, true, true, true, true, true, true}
		n.Automation.applyTo(&in.Automation)
	default:
		if in.Status == "" {
			in.Status = Investigating
		}
		if in.Status == Postmortem {
			return Incident{}, invalid("status", "postmortem is set by publishing a postmortem")
		}
	}
	body := n.Body
	if strings.TrimSpace(body) == "" {
		body = in.Status.StockBody()
	}
	affected, err := affectedIDs(n.ComponentIDs, n.Components)
	if err != nil {
		return Incident{}, err
	}
	in.ComponentIDs = affected

	err = func() error {
		if err := s.checkComponentsTx(ctx, tx, affected); err != nil {
			return err
		}
		if err := s.insertTx(ctx, tx, in); err != nil {
			return err
		}
		if err := s.setComponentsTx(ctx, tx, in.ID, affected); err != nil {
			return err
		}
		targets := n.Components
		if in.Kind == KindMaintenance && in.Status == Scheduled {
			// A maintenance changes components when it starts, not when it
			// is announced.
			targets = nil
		}
		var changes []components.Change
		if !in.Backfilled {
			changes, err = s.applyTx(ctx, tx, &in, in.Status, targets, now, deliver)
			if err != nil {
				return err
			}
		}
		u := Update{ID: ids.New(), IncidentID: in.ID, Status: in.Status, Body: body, DisplayAt: displayAt,
			CreatedAt: now, UpdatedAt: now, DeliverNotifications: deliver, AffectedComponents: changes}
		in.Updates = []Update{u}
		return s.commitUpdateTx(ctx, tx, &in, eventKind(in.Kind, "", u.Status), u)
	}()
	if err != nil {
		return Incident{}, err
	}
	return in, nil
}

// Update applies a PATCH: edits the incident's fields and, when the change
// carries a status, a body or component statuses, appends an update to the
// timeline with its event.
func (s *Service) Update(ctx context.Context, id string, c Change) (Incident, error) {
	var in Incident
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) {
		in, err = s.UpdateTx(ctx, tx, id, c)
		return err
	})
	if err != nil {
		return Incident{}, err
	}
	s.afterCommit(in.Kind == KindMaintenance)
	return s.Get(ctx, id)
}

// UpdateTx is Update inside the caller's transaction (see CreateTx).
func (s *Service) UpdateTx(ctx context.Context, tx *sql.Tx, id string, c Change) (Incident, error) {
	if c.Name != nil {
		if err := validateName(c.Name); err != nil {
			return Incident{}, err
		}
	}
	if c.Body != nil {
		body, err := validateBody(*c.Body)
		if err != nil {
			return Incident{}, err
		}
		c.Body = &body
	}
	if err := validateStatuses(c.Components); err != nil {
		return Incident{}, err
	}
	if c.ImpactOverride != nil && *c.ImpactOverride != "" && !c.ImpactOverride.Valid() {
		return Incident{}, invalid("impact_override", "must be one of none, maintenance, minor, major, critical")
	}
	if c.Status != nil && !c.Status.Valid() {
		return Incident{}, invalid("status", "must be one of investigating, identified, monitoring, resolved, scheduled, in_progress, verifying, completed")
	}
	metadata, err := normalizeMetadata(c.Metadata)
	if err != nil {
		return Incident{}, err
	}
	var in Incident
	err = func() error {
		var err error
		in, err = s.getTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Metadata != nil {
			in.Metadata = metadata
		}
		was := in.calendarEntry()
		now := s.now()
		prev := in.Status
		next := in.Status
		if c.Status != nil {
			next = *c.Status
			switch {
			case in.Kind == KindMaintenance && !next.Maintenance():
				return invalid("status", "of a scheduled maintenance must be one of scheduled, in_progress, verifying, completed")
			case in.Kind == KindIncident && !next.Realtime():
				return invalid("status", "of an incident must be one of investigating, identified, monitoring, resolved")
			case next == Postmortem && prev != Postmortem:
				return invalid("status", "postmortem is set by publishing a postmortem")
			}
		}
		if in.Backfilled && len(c.Components) > 0 {
			return invalid("components", "can't be set on a backfilled incident")
		}
		if c.Name != nil {
			in.Name = *c.Name
		}
		if c.ImpactOverride != nil {
			in.ImpactOverride = *c.ImpactOverride
		}
		if err := s.rescheduleTx(&in, c); err != nil {
			return err
		}
		listed := in.ComponentIDs
		if c.ComponentIDs != nil {
			listed = *c.ComponentIDs
		}
		affected, err := affectedIDs(listed, c.Components)
		if err != nil {
			return err
		}
		if err := s.checkComponentsTx(ctx, tx, affected); err != nil {
			return err
		}
		if !slices.Equal(affected, in.ComponentIDs) {
			if err := s.setComponentsTx(ctx, tx, in.ID, affected); err != nil {
				return err
			}
			in.ComponentIDs = affected
		}
		deliver := (c.DeliverNotifications == nil || *c.DeliverNotifications) && !in.Backfilled
		var changes []components.Change
		if !in.Backfilled {
			changes, err = s.applyTx(ctx, tx, &in, next, c.Components, now, deliver)
			if err != nil {
				return err
			}
		}
		in.UpdatedAt = now
		if c.Status == nil && c.Body == nil && len(changes) == 0 {
			in.Impact = deriveImpact(in, nil)
			if err := s.saveTx(ctx, tx, in); err != nil {
				return err
			}
			return s.resequenceTx(ctx, tx, &in, was)
		}
		in.Status = next
		body := ""
		if c.Body != nil {
			body = *c.Body
		}
		if strings.TrimSpace(body) == "" {
			body = next.StockBody()
		}
		u := Update{ID: ids.New(), IncidentID: in.ID, Status: next, Body: body, DisplayAt: now,
			CreatedAt: now, UpdatedAt: now, DeliverNotifications: deliver, AffectedComponents: changes}
		in.Updates = append([]Update{u}, in.Updates...)
		if err := s.commitUpdateTx(ctx, tx, &in, eventKind(in.Kind, prev, next), u); err != nil {
			return err
		}
		return s.resequenceTx(ctx, tx, &in, was)
	}()
	if err != nil {
		return Incident{}, err
	}
	return in, nil
}

// rescheduleTx applies window and automation edits to a maintenance.
func (s *Service) rescheduleTx(in *Incident, c Change) error {
	if in.Kind != KindMaintenance {
		if c.ScheduledFor != nil || c.ScheduledUntil != nil {
			return invalid("scheduled_for", "applies to scheduled maintenances only")
		}
		return nil
	}
	moved := false
	if c.ScheduledFor != nil && !c.ScheduledFor.Equal(*in.ScheduledFor) {
		in.ScheduledFor = c.ScheduledFor
		moved = true
	}
	if c.ScheduledUntil != nil {
		in.ScheduledUntil = c.ScheduledUntil
	}
	if !in.ScheduledUntil.After(*in.ScheduledFor) {
		return invalid("scheduled_until", "must be after scheduled_for")
	}
	if moved && in.Status == Scheduled {
		in.StartedAt = *in.ScheduledFor
		in.RemindedAt = nil // a moved window earns a fresh reminder
	}
	c.Automation.applyTo(&in.Automation)
	return nil
}

// calendarEntry is what a maintenance's calendar event shows of its
// schedule: the window, to the second as iCalendar writes it, and whether
// it is cancelled.
type calendarEntry struct {
	from, until int64
	cancelled   bool
}

func (in Incident) calendarEntry() calendarEntry {
	e := calendarEntry{cancelled: in.Cancelled()}
	if in.ScheduledFor != nil && in.ScheduledUntil != nil {
		e.from, e.until = in.ScheduledFor.Unix(), in.ScheduledUntil.Unix()
	}
	return e
}

// resequenceTx raises the calendar sequence of a maintenance whose change,
// just saved, altered its calendar entry from was: a calendar application
// replaces an event only when its SEQUENCE rises.
func (s *Service) resequenceTx(ctx context.Context, tx *sql.Tx, in *Incident, was calendarEntry) error {
	if in.Kind != KindMaintenance || in.calendarEntry() == was {
		return nil
	}
	in.Sequence++
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET sequence = ? WHERE id = ?`, in.Sequence, in.ID); err != nil {
		return fmt.Errorf("incidents: resequence %s: %w", in.ID, err)
	}
	return nil
}

// applyTx sets the component statuses an update asks for, plus the implied
// ones: resolving an incident or completing a maintenance returns its
// components to operational, and starting a maintenance moves them to
// under_maintenance (when its flags say so). A component still affected by
// another open incident is left alone by those implied changes.
func (s *Service) applyTx(ctx context.Context, tx *sql.Tx, in *Incident, next Status, explicit map[string]components.Status, at time.Time, deliver bool) ([]components.Change, error) {
	targets := map[string]components.Status{}
	var implied components.Status
	switch {
	case next.Closed() && !in.Status.Closed(), next.Closed() && len(in.Updates) == 0:
		implied = components.Operational
	case next == InProgress && in.Status == Scheduled && in.Automation.ToMaintenanceState:
		implied = components.UnderMaintenance
	}
	if implied != "" {
		for _, id := range in.ComponentIDs {
			if _, ok := explicit[id]; ok {
				continue
			}
			c, err := s.components.GetTx(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			if c.Status == implied {
				continue
			}
			// Maintenance only moves components between operational and
			// under_maintenance: it never hides an outage, nor ends one.
			if in.Kind == KindMaintenance && implied == components.UnderMaintenance && c.Status != components.Operational {
				continue
			}
			if in.Kind == KindMaintenance && implied == components.Operational && c.Status != components.UnderMaintenance {
				continue
			}
			if implied == components.Operational {
				// Only undo what an incident would have set.
				busy, err := s.openElsewhereTx(ctx, tx, in.ID, id)
				if err != nil {
					return nil, err
				}
				if busy {
					continue
				}
			}
			targets[id] = implied
		}
	}
	for id, st := range explicit {
		targets[id] = st
	}
	var changes []components.Change
	for _, id := range in.ComponentIDs {
		st, ok := targets[id]
		if !ok {
			continue
		}
		ch, err := s.components.SetStatusTx(ctx, tx, id, st, at, deliver)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

// commitUpdateTx stamps the lifecycle times, derives the impact, stores the
// incident and the update u, and writes an event of the given kind.
func (s *Service) commitUpdateTx(ctx context.Context, tx *sql.Tx, in *Incident, kind notifier.EventKind, u Update) error {
	if u.Status == Monitoring && in.MonitoringAt == nil {
		in.MonitoringAt = timePtr(u.DisplayAt)
	}
	switch {
	case u.Status.Closed() && in.ResolvedAt == nil:
		in.ResolvedAt = timePtr(u.DisplayAt)
	case !u.Status.Closed():
		in.ResolvedAt = nil // reopened
	}
	in.Impact = deriveImpact(*in, u.AffectedComponents)
	if err := s.saveTx(ctx, tx, *in); err != nil {
		return err
	}
	if err := s.insertUpdateTx(ctx, tx, u); err != nil {
		return err
	}
	if in.Backfilled {
		return nil // history, not news
	}
	return s.outbox.AddTx(ctx, tx, notifier.Event{
		Kind: kind, IncidentID: in.ID, UpdateID: u.ID, ComponentIDs: in.ComponentIDs,
		DeliverNotifications: u.DeliverNotifications, CreatedAt: u.CreatedAt,
		ToFollowers: !closedBefore(in.Updates, u.ID),
	})
}

// closedBefore reports whether an update other than the one with id
// closed the incident. Its followers hear every update up to and including
// the one that first resolves (or completes) it and nothing after, even if
// it is reopened: they asked about this outage, and it ended. The
// timeline is append-only, so this never changes for a past update.
func closedBefore(updates []Update, id string) bool {
	for _, u := range updates {
		if u.ID != id && u.Status.Closed() {
			return true
		}
	}
	return false
}

// eventKind names the event for an update moving from prev ("" on create)
// to next.
func eventKind(kind Kind, prev, next Status) notifier.EventKind {
	if kind == KindMaintenance {
		switch {
		case prev == "":
			return notifier.MaintenanceScheduled
		case next == InProgress && prev == Scheduled:
			return notifier.MaintenanceStarted
		case next == Completed && prev != Completed:
			return notifier.MaintenanceCompleted
		}
		return notifier.MaintenanceUpdated
	}
	switch {
	case prev == "":
		return notifier.IncidentCreated
	case next == Resolved && !prev.Closed():
		return notifier.IncidentResolved
	}
	return notifier.IncidentUpdated
}

// deriveImpact is the override when set, otherwise the worst impact implied
// by the statuses the incident's updates (and extra) set; a maintenance's
// impact is maintenance.
func deriveImpact(in Incident, extra []components.Change) components.Impact {
	if in.ImpactOverride != "" {
		return in.ImpactOverride
	}
	if in.Kind == KindMaintenance {
		return components.ImpactMaintenance
	}
	worst := components.ImpactNone
	consider := func(chs []components.Change) {
		for _, ch := range chs {
			if imp := components.ImpactOf(ch.NewStatus); imp.Worse(worst) && imp != components.ImpactMaintenance {
				worst = imp
			}
		}
	}
	consider(extra)
	for _, u := range in.Updates {
		consider(u.AffectedComponents)
	}
	return worst
}

// UpdateEdit corrects a posted update: its text or its displayed time. It
// never notifies anyone again.
type UpdateEdit struct {
	Body      *string
	DisplayAt *time.Time
}

// EditUpdate applies e to update updateID of incident incidentID.
func (s *Service) EditUpdate(ctx context.Context, incidentID, updateID string, e UpdateEdit) (Update, error) {
	if e.Body != nil {
		body, err := validateBody(*e.Body)
		if err != nil {
			return Update{}, err
		}
		if strings.TrimSpace(body) == "" {
			return Update{}, invalid("body", "can't be blank")
		}
		e.Body = &body
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		in, err := s.getTx(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(in.Updates, func(u Update) bool { return u.ID == updateID })
		if i < 0 {
			return fmt.Errorf("incidents: update %s of %s: %w", updateID, incidentID, ErrNotFound)
		}
		u := in.Updates[i]
		if e.Body != nil {
			u.Body = *e.Body
		}
		if e.DisplayAt != nil {
			u.DisplayAt = *e.DisplayAt
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, `UPDATE incident_updates SET body = ?, display_at = ?, updated_at = ? WHERE id = ?`,
			u.Body, store.FormatTime(u.DisplayAt), store.FormatTime(now), u.ID)
		if err != nil {
			return fmt.Errorf("incidents: edit update %s: %w", updateID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, store.FormatTime(now), incidentID)
		return err
	})
	if err != nil {
		return Update{}, err
	}
	s.changed()
	in, err := s.Get(ctx, incidentID)
	if err != nil {
		return Update{}, err
	}
	for _, u := range in.Updates {
		if u.ID == updateID {
			return u, nil
		}
	}
	return Update{}, fmt.Errorf("incidents: update %s of %s: %w", updateID, incidentID, ErrNotFound)
}

// Delete removes an incident and its timeline. Component statuses and their
// history stay as they are.
func (s *Service) Delete(ctx context.Context, id string) (Incident, error) {
	in, err := s.Get(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("incidents: delete %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("incidents: delete %s: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return Incident{}, err
	}
	s.changed()
	return in, nil
}

// SetPostmortem saves the postmortem's text as a draft.
func (s *Service) SetPostmortem(ctx context.Context, id, body string) (Incident, error) {
	body, err := validateBody(body)
	if err != nil {
		return Incident{}, err
	}
	return s.editPostmortem(ctx, id, func(in *Incident) (*notifier.Event, error) {
		s.draftPostmortem(&in.Postmortem, body)
		return nil, nil
	})
}

// PublishPostmortem publishes the drafted postmortem of a resolved incident,
// moving it to the postmortem status, and notifies subscribers if
// p.NotifySubscribers.
func (s *Service) PublishPostmortem(ctx context.Context, id string, p Publication) (Incident, error) {
	if err := p.validate(); err != nil {
		return Incident{}, err
	}
	notify := p.NotifySubscribers
	return s.editPostmortem(ctx, id, func(in *Incident) (*notifier.Event, error) {
		if !in.Postmortem.Exists() {
			return nil, fmt.Errorf("incidents: postmortem of %s: %w", id, ErrNotFound)
		}
		if in.Kind != KindIncident || !in.Status.Closed() {
			return nil, invalid("status", "a postmortem is published once the incident is resolved")
		}
		if strings.TrimSpace(in.Postmortem.Draft) == "" {
			return nil, invalid("body_draft", "can't be blank")
		}
		now := s.now()
		s.publish(&in.Postmortem, p, now)
		in.Status = Postmortem
		if in.Backfilled {
			return nil, nil
		}
		return &notifier.Event{Kind: notifier.PostmortemPublished, IncidentID: in.ID, ComponentIDs: in.ComponentIDs,
			DeliverNotifications: notify, CreatedAt: now}, nil
	})
}

// RevertPostmortem unpublishes the postmortem: the incident goes back to
// resolved and the page stops showing it; its draft stays as it is.
func (s *Service) RevertPostmortem(ctx context.Context, id string) (Incident, error) {
	return s.editPostmortem(ctx, id, func(in *Incident) (*notifier.Event, error) {
		if !in.Postmortem.Exists() {
			return nil, fmt.Errorf("incidents: postmortem of %s: %w", id, ErrNotFound)
		}
		if in.Postmortem.PublishedAt == nil {
			return nil, invalid("postmortem", "is not published")
		}
		in.Postmortem.PublishedAt = nil
		in.Postmortem.UpdatedAt = timePtr(s.now())
		in.Status = Resolved
		return nil, nil
	})
}

func (s *Service) editPostmortem(ctx context.Context, id string, edit func(*Incident) (*notifier.Event, error)) (Incident, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		in, err := s.getTx(ctx, tx, id)
		if err != nil {
			return err
		}
		ev, err := edit(&in)
		if err != nil {
			return err
		}
		in.UpdatedAt = s.now()
		if err := s.saveTx(ctx, tx, in); err != nil {
			return err
		}
		if ev != nil {
			return s.outbox.AddTx(ctx, tx, *ev)
		}
		return nil
	})
	if err != nil {
		return Incident{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// Wake makes the scheduler look at maintenance windows again, for changes
// it did not make itself (another process wrote to the database).
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// afterCommit tells listeners about a committed change.
func (s *Service) afterCommit(maintenance bool) {
	s.changed()
	if maintenance {
		s.Wake()
	}
}
