package components

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes.
func Migrations() store.Migrations {
	return store.Migrations{Package: "components", FS: store.Sub(migrations, "migrations")}
}

// Component is a part of the service whose status the page shows, or a
// group of such parts (Group true), which has no status of its own but the
// worst of its members'.
type Component struct {
	ID                 string
	Name               string
	Description        string // "" when unset
	Position           int
	GroupID            string // "" for a top-level component
	Group              bool
	Members            []string // a group's member ids, in position order
	Showcase           bool
	OnlyShowIfDegraded bool
	StartDate          string // "YYYY-MM-DD", or "" when unset
	// SLATarget is the monthly uptime percentage the component is meant to
	// keep (sla.go); nil when unset.
	SLATarget *float64
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Input sets the fields of a component on create or update; a nil field is
// left as it is (or defaulted on create).
type Input struct {
	Name               *string
	Description        *string
	Status             *Status
	GroupID            *string // "" moves the component to the top level
	Position           *int
	Showcase           *bool
	OnlyShowIfDegraded *bool
	StartDate          *string // "" clears it
	// SLATarget sets the uptime target; a nil *float64 clears it.
	SLATarget **float64
}

// GroupInput sets the fields of a group; Members, when set, replaces the
// whole membership in the order given.
type GroupInput struct {
	Name        *string
	Description *string
	Position    *int
	Members     *[]string
}

// Change is one component status change, as recorded in an incident update's
// affected_components.
type Change struct {
	ComponentID string
	Name        string // "Group - Child" for a group member
	OldStatus   Status
	NewStatus   Status
}

// Service stores components and records every status change.
type Service struct {
	db      *store.DB
	outbox  *notifier.Outbox
	now     func() time.Time
	changed func()
	uptime  uptimeCache
}

// NewService returns a service on db that writes component status events to
// outbox, reads the time from now and calls changed after every committed
// change (to refresh cached pages).
func NewService(db *store.DB, outbox *notifier.Outbox, now func() time.Time, changed func()) *Service {
	if changed == nil {
		changed = func() {}
	}
	s := &Service{db: db, outbox: outbox, now: now, changed: changed}
	s.uptime.readIntervals = readIntervalsQuery(db)
	return s
}

// Queryer is satisfied by *sql.DB and *sql.Tx, so reads can run inside or
// outside a transaction.
type Queryer = store.Queryer

const selectComponents = `SELECT id, name, COALESCE(description, ''), position, COALESCE(group_id, ''),
	is_group, showcase, only_show_if_degraded, COALESCE(start_date, ''), sla_target_thousandths, status, created_at, updated_at
	FROM components`

func scanComponent(row interface{ Scan(...any) error }) (Component, error) {
	var c Component
	var sla sql.NullInt64
	err := row.Scan(&c.ID, &c.Name, &c.Description, &c.Position, &c.GroupID, &c.Group,
		&c.Showcase, &c.OnlyShowIfDegraded, &c.StartDate, &sla, &c.Status,
		store.Time(&c.CreatedAt), store.Time(&c.UpdatedAt))
	c.SLATarget = slaTarget(sla)
	return c, err
}

// List returns every component and group: top-level entries by position,
// each group followed by its members. Groups carry their members' worst
// status.
func (s *Service) List(ctx context.Context) ([]Component, error) {
	return s.ListTx(ctx, s.db.Read)
}

// ListTx is List inside the caller's transaction.
func (s *Service) ListTx(ctx context.Context, q Queryer) ([]Component, error) {
	rows, err := q.QueryContext(ctx, selectComponents+` ORDER BY position, created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("components: list: %w", err)
	}
	defer rows.Close()
	var all []Component
	for rows.Next() {
		c, err := scanComponent(rows)
		if err != nil {
			return nil, fmt.Errorf("components: list: %w", err)
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("components: list: %w", err)
	}
	return arrange(all), nil
}

// arrange orders components for display and rolls group statuses up.
func arrange(all []Component) []Component {
	members := map[string][]Component{}
	var top []Component
	for _, c := range all {
		if c.GroupID != "" {
			members[c.GroupID] = append(members[c.GroupID], c)
		} else {
			top = append(top, c)
		}
	}
	out := make([]Component, 0, len(all))
	for _, c := range top {
		if !c.Group {
			out = append(out, c)
			continue
		}
		ms := members[c.ID]
		c.Members = make([]string, 0, len(ms))
		statuses := make([]Status, 0, len(ms))
		for _, m := range ms {
			c.Members = append(c.Members, m.ID)
			statuses = append(statuses, m.Status)
			if m.UpdatedAt.After(c.UpdatedAt) {
				c.UpdatedAt = m.UpdatedAt
			}
		}
		c.Status = Worst(statuses...)
		out = append(out, c)
		out = append(out, ms...)
	}
	return out
}

// Get returns one component or group.
func (s *Service) Get(ctx context.Context, id string) (Component, error) {
	return s.GetTx(ctx, s.db.Read, id)
}

// GetTx is Get inside the caller's transaction.
func (s *Service) GetTx(ctx context.Context, q Queryer, id string) (Component, error) {
	c, err := scanComponent(q.QueryRowContext(ctx, selectComponents+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Component{}, fmt.Errorf("components: get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Component{}, fmt.Errorf("components: get %s: %w", id, err)
	}
	if c.Group {
		all, err := s.ListTx(ctx, q)
		if err != nil {
			return Component{}, err
		}
		for _, g := range all {
			if g.ID == id {
				return g, nil
			}
		}
	}
	return c, nil
}

// DisplayNameTx returns the component's name as Statuspage shows it in incident
// updates: "Group - Child" for a member of a group.
func (s *Service) DisplayNameTx(ctx context.Context, q Queryer, c Component) (string, error) {
	if c.GroupID == "" {
		return c.Name, nil
	}
	var group string
	if err := q.QueryRowContext(ctx, `SELECT name FROM components WHERE id = ?`, c.GroupID).Scan(&group); err != nil {
		return "", fmt.Errorf("components: group of %s: %w", c.ID, err)
	}
	return group + " - " + c.Name, nil
}

// validateCommon checks the fields components and groups share, replacing
// *name with a trimmed copy and *description with one whose line breaks are
// LF (never writing through the caller's pointers).
func validateCommon(name **string, description **string, position *int) error {
	if *name != nil {
		n := strings.TrimSpace(**name)
		if n == "" {
			return invalid("name", "can't be blank")
		}
		if utf8.RuneCountInString(n) > 255 {
			return invalid("name", "is too long (maximum is 255 characters)")
		}
		if err := chars.CheckLine(n); err != nil {
			return invalid("name", "%v", err)
		}
		*name = &n
	}
	if *description != nil {
		if utf8.RuneCountInString(**description) > 2000 {
			return invalid("description", "is too long (maximum is 2000 characters)")
		}
		if err := chars.CheckText(**description); err != nil {
			return invalid("description", "%v", err)
		}
		d := chars.Clean(**description) // CRLF from a browser's textarea
		*description = &d
	}
	if position != nil && (*position < 0 || *position > 1_000_000) {
		return invalid("position", "must be between 0 and 1000000")
	}
	return nil
}

func validateInput(in *Input) error {
	if err := validateCommon(&in.Name, &in.Description, in.Position); err != nil {
		return err
	}
	if in.Status != nil && !in.Status.Valid() {
		return invalid("status", "must be one of operational, degraded_performance, partial_outage, major_outage, under_maintenance")
	}
	if in.StartDate != nil && *in.StartDate != "" {
		if _, err := time.Parse(time.DateOnly, *in.StartDate); err != nil {
			return invalid("start_date", "must be a date formatted YYYY-MM-DD")
		}
	}
	if in.SLATarget != nil && *in.SLATarget != nil {
		if err := validSLATarget(**in.SLATarget); err != nil {
			return err
		}
	}
	return nil
}

// Create adds a component. Its first status interval starts now.
func (s *Service) Create(ctx context.Context, in Input) (Component, error) {
	if in.Name == nil {
		return Component{}, invalid("name", "can't be blank")
	}
	if err := validateInput(&in); err != nil {
		return Component{}, err
	}
	id := ids.New()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		groupID := ""
		if in.GroupID != nil && *in.GroupID != "" {
			if err := s.checkGroupTx(ctx, tx, *in.GroupID, "group_id"); err != nil {
				return err
			}
			groupID = *in.GroupID
		}
		pos, err := s.positionTx(ctx, tx, groupID, in.Position)
		if err != nil {
			return err
		}
		status := Operational
		if in.Status != nil {
			status = *in.Status
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO components
			(id, name, description, position, group_id, is_group, showcase, only_show_if_degraded, start_date, sla_target_thousandths,
			status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`,
			id, *in.Name, optString(in.Description), pos, store.NullString(groupID),
			deref(in.Showcase, true), deref(in.OnlyShowIfDegraded, false), optString(in.StartDate), slaColumn(deref(in.SLATarget, nil)),
			status, store.FormatTime(now), store.FormatTime(now))
		if err != nil {
			return fmt.Errorf("components: create: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO component_status_intervals (component_id, status, started_at) VALUES (?, ?, ?)`,
			id, status, store.FormatTime(now))
		if err != nil {
			return fmt.Errorf("components: create: %w", err)
		}
		return nil
	})
	if err != nil {
		return Component{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// Update changes a component's fields. A status change is recorded in the
// history and written to the outbox for webhook subscribers.
func (s *Service) Update(ctx context.Context, id string, in Input) (Component, error) {
	if err := validateInput(&in); err != nil {
		return Component{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.GetTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Group {
			return fmt.Errorf("components: update %s: %w", id, ErrNotFound)
		}
		now := s.now()
		if in.GroupID != nil && *in.GroupID != c.GroupID {
			if *in.GroupID != "" {
				if err := s.checkGroupTx(ctx, tx, *in.GroupID, "group_id"); err != nil {
					return err
				}
			}
			c.GroupID = *in.GroupID
			if in.Position == nil {
				pos, err := s.positionTx(ctx, tx, c.GroupID, nil)
				if err != nil {
					return err
				}
				c.Position = pos
			}
		}
		apply(&c.Name, in.Name)
		apply(&c.Description, in.Description)
		apply(&c.Position, in.Position)
		apply(&c.Showcase, in.Showcase)
		apply(&c.OnlyShowIfDegraded, in.OnlyShowIfDegraded)
		apply(&c.StartDate, in.StartDate)
		apply(&c.SLATarget, in.SLATarget)
		_, err = tx.ExecContext(ctx, `UPDATE components SET name = ?, description = ?, position = ?, group_id = ?,
			showcase = ?, only_show_if_degraded = ?, start_date = ?, sla_target_thousandths = ?, updated_at = ? WHERE id = ?`,
			c.Name, store.NullString(c.Description), c.Position, store.NullString(c.GroupID), c.Showcase,
			c.OnlyShowIfDegraded, store.NullString(c.StartDate), slaColumn(c.SLATarget), store.FormatTime(now), id)
		if err != nil {
			return fmt.Errorf("components: update %s: %w", id, err)
		}
		if in.Status != nil {
			if _, err := s.SetStatusTx(ctx, tx, id, *in.Status, now, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Component{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// Delete removes a component and its history.
func (s *Service) Delete(ctx context.Context, id string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM components WHERE id = ? AND is_group = 0`, id)
		if err != nil {
			return fmt.Errorf("components: delete %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("components: delete %s: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.changed()
	return nil
}

// SetStatusTx moves a component to status at time at, inside the caller's
// transaction: it closes the open history interval, opens a new one and
// writes a component event to the outbox (deliver says whether subscribers
// are to be told). Setting the status it already has changes nothing and
// returns a Change with equal old and new statuses.
func (s *Service) SetStatusTx(ctx context.Context, tx *sql.Tx, id string, status Status, at time.Time, deliver bool) (Change, error) {
	if !status.Valid() {
		return Change{}, invalid("status", "must be one of operational, degraded_performance, partial_outage, major_outage, under_maintenance")
	}
	c, err := s.GetTx(ctx, tx, id)
	if err != nil {
		return Change{}, err
	}
	if c.Group {
		return Change{}, invalid("components", "%s is a group; set the status of its members", id)
	}
	name, err := s.DisplayNameTx(ctx, tx, c)
	if err != nil {
		return Change{}, err
	}
	ch := Change{ComponentID: id, Name: name, OldStatus: c.Status, NewStatus: status}
	if c.Status == status {
		return ch, nil
	}
	// History stays ordered even if at is earlier than the open interval
	// (a scheduled edge processed late after a manual change).
	var openedAt time.Time
	err = tx.QueryRowContext(ctx, `SELECT started_at FROM component_status_intervals WHERE component_id = ? AND ended_at IS NULL`, id).
		Scan(store.Time(&openedAt))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Change{}, fmt.Errorf("components: set status of %s: %w", id, err)
	}
	if at.Before(openedAt) {
		at = openedAt
	}
	stamp := store.FormatTime(at)
	if _, err := tx.ExecContext(ctx, `UPDATE component_status_intervals SET ended_at = ? WHERE component_id = ? AND ended_at IS NULL`, stamp, id); err != nil {
		return Change{}, fmt.Errorf("components: set status of %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO component_status_intervals (component_id, status, started_at) VALUES (?, ?, ?)`, id, status, stamp); err != nil {
		return Change{}, fmt.Errorf("components: set status of %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE components SET status = ?, updated_at = ? WHERE id = ?`, status, store.FormatTime(s.now()), id); err != nil {
		return Change{}, fmt.Errorf("components: set status of %s: %w", id, err)
	}
	if err := s.statusEventTx(ctx, tx, id, c.Status, status, deliver, at); err != nil {
		return Change{}, err
	}
	return ch, nil
}

// AnnounceTx tells subscribers a component's status once more, inside the
// caller's transaction, as a change from was: for a status that was set
// without telling them (SetStatusTx with deliver false) and now is to be
// told. It writes the component event and changes nothing else.
func (s *Service) AnnounceTx(ctx context.Context, tx *sql.Tx, id string, was Status, at time.Time) error {
	c, err := s.GetTx(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.statusEventTx(ctx, tx, id, was, c.Status, true, at)
}

// statusEventTx writes a component's status change to the outbox.
func (s *Service) statusEventTx(ctx context.Context, tx *sql.Tx, id string, old, status Status, deliver bool, at time.Time) error {
	return s.outbox.AddTx(ctx, tx, notifier.Event{
		Kind:                 notifier.ComponentStatusChanged,
		ComponentID:          id,
		OldStatus:            string(old),
		NewStatus:            string(status),
		ComponentIDs:         []string{id},
		DeliverNotifications: deliver,
		CreatedAt:            at,
	})
}

func (s *Service) checkGroupTx(ctx context.Context, tx *sql.Tx, id, field string) error {
	var isGroup bool
	err := tx.QueryRowContext(ctx, `SELECT is_group FROM components WHERE id = ?`, id).Scan(&isGroup)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !isGroup {
		return invalid(field, "%s is not a component group", ids.Quote(id))
	}
	if err != nil {
		return fmt.Errorf("components: check group %s: %w", id, err)
	}
	return nil
}

// positionTx returns want, or one past the last position in the level.
func (s *Service) positionTx(ctx context.Context, tx *sql.Tx, groupID string, want *int) (int, error) {
	if want != nil {
		return *want, nil
	}
	var last int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM components WHERE COALESCE(group_id, '') = ?`, groupID).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("components: next position: %w", err)
	}
	return last + 1, nil
}

// CreateGroup adds a group and moves the named components into it.
func (s *Service) CreateGroup(ctx context.Context, in GroupInput) (Component, error) {
	if in.Name == nil {
		return Component{}, invalid("name", "can't be blank")
	}
	if err := validateCommon(&in.Name, &in.Description, in.Position); err != nil {
		return Component{}, err
	}
	id := ids.New()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.FormatTime(s.now())
		pos, err := s.positionTx(ctx, tx, "", in.Position)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO components
			(id, name, description, position, is_group, showcase, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, 0, ?, ?, ?)`,
			id, *in.Name, optString(in.Description), pos, Operational, now, now)
		if err != nil {
			return fmt.Errorf("components: create group: %w", err)
		}
		if in.Members != nil {
			return s.setMembersTx(ctx, tx, id, *in.Members)
		}
		return nil
	})
	if err != nil {
		return Component{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// UpdateGroup changes a group's fields or membership.
func (s *Service) UpdateGroup(ctx context.Context, id string, in GroupInput) (Component, error) {
	if err := validateCommon(&in.Name, &in.Description, in.Position); err != nil {
		return Component{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.GetTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !g.Group {
			return fmt.Errorf("components: update group %s: %w", id, ErrNotFound)
		}
		apply(&g.Name, in.Name)
		apply(&g.Description, in.Description)
		apply(&g.Position, in.Position)
		_, err = tx.ExecContext(ctx, `UPDATE components SET name = ?, description = ?, position = ?, updated_at = ? WHERE id = ?`,
			g.Name, store.NullString(g.Description), g.Position, store.FormatTime(s.now()), id)
		if err != nil {
			return fmt.Errorf("components: update group %s: %w", id, err)
		}
		if in.Members != nil {
			return s.setMembersTx(ctx, tx, id, *in.Members)
		}
		return nil
	})
	if err != nil {
		return Component{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// setMembersTx makes members (in order) the group's only members; former
// members move to the top level.
func (s *Service) setMembersTx(ctx context.Context, tx *sql.Tx, groupID string, members []string) error {
	if len(members) > 500 {
		return invalid("components", "a group holds at most 500 components")
	}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m] {
			return invalid("components", "lists %s twice", ids.Quote(m))
		}
		seen[m] = true
		var isGroup bool
		err := tx.QueryRowContext(ctx, `SELECT is_group FROM components WHERE id = ?`, m).Scan(&isGroup)
		if errors.Is(err, sql.ErrNoRows) {
			return invalid("components", "%s is not a component", ids.Quote(m))
		}
		if err != nil {
			return fmt.Errorf("components: set members of %s: %w", groupID, err)
		}
		if isGroup {
			return invalid("components", "%q is a group; groups cannot be nested", m)
		}
	}
	var top int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM components WHERE group_id IS NULL`).Scan(&top); err != nil {
		return fmt.Errorf("components: set members of %s: %w", groupID, err)
	}
	now := store.FormatTime(s.now())
	rows, err := tx.QueryContext(ctx, `SELECT id FROM components WHERE group_id = ? ORDER BY position, created_at, id`, groupID)
	if err != nil {
		return fmt.Errorf("components: set members of %s: %w", groupID, err)
	}
	var former []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("components: set members of %s: %w", groupID, err)
		}
		if !seen[id] {
			former = append(former, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("components: set members of %s: %w", groupID, err)
	}
	for i, id := range former {
		if _, err := tx.ExecContext(ctx, `UPDATE components SET group_id = NULL, position = ?, updated_at = ? WHERE id = ?`, top+i+1, now, id); err != nil {
			return fmt.Errorf("components: set members of %s: %w", groupID, err)
		}
	}
	for i, id := range members {
		if _, err := tx.ExecContext(ctx, `UPDATE components SET group_id = ?, position = ?, updated_at = ? WHERE id = ?`, groupID, i+1, now, id); err != nil {
			return fmt.Errorf("components: set members of %s: %w", groupID, err)
		}
	}
	return nil
}

// DeleteGroup removes a group; its members stay, at the top level.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var isGroup bool
		err := tx.QueryRowContext(ctx, `SELECT is_group FROM components WHERE id = ?`, id).Scan(&isGroup)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !isGroup {
			return fmt.Errorf("components: delete group %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("components: delete group %s: %w", id, err)
		}
		if err := s.setMembersTx(ctx, tx, id, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM components WHERE id = ?`, id); err != nil {
			return fmt.Errorf("components: delete group %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.changed()
	return nil
}

// Groups returns only the groups, in position order.
func (s *Service) Groups(ctx context.Context) ([]Component, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c Component) bool { return !c.Group }), nil
}

// ByID indexes all by id.
func ByID(all []Component) map[string]Component {
	m := make(map[string]Component, len(all))
	for _, c := range all {
		m[c.ID] = c
	}
	return m
}

// Leaves returns the statuses of every component that is not a group.
func Leaves(all []Component) []Status {
	out := make([]Status, 0, len(all))
	for _, c := range all {
		if !c.Group {
			out = append(out, c.Status)
		}
	}
	return out
}

func apply[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func optString(p *string) any {
	if p == nil {
		return nil
	}
	return store.NullString(*p)
}

// Count returns how many components and groups exist.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM components`).Scan(&n); err != nil {
		return 0, fmt.Errorf("components: count: %w", err)
	}
	return n, nil
}
