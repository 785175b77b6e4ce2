package console

import (
	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// incidentTone is an incident's pill colour, a tone-* class of console.css
// (a palette colour of beacon.css): green once it is over, the maintenance
// colour for maintenance, its impact's colour otherwise, "none" neutral.
func incidentTone(in incidents.Incident) string {
	switch {
	case in.Status.Closed():
		return "ok"
	case in.Kind == incidents.KindMaintenance:
		return "maintenance"
	case !in.Impact.Valid():
		return "none"
	}
	return string(in.Impact)
}

// indicatorTone is the page indicator's colour: "none" means all is well,
// which the public page's banner draws green.
func indicatorTone(i components.Impact) string {
	if i == components.ImpactNone || !i.Valid() {
		return "ok"
	}
	return string(i)
}

// statusTone is a component status's colour: its impact's, as the public
// page colours the status beside each component.
func statusTone(s components.Status) string { return indicatorTone(components.ImpactOf(s)) }
