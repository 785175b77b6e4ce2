// Package incidents holds incidents, scheduled maintenances and their update
// timelines, the rules of their lifecycles, and the scheduler that moves
// maintenances through their windows.
package incidents

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/components"
)

// Status is the state of an incident or a maintenance.
type Status string

// Statuses of realtime incidents.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
	Postmortem    Status = "postmortem"
)

// Statuses of scheduled maintenances.
const (
	Scheduled  Status = "scheduled"
	InProgress Status = "in_progress"
	Verifying  Status = "verifying"
	Completed  Status = "completed"
)

// Valid reports whether s is any known status.
func (s Status) Valid() bool { return s.Maintenance() || s.Realtime() }

// Realtime reports whether s is a status of a realtime incident.
func (s Status) Realtime() bool {
	switch s {
	case Investigating, Identified, Monitoring, Resolved, Postmortem:
		return true
	}
	return false
}

// Maintenance reports whether s is a status of a scheduled maintenance.
func (s Status) Maintenance() bool {
	switch s {
	case Scheduled, InProgress, Verifying, Completed:
		return true
	}
	return false
}

// Closed reports whether s ends the incident or maintenance.
func (s Status) Closed() bool { return s == Resolved || s == Postmortem || s == Completed }

// Label is the status as the public page shows it.
func (s Status) Label() string {
	switch s {
	case Investigating:
		return "Investigating"
	case Identified:
		return "Identified"
	case Monitoring:
		return "Monitoring"
	case Resolved:
		return "Resolved"
	case Postmortem:
		return "Postmortem"
	case Scheduled:
		return "Scheduled"
	case InProgress:
		return "In progress"
	case Verifying:
		return "Verifying"
	case Completed:
		return "Completed"
	}
	return string(s)
}

// StockBody is the text Statuspage posts for a status when staff write none.
func (s Status) StockBody() string {
	switch s {
	case Investigating:
		return "We are currently investigating this issue."
	case Identified:
		return "The issue has been identified and a fix is being implemented."
	case Monitoring:
		return "A fix has been implemented and we are monitoring the results."
	case Resolved:
		return "This incident has been resolved."
	case Postmortem:
		return "A postmortem has been published."
	case Scheduled:
		return "We will be undergoing scheduled maintenance during this time."
	case InProgress:
		return "Scheduled maintenance is currently in progress. We will provide updates as necessary."
	case Verifying:
		return "Verification is currently underway for the maintenance items."
	case Completed:
		return "The scheduled maintenance has been completed."
	}
	return ""
}

// Kind tells incidents from maintenances.
type Kind string

// The kinds.
const (
	KindIncident    Kind = "incident"
	KindMaintenance Kind = "maintenance"
)

// Incident is a realtime incident or a scheduled maintenance.
type Incident struct {
	ID             string
	Kind           Kind
	Name           string
	Status         Status
	Impact         components.Impact
	ImpactOverride components.Impact // "" when not overridden
	Backfilled     bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StartedAt      time.Time
	MonitoringAt   *time.Time
	ResolvedAt     *time.Time
	// ComponentIDs are the affected components.
	ComponentIDs []string
	// Updates is the timeline, newest first.
	Updates []Update

	// Maintenance window and automation; zero for incidents.
	ScheduledFor   *time.Time
	ScheduledUntil *time.Time
	Automation     Automation
	RemindedAt     *time.Time
	// Sequence is the maintenance's revision number in the maintenance
	// calendar (iCalendar's SEQUENCE): it rises each time the window
	// moves or Cancelled changes, and never otherwise.
	Sequence int

	Postmortem PostmortemInfo

	// Metadata is the JSON object staff attached (compact JSON); nil when
	// none.
	Metadata json.RawMessage
}

// Cancelled reports whether in is a maintenance completed before its
// window opened: one that did not take place. The console's Cancel and a
// completion posted through the API early both end a maintenance so.
func (in Incident) Cancelled() bool {
	return in.Kind == KindMaintenance && in.Status == Completed && in.ResolvedAt != nil && in.ScheduledFor != nil &&
		in.ResolvedAt.Before(*in.ScheduledFor)
}

// Automation holds a maintenance's flags, named as in Statuspage's API.
type Automation struct {
	RemindPrior        bool // scheduled_remind_prior
	AutoInProgress     bool // scheduled_auto_in_progress
	AutoCompleted      bool // scheduled_auto_completed
	ToMaintenanceState bool // auto_transition_to_maintenance_state
	ToOperationalState bool // auto_transition_to_operational_state
	NotifyAtStart      bool // auto_transition_deliver_notifications_at_start
	NotifyAtEnd        bool // auto_transition_deliver_notifications_at_end
}

// PostmortemInfo is the write-up attached after resolution, as
// Statuspage's postmortem object: staff edit a draft, and publishing copies
// it into the published body, so editing a published postmortem changes
// nothing visitors see until it is published again.
type PostmortemInfo struct {
	// Body is the published text: "" until first published.
	Body          string
	BodyUpdatedAt *time.Time
	// Draft is the text being edited.
	Draft          string
	DraftUpdatedAt *time.Time
	// PreviewKey, given as ?preview_key= on the public incident page, shows
	// the draft there to whoever has it.
	PreviewKey string
	// PublishedAt is nil while the postmortem is not published.
	PublishedAt         *time.Time
	NotifiedSubscribers bool
	// NotifyTwitter and CustomTweet are recorded as sent by clients;
	// Beacon posts nothing to Twitter.
	NotifyTwitter bool
	CustomTweet   string
	// CreatedAt is nil when the incident has no postmortem.
	CreatedAt *time.Time
	UpdatedAt *time.Time
}

// Exists reports whether the incident has a postmortem, drafted or
// published.
func (p PostmortemInfo) Exists() bool { return p.CreatedAt != nil }

// Update is one entry of an incident's timeline.
type Update struct {
	ID                   string
	IncidentID           string
	Status               Status
	Body                 string
	DisplayAt            time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
	DeliverNotifications bool
	// AffectedComponents are the status changes the update made; nil when
	// it made none.
	AffectedComponents []components.Change
}

// ReminderLead is how long before a maintenance starts its reminder goes out.
const ReminderLead = 60 * time.Minute

// Errors returned by this package.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// ValidationError reports an invalid field.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Msg) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
