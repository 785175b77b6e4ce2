// Package integrations turns alerts from monitoring into changes of the
// page: Prometheus Alertmanager's webhook, Grafana's alerting webhook and a
// generic JSON body, each posted with an integration's secret token. A
// label (or a per-integration table) names the component, the severity
// names its status; a firing alert group sets the status and opens a draft
// incident for staff to publish, or publishes one; its further alerts
// attach to that incident; its resolution restores the component and, if
// the integration says so, resolves the incident. A group that flaps back
// within the integration's window changes the page but is not told to
// subscribers twice. The package keeps the integrations, the dedupe state
// of each alert group and the last alerts each integration received.
package integrations

import (
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes; they refer to the
// incidents package's tables, so they come after its migrations.
func Migrations() store.Migrations {
	return store.Migrations{Package: "integrations", FS: store.Sub(migrations, "migrations")}
}

// Errors returned by this package.
var (
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized refuses an alert whose integration or token is
	// wrong; it does not say which.
	ErrUnauthorized = errors.New("a valid integration token is required")
)

// ValidationError is an integration's field, or an alert payload's, that
// is refused (422).
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Msg) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// MalformedError is an alert payload that is not JSON at all (400).
type MalformedError struct{ Msg string }

func (e *MalformedError) Error() string { return e.Msg }

// AlertsPath is where the integration with id posts its alerts, below the
// page's base URL (the management API serves it, with the token in
// ?token= or an Authorization: Bearer header).
func AlertsPath(id string) string { return "/api/v1/integrations/" + id + "/alerts" }

// Kind is the shape of the alerts an integration takes.
type Kind string

// The kinds of integration.
const (
	Alertmanager Kind = "alertmanager" // Prometheus Alertmanager's webhook, version 4
	Grafana      Kind = "grafana"      // Grafana's alerting webhook, version 1
	Generic      Kind = "generic"      // Beacon's own JSON body, for scripts
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Alertmanager || k == Grafana || k == Generic }

// Mode says what a firing alert group does about an incident.
type Mode string

// The incident modes.
const (
	// ModeDraft opens a draft that staff publish (or dismiss) in the console;
	// the component's status is set at once either way.
	ModeDraft Mode = "draft"
	// ModePublish opens the incident at once and tells subscribers.
	ModePublish Mode = "publish"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeDraft || m == ModePublish }

// Integration is a monitoring system allowed to post alerts, and how its
// alerts map onto the page.
type Integration struct {
	ID   string
	Name string
	Kind Kind
	// TokenPrefix is the token's first characters, to tell tokens apart;
	// the token itself is never kept.
	TokenPrefix string
	// ComponentLabel is the alert label naming the component (by the
	// Components table, by id or by name).
	ComponentLabel string
	// Components maps values of ComponentLabel to component ids.
	Components map[string]string
	// SeverityLabel is the label whose value Severities maps to a status.
	SeverityLabel string
	// Severities maps a severity to the status a firing alert sets;
	// operational means the alert changes nothing.
	Severities map[string]components.Status
	// DefaultStatus is the status of an alert without a severity in
	// Severities.
	DefaultStatus components.Status
	IncidentMode  Mode
	// TemplateID is the incident template a published incident takes its
	// title, text and status from; "" for Beacon's own words.
	TemplateID string
	// AutoResolve resolves the incident when its alerts resolve; otherwise
	// the components are restored and the incident is left to staff.
	AutoResolve bool
	// FlapWindow is how soon after its resolution a group firing again
	// counts as a flap (0: never).
	FlapWindow  time.Duration
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastAlertAt *time.Time
}

// Input sets an integration's fields on create or update; nil leaves a
// field as it is, or takes its default on create.
type Input struct {
	Name           *string
	Kind           *Kind
	ComponentLabel *string
	Components     *map[string]string
	SeverityLabel  *string
	Severities     *map[string]components.Status
	DefaultStatus  *components.Status
	IncidentMode   *Mode
	TemplateID     *string // "" clears it
	AutoResolve    *bool
	FlapWindow     *time.Duration
}

// Defaults of a new integration.
const (
	DefaultComponentLabel = "beacon_component"
	DefaultSeverityLabel  = "severity"
	DefaultFlapWindow     = 2 * time.Minute
)

// DefaultSeverities maps the usual Prometheus severities to statuses.
func DefaultSeverities() map[string]components.Status {
	return map[string]components.Status{
		"critical": components.MajorOutage,
		"error":    components.PartialOutage,
		"warning":  components.DegradedPerformance,
		"info":     components.Operational,
	}
}

// Limits on an integration's fields.
const (
	maxName       = 100
	maxMapEntries = 500
	maxMapKey     = 200
	maxFlapWindow = time.Hour
)

// labelName is a Prometheus label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,99}$`)

// alertStatus reports whether a mapping may name st: a status an alert can
// set, or operational for "changes nothing". Maintenance is staff's.
func alertStatus(st components.Status) bool {
	return st.Valid() && st != components.UnderMaintenance
}

// apply sets in's fields on it and checks the result; component ids and
// the template are checked by the store, which can read them.
func (in Input) apply(it *Integration) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > maxName {
			return invalid("name", "must be 1 to %d characters", maxName)
		}
		if err := chars.CheckLine(n); err != nil {
			return invalid("name", "%v", err)
		}
		it.Name = n
	}
	if in.Kind != nil {
		if !in.Kind.Valid() {
			return invalid("kind", "must be one of alertmanager, grafana, generic")
		}
		it.Kind = *in.Kind
	}
	for _, f := range []struct {
		field string
		src   *string
		dst   *string
	}{{"component_label", in.ComponentLabel, &it.ComponentLabel}, {"severity_label", in.SeverityLabel, &it.SeverityLabel}} {
		if f.src == nil {
			continue
		}
		if !labelName.MatchString(*f.src) {
			return invalid(f.field, "must be a label name (letters, digits and _, not starting with a digit)")
		}
		*f.dst = *f.src
	}
	if in.Components != nil {
		m := map[string]string{}
		for k, v := range *in.Components {
			if k == "" || utf8.RuneCountInString(k) > maxMapKey || chars.CheckLine(k) != nil {
				return invalid("components", "keys must be label values of 1 to %d characters", maxMapKey)
			}
			m[k] = v
		}
		if len(m) > maxMapEntries {
			return invalid("components", "may have at most %d entries", maxMapEntries)
		}
		it.Components = m
	}
	if in.Severities != nil {
		m := map[string]components.Status{}
		for k, v := range *in.Severities {
			if k == "" || utf8.RuneCountInString(k) > maxMapKey || chars.CheckLine(k) != nil {
				return invalid("severities", "keys must be severities of 1 to %d characters", maxMapKey)
			}
			if !alertStatus(v) {
				return invalid("severities", "status %q of %q must be one of operational, degraded_performance, partial_outage, major_outage", v, k)
			}
			m[strings.ToLower(k)] = v
		}
		if len(m) > maxMapEntries {
			return invalid("severities", "may have at most %d entries", maxMapEntries)
		}
		it.Severities = m
	}
	if in.DefaultStatus != nil {
		if !alertStatus(*in.DefaultStatus) {
			return invalid("default_status", "must be one of operational, degraded_performance, partial_outage, major_outage")
		}
		it.DefaultStatus = *in.DefaultStatus
	}
	if in.IncidentMode != nil {
		if !in.IncidentMode.Valid() {
			return invalid("incident_mode", "must be draft or publish")
		}
		it.IncidentMode = *in.IncidentMode
	}
	if in.TemplateID != nil {
		it.TemplateID = *in.TemplateID
	}
	if in.AutoResolve != nil {
		it.AutoResolve = *in.AutoResolve
	}
	if in.FlapWindow != nil {
		if *in.FlapWindow < 0 || *in.FlapWindow > maxFlapWindow {
			return invalid("flap_window", "must be from 0 to %d seconds", int(maxFlapWindow.Seconds()))
		}
		it.FlapWindow = in.FlapWindow.Truncate(time.Second)
	}
	return nil
}
