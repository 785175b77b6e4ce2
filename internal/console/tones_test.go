package console

import (
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

func TestTones(t *testing.T) {
	incident := func(kind incidents.Kind, status incidents.Status, impact components.Impact) incidents.Incident {
		return incidents.Incident{Kind: kind, Status: status, Impact: impact}
	}
	tests := []struct {
		name, got, want string
	}{
		{"open minor incident", incidentTone(incident(incidents.KindIncident, incidents.Investigating, components.ImpactMinor)), "minor"},
		{"open critical incident", incidentTone(incident(incidents.KindIncident, incidents.Identified, components.ImpactCritical)), "critical"},
		{"open incident of no impact", incidentTone(incident(incidents.KindIncident, incidents.Monitoring, components.ImpactNone)), "none"},
		{"resolved critical incident", incidentTone(incident(incidents.KindIncident, incidents.Resolved, components.ImpactCritical)), "ok"},
		{"upcoming maintenance", incidentTone(incident(incidents.KindMaintenance, incidents.Scheduled, components.ImpactNone)), "maintenance"},
		{"completed maintenance", incidentTone(incident(incidents.KindMaintenance, incidents.Completed, components.ImpactMaintenance)), "ok"},
		{"indicator none", indicatorTone(components.ImpactNone), "ok"},
		{"indicator major", indicatorTone(components.ImpactMajor), "major"},
		{"indicator maintenance", indicatorTone(components.ImpactMaintenance), "maintenance"},
		{"degraded component", statusTone(components.DegradedPerformance), "minor"},
		{"component in major outage", statusTone(components.MajorOutage), "critical"},
		{"operational component", statusTone(components.Operational), "ok"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: tone %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
