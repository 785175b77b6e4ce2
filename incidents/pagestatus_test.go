package incidents_test

import (
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

func TestPageStatus(t *testing.T) {
	leaf := func(s components.Status) components.Component { return components.Component{Status: s} }
	open := func(i components.Impact) incidents.Incident { return incidents.Incident{Impact: i} }
	allUp := []components.Component{leaf(components.Operational), leaf(components.Operational)}
	tests := []struct {
		name string
		all  []components.Component
		open [][]incidents.Incident
		want components.Impact
	}{
		{"nothing wrong", allUp, nil, components.ImpactNone},
		{"a degraded component", []components.Component{leaf(components.Operational), leaf(components.DegradedPerformance)}, nil, components.ImpactMinor},
		{"an open major incident on healthy components", allUp, [][]incidents.Incident{{open(components.ImpactMinor), open(components.ImpactMajor)}}, components.ImpactMajor},
		{"maintenance in progress", allUp, [][]incidents.Incident{nil, {open(components.ImpactMaintenance)}}, components.ImpactMaintenance},
		{"a group's own status does not count", []components.Component{leaf(components.Operational), {Group: true, Status: components.MajorOutage}}, nil, components.ImpactNone},
		{"a major outage outranks a minor incident", []components.Component{leaf(components.MajorOutage)}, [][]incidents.Incident{{open(components.ImpactMinor)}}, components.ImpactCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := incidents.PageStatus(tt.all, tt.open...)
			if got.Indicator != tt.want || got.Description == "" {
				t.Errorf("got %+v, want indicator %q with a description", got, tt.want)
			}
		})
	}
}
