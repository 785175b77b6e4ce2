// Package palette is Beacon's colours, written once: the impact and
// indicator colours that the public page (public/static/beacon.css), the
// badge, the favicon and the emails share, and the rule that keeps a page's
// accent colour readable as text (WCAG 2's contrast of 4.5:1, level AA),
// which the page's accent stylesheet and the emails both apply.
package palette

import "github.com/beacon-status/beacon/components"

// The impact and indicator colours (GitHub Primer's, as Statuspage's page
// uses them): each is text-dark enough on the light background, and white
// text on each reads at 4.5:1 or more. beacon.css's light scheme holds the
// same values (--ok, --minor, …), which public's tests compare.
const (
	OK          = "#1a7f37" // all systems operational
	Minor       = "#9a6700"
	Major       = "#bc4c00"
	Critical    = "#cf222e"
	Maintenance = "#0969da"
	// Muted is text of lesser weight, and the colour of an incident of no
	// impact.
	Muted = "#57606a"
)

// The backgrounds text in an accent colour is shown on: the light
// scheme's page (beacon.css --bg, the darkest light surface, on which a
// link's contrast is lowest) and the dark scheme's card (--card, the
// lightest dark surface). An email's card is white, lighter still.
const (
	LightBackground = "#f6f7f9"
	DarkSurface     = "#161b22"
)

// Impact is the colour of an incident's impact: Muted for none.
func Impact(i components.Impact) string {
	switch i {
	case components.ImpactMinor:
		return Minor
	case components.ImpactMajor:
		return Major
	case components.ImpactCritical:
		return Critical
	case components.ImpactMaintenance:
		return Maintenance
	}
	return Muted
}

// Indicator is the colour of the page's indicator (components.PageStatus):
// OK when nothing is wrong, Muted for an unknown one.
func Indicator(i components.Impact) string {
	if i == components.ImpactNone {
		return OK
	}
	return Impact(i)
}
