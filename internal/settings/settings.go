// Package settings keeps the settings staff change in the console, which
// override the values the environment gives at start-up.
package settings

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

// Migrations returns this package's schema changes.
func Migrations() store.Migrations {
	return store.Migrations{Package: "settings", FS: store.Sub(migrations, "migrations")}
}

// Notifications are the notification settings the console can change; a
// nil field keeps the environment's value.
type Notifications struct {
	EmailFrom           *string   `json:"email_from,omitempty"`
	EmailFromName       *string   `json:"email_from_name,omitempty"`
	SMSAllUpdates       *bool     `json:"sms_all_updates,omitempty"`
	SMSCountries        *[]string `json:"sms_countries,omitempty"`
	WebhookAllowPrivate *bool     `json:"webhook_allow_private,omitempty"`
}

const notificationsKey = "notifications"

// Store reads and writes settings.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a store on db.
func NewStore(db *store.DB, now func() time.Time) *Store { return &Store{db: db, now: now} }

// Notifications returns the saved notification settings (all nil when
// none were saved).
func (s *Store) Notifications(ctx context.Context) (Notifications, error) {
	var n Notifications
	var raw string
	err := s.db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, notificationsKey).Scan(&raw)
	if err == sql.ErrNoRows {
		return n, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(raw), &n)
	}
	if err != nil {
		return Notifications{}, fmt.Errorf("settings: notifications: %w", err)
	}
	return n, nil
}

// SaveNotifications replaces the saved notification settings.
func (s *Store) SaveNotifications(ctx context.Context, n Notifications) error {
	raw, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("settings: save notifications: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			notificationsKey, string(raw), store.FormatTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("settings: save notifications: %w", err)
	}
	return nil
}
