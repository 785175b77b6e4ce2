package integrations

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

// Service keeps integrations and applies the alerts they post.
type Service struct {
	db         *store.DB
	components *components.Service
	incidents  *incidents.Service
	now        func() time.Time
	changed    func()
	// othersFiring counts the firing alert groups other than one that
	// hold a component, built for the database's engine.
	othersFiring string
}

// NewService returns a service on db that changes the page through comps
// and incs, reads the time from now and calls changed after every
// committed change of the page (to refresh cached pages and wake the
// notifier).
func NewService(db *store.DB, comps *components.Service, incs *incidents.Service, now func() time.Time, changed func()) *Service {
	if changed == nil {
		changed = func() {}
	}
	return &Service{db: db, components: comps, incidents: incs, now: now, changed: changed,
		othersFiring: `SELECT COUNT(*) FROM integration_groups g, ` + db.JSONEach("g.components", "j") + `
			WHERE g.id <> ? AND g.state = 'firing' AND j.key = ?`}
}

// tokenPrefix starts every integration token, so that a leaked one is
// recognisable (and told from an API key, bk_).
const tokenPrefix = "bi_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newToken returns a token of 160 random bits, enough for a plain SHA-256
// hash to keep it safe (as API keys).
func newToken() string {
	var raw [20]byte
	rand.Read(raw[:])
	return tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
}

const selectIntegrations = `SELECT id, name, kind, token_prefix, component_label, components, severity_label, severities,
	default_status, incident_mode, COALESCE(template_id, ''), auto_resolve, flap_window_seconds, created_at, updated_at,
	last_alert_at FROM integrations`

func scanIntegration(row interface{ Scan(...any) error }) (Integration, error) {
	var it Integration
	var comps, sevs string
	var flap int64
	err := row.Scan(&it.ID, &it.Name, &it.Kind, &it.TokenPrefix, &it.ComponentLabel, &comps, &it.SeverityLabel, &sevs,
		&it.DefaultStatus, &it.IncidentMode, &it.TemplateID, &it.AutoResolve, &flap, store.Time(&it.CreatedAt),
		store.Time(&it.UpdatedAt), store.OptTime(&it.LastAlertAt))
	if err != nil {
		return it, err
	}
	it.FlapWindow = time.Duration(flap) * time.Second
	if err := json.Unmarshal([]byte(comps), &it.Components); err != nil {
		return it, err
	}
	return it, json.Unmarshal([]byte(sevs), &it.Severities)
}

// List returns every integration by name.
func (s *Service) List(ctx context.Context) ([]Integration, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectIntegrations+` ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("integrations: list: %w", err)
	}
	defer rows.Close()
	out := []Integration{}
	for rows.Next() {
		it, err := scanIntegration(rows)
		if err != nil {
			return nil, fmt.Errorf("integrations: list: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrations: list: %w", err)
	}
	return out, nil
}

// Get returns the integration with id.
func (s *Service) Get(ctx context.Context, id string) (Integration, error) {
	return s.getTx(ctx, s.db.Read, id)
}

func (s *Service) getTx(ctx context.Context, q store.Queryer, id string) (Integration, error) {
	it, err := scanIntegration(q.QueryRowContext(ctx, selectIntegrations+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Integration{}, fmt.Errorf("integrations: get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Integration{}, fmt.Errorf("integrations: get %s: %w", id, err)
	}
	return it, nil
}

// Create makes an integration and returns it with its token, which is
// shown this once. Name and kind are required.
func (s *Service) Create(ctx context.Context, in Input) (Integration, string, error) {
	if in.Name == nil {
		return Integration{}, "", invalid("name", "can't be blank")
	}
	if in.Kind == nil {
		return Integration{}, "", invalid("kind", "must be one of alertmanager, grafana, generic")
	}
	now := s.now()
	it := Integration{ID: ids.New(), ComponentLabel: DefaultComponentLabel, Components: map[string]string{},
		SeverityLabel: DefaultSeverityLabel, Severities: DefaultSeverities(), DefaultStatus: components.MajorOutage,
		IncidentMode: ModeDraft, AutoResolve: true, FlapWindow: DefaultFlapWindow, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&it); err != nil {
		return Integration{}, "", err
	}
	token := newToken()
	it.TokenPrefix = token[:len(tokenPrefix)+6]
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkTx(ctx, tx, it); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO integrations (id, name, kind, token_hash, token_prefix, component_label,
			components, severity_label, severities, default_status, incident_mode, template_id, auto_resolve,
			flap_window_seconds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', '{}', '', '{}', '', '', NULL, 0, 0, ?, ?)`,
			it.ID, it.Name, it.Kind, hashToken(token), it.TokenPrefix, store.FormatTime(now), store.FormatTime(now))
		if err != nil {
			return fmt.Errorf("integrations: create: %w", err)
		}
		return s.saveTx(ctx, tx, it)
	})
	if err != nil {
		return Integration{}, "", err
	}
	return it, token, nil
}

// Update changes an integration's fields.
func (s *Service) Update(ctx context.Context, id string, in Input) (Integration, error) {
	it, _, err := s.UpdateRotating(ctx, id, in, false)
	return it, err
}

// UpdateRotating changes an integration's fields and, when rotate is set,
// gives it a new token (returned this once) in the same transaction: both
// happen, or neither.
func (s *Service) UpdateRotating(ctx context.Context, id string, in Input, rotate bool) (Integration, string, error) {
	var it Integration
	token := ""
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if it, err = s.getTx(ctx, tx, id); err != nil {
			return err
		}
		if err := in.apply(&it); err != nil {
			return err
		}
		if err := s.checkTx(ctx, tx, it); err != nil {
			return err
		}
		it.UpdatedAt = s.now()
		if err := s.saveTx(ctx, tx, it); err != nil {
			return err
		}
		if rotate {
			if token, err = s.rotateTx(ctx, tx, id); err != nil {
				return err
			}
			it, err = s.getTx(ctx, tx, id)
		}
		return err
	})
	if err != nil {
		return Integration{}, "", err
	}
	return it, token, nil
}

// RotateToken gives the integration a new token, returned this once; the
// old one stops working at once.
func (s *Service) RotateToken(ctx context.Context, id string) (Integration, string, error) {
	var it Integration
	var token string
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) {
		if token, err = s.rotateTx(ctx, tx, id); err != nil {
			return err
		}
		it, err = s.getTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return Integration{}, "", err
	}
	return it, token, nil
}

func (s *Service) rotateTx(ctx context.Context, tx *sql.Tx, id string) (string, error) {
	token := newToken()
	prefix := token[:len(tokenPrefix)+6]
	res, err := tx.ExecContext(ctx, `UPDATE integrations SET token_hash = ?, token_prefix = ?, updated_at = ? WHERE id = ?`,
		hashToken(token), prefix, store.FormatTime(s.now()), id)
	if err != nil {
		return "", fmt.Errorf("integrations: rotate token of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("integrations: rotate token of %s: %w", id, ErrNotFound)
	}
	return token, nil
}

// Delete removes an integration with its alert groups and log. What its
// alerts changed on the page stays as it is.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM integrations WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("integrations: delete %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("integrations: delete %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

// checkTx refuses a mapping to components that are not there (or are
// groups), a template that is not there, and a name taken by another
// integration.
func (s *Service) checkTx(ctx context.Context, tx *sql.Tx, it Integration) error {
	for key, id := range it.Components {
		c, err := s.components.GetTx(ctx, tx, id)
		if errors.Is(err, components.ErrNotFound) || err == nil && c.Group {
			return invalid("components", "%s (for %q) is not a component", ids.Quote(id), key)
		}
		if err != nil {
			return err
		}
	}
	if it.TemplateID != "" {
		if _, err := s.incidents.Template(ctx, it.TemplateID); err != nil {
			if errors.Is(err, incidents.ErrNotFound) {
				return invalid("template_id", "%s is not an incident template", ids.Quote(it.TemplateID))
			}
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM integrations WHERE name = ? AND id <> ?`, it.Name, it.ID).Scan(&n); err != nil {
		return fmt.Errorf("integrations: check name: %w", err)
	}
	if n > 0 {
		return invalid("name", "is taken by another integration")
	}
	return nil
}

func (s *Service) saveTx(ctx context.Context, tx *sql.Tx, it Integration) error {
	comps, err := json.Marshal(it.Components)
	if err != nil {
		return fmt.Errorf("integrations: save: %w", err)
	}
	sevs, err := json.Marshal(it.Severities)
	if err != nil {
		return fmt.Errorf("integrations: save: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE integrations SET name = ?, kind = ?, component_label = ?, components = ?,
		severity_label = ?, severities = ?, default_status = ?, incident_mode = ?, template_id = ?, auto_resolve = ?,
		flap_window_seconds = ?, updated_at = ? WHERE id = ?`,
		it.Name, it.Kind, it.ComponentLabel, string(comps), it.SeverityLabel, string(sevs), it.DefaultStatus,
		it.IncidentMode, store.NullString(it.TemplateID), it.AutoResolve, int64(it.FlapWindow/time.Second),
		store.FormatTime(it.UpdatedAt), it.ID)
	if err != nil {
		return fmt.Errorf("integrations: save %s: %w", it.ID, err)
	}
	return nil
}

// Authenticate returns the integration with id if token is its token, and
// ErrUnauthorized otherwise, for an unknown id too (the answer does not
// tell which was wrong). The hashes are compared in constant time.
func (s *Service) Authenticate(ctx context.Context, id, token string) (Integration, error) {
	if !ids.Valid(id) || !strings.HasPrefix(token, tokenPrefix) || len(token) > 100 {
		return Integration{}, ErrUnauthorized
	}
	var stored string
	err := s.db.Read.QueryRowContext(ctx, `SELECT token_hash FROM integrations WHERE id = ?`, id).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return Integration{}, ErrUnauthorized
	}
	if err != nil {
		return Integration{}, fmt.Errorf("integrations: authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(stored)) != 1 {
		return Integration{}, ErrUnauthorized
	}
	return s.Get(ctx, id)
}

// Logged is one received alert and what Beacon did with it.
type Logged struct {
	ID         int64
	ReceivedAt time.Time
	// Status is firing, resolved, or refused for a payload Beacon could not
	// read (Name then says why).
	Status     string
	Name       string // the alert's name (alertname, title)
	Component  string // the component it named, as it named it
	Outcome    string // what Beacon did
	IncidentID string // the incident it attached to, if any
}

// logKept is how many received alerts each integration keeps.
const logKept = 50

// Alerts returns the integration's last received alerts, newest first.
func (s *Service) Alerts(ctx context.Context, id string) ([]Logged, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, received_at, status, name, component, outcome, COALESCE(incident_id, '')
		FROM integration_alerts WHERE integration_id = ? ORDER BY id DESC LIMIT ?`, id, logKept)
	if err != nil {
		return nil, fmt.Errorf("integrations: alerts of %s: %w", id, err)
	}
	defer rows.Close()
	out := []Logged{}
	for rows.Next() {
		var l Logged
		if err := rows.Scan(&l.ID, store.Time(&l.ReceivedAt), &l.Status, &l.Name, &l.Component, &l.Outcome, &l.IncidentID); err != nil {
			return nil, fmt.Errorf("integrations: alerts of %s: %w", id, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrations: alerts of %s: %w", id, err)
	}
	return out, nil
}

// logTx records received alerts and keeps the newest logKept.
func (s *Service) logTx(ctx context.Context, tx *sql.Tx, integrationID string, entries []Logged) error {
	if len(entries) > logKept {
		entries = entries[len(entries)-logKept:]
	}
	for _, l := range entries {
		_, err := tx.ExecContext(ctx, `INSERT INTO integration_alerts (integration_id, received_at, status, name, component, outcome, incident_id)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, integrationID, store.FormatTime(l.ReceivedAt), l.Status, l.Name, l.Component, l.Outcome,
			store.NullString(l.IncidentID))
		if err != nil {
			return fmt.Errorf("integrations: log alert: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM integration_alerts WHERE integration_id = ? AND id <= (
		SELECT id FROM integration_alerts WHERE integration_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		integrationID, integrationID, logKept)
	if err != nil {
		return fmt.Errorf("integrations: trim alert log: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE integrations SET last_alert_at = ? WHERE id = ?`, store.FormatTime(s.now()), integrationID)
	if err != nil {
		return fmt.Errorf("integrations: log alert: %w", err)
	}
	return nil
}
