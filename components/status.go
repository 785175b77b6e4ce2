// Package components holds the page, its components and groups, their status
// history, uptime, and the page-wide status indicator derived from them.
package components

import (
	"errors"
	"fmt"
)

// Status is a component's state.
type Status string

// The component statuses of Statuspage's API.
const (
	Operational         Status = "operational"
	DegradedPerformance Status = "degraded_performance"
	PartialOutage       Status = "partial_outage"
	MajorOutage         Status = "major_outage"
	UnderMaintenance    Status = "under_maintenance"
)

// Valid reports whether s is one of the five statuses.
func (s Status) Valid() bool { return s.rank() >= 0 }

// rank orders statuses from best to worst for roll-ups: maintenance is
// better than any degradation, so a group with one member under maintenance
// and one degraded shows degraded.
func (s Status) rank() int {
	switch s {
	case Operational:
		return 0
	case UnderMaintenance:
		return 1
	case DegradedPerformance:
		return 2
	case PartialOutage:
		return 3
	case MajorOutage:
		return 4
	}
	return -1
}

// Worse reports whether s is worse than t.
func (s Status) Worse(t Status) bool { return s.rank() > t.rank() }

// Label is the status as visitors read it.
func (s Status) Label() string {
	switch s {
	case Operational:
		return "Operational"
	case DegradedPerformance:
		return "Degraded Performance"
	case PartialOutage:
		return "Partial Outage"
	case MajorOutage:
		return "Major Outage"
	case UnderMaintenance:
		return "Under Maintenance"
	}
	return string(s)
}

// Worst returns the worst of statuses, or Operational for none.
func Worst(statuses ...Status) Status {
	w := Operational
	for _, s := range statuses {
		if s.Worse(w) {
			w = s
		}
	}
	return w
}

// Impact is the severity of an incident and of the page as a whole: the
// summary indicator of Statuspage's API.
type Impact string

// The impacts, which double as page indicators.
const (
	ImpactNone        Impact = "none"
	ImpactMaintenance Impact = "maintenance"
	ImpactMinor       Impact = "minor"
	ImpactMajor       Impact = "major"
	ImpactCritical    Impact = "critical"
)

// Valid reports whether i is one of the five impacts.
func (i Impact) Valid() bool { return i.rank() >= 0 }

func (i Impact) rank() int {
	switch i {
	case ImpactNone:
		return 0
	case ImpactMaintenance:
		return 1
	case ImpactMinor:
		return 2
	case ImpactMajor:
		return 3
	case ImpactCritical:
		return 4
	}
	return -1
}

// Worse reports whether i is more severe than j.
func (i Impact) Worse(j Impact) bool { return i.rank() > j.rank() }

// ImpactOf maps a component status to the incident impact it implies:
// major outage is critical, partial outage major, degraded minor.
func ImpactOf(s Status) Impact {
	switch s {
	case MajorOutage:
		return ImpactCritical
	case PartialOutage:
		return ImpactMajor
	case DegradedPerformance:
		return ImpactMinor
	case UnderMaintenance:
		return ImpactMaintenance
	}
	return ImpactNone
}

// Errors returned by this package.
var (
	ErrNotFound = errors.New("not found")
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
