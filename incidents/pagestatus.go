package incidents

import "github.com/beacon-status/beacon/components"

// openCap bounds the open incidents and maintenances a page reads at once:
// far more than any real page has open.
const openCap = 1000

// UnresolvedFilter selects the incidents not yet resolved, newest first
// (maintenances are not incidents here).
func UnresolvedFilter() Filter {
	return Filter{Kind: KindIncident, Statuses: []Status{Investigating, Identified, Monitoring}, Limit: openCap}
}

// UpcomingFilter selects the maintenances not yet started, soonest first.
func UpcomingFilter() Filter {
	return Filter{Kind: KindMaintenance, Statuses: []Status{Scheduled}, Upcoming: true, Limit: openCap}
}

// ActiveMaintenanceFilter selects the maintenances in progress or being
// verified, soonest started first.
func ActiveMaintenanceFilter() Filter {
	return Filter{Kind: KindMaintenance, Statuses: []Status{InProgress, Verifying}, Upcoming: true, Limit: openCap}
}

// PageStatus is the page's summary indicator: the roll-up of all's leaf
// components, raised to the impact of the worst of open — the unresolved
// incidents and the maintenances in progress (reference/statuspage.md
// §1(b)). The public page, the console and the webhook payloads all say
// the same.
func PageStatus(all []components.Component, open ...[]Incident) components.PageStatus {
	worst := components.ImpactNone
	for _, list := range open {
		for _, in := range list {
			if in.Impact.Worse(worst) {
				worst = in.Impact
			}
		}
	}
	return components.Rollup(components.Leaves(all), worst)
}

// UpdateRepeats reports whether update i of in kept the status of the
// update before it, which a timeline labels "Update" (in the reader's
// language), as Statuspage labels one, rather than by its status. Updates
// are newest first.
func UpdateRepeats(in Incident, i int) bool {
	return i+1 < len(in.Updates) && in.Updates[i+1].Status == in.Updates[i].Status
}
