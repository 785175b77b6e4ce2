package incidents

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

// Template is prepared text for an incident staff post often: Statuspage's
// incident_templates.
type Template struct {
	ID     string
	Name   string // what staff pick it by
	Title  string // the incident's name
	Body   string // the first update's text
	Status Status // the status it opens with (update_status)
	// DeliverNotifications is the notify toggle's default.
	DeliverNotifications bool
	ComponentIDs         []string
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// TemplateInput creates or edits a template; nil fields are left alone, or
// on create take their defaults (status investigating, notifications on).
type TemplateInput struct {
	Name                 *string
	Title                *string
	Body                 *string
	Status               *Status
	DeliverNotifications *bool
	ComponentIDs         *[]string
}

func (in TemplateInput) applyTo(t *Template) error {
	if in.Name != nil {
		if err := validateName(in.Name); err != nil {
			return err
		}
		t.Name = *in.Name
	}
	if in.Title != nil {
		if err := validateName(in.Title); err != nil {
			return invalid("title", "%s", err.(*ValidationError).Msg)
		}
		t.Title = *in.Title
	}
	if in.Body != nil {
		body, err := validateBody(*in.Body)
		if err != nil {
			return err
		}
		t.Body = strings.TrimSpace(body)
	}
	if in.Status != nil {
		if !in.Status.Valid() {
			return invalid("update_status", "must be one of investigating, identified, monitoring, resolved, scheduled, in_progress, verifying, completed")
		}
		t.Status = *in.Status
	}
	if in.DeliverNotifications != nil {
		t.DeliverNotifications = *in.DeliverNotifications
	}
	if in.ComponentIDs != nil {
		list, err := affectedIDs(*in.ComponentIDs, nil)
		if err != nil {
			return err
		}
		t.ComponentIDs = list
	}
	return nil
}

const selectTemplates = `SELECT id, name, title, body, update_status, should_send_notifications, component_ids, created_at, updated_at FROM incident_templates`

func scanTemplate(row interface{ Scan(...any) error }) (Template, error) {
	var t Template
	var comps string
	err := row.Scan(&t.ID, &t.Name, &t.Title, &t.Body, &t.Status, &t.DeliverNotifications, &comps, store.Time(&t.CreatedAt), store.Time(&t.UpdatedAt))
	if err != nil {
		return Template{}, err
	}
	if err := json.Unmarshal([]byte(comps), &t.ComponentIDs); err != nil {
		return Template{}, fmt.Errorf("component_ids: %w", err)
	}
	return t, nil
}

// liveComponents drops the ids of components that no longer exist.
func liveComponents(list []string, comps []components.Component) []string {
	out := []string{}
	for _, id := range list {
		if slices.ContainsFunc(comps, func(c components.Component) bool { return c.ID == id && !c.Group }) {
			out = append(out, id)
		}
	}
	return out
}

// Templates returns every template by name.
func (s *Service) Templates(ctx context.Context) ([]Template, error) {
	comps, err := s.components.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("incidents: templates: %w", err)
	}
	rows, err := s.db.Read.QueryContext(ctx, selectTemplates+` ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("incidents: templates: %w", err)
	}
	defer rows.Close()
	out := []Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("incidents: templates: %w", err)
		}
		t.ComponentIDs = liveComponents(t.ComponentIDs, comps)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incidents: templates: %w", err)
	}
	return out, nil
}

// Template returns the template with id.
func (s *Service) Template(ctx context.Context, id string) (Template, error) {
	t, err := scanTemplate(s.db.Read.QueryRowContext(ctx, selectTemplates+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Template{}, fmt.Errorf("incidents: template %s: %w", id, err)
	}
	comps, err := s.components.List(ctx)
	if err != nil {
		return Template{}, fmt.Errorf("incidents: template %s: %w", id, err)
	}
	t.ComponentIDs = liveComponents(t.ComponentIDs, comps)
	return t, nil
}

// CreateTemplate saves a new template; Name and Title are required.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateInput) (Template, error) {
	t := Template{ID: ids.New(), Status: Investigating, DeliverNotifications: true, ComponentIDs: []string{}}
	if in.Name == nil {
		return Template{}, invalid("name", "can't be blank")
	}
	if in.Title == nil {
		return Template{}, invalid("title", "can't be blank")
	}
	return s.saveTemplate(ctx, t, in, true)
}

// UpdateTemplate edits the template with id.
func (s *Service) UpdateTemplate(ctx context.Context, id string, in TemplateInput) (Template, error) {
	t, err := s.Template(ctx, id)
	if err != nil {
		return Template{}, err
	}
	return s.saveTemplate(ctx, t, in, false)
}

func (s *Service) saveTemplate(ctx context.Context, t Template, in TemplateInput, create bool) (Template, error) {
	if err := in.applyTo(&t); err != nil {
		return Template{}, err
	}
	t.UpdatedAt = s.now()
	if create {
		t.CreatedAt = t.UpdatedAt
	}
	comps, _ := json.Marshal(t.ComponentIDs)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkComponentsTx(ctx, tx, t.ComponentIDs); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_templates (id, name, title, body, update_status, should_send_notifications, component_ids, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, title = excluded.title, body = excluded.body,
				update_status = excluded.update_status, should_send_notifications = excluded.should_send_notifications,
				component_ids = excluded.component_ids, updated_at = excluded.updated_at`,
			t.ID, t.Name, t.Title, t.Body, t.Status, t.DeliverNotifications, string(comps),
			store.FormatTime(t.CreatedAt), store.FormatTime(t.UpdatedAt))
		return err
	})
	if err != nil {
		var v *ValidationError
		if errors.As(err, &v) {
			return Template{}, err
		}
		return Template{}, fmt.Errorf("incidents: save template: %w", err)
	}
	return t, nil
}

// DeleteTemplate removes the template with id.
func (s *Service) DeleteTemplate(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM incident_templates WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("incidents: delete template %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("incidents: delete template %s: %w", id, ErrNotFound)
		}
		return nil
	})
}
