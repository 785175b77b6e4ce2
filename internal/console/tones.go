package console

import (
	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// A tone names the colour a pill or the dashboard's status box is drawn in:
// console.css's tone-* classes, each the palette colour of beacon.css
// (--ok, --minor, --major, --critical, --maint), or neutral for "none".
// The console has its own classes rather than reusing the public page's
// impact-*, whose border rules are shaped for the page's cards.

// incidentTone is an incident's pill colour: green once it is over, the
// maintenance colour for maintenance, and its impact's colour otherwise.
func incidentTone(in incidents.Incident) string {
	switch {
	case in.Status.Closed():
		return "ok"
	case in.Kind == incidents.KindMaintenance:
		return "maintenance"
	}
	return impactTone(in.Impact)
}

// impactTone is an impact's colour; an incident of no impact is neutral.
func impactTone(i components.Impact) string {
	if !i.Valid() {
		return "none"
	}
	return string(i)
}

// indicatorTone is the page indicator's colour: "none" means all is well,
// which the public page's banner draws green.
func indicatorTone(i components.Impact) string {
	if i == components.ImpactNone || !i.Valid() {
		return "ok"
	}
	return string(i)
}

// statusTone is a component status's colour, as the public page colours
// the status beside each component.
func statusTone(s components.Status) string {
	switch s {
	case components.DegradedPerformance:
		return "minor"
	case components.PartialOutage:
		return "major"
	case components.MajorOutage:
		return "critical"
	case components.UnderMaintenance:
		return "maintenance"
	}
	return "ok"
}
