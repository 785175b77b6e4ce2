package console

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/notifier"
)

// dashboardPages is the console's home screen.
type dashboardPages struct {
	*screen.Frame
	components *components.Service
	incidents  *incidents.Service
	outbox     *notifier.Outbox
	now        func() time.Time
	// integrations count the drafts alerts opened.
	integrations *integrations.Service
}

// dashboard is the console's home: the page as visitors see it, what is
// open, and the notification queue.
type dashboard struct {
	Tone        string // the indicator's, indicatorTone
	Description string
	Open        []incidentItem
	Active      []incidentItem
	Upcoming    []incidentItem
	Queue       []deliveryCounts
	Degraded    []degradedRow
	// Drafts are the incidents monitoring's alerts proposed, waiting for
	// staff.
	Drafts int
}

// degradedRow is a component that is not operational, with its status.
type degradedRow struct {
	Name, Status string
	Tone         string // statusTone
}

func (h *dashboardPages) getDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	// The lists the public page shows: unresolved incidents, maintenance in
	// progress and upcoming maintenance.
	filters := []incidents.Filter{incidents.UnresolvedFilter(), incidents.ActiveMaintenanceFilter(), incidents.UpcomingFilter()}
	for i := range filters {
		filters[i].Brief = true
	}
	lists, err := h.incidents.ListMany(ctx, filters...)
	if err != nil {
		return err
	}
	unresolved, active, upcoming := lists[0], lists[1], lists[2]
	loc, lang := h.Location(c), h.Lang(c)
	item := func(in incidents.Incident, at time.Time) incidentItem {
		return incidentItem{ID: in.ID, Name: in.Name, Status: lang.Enum("incident", string(in.Status)), Tone: incidentTone(in),
			When: lang.Date(i18n.DayTimeZone, at.In(loc))}
	}
	status := incidents.PageStatus(all, unresolved, active)
	d := dashboard{Tone: indicatorTone(status.Indicator), Description: lang.Enum("indicator", status.Description)}
	for _, in := range unresolved {
		d.Open = append(d.Open, item(in, in.StartedAt))
	}
	for _, in := range active {
		d.Active = append(d.Active, item(in, *in.ScheduledUntil))
	}
	for _, in := range upcoming {
		d.Upcoming = append(d.Upcoming, item(in, *in.ScheduledFor))
	}
	drafts, err := h.integrations.Drafts(ctx)
	if err != nil {
		return err
	}
	d.Drafts = len(drafts)
	for _, comp := range all {
		if !comp.Group && comp.Status != components.Operational {
			d.Degraded = append(d.Degraded, degradedRow{Name: comp.Name, Status: lang.Enum("component", string(comp.Status)), Tone: statusTone(comp.Status)})
		}
	}
	queue, err := h.outbox.Queue(ctx, h.now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for _, ch := range channels {
		if n := queue[ch]; listed(ch, n.Pending+n.Sending+n.Sent+n.Failed) {
			d.Queue = append(d.Queue, deliveryCounts{Channel: ch, Counts: n})
		}
	}
	return h.Render(c, fiber.StatusOK, "dashboard", screen.View{Title: lang.T("console.nav.dashboard"), Section: "dashboard", Data: d})
}
