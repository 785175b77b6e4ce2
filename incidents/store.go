package incidents

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes; they reference the
// components tables, so they run after components.Migrations.
func Migrations() store.Migrations {
	return store.Migrations{Package: "incidents", FS: store.Sub(migrations, "migrations")}
}

// queries are the statements that take a list of ids, built for the
// database's engine.
type queries struct {
	whereIDs   string // a tail for query: the incidents with the ids
	components string // the components of the incidents with the ids
	updates    string // the updates of the incidents with the ids
}

func newQueries(db *store.DB) queries {
	return queries{
		whereIDs: ` WHERE id IN (SELECT a.value FROM ` + db.JSONArray("a") + `)`,
		components: `SELECT ic.incident_id, ic.component_id FROM incident_components ic
			JOIN components c ON c.id = ic.component_id
			WHERE ic.incident_id IN (SELECT a.value FROM ` + db.JSONArray("a") + `) ORDER BY c.position, c.id`,
		updates: `SELECT id, incident_id, status, body, affected_components, deliver_notifications,
			display_at, created_at, updated_at FROM incident_updates
			WHERE incident_id IN (SELECT a.value FROM ` + db.JSONArray("a") + `) ORDER BY display_at DESC, seq DESC`,
	}
}

const selectIncidents = `SELECT id, kind, name, status, impact, COALESCE(impact_override, ''), backfilled,
	started_at, monitoring_at, resolved_at, scheduled_for, scheduled_until,
	scheduled_remind_prior, scheduled_reminded_at, scheduled_auto_in_progress, scheduled_auto_completed,
	to_maintenance_state, to_operational_state, notify_at_start, notify_at_end,
	postmortem_body, postmortem_published_at, postmortem_notified, created_at, updated_at,
	postmortem_body_updated_at, postmortem_draft, postmortem_draft_updated_at, postmortem_preview_key,
	postmortem_notify_twitter, postmortem_custom_tweet, postmortem_created_at, postmortem_updated_at, metadata, sequence
	FROM incidents`

func scanIncident(row interface{ Scan(...any) error }) (Incident, error) {
	var in Incident
	a := &in.Automation
	pm := &in.Postmortem
	var previewKey, customTweet, metadata sql.NullString
	err := row.Scan(&in.ID, &in.Kind, &in.Name, &in.Status, &in.Impact, &in.ImpactOverride, &in.Backfilled,
		store.Time(&in.StartedAt), store.OptTime(&in.MonitoringAt), store.OptTime(&in.ResolvedAt),
		store.OptTime(&in.ScheduledFor), store.OptTime(&in.ScheduledUntil),
		&a.RemindPrior, store.OptTime(&in.RemindedAt), &a.AutoInProgress, &a.AutoCompleted,
		&a.ToMaintenanceState, &a.ToOperationalState, &a.NotifyAtStart, &a.NotifyAtEnd,
		&in.Postmortem.Body, store.OptTime(&in.Postmortem.PublishedAt), &in.Postmortem.NotifiedSubscribers,
		store.Time(&in.CreatedAt), store.Time(&in.UpdatedAt),
		store.OptTime(&pm.BodyUpdatedAt), &pm.Draft, store.OptTime(&pm.DraftUpdatedAt), &previewKey,
		&pm.NotifyTwitter, &customTweet, store.OptTime(&pm.CreatedAt), store.OptTime(&pm.UpdatedAt), &metadata, &in.Sequence)
	pm.PreviewKey, pm.CustomTweet = previewKey.String, customTweet.String
	if metadata.Valid {
		in.Metadata = json.RawMessage(metadata.String)
	}
	return in, err
}

// Filter selects incidents for List.
type Filter struct {
	Kind     Kind     // "" for both kinds
	Statuses []Status // empty for any status
	Query    string   // case-insensitive substring of the name
	// ComponentID keeps incidents that affect this component.
	ComponentID string
	// From and To, when set, keep incidents that were open at some time in
	// [From, To).
	From, To time.Time
	// Upcoming orders by scheduled start, soonest first, instead of newest
	// first.
	Upcoming bool
	// Brief leaves the updates out (Updates is empty), for lists that
	// need only names, components and times.
	Brief  bool
	Limit  int // 0 means 50
	Offset int
}

// Get returns one incident with its timeline and components.
func (s *Service) Get(ctx context.Context, id string) (Incident, error) {
	return s.getTx(ctx, s.db.Read, id)
}

// GetTx is Get inside the caller's transaction, which sees its own
// changes.
func (s *Service) GetTx(ctx context.Context, tx *sql.Tx, id string) (Incident, error) {
	return s.getTx(ctx, tx, id)
}

func (s *Service) getTx(ctx context.Context, q components.Queryer, id string) (Incident, error) {
	list, err := s.query(ctx, q, ` WHERE id = ?`, []any{id}, true)
	if err != nil {
		return Incident{}, err
	}
	if len(list) == 0 {
		return Incident{}, fmt.Errorf("incidents: get %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// List returns the incidents matching f with their timelines.
func (s *Service) List(ctx context.Context, f Filter) ([]Incident, error) {
	tail, args := f.tail()
	return s.query(ctx, s.db.Read, tail, args, !f.Brief)
}

// tail is the WHERE, ORDER BY and LIMIT clauses of f, and their arguments.
func (f Filter) tail() (string, []any) {
	where, args := f.where()
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	order := ` ORDER BY created_at DESC, id`
	if f.Upcoming {
		order = ` ORDER BY scheduled_for NULLS FIRST, id`
	}
	return where + order + ` LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))
}

// Count returns how many incidents match f, ignoring its paging.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	where, args := f.where()
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("incidents: count: %w", err)
	}
	return n, nil
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Kind != "" {
		conds = append(conds, `kind = ?`)
		args = append(args, f.Kind)
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, `status IN (?`+strings.Repeat(`, ?`, len(f.Statuses)-1)+`)`)
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.Query != "" {
		// lower() on both sides, as LIKE ignores case on SQLite only; both
		// engines' lower() (and asciiLower) fold ASCII letters alone.
		conds = append(conds, `lower(name) LIKE ? ESCAPE '\'`)
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(store.Lower(f.Query))
		args = append(args, "%"+esc+"%")
	}
	if f.ComponentID != "" {
		conds = append(conds, `id IN (SELECT incident_id FROM incident_components WHERE component_id = ?)`)
		args = append(args, f.ComponentID)
	}
	if !f.To.IsZero() {
		conds = append(conds, `started_at < ?`)
		args = append(args, store.FormatTime(f.To))
	}
	if !f.From.IsZero() {
		conds = append(conds, `(resolved_at IS NULL OR resolved_at >= ?)`)
		args = append(args, store.FormatTime(f.From))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// ListMany is List for several filters at once, as they were at one
// moment: each filter's matches are found by id, and then the incidents of
// all the lists are loaded together, so an incident that is in several
// lists is read once and a page built from the lists needs a handful of
// queries whatever their number.
func (s *Service) ListMany(ctx context.Context, filters ...Filter) ([][]Incident, error) {
	// One snapshot for every read (PostgreSQL's default isolation would
	// give each statement its own).
	tx, err := s.db.Read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("incidents: list: %w", err)
	}
	defer tx.Rollback()
	idLists := make([][]string, len(filters))
	var all []string
	seen := map[string]bool{}
	withUpdates := false
	for i, f := range filters {
		tail, args := f.tail()
		rows, err := tx.QueryContext(ctx, `SELECT id FROM incidents`+tail, args...)
		if err != nil {
			return nil, fmt.Errorf("incidents: list: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("incidents: list: %w", err)
			}
			idLists[i] = append(idLists[i], id)
			if !seen[id] {
				seen[id] = true
				all = append(all, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("incidents: list: %w", err)
		}
		withUpdates = withUpdates || !f.Brief
	}
	loaded := []Incident{}
	if len(all) > 0 {
		var err error
		if loaded, err = s.query(ctx, tx, s.q.whereIDs, []any{store.IDList(all)}, withUpdates); err != nil {
			return nil, err
		}
	}
	byID := make(map[string]*Incident, len(loaded))
	for i := range loaded {
		byID[loaded[i].ID] = &loaded[i]
	}
	out := make([][]Incident, len(filters))
	for i, ids := range idLists {
		out[i] = make([]Incident, 0, len(ids))
		for _, id := range ids {
			in := *byID[id]
			if filters[i].Brief {
				in.Updates = []Update{}
			}
			out[i] = append(out[i], in)
		}
	}
	return out, nil
}

// Span is an incident or maintenance as the page's daily bars need it:
// when it was open and which components it affected.
type Span struct {
	ID           string
	Name         string
	Kind         Kind
	Status       Status
	StartedAt    time.Time
	ResolvedAt   *time.Time // nil while open
	ComponentIDs []string   // in no particular order
}

// Spans returns, newest first, up to limit incidents and maintenances that
// affected components and were open at some time in [from, until) (since
// from when until is zero), leaving out maintenance that has not begun.
// It reads only what the bars show, in one query. The bound keeps a past
// range's incidents from being cut by the limit of later ones.
func (s *Service) Spans(ctx context.Context, from, until time.Time, limit int) ([]Span, error) {
	end := "9999"
	if !until.IsZero() {
		end = store.FormatTime(until)
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT i.id, i.name, i.kind, i.status, i.started_at, i.resolved_at, ic.component_id
		FROM incidents i JOIN incident_components ic ON ic.incident_id = i.id
		WHERE (i.resolved_at IS NULL OR i.resolved_at >= ?) AND i.started_at < ?
		AND NOT (i.kind = 'maintenance' AND i.status = 'scheduled' AND i.scheduled_for IS NOT NULL)
		ORDER BY i.created_at DESC, i.id`, store.FormatTime(from), end)
	if err != nil {
		return nil, fmt.Errorf("incidents: spans: %w", err)
	}
	defer rows.Close()
	out := []Span{}
	for rows.Next() {
		var sp Span
		var comp string
		if err := rows.Scan(&sp.ID, &sp.Name, &sp.Kind, &sp.Status, store.Time(&sp.StartedAt), store.OptTime(&sp.ResolvedAt), &comp); err != nil {
			return nil, fmt.Errorf("incidents: spans: %w", err)
		}
		// An incident's rows are adjacent in this order.
		if n := len(out); n > 0 && out[n-1].ID == sp.ID {
			out[n-1].ComponentIDs = append(out[n-1].ComponentIDs, comp)
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		sp.ComponentIDs = []string{comp}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incidents: spans: %w", err)
	}
	return out, nil
}

// query loads incidents and then, in one query each, the components and
// (when withUpdates) the updates of all of them. The ids go in as one JSON
// array, so the follow-up statements are the same text every time.
func (s *Service) query(ctx context.Context, q components.Queryer, tail string, args []any, withUpdates bool) ([]Incident, error) {
	rows, err := q.QueryContext(ctx, selectIncidents+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("incidents: list: %w", err)
	}
	list := []Incident{}
	index := map[string]int{}
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("incidents: list: %w", err)
		}
		in.ComponentIDs = []string{}
		in.Updates = []Update{}
		index[in.ID] = len(list)
		list = append(list, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incidents: list: %w", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	idList := make([]string, len(list))
	for i, in := range list {
		idList[i] = in.ID
	}
	ids := store.IDList(idList)

	crows, err := q.QueryContext(ctx, s.q.components, ids)
	if err != nil {
		return nil, fmt.Errorf("incidents: list components: %w", err)
	}
	for crows.Next() {
		var incID, compID string
		if err := crows.Scan(&incID, &compID); err != nil {
			crows.Close()
			return nil, fmt.Errorf("incidents: list components: %w", err)
		}
		in := &list[index[incID]]
		in.ComponentIDs = append(in.ComponentIDs, compID)
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("incidents: list components: %w", err)
	}

	if !withUpdates {
		return list, nil
	}
	urows, err := q.QueryContext(ctx, s.q.updates, ids)
	if err != nil {
		return nil, fmt.Errorf("incidents: list updates: %w", err)
	}
	defer urows.Close()
	for urows.Next() {
		var u Update
		var affected sql.NullString
		if err := urows.Scan(&u.ID, &u.IncidentID, &u.Status, &u.Body, &affected, &u.DeliverNotifications,
			store.Time(&u.DisplayAt), store.Time(&u.CreatedAt), store.Time(&u.UpdatedAt)); err != nil {
			return nil, fmt.Errorf("incidents: list updates: %w", err)
		}
		if affected.Valid {
			if u.AffectedComponents, err = decodeChanges([]byte(affected.String)); err != nil {
				return nil, fmt.Errorf("incidents: update %s affected components: %w", u.ID, err)
			}
		}
		in := &list[index[u.IncidentID]]
		in.Updates = append(in.Updates, u)
	}
	if err := urows.Err(); err != nil {
		return nil, fmt.Errorf("incidents: list updates: %w", err)
	}
	return list, nil
}

// storedChange is the JSON form of a components.Change kept in
// incident_updates.affected_components, in Statuspage's field names.
type storedChange struct {
	Code      string            `json:"code"`
	Name      string            `json:"name"`
	OldStatus components.Status `json:"old_status"`
	NewStatus components.Status `json:"new_status"`
}

func encodeChanges(changes []components.Change) (any, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	out := make([]storedChange, len(changes))
	for i, c := range changes {
		out[i] = storedChange{c.ComponentID, c.Name, c.OldStatus, c.NewStatus}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// decodeChanges reads the stored form; see storedChange.
func decodeChanges(b []byte) ([]components.Change, error) {
	var stored []storedChange
	if err := json.Unmarshal(b, &stored); err != nil {
		return nil, err
	}
	out := make([]components.Change, len(stored))
	for i, c := range stored {
		out[i] = components.Change{ComponentID: c.Code, Name: c.Name, OldStatus: c.OldStatus, NewStatus: c.NewStatus}
	}
	return out, nil
}

func (s *Service) insertUpdateTx(ctx context.Context, tx *sql.Tx, u Update) error {
	affected, err := encodeChanges(u.AffectedComponents)
	if err != nil {
		return fmt.Errorf("incidents: encode affected components: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_updates
		(id, incident_id, status, body, affected_components, deliver_notifications, display_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.IncidentID, u.Status, u.Body, affected, u.DeliverNotifications,
		store.FormatTime(u.DisplayAt), store.FormatTime(u.CreatedAt), store.FormatTime(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("incidents: insert update: %w", err)
	}
	return nil
}

// saveTx writes every mutable column of in.
func (s *Service) saveTx(ctx context.Context, tx *sql.Tx, in Incident) error {
	a := in.Automation
	pm := in.Postmortem
	_, err := tx.ExecContext(ctx, `UPDATE incidents SET name = ?, status = ?, impact = ?, impact_override = ?,
		started_at = ?, monitoring_at = ?, resolved_at = ?, scheduled_for = ?, scheduled_until = ?,
		scheduled_remind_prior = ?, scheduled_reminded_at = ?, scheduled_auto_in_progress = ?, scheduled_auto_completed = ?,
		to_maintenance_state = ?, to_operational_state = ?, notify_at_start = ?, notify_at_end = ?,
		postmortem_body = ?, postmortem_published_at = ?, postmortem_notified = ?, updated_at = ?,
		postmortem_body_updated_at = ?, postmortem_draft = ?, postmortem_draft_updated_at = ?, postmortem_preview_key = ?,
		postmortem_notify_twitter = ?, postmortem_custom_tweet = ?, postmortem_created_at = ?, postmortem_updated_at = ?,
		metadata = ?, sequence = ?
		WHERE id = ?`,
		in.Name, in.Status, in.Impact, store.NullString(string(in.ImpactOverride)),
		store.FormatTime(in.StartedAt), store.NullTime(in.MonitoringAt), store.NullTime(in.ResolvedAt),
		store.NullTime(in.ScheduledFor), store.NullTime(in.ScheduledUntil),
		a.RemindPrior, store.NullTime(in.RemindedAt), a.AutoInProgress, a.AutoCompleted,
		a.ToMaintenanceState, a.ToOperationalState, a.NotifyAtStart, a.NotifyAtEnd,
		in.Postmortem.Body, store.NullTime(in.Postmortem.PublishedAt), in.Postmortem.NotifiedSubscribers,
		store.FormatTime(in.UpdatedAt),
		store.NullTime(pm.BodyUpdatedAt), pm.Draft, store.NullTime(pm.DraftUpdatedAt), store.NullString(pm.PreviewKey),
		pm.NotifyTwitter, store.NullString(pm.CustomTweet), store.NullTime(pm.CreatedAt), store.NullTime(pm.UpdatedAt),
		store.NullString(string(in.Metadata)), in.Sequence,
		in.ID)
	if err != nil {
		return fmt.Errorf("incidents: save %s: %w", in.ID, err)
	}
	return nil
}

func (s *Service) insertTx(ctx context.Context, tx *sql.Tx, in Incident) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incidents (id, kind, name, status, impact, backfilled, started_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.Kind, in.Name, in.Status, in.Impact, in.Backfilled,
		store.FormatTime(in.StartedAt), store.FormatTime(in.CreatedAt), store.FormatTime(in.UpdatedAt))
	if err != nil {
		return fmt.Errorf("incidents: insert: %w", err)
	}
	return s.saveTx(ctx, tx, in)
}

func (s *Service) setComponentsTx(ctx context.Context, tx *sql.Tx, incidentID string, ids []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM incident_components WHERE incident_id = ?`, incidentID); err != nil {
		return fmt.Errorf("incidents: set components: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_components (incident_id, component_id) VALUES (?, ?)`, incidentID, id); err != nil {
			return fmt.Errorf("incidents: set components: %w", err)
		}
	}
	return nil
}

// OpenElsewhereTx reports whether component id is affected by an incident
// or maintenance other than incidentID ("" for none) that is still open,
// which keeps closing this one (or an alert's end) from declaring the
// component operational.
func (s *Service) OpenElsewhereTx(ctx context.Context, tx *sql.Tx, incidentID, componentID string) (bool, error) {
	return s.openElsewhereTx(ctx, tx, incidentID, componentID)
}

func (s *Service) openElsewhereTx(ctx context.Context, tx *sql.Tx, incidentID, componentID string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_components ic JOIN incidents i ON i.id = ic.incident_id
		WHERE ic.component_id = ? AND ic.incident_id <> ?
		AND i.status IN ('investigating', 'identified', 'monitoring', 'in_progress', 'verifying')`,
		componentID, incidentID).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("incidents: check other incidents: %w", err)
	}
	return n > 0, nil
}

func timePtr(t time.Time) *time.Time { return &t }
