package components_test

import (
	"slices"
	"testing"

	"github.com/beacon-status/beacon/components"
)

// Short names keep the rule tables below readable.
const (
	op    = components.Operational
	maint = components.UnderMaintenance
	degr  = components.DegradedPerformance
	part  = components.PartialOutage
	major = components.MajorOutage
)

func TestRollupBlend(t *testing.T) {
	tests := []struct {
		name   string
		leaves []components.Status
		want   components.PageStatus
	}{
		{"no components", nil,
			components.PageStatus{Indicator: components.ImpactNone, Description: components.AllSystemsOperational}},

		// One component: its status maps straight to the page (§1(b) table).
		{"one operational", []components.Status{op},
			components.PageStatus{Indicator: components.ImpactNone, Description: components.AllSystemsOperational}},
		{"one under maintenance", []components.Status{maint},
			components.PageStatus{Indicator: components.ImpactMaintenance, Description: components.ServiceUnderMaintenance}},
		{"one degraded", []components.Status{degr},
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.PartiallyDegradedService}},
		{"one partial outage", []components.Status{part},
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"one major outage", []components.Status{major},
			components.PageStatus{Indicator: components.ImpactCritical, Description: components.MajorSystemOutage}},

		// Rule 1: every component in major outage.
		{"all major outage", []components.Status{major, major, major},
			components.PageStatus{Indicator: components.ImpactCritical, Description: components.MajorSystemOutage}},
		// Rule 2: any major outage, or every component in partial outage.
		{"a single major outage among many is major not critical", []components.Status{op, op, op, major},
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"major outage beside partial outages", []components.Status{major, part, part},
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"major outage beside maintenance", []components.Status{maint, major},
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"all partial outage", []components.Status{part, part},
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		// Rule 3: some, not all, in partial outage.
		{"some partial outage", []components.Status{op, part, op},
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.MinorServiceOutage}},
		{"partial outage beside degraded", []components.Status{part, degr},
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.MinorServiceOutage}},
		// Rule 4: every component degraded.
		{"all degraded", []components.Status{degr, degr, degr},
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.DegradedSystemService}},
		// Rule 5: some degraded.
		{"some degraded", []components.Status{op, degr},
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.PartiallyDegradedService}},
		{"degraded beside maintenance", []components.Status{maint, degr},
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.PartiallyDegradedService}},
		// Rule 6: maintenance and nothing worse.
		{"some under maintenance", []components.Status{op, maint, op},
			components.PageStatus{Indicator: components.ImpactMaintenance, Description: components.ServiceUnderMaintenance}},
		{"all under maintenance", []components.Status{maint, maint},
			components.PageStatus{Indicator: components.ImpactMaintenance, Description: components.ServiceUnderMaintenance}},
		// Rule 7: otherwise.
		{"all operational", []components.Status{op, op, op},
			components.PageStatus{Indicator: components.ImpactNone, Description: components.AllSystemsOperational}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := components.Rollup(tt.leaves, components.ImpactNone)
			if got != tt.want {
				t.Errorf("Rollup(%v, none) = %+v, want %+v", tt.leaves, got, tt.want)
			}
		})
	}
}

func TestRollupIncidentRaises(t *testing.T) {
	tests := []struct {
		name     string
		leaves   []components.Status
		incident components.Impact
		want     components.PageStatus
	}{
		// A worse unresolved incident raises the indicator and takes the
		// description Statuspage shows for that severity.
		{"critical incident over operational", []components.Status{op, op}, components.ImpactCritical,
			components.PageStatus{Indicator: components.ImpactCritical, Description: components.MajorSystemOutage}},
		{"major incident over operational", []components.Status{op, op}, components.ImpactMajor,
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"minor incident over operational", []components.Status{op, op}, components.ImpactMinor,
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.MinorServiceOutage}},
		{"maintenance over operational", []components.Status{op, op}, components.ImpactMaintenance,
			components.PageStatus{Indicator: components.ImpactMaintenance, Description: components.ServiceUnderMaintenance}},
		{"incident with no components", nil, components.ImpactMajor,
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"major incident over degraded", []components.Status{op, degr}, components.ImpactMajor,
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"minor incident over maintenance", []components.Status{op, maint}, components.ImpactMinor,
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.MinorServiceOutage}},
		{"critical incident over one major outage among many", []components.Status{op, major}, components.ImpactCritical,
			components.PageStatus{Indicator: components.ImpactCritical, Description: components.MajorSystemOutage}},

		// A less or equally severe incident leaves the blend as it is,
		// description included.
		{"minor incident under all major outage", []components.Status{major, major}, components.ImpactMinor,
			components.PageStatus{Indicator: components.ImpactCritical, Description: components.MajorSystemOutage}},
		{"maintenance under partial outage", []components.Status{part}, components.ImpactMaintenance,
			components.PageStatus{Indicator: components.ImpactMajor, Description: components.PartialSystemOutage}},
		{"minor incident equal to degraded blend", []components.Status{op, degr}, components.ImpactMinor,
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.PartiallyDegradedService}},
		{"minor incident equal to all degraded", []components.Status{degr, degr}, components.ImpactMinor,
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.DegradedSystemService}},
		{"maintenance incident under degraded", []components.Status{degr}, components.ImpactMaintenance,
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.PartiallyDegradedService}},
		{"no incident impact", []components.Status{op, part}, components.ImpactNone,
			components.PageStatus{Indicator: components.ImpactMinor, Description: components.MinorServiceOutage}},
		{"no incident at all", []components.Status{op, op}, "",
			components.PageStatus{Indicator: components.ImpactNone, Description: components.AllSystemsOperational}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := components.Rollup(tt.leaves, tt.incident)
			if got != tt.want {
				t.Errorf("Rollup(%v, %q) = %+v, want %+v", tt.leaves, tt.incident, got, tt.want)
			}
		})
	}
}

func TestLeavesExcludesGroups(t *testing.T) {
	all := []components.Component{
		{ID: "a", Status: op},
		{ID: "g", Group: true, Status: major, Members: []string{"b", "c"}},
		{ID: "b", GroupID: "g", Status: major},
		{ID: "c", GroupID: "g", Status: op},
	}
	got := components.Leaves(all)
	want := []components.Status{op, major, op}
	if !slices.Equal(got, want) {
		t.Errorf("Leaves = %v, want %v", got, want)
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		name     string
		statuses []components.Status
		want     components.Status
	}{
		{"none", nil, op},
		{"maintenance is better than degraded", []components.Status{maint, degr}, degr},
		{"maintenance is worse than operational", []components.Status{op, maint}, maint},
		{"major is worst", []components.Status{part, major, degr}, major},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := components.Worst(tt.statuses...); got != tt.want {
				t.Errorf("Worst(%v) = %q, want %q", tt.statuses, got, tt.want)
			}
		})
	}
}

func TestImpactOf(t *testing.T) {
	tests := []struct {
		status components.Status
		want   components.Impact
	}{
		{op, components.ImpactNone},
		{maint, components.ImpactMaintenance},
		{degr, components.ImpactMinor},
		{part, components.ImpactMajor},
		{major, components.ImpactCritical},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			if got := components.ImpactOf(tt.status); got != tt.want {
				t.Errorf("ImpactOf(%q) = %q, want %q", tt.status, got, tt.want)
			}
		})
	}
}
