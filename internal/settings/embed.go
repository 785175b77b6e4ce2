package settings

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/beacon-status/beacon/internal/store"
)

// Position is the corner of the visitor's window where the status embed
// shows its notice.
type Position string

// The corners Statuspage's StatusEmbedConfig allows.
const (
	BottomLeft  Position = "bottom-left"
	BottomRight Position = "bottom-right"
	TopLeft     Position = "top-left"
	TopRight    Position = "top-right"
)

// Valid reports whether p is one of the four corners.
func (p Position) Valid() bool {
	switch p {
	case BottomLeft, BottomRight, TopLeft, TopRight:
		return true
	}
	return false
}

// Embed is the look of the status embed, the notice a customer's own site
// shows while an incident or maintenance is active: Statuspage's
// StatusEmbedConfig. Colours are lowercase #rrggbb.
type Embed struct {
	Position                   Position `json:"position"`
	IncidentBackgroundColor    string   `json:"incident_background_color"`
	IncidentTextColor          string   `json:"incident_text_color"`
	MaintenanceBackgroundColor string   `json:"maintenance_background_color"`
	MaintenanceTextColor       string   `json:"maintenance_text_color"`
}

// DefaultEmbed is the look until staff change it: Statuspage's corner
// (bottom left), and red and blue backgrounds in the spirit of
// Statuspage's palette but dark enough that white text on them has a
// contrast of at least 4.5:1 (WCAG AA): 5.4:1 and 5.2:1. Statuspage's
// own lighter red and blue (#e74c3c, #3498db) reach only 3.8:1 and 3.2:1.
func DefaultEmbed() Embed {
	return Embed{
		Position:                   BottomLeft,
		IncidentBackgroundColor:    "#c0392b",
		IncidentTextColor:          "#ffffff",
		MaintenanceBackgroundColor: "#2c6fb7",
		MaintenanceTextColor:       "#ffffff",
	}
}

// EmbedInput changes some of the embed's settings: a nil field keeps its
// value, and an empty string returns it to its default.
type EmbedInput struct {
	Position                   *string
	IncidentBackgroundColor    *string
	IncidentTextColor          *string
	MaintenanceBackgroundColor *string
	MaintenanceTextColor       *string
}

// ValidationError is a setting refused, naming the field to blame.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + " " + e.Msg }

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// apply returns e with in's changes, each checked; the first refused field
// is reported.
func (e Embed) apply(in EmbedInput) (Embed, error) {
	def := DefaultEmbed()
	if in.Position != nil {
		switch p := Position(*in.Position); {
		case p == "":
			e.Position = def.Position
		case p.Valid():
			e.Position = p
		default:
			return Embed{}, &ValidationError{Field: "position", Msg: "must be bottom-left, bottom-right, top-left or top-right"}
		}
	}
	colors := []struct {
		field    string
		in       *string
		dst, def *string
	}{
		{"incident_background_color", in.IncidentBackgroundColor, &e.IncidentBackgroundColor, &def.IncidentBackgroundColor},
		{"incident_text_color", in.IncidentTextColor, &e.IncidentTextColor, &def.IncidentTextColor},
		{"maintenance_background_color", in.MaintenanceBackgroundColor, &e.MaintenanceBackgroundColor, &def.MaintenanceBackgroundColor},
		{"maintenance_text_color", in.MaintenanceTextColor, &e.MaintenanceTextColor, &def.MaintenanceTextColor},
	}
	for _, c := range colors {
		switch {
		case c.in == nil:
		case *c.in == "":
			*c.dst = *c.def
		case hexColor.MatchString(*c.in):
			*c.dst = strings.ToLower(*c.in)
		default:
			return Embed{}, &ValidationError{Field: c.field, Msg: "must be a colour written #rrggbb, such as #c0392b"}
		}
	}
	return e, nil
}

const embedKey = "status_embed_config"

// Embed returns the embed's settings: the defaults until staff change them.
func (s *Store) Embed(ctx context.Context) (Embed, error) {
	e, err := s.embed(ctx, s.db.Read)
	if err != nil {
		return Embed{}, fmt.Errorf("settings: status embed: %w", err)
	}
	return e, nil
}

// embed reads the saved settings over the defaults, so that a field added
// later starts at its default.
func (s *Store) embed(ctx context.Context, q store.Queryer) (Embed, error) {
	e := DefaultEmbed()
	var raw string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, embedKey).Scan(&raw)
	if err == sql.ErrNoRows {
		return e, nil
	}
	if err != nil {
		return Embed{}, err
	}
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return Embed{}, err
	}
	return e, nil
}

// UpdateEmbed changes the embed's settings and returns them all. It reads
// and writes in one transaction, so two changes to different fields made
// at once both hold; a refused field changes nothing.
func (s *Store) UpdateEmbed(ctx context.Context, in EmbedInput) (Embed, error) {
	var out Embed
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.embed(ctx, tx)
		if err != nil {
			return err
		}
		if out, err = cur.apply(in); err != nil {
			return err
		}
		raw, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			embedKey, string(raw), store.FormatTime(s.now()))
		return err
	})
	if err != nil {
		return Embed{}, fmt.Errorf("settings: update status embed: %w", err)
	}
	return out, nil
}
