package integrations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/store"
)

// Draft is an incident an alert group proposes, waiting for staff: the
// group still fires and its components already show its statuses.
type Draft struct {
	ID              string // the alert group's id
	IntegrationID   string
	IntegrationName string
	Title, Body     string
	Components      map[string]components.Status
	// Alerts are the names of the group's firing alerts.
	Alerts    []string
	StartedAt time.Time
}

// Drafts returns the drafts of firing alert groups, newest first.
func (s *Service) Drafts(ctx context.Context) ([]Draft, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT g.id, g.integration_id, i.name, g.title, g.body, g.alerts, g.components, g.started_at
		FROM integration_groups g JOIN integrations i ON i.id = g.integration_id
		WHERE g.state = 'firing' AND g.draft = 1 ORDER BY g.started_at DESC, g.id LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("integrations: drafts: %w", err)
	}
	defer rows.Close()
	out := []Draft{}
	for rows.Next() {
		var d Draft
		var g group
		var alerts, comps string
		if err := rows.Scan(&d.ID, &d.IntegrationID, &d.IntegrationName, &d.Title, &d.Body, &alerts, &comps, store.Time(&d.StartedAt)); err != nil {
			return nil, fmt.Errorf("integrations: drafts: %w", err)
		}
		if err := scanJSON(alerts, &g.Alerts, comps, &d.Components); err != nil {
			return nil, fmt.Errorf("integrations: drafts: %w", err)
		}
		seen := map[string]bool{}
		for _, a := range g.Alerts {
			if !seen[a.Name] {
				seen[a.Name] = true
				d.Alerts = append(d.Alerts, a.Name)
			}
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrations: drafts: %w", err)
	}
	return out, nil
}

// draftTx returns the firing draft group with id.
func draftTx(ctx context.Context, tx *sql.Tx, id string) (group, error) {
	g, err := scanGroup(tx.QueryRowContext(ctx, selectGroups+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && (!g.Firing || !g.Draft) {
		return group{}, fmt.Errorf("integrations: draft %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return group{}, fmt.Errorf("integrations: draft %s: %w", id, err)
	}
	return g, nil
}

// PublishDraft opens the incident the draft with id proposes, with name and
// body as staff wrote them, on the components its alerts hold; further
// alerts of its group attach to it.
func (s *Service) PublishDraft(ctx context.Context, id, name, body string, deliver bool) (incidents.Incident, error) {
	var in incidents.Incident
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := draftTx(ctx, tx, id)
		if err != nil {
			return err
		}
		in, err = s.incidents.CreateTx(ctx, tx, incidents.NewIncident{Name: name, Body: body, Components: g.Components,
			DeliverNotifications: &deliver})
		if err != nil {
			return err
		}
		g.IncidentID, g.Draft, g.Title, g.Body = in.ID, false, in.Name, body
		return saveGroupTx(ctx, tx, g, s.now())
	})
	if err != nil {
		return incidents.Incident{}, err
	}
	s.changed()
	return in, nil
}

// DismissDraft drops the draft with id: its group's alerts go on setting
// component statuses, without an incident, until they resolve.
func (s *Service) DismissDraft(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := draftTx(ctx, tx, id)
		if err != nil {
			return err
		}
		g.Draft = false
		return saveGroupTx(ctx, tx, g, s.now())
	})
}

// RunDue tells subscribers of the flaps that outlasted their window: a
// group that fired again soon after it resolved changed the page quietly;
// still firing when its window ends, it is an outage again, and its open
// incident gets an update that notifies; without one (a draft, dismissed or
// not, or an incident staff closed) its components' statuses are told.
// Each change is handed to record for the audit log. A group that fails
// does not hold up the others: it returns how many groups it handled and
// the errors of those it could not.
func (s *Service) RunDue(ctx context.Context, record func(context.Context, ...accounts.Entry) error) (int, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id FROM integration_groups WHERE state = 'firing' AND quiet_until <= ?
		ORDER BY quiet_until, id LIMIT 100`,
		store.FormatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("integrations: due flaps: %w", err)
	}
	var due []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("integrations: due flaps: %w", err)
		}
		due = append(due, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("integrations: due flaps: %w", err)
	}
	handled := 0
	var errs []error
	for _, id := range due {
		var entries []accounts.Entry
		told := false
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			entries, told = nil, false // the closure may run again (see store.DB.Tx)
			g, err := scanGroup(tx.QueryRowContext(ctx, selectGroups+` WHERE id = ?`, id))
			if errors.Is(err, sql.ErrNoRows) {
				return nil // forgotten since it was listed
			}
			if err != nil {
				return fmt.Errorf("integrations: due flap %s: %w", id, err)
			}
			now := s.now()
			if !g.Firing || g.QuietUntil == nil || g.QuietUntil.After(now) {
				// Told, resolved or fired again since it was listed: by an
				// alert, or by another replica's RunDue.
				return nil
			}
			it, err := s.getTx(ctx, tx, g.IntegrationID)
			if err != nil {
				return err
			}
			told = true
			r := &run{s: s, tx: tx, it: it, now: now}
			if r.comps, err = s.components.ListTx(ctx, tx); err != nil {
				return err
			}
			g.QuietUntil = nil
			in, exists, err := r.incident(ctx, &g)
			if err != nil {
				return err
			}
			if exists && !in.Status.Closed() {
				body := "Our monitoring still reports " + joinNames(r.names(g.Components)) + " affected."
				if err := r.updateIncident(ctx, in, incidents.Change{Body: &body}, true, "still firing after the flap window: told subscribers"); err != nil {
					return err
				}
			} else if err := r.tellStatuses(ctx, &g); err != nil {
				return err
			}
			for _, c := range r.changes {
				entries = append(entries, accounts.Entry{At: r.now, Actor: it.Actor(), Action: c.Action, Target: c.Target})
			}
			log := Logged{ReceivedAt: r.now, Status: "firing", Name: "(flap window over)", Outcome: r.notes[0], IncidentID: g.IncidentID}
			if err := s.logTx(ctx, tx, it.ID, []Logged{log}); err != nil {
				return err
			}
			return saveGroupTx(ctx, tx, g, r.now)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !told {
			continue
		}
		handled++
		s.changed()
		if len(entries) > 0 && record != nil {
			if err := record(ctx, entries...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return handled, errors.Join(errs...)
}

// tellStatuses tells subscribers the statuses a group without an open
// incident set quietly when it fired again within its flap window: the
// status of each component it set, where that is still the component's.
// They last heard the status the group's resolution restored, operational.
func (r *run) tellStatuses(ctx context.Context, g *group) error {
	byID := components.ByID(r.comps)
	var told []string
	for _, id := range slices.Sorted(maps.Keys(g.Components)) {
		c, ok := byID[id]
		if !ok || c.Status != g.Components[id] || c.Status == components.Operational {
			continue
		}
		if err := r.s.components.AnnounceTx(ctx, r.tx, id, components.Operational, r.now); err != nil {
			return err
		}
		r.change("notify component "+string(c.Status), id)
		told = append(told, c.Name+" "+strings.ToLower(c.Status.Label()))
	}
	if len(told) == 0 {
		r.note("still firing after the flap window")
		return nil
	}
	r.note("still firing after the flap window: told subscribers %s", joinNames(told))
	return nil
}

// Run calls RunDue every interval until ctx is done.
func (s *Service) Run(ctx context.Context, log *slog.Logger, every time.Duration, record func(context.Context, ...accounts.Entry) error) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		if _, err := s.RunDue(ctx, record); err != nil && ctx.Err() == nil {
			log.Error("integrations: flaps", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// scanJSON decodes the group's alerts and components columns.
func scanJSON(alerts string, a *map[string]firingAlert, comps string, c *map[string]components.Status) error {
	if err := json.Unmarshal([]byte(alerts), a); err != nil {
		return err
	}
	return json.Unmarshal([]byte(comps), c)
}

// joinNames lists names for a sentence: "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return "the components"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
