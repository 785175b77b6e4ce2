// Package notifier turns change events into deliveries to subscribers. Its
// outbox is written by the domain packages inside their own transactions, so
// a committed change always has its event and an aborted one never does.
package notifier

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the notifier's schema changes.
func Migrations() store.Migrations {
	return store.Migrations{Package: "notifier", FS: store.Sub(migrations, "migrations")}
}

// EventKind says what happened.
type EventKind string

// The kinds of event. Incident and maintenance events carry the update that
// was posted; component events carry the status change.
const (
	IncidentCreated        EventKind = "incident_created"
	IncidentUpdated        EventKind = "incident_updated"
	IncidentResolved       EventKind = "incident_resolved"
	MaintenanceScheduled   EventKind = "maintenance_scheduled"
	MaintenanceReminder    EventKind = "maintenance_reminder"
	MaintenanceStarted     EventKind = "maintenance_started"
	MaintenanceUpdated     EventKind = "maintenance_updated"
	MaintenanceCompleted   EventKind = "maintenance_completed"
	PostmortemPublished    EventKind = "postmortem_published"
	ComponentStatusChanged EventKind = "component_status_changed"
)

// Valid reports whether k is a known kind.
func (k EventKind) Valid() bool {
	switch k {
	case IncidentCreated, IncidentUpdated, IncidentResolved, MaintenanceScheduled,
		MaintenanceReminder, MaintenanceStarted, MaintenanceUpdated, MaintenanceCompleted,
		PostmortemPublished, ComponentStatusChanged:
		return true
	}
	return false
}

// Event is one row of the outbox: what a notifier needs to decide who hears
// about a change and to render the message.
type Event struct {
	ID   int64     `json:"id"`
	Kind EventKind `json:"kind"`
	// IncidentID and UpdateID name the incident (or maintenance) and the
	// update that was posted; empty for component events.
	IncidentID string `json:"incident_id,omitempty"`
	UpdateID   string `json:"update_id,omitempty"`
	// ComponentID, OldStatus and NewStatus describe a component status
	// change; empty for incident events.
	ComponentID string `json:"component_id,omitempty"`
	OldStatus   string `json:"old_status,omitempty"`
	NewStatus   string `json:"new_status,omitempty"`
	// ComponentIDs are the components the change touches, which decide which
	// subscribers hear of it; none means every subscriber.
	ComponentIDs []string `json:"component_ids"`
	// DeliverNotifications is false when staff chose not to notify.
	DeliverNotifications bool `json:"deliver_notifications"`
	// ToFollowers says the event also goes to the subscribers who follow
	// IncidentID alone (incident subscribers), whatever its components:
	// set by the incidents package for each update of an incident up to
	// the one that closes it, and never after.
	ToFollowers bool       `json:"to_followers"`
	CreatedAt   time.Time  `json:"created_at"`
	FannedOutAt *time.Time `json:"fanned_out_at"`
}

// Outbox stores events.
type Outbox struct {
	db *store.DB
}

// NewOutbox returns an outbox on db.
func NewOutbox(db *store.DB) *Outbox { return &Outbox{db: db} }

// AddTx records e inside the caller's transaction.
func (o *Outbox) AddTx(ctx context.Context, tx *sql.Tx, e Event) error {
	if !e.Kind.Valid() {
		return fmt.Errorf("notifier: add event: unknown kind %q", e.Kind)
	}
	ids := e.ComponentIDs
	if ids == nil {
		ids = []string{}
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("notifier: add event: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO notification_events
		(kind, incident_id, update_id, component_id, old_status, new_status, component_ids, deliver_notifications, to_followers, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Kind, store.NullString(e.IncidentID), store.NullString(e.UpdateID), store.NullString(e.ComponentID),
		store.NullString(e.OldStatus), store.NullString(e.NewStatus), string(idsJSON), e.DeliverNotifications,
		e.ToFollowers, store.FormatTime(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("notifier: add %s event: %w", e.Kind, err)
	}
	return nil
}

// EventFilter narrows Events.
type EventFilter struct {
	IncidentID string // only this incident's events
	AfterID    int64  // only events with a larger id
	Limit      int    // at most this many; 0 means 1000
}

// Events lists events in the order they were written.
func (o *Outbox) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q := `SELECT id, kind, COALESCE(incident_id, ''), COALESCE(update_id, ''), COALESCE(component_id, ''),
		COALESCE(old_status, ''), COALESCE(new_status, ''), component_ids, deliver_notifications, to_followers,
		created_at, fanned_out_at
		FROM notification_events WHERE id > ?`
	args := []any{f.AfterID}
	if f.IncidentID != "" {
		q += ` AND incident_id = ?`
		args = append(args, f.IncidentID)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)

	rows, err := o.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("notifier: list events: %w", err)
	}
	defer rows.Close()
	events := []Event{}
	for rows.Next() {
		var e Event
		var idsJSON string
		if err := rows.Scan(&e.ID, &e.Kind, &e.IncidentID, &e.UpdateID, &e.ComponentID,
			&e.OldStatus, &e.NewStatus, &idsJSON, &e.DeliverNotifications, &e.ToFollowers,
			store.Time(&e.CreatedAt), store.OptTime(&e.FannedOutAt)); err != nil {
			return nil, fmt.Errorf("notifier: list events: %w", err)
		}
		if err := decodeIDs(idsJSON, &e.ComponentIDs); err != nil {
			return nil, fmt.Errorf("notifier: event %d: %w", e.ID, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notifier: list events: %w", err)
	}
	return events, nil
}

func decodeIDs(s string, dst *[]string) error {
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		return fmt.Errorf("component ids: %w", err)
	}
	return nil
}
