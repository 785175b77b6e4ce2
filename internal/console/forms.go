package console

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
)

// What several screens' forms share: selects, component rows, and reading
// ticked boxes and local times.

func statusOptions(list []incidents.Status, cur incidents.Status) []screen.Option {
	out := make([]screen.Option, 0, len(list))
	for _, s := range list {
		out = append(out, screen.Option{Value: string(s), Label: s.Label(), Kind: "incident", Selected: s == cur})
	}
	return out
}

// The choices the forms offer, in the order they show them.
var (
	incidentStatuses    = []incidents.Status{incidents.Investigating, incidents.Identified, incidents.Monitoring, incidents.Resolved}
	maintenanceStatuses = []incidents.Status{incidents.Scheduled, incidents.InProgress, incidents.Verifying, incidents.Completed}
	componentStatuses   = []components.Status{components.Operational, components.DegradedPerformance, components.PartialOutage,
		components.MajorOutage, components.UnderMaintenance}
	impacts = []components.Impact{components.ImpactNone, components.ImpactMinor, components.ImpactMajor, components.ImpactCritical, components.ImpactMaintenance}
)

// channels are the notification channels, in the order screens list them.
// A chat channel is listed only when it has something to count
// (listed).
var channels = append([]notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}, notifier.Chats...)

// listed reports whether a screen lists ch with a count of n: the chat
// channels, five of them, only when they count something.
func listed(ch notifier.Channel, n int) bool { return !ch.Chat() || n > 0 }

// componentRow is one component in a form: its current status and the one
// the form would give it ("" for no change / not affected).
type componentRow struct {
	ID, Name string
	Group    bool
	InGroup  bool
	Current  components.Status
	Set      components.Status
	Checked  bool
	Options  []screen.Option
}

// componentStatusOptions are the statuses to choose from, after a blank
// choice whose label is the message blankID.
func componentStatusOptions(cur components.Status, blankID string) []screen.Option {
	out := []screen.Option{{Value: "", ID: blankID, Selected: cur == ""}}
	for _, s := range componentStatuses {
		out = append(out, screen.Option{Value: string(s), Label: s.Label(), Kind: "component", Selected: s == cur})
	}
	return out
}

// componentRows lists the components for a form, with set holding the
// statuses chosen and checked the components ticked.
func componentRows(all []components.Component, set map[string]components.Status, checked []string) []componentRow {
	rows := make([]componentRow, 0, len(all))
	for _, c := range all {
		rows = append(rows, componentRow{ID: c.ID, Name: c.Name, Group: c.Group, InGroup: c.GroupID != "", Current: c.Status,
			Set: set[c.ID], Checked: slices.Contains(checked, c.ID), Options: componentStatusOptions(set[c.ID], "console.components_field.no_change")})
	}
	return rows
}

// checkRows lists the components as checkboxes, those in checked ticked.
func checkRows(all []components.Component, checked []string) []componentRow {
	rows := componentRows(all, nil, checked)
	for i := range rows {
		rows[i].Options = nil
	}
	return rows
}

// formStatuses reads the component_<id> selects of a form.
func formStatuses(c *fiber.Ctx, all []components.Component) map[string]components.Status {
	out := map[string]components.Status{}
	for _, comp := range all {
		if v := c.FormValue("component_" + comp.ID); v != "" && !comp.Group {
			out[comp.ID] = components.Status(v)
		}
	}
	return out
}

// formChecked reads a list of ticked checkboxes named name.
func formChecked(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	if form, err := c.MultipartForm(); err == nil {
		out = append(out, form.Value[name]...)
	}
	return out
}

// localTime is a datetime-local value ("2006-01-02T15:04") in the page's
// zone.
const localTime = "2006-01-02T15:04"

func parseLocal(l *i18n.Lang, field, v string, loc *time.Location) (*time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(localTime, v, loc)
	if err != nil {
		if t, err = time.ParseInLocation(localTime+":05", v, loc); err != nil {
			return nil, web.Unprocessable(field, "%s", l.T("console.incident_new.date_invalid"))
		}
	}
	return &t, nil
}

// deliveryCounts are one update's notifications on one channel.
type deliveryCounts struct {
	Channel notifier.Channel `json:"channel"`
	notifier.Counts
}

// Total is every delivery of the channel.
func (d deliveryCounts) Total() int { return d.Pending + d.Sending + d.Sent + d.Failed + d.Cancelled }

// incidentItem is one incident or maintenance in a list.
type incidentItem struct {
	ID, Name, Status, When string
	Tone                   string // incidentTone
}
