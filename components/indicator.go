package components

// PageStatus is the page's summary indicator with its description, as in
// Statuspage's status.json.
type PageStatus struct {
	Indicator   Impact `json:"indicator"`
	Description string `json:"description"`
}

// The seven descriptions Statuspage uses, and nothing else.
const (
	AllSystemsOperational    = "All Systems Operational"
	MinorServiceOutage       = "Minor Service Outage"
	DegradedSystemService    = "Degraded System Service"
	PartiallyDegradedService = "Partially Degraded Service"
	PartialSystemOutage      = "Partial System Outage"
	MajorSystemOutage        = "Major System Outage"
	ServiceUnderMaintenance  = "Service Under Maintenance"
)

// Rollup derives the page status from the statuses of the leaf components
// (groups excluded) and raises it to the impact of the worst unresolved
// incident when that is more severe, following Statuspage's rules
// (reference/statuspage.md §1(b)).
func Rollup(leaves []Status, worstIncident Impact) PageStatus {
	blend := blendStatuses(leaves)
	if worstIncident.Worse(blend.Indicator) {
		return describeImpact(worstIncident)
	}
	return blend
}

func blendStatuses(leaves []Status) PageStatus {
	var major, partial, degraded, maintenance int
	for _, s := range leaves {
		switch s {
		case MajorOutage:
			major++
		case PartialOutage:
			partial++
		case DegradedPerformance:
			degraded++
		case UnderMaintenance:
			maintenance++
		}
	}
	n := len(leaves)
	if n == 1 {
		// One component: its status maps straight to the page.
		switch leaves[0] {
		case MajorOutage:
			return PageStatus{ImpactCritical, MajorSystemOutage}
		case PartialOutage:
			return PageStatus{ImpactMajor, PartialSystemOutage}
		case DegradedPerformance:
			return PageStatus{ImpactMinor, PartiallyDegradedService}
		case UnderMaintenance:
			return PageStatus{ImpactMaintenance, ServiceUnderMaintenance}
		}
		return PageStatus{ImpactNone, AllSystemsOperational}
	}
	switch {
	case n > 0 && major == n:
		return PageStatus{ImpactCritical, MajorSystemOutage}
	case major > 0 || n > 0 && partial == n:
		return PageStatus{ImpactMajor, PartialSystemOutage}
	case partial > 0:
		return PageStatus{ImpactMinor, MinorServiceOutage}
	case n > 0 && degraded == n:
		return PageStatus{ImpactMinor, DegradedSystemService}
	case degraded > 0:
		return PageStatus{ImpactMinor, PartiallyDegradedService}
	case maintenance > 0:
		return PageStatus{ImpactMaintenance, ServiceUnderMaintenance}
	}
	return PageStatus{ImpactNone, AllSystemsOperational}
}

// describeImpact gives an incident-raised indicator the description
// Statuspage shows for that severity.
func describeImpact(i Impact) PageStatus {
	switch i {
	case ImpactCritical:
		return PageStatus{ImpactCritical, MajorSystemOutage}
	case ImpactMajor:
		return PageStatus{ImpactMajor, PartialSystemOutage}
	case ImpactMinor:
		return PageStatus{ImpactMinor, MinorServiceOutage}
	case ImpactMaintenance:
		return PageStatus{ImpactMaintenance, ServiceUnderMaintenance}
	}
	return PageStatus{ImpactNone, AllSystemsOperational}
}
