package main

import (
	"context"
	"errors"
	"html/template"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// Console screens for incidents and maintenance.

// option is one entry of a select.
type option struct {
	Value, Label string
	Selected     bool
}

func statusOptions(list []incidents.Status, cur incidents.Status) []option {
	out := make([]option, 0, len(list))
	for _, s := range list {
		out = append(out, option{Value: string(s), Label: s.Label(), Selected: s == cur})
	}
	return out
}

var (
	incidentStatuses    = []incidents.Status{incidents.Investigating, incidents.Identified, incidents.Monitoring, incidents.Resolved}
	maintenanceStatuses = []incidents.Status{incidents.Scheduled, incidents.InProgress, incidents.Verifying, incidents.Completed}
	componentStatuses   = []components.Status{components.Operational, components.DegradedPerformance, components.PartialOutage,
		components.MajorOutage, components.UnderMaintenance}
	impacts = []components.Impact{components.ImpactNone, components.ImpactMinor, components.ImpactMajor, components.ImpactCritical, components.ImpactMaintenance}
)

// componentRow is one component in a form: its current status and the one
// the form would give it ("" for no change / not affected).
type componentRow struct {
	ID, Name string
	Group    bool
	InGroup  bool
	Current  components.Status
	Set      components.Status
	Checked  bool
	Options  []option
}

func componentStatusOptions(cur components.Status, blank string) []option {
	out := []option{{Value: "", Label: blank, Selected: cur == ""}}
	for _, s := range componentStatuses {
		out = append(out, option{Value: string(s), Label: s.Label(), Selected: s == cur})
	}
	return out
}

// componentRows lists the components for a form, with set holding the
// statuses chosen and checked the components ticked.
func componentRows(all []components.Component, set map[string]components.Status, checked []string) []componentRow {
	rows := make([]componentRow, 0, len(all))
	for _, c := range all {
		rows = append(rows, componentRow{ID: c.ID, Name: c.Name, Group: c.Group, InGroup: c.GroupID != "", Current: c.Status,
			Set: set[c.ID], Checked: slices.Contains(checked, c.ID), Options: componentStatusOptions(set[c.ID], "No change")})
	}
	return rows
}

// componentsByID indexes components by id.
func componentsByID(all []components.Component) map[string]components.Component {
	m := make(map[string]components.Component, len(all))
	for _, c := range all {
		m[c.ID] = c
	}
	return m
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

func formBool(c *fiber.Ctx, name string) bool {
	v := c.FormValue(name)
	return v == "1" || v == "on" || v == "true"
}

// localTime is a datetime-local value ("2006-01-02T15:04") in the page's
// zone.
const localTime = "2006-01-02T15:04"

// pageLocation is the page's time zone, for a console request.
func (a *app) pageLocation(c *fiber.Ctx) *time.Location { return a.consolePage(c).Location() }

func parseLocal(field, v string, loc *time.Location) (*time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(localTime, v, loc)
	if err != nil {
		if t, err = time.ParseInLocation(localTime+":05", v, loc); err != nil {
			return nil, web.Unprocessable(field, "must be a date and time such as 2026-05-01T14:30")
		}
	}
	return &t, nil
}

// incidentForm is the new-incident and new-maintenance forms' data.
type incidentForm struct {
	Maintenance    bool
	Name, Body     string
	Statuses       []option
	Impacts        []option
	Components     []componentRow
	Notify         bool
	Backfill       bool
	BackfillDate   string
	ScheduledFor   string
	ScheduledUntil string
	Automation     incidents.Automation
	Templates      []incidents.Template
	TemplateID     string
	Zone           string
}

func impactOptions(cur components.Impact) []option {
	out := []option{{Value: "", Label: "Derived from component statuses", Selected: cur == ""}}
	for _, i := range impacts {
		out = append(out, option{Value: string(i), Label: strings.ToUpper(string(i[:1])) + string(i[1:]), Selected: i == cur})
	}
	return out
}

// newIncidentForm is the empty new-incident or new-maintenance form, and
// the components it lists.
func (a *app) newIncidentForm(c *fiber.Ctx, maintenance bool) (incidentForm, []components.Component, error) {
	ctx := c.UserContext()
	all, err := a.components.List(ctx)
	if err != nil {
		return incidentForm{}, nil, err
	}
	tpls, err := a.incidents.Templates(ctx)
	if err != nil {
		return incidentForm{}, nil, err
	}
	f := incidentForm{Maintenance: maintenance, Notify: true, Templates: tpls, Impacts: impactOptions(""),
		Zone: a.pageLocation(c).String(),
		Automation: incidents.Automation{RemindPrior: true, AutoInProgress: true, AutoCompleted: true, ToMaintenanceState: true,
			ToOperationalState: true, NotifyAtStart: true, NotifyAtEnd: true}}
	if maintenance {
		f.Statuses = statusOptions(maintenanceStatuses, incidents.Scheduled)
		f.Components = checkRows(all, nil)
	} else {
		f.Statuses = statusOptions(incidentStatuses, incidents.Investigating)
		f.Components = componentRows(all, nil, nil)
	}
	return f, all, nil
}

// checkRows lists the components as checkboxes, those in checked ticked.
func checkRows(all []components.Component, checked []string) []componentRow {
	rows := componentRows(all, nil, checked)
	for i := range rows {
		rows[i].Options = nil
	}
	return rows
}

func (a *app) getNewIncident(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, all, err := a.newIncidentForm(c, false)
	if err != nil {
		return err
	}
	if id := c.Query("template"); id != "" {
		tpl, err := a.incidents.Template(ctx, id)
		if err != nil {
			return err
		}
		f.TemplateID, f.Name, f.Body, f.Notify = tpl.ID, tpl.Title, tpl.Body, tpl.DeliverNotifications
		f.Statuses = statusOptions(incidentStatuses, tpl.Status)
		set := map[string]components.Status{}
		for _, id := range tpl.ComponentIDs {
			set[id] = components.DegradedPerformance
		}
		f.Components = componentRows(all, set, nil)
	}
	return a.renderConsole(c, fiber.StatusOK, "incident_new", consoleView{Title: "New incident", Section: "incidents", Data: f})
}

func (a *app) postNewIncident(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, all, err := a.newIncidentForm(c, false)
	if err != nil {
		return err
	}
	set := formStatuses(c, all)
	status := incidents.Status(c.FormValue("status"))
	impact := components.Impact(c.FormValue("impact_override"))
	f.Name, f.Body, f.Notify = c.FormValue("name"), c.FormValue("body"), formBool(c, "deliver_notifications")
	f.Statuses, f.Impacts, f.Components = statusOptions(incidentStatuses, status), impactOptions(impact), componentRows(all, set, nil)
	f.Backfill, f.BackfillDate, f.TemplateID = formBool(c, "backfill"), c.FormValue("backfill_date"), c.FormValue("template_id")
	view := consoleView{Title: "New incident", Section: "incidents", Data: f}

	if !slices.Contains(incidentStatuses, status) {
		return a.formError(c, "incident_new", view, web.Unprocessable("status", "choose a status"))
	}
	if impact != "" && !slices.Contains(impacts, impact) {
		return a.formError(c, "incident_new", view, web.Unprocessable("impact_override", "choose an impact"))
	}
	if f.TemplateID != "" {
		if _, err := a.incidents.Template(ctx, f.TemplateID); errors.Is(err, incidents.ErrNotFound) {
			// The form shown again carries no template, so that posting it
			// as corrected is not refused for the same reason.
			f.TemplateID = ""
			view.Data = f
			return a.refuse(web.Unprocessable("template_id", "names no template (it may have been deleted)"), view, nil,
				"The incident was not posted: ", func(v consoleView) error {
					return a.renderConsole(c, fiber.StatusUnprocessableEntity, "incident_new", v)
				})
		} else if err != nil {
			return err
		}
	}
	n := incidents.NewIncident{Name: f.Name, Status: status, Body: f.Body, ImpactOverride: impact, Components: set,
		DeliverNotifications: &f.Notify}
	if f.Backfill {
		at, err := parseLocal("backfill_date", f.BackfillDate, a.pageLocation(c))
		if err != nil {
			return a.formError(c, "incident_new", view, err)
		}
		if at == nil {
			return a.formError(c, "incident_new", view, web.Unprocessable("backfill_date", "is needed for a past incident"))
		}
		n = incidents.NewIncident{Name: f.Name, Body: f.Body, ImpactOverride: impact, Backfilled: true, BackfillDate: at,
			ComponentIDs: keys(set)}
	}
	in, err := a.incidents.Create(ctx, n)
	if err != nil {
		return a.formError(c, "incident_new", view, err)
	}
	web.SetAuditTarget(c, in.ID)
	return a.seeOther(c, "/console/incidents/"+in.ID, "Incident posted."+notifyNote(f.Notify && !f.Backfill))
}

func keys(m map[string]components.Status) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func notifyNote(notify bool) string {
	if notify {
		return " Subscribers are being notified."
	}
	return " No one was notified."
}

func (a *app) getNewMaintenance(c *fiber.Ctx) error {
	f, _, err := a.newIncidentForm(c, true)
	if err != nil {
		return err
	}
	loc := a.pageLocation(c)
	start := a.now().In(loc).Add(24 * time.Hour).Truncate(time.Hour)
	f.ScheduledFor, f.ScheduledUntil = start.Format(localTime), start.Add(2*time.Hour).Format(localTime)
	return a.renderConsole(c, fiber.StatusOK, "maintenance_new", consoleView{Title: "Schedule maintenance", Section: "maintenance", Data: f})
}

// formAutomation reads a maintenance's flags.
func formAutomation(c *fiber.Ctx) (incidents.Automation, incidents.AutomationInput) {
	au := incidents.Automation{
		RemindPrior: formBool(c, "remind_prior"), AutoInProgress: formBool(c, "auto_in_progress"), AutoCompleted: formBool(c, "auto_completed"),
		ToMaintenanceState: formBool(c, "to_maintenance_state"), ToOperationalState: formBool(c, "to_operational_state"),
		NotifyAtStart: formBool(c, "notify_at_start"), NotifyAtEnd: formBool(c, "notify_at_end"),
	}
	return au, incidents.AutomationInput{RemindPrior: &au.RemindPrior, AutoInProgress: &au.AutoInProgress, AutoCompleted: &au.AutoCompleted,
		ToMaintenanceState: &au.ToMaintenanceState, ToOperationalState: &au.ToOperationalState,
		NotifyAtStart: &au.NotifyAtStart, NotifyAtEnd: &au.NotifyAtEnd}
}

func (a *app) postNewMaintenance(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, all, err := a.newIncidentForm(c, true)
	if err != nil {
		return err
	}
	checked := formChecked(c, "component_ids")
	f.Name, f.Body, f.Notify = c.FormValue("name"), c.FormValue("body"), formBool(c, "deliver_notifications")
	f.ScheduledFor, f.ScheduledUntil = c.FormValue("scheduled_for"), c.FormValue("scheduled_until")
	f.Components = checkRows(all, checked)
	var auto incidents.AutomationInput
	f.Automation, auto = formAutomation(c)
	view := consoleView{Title: "Schedule maintenance", Section: "maintenance", Data: f}
	loc := a.pageLocation(c)
	from, err := parseLocal("scheduled_for", f.ScheduledFor, loc)
	if err == nil && from == nil {
		err = web.Unprocessable("scheduled_for", "is needed")
	}
	if err != nil {
		return a.formError(c, "maintenance_new", view, err)
	}
	until, err := parseLocal("scheduled_until", f.ScheduledUntil, loc)
	if err == nil && until == nil {
		err = web.Unprocessable("scheduled_until", "is needed")
	}
	if err != nil {
		return a.formError(c, "maintenance_new", view, err)
	}
	in, err := a.incidents.Create(ctx, incidents.NewIncident{Name: f.Name, Status: incidents.Scheduled, Body: f.Body,
		ComponentIDs: checked, DeliverNotifications: &f.Notify, ScheduledFor: from, ScheduledUntil: until, Automation: auto})
	if err != nil {
		return a.formError(c, "maintenance_new", view, err)
	}
	web.SetAuditTarget(c, in.ID)
	return a.seeOther(c, "/console/incidents/"+in.ID, "Maintenance scheduled."+notifyNote(f.Notify))
}

// deliveryCounts are one update's notifications on one channel.
type deliveryCounts struct {
	Channel notifier.Channel `json:"channel"`
	notifier.Counts
}

// Total is every delivery of the channel.
func (d deliveryCounts) Total() int { return d.Pending + d.Sending + d.Sent + d.Failed + d.Cancelled }

// updateRow is one update of an incident's timeline in the console.
type updateRow struct {
	ID, Label string
	Body      template.HTML
	Raw       string
	At        string
	Notified  bool
	Preparing bool // its notifications are not fanned out yet
	Counts    []deliveryCounts
}

// incidentScreen is the incident page's data.
type incidentScreen struct {
	Incident    incidents.Incident
	Maintenance bool
	Closed      bool
	Impact      string
	Affected    string
	Window      string
	Statuses    []option
	Components  []componentRow
	Updates     []updateRow
	Busy        bool // notifications still going out
	Form        struct{ Body string }
	Reschedule  struct{ From, Until, Name string }
	Postmortem  string
	Published   bool
	// PreviewKey opens the draft on the public incident page; "" before
	// the first draft.
	PreviewKey string
	Followers  followersBox
}

// followersBox is who follows the incident alone: counts by state, and
// the first followersShown of them.
type followersBox struct {
	Total, Confirmed, Waiting, Left int
	Rows                            []followerRow
	More                            int // followers beyond the rows
}

// followerRow is one follower; Address is masked, for the screen is
// responders' too.
type followerRow struct {
	ID, Address, Channel, State, Since string
	Confirmed                          bool
}

const followersShown = 50

// followers reads the incident's followers for its screen.
func (a *app) followers(ctx context.Context, incidentID string, loc *time.Location) (followersBox, error) {
	list, total, err := a.subscribers.Followers(ctx, incidentID, followersShown, 0)
	if err != nil {
		return followersBox{}, err
	}
	states, err := a.subscribers.FollowerStates(ctx, incidentID)
	if err != nil {
		return followersBox{}, err
	}
	box := followersBox{Total: total, Confirmed: states[subscribers.Active], Waiting: states[subscribers.Unconfirmed],
		More: total - len(list)}
	box.Left = total - box.Confirmed - box.Waiting
	for _, f := range list {
		box.Rows = append(box.Rows, followerRow{ID: f.Subscriber.ID, Address: maskAddress(f.Subscriber.Address),
			Channel: string(f.Subscriber.Mode), State: string(f.Subscriber.State), Confirmed: f.ConfirmedAt != nil,
			Since: f.CreatedAt.In(loc).Format("Jan 2, 15:04 MST")})
	}
	return box, nil
}

// maskAddress hides most of an email address or phone number, keeping
// enough to tell followers apart: "j***@example.com", "+14*******23".
func maskAddress(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at > 0 {
		first, _ := utf8.DecodeRuneInString(addr)
		return string(first) + "***" + addr[at:]
	}
	if n := utf8.RuneCountInString(addr); n > 5 && n == len(addr) {
		return addr[:3] + strings.Repeat("*", n-5) + addr[n-2:]
	}
	return "***"
}

// deliveries maps each update of an incident to its notification counts.
func (a *app) deliveries(ctx context.Context, id string) (map[string][]deliveryCounts, map[string]bool, bool, error) {
	stats, err := a.outbox.Stats(ctx, id)
	if err != nil {
		return nil, nil, false, err
	}
	out := map[string][]deliveryCounts{}
	preparing := map[string]bool{}
	busy := false
	for _, s := range stats {
		if s.UpdateID == "" {
			continue
		}
		if !s.FannedOut {
			preparing[s.UpdateID] = true
			busy = true
		}
		for _, ch := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
			n, ok := s.Channels[ch]
			if !ok {
				continue
			}
			if n.Pending+n.Sending > 0 {
				busy = true
			}
			out[s.UpdateID] = append(out[s.UpdateID], deliveryCounts{Channel: ch, Counts: n})
		}
	}
	return out, preparing, busy, nil
}

func (a *app) getConsoleIncident(c *fiber.Ctx) error {
	return a.renderIncident(c, fiber.StatusOK, consoleView{})
}

// incidentRefused shows the incident's screen again, with status 422, for
// refuse.
func (a *app) incidentRefused(c *fiber.Ctx) func(consoleView) error {
	return func(v consoleView) error { return a.renderIncident(c, fiber.StatusUnprocessableEntity, v) }
}

// renderIncident shows an incident; view carries a failed form's values
// and errors.

func (a *app) renderIncident(c *fiber.Ctx, status int, view consoleView) error {
	ctx := c.UserContext()
	in, err := a.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	all, err := a.components.List(ctx)
	if err != nil {
		return err
	}
	counts, preparing, busy, err := a.deliveries(ctx, in.ID)
	if err != nil {
		return err
	}
	loc := a.pageLocation(c)
	s, _ := view.Data.(incidentScreen)
	s.Incident, s.Maintenance, s.Closed, s.Busy = in, in.Kind == incidents.KindMaintenance, in.Status.Closed(), busy
	s.Impact = string(in.Impact)
	s.Postmortem, s.Published, s.PreviewKey = in.Postmortem.Draft, in.Postmortem.PublishedAt != nil, in.Postmortem.PreviewKey
	byID := componentsByID(all)
	var names []string
	for _, id := range in.ComponentIDs {
		if comp, ok := byID[id]; ok {
			names = append(names, comp.Name+" ("+comp.Status.Label()+")")
		}
	}
	s.Affected = strings.Join(names, ", ")
	if s.Statuses == nil {
		next := in.Status
		if s.Maintenance {
			s.Statuses = statusOptions(maintenanceStatuses, next)
		} else {
			s.Statuses = statusOptions(incidentStatuses, next)
		}
		s.Components = componentRows(all, nil, nil)
	}
	if in.ScheduledFor != nil && in.ScheduledUntil != nil {
		s.Window = in.ScheduledFor.In(loc).Format("Jan 2, 15:04") + " – " + in.ScheduledUntil.In(loc).Format("Jan 2, 15:04 MST")
		if s.Reschedule.From == "" {
			s.Reschedule.From, s.Reschedule.Until = in.ScheduledFor.In(loc).Format(localTime), in.ScheduledUntil.In(loc).Format(localTime)
			s.Reschedule.Name = in.Name
		}
	}
	for i, u := range in.Updates {
		s.Updates = append(s.Updates, updateRow{ID: u.ID, Label: updateLabel(in, i), Body: a.templates.Markdown(u.Body), Raw: u.Body,
			At: u.DisplayAt.In(loc).Format("Jan 2, 2006 15:04 MST"), Notified: u.DeliverNotifications,
			Preparing: preparing[u.ID], Counts: counts[u.ID]})
	}
	if s.Followers, err = a.followers(ctx, in.ID, loc); err != nil {
		return err
	}
	view.Title, view.Section, view.Data = in.Name, "incidents", s
	if s.Maintenance {
		view.Section = "maintenance"
	}
	return a.renderConsole(c, status, "incident", view)
}

// incidentDeliveries answers the incident page's refresh: the counts per
// update, and whether notifications are still going out.
func (a *app) incidentDeliveries(c *fiber.Ctx) error {
	in, err := a.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	counts, preparing, busy, err := a.deliveries(c.UserContext(), in.ID)
	if err != nil {
		return err
	}
	type update struct {
		Preparing bool             `json:"preparing"`
		Channels  []deliveryCounts `json:"channels"`
	}
	out := map[string]update{}
	for _, u := range in.Updates {
		out[u.ID] = update{Preparing: preparing[u.ID], Channels: counts[u.ID]}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"busy": busy, "updates": out})
}

// postIncidentUpdate posts an update: a status, a message, and optionally
// component statuses — or, with resolve set, resolves the incident.
func (a *app) postIncidentUpdate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := a.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	all, err := a.components.List(ctx)
	if err != nil {
		return err
	}
	status := incidents.Status(c.FormValue("status"))
	body := c.FormValue("body")
	notify := formBool(c, "deliver_notifications")
	set := formStatuses(c, all)
	fail := func(err error) error {
		var s incidentScreen
		s.Form.Body = body
		if in.Kind == incidents.KindMaintenance {
			s.Statuses = statusOptions(maintenanceStatuses, status)
		} else {
			s.Statuses = statusOptions(incidentStatuses, status)
		}
		s.Components = componentRows(all, set, nil)
		return a.refuse(err, consoleView{Data: s}, prefixed("update_"), "The update was not posted: ", a.incidentRefused(c))
	}
	if !status.Valid() {
		return fail(web.Unprocessable("status", "choose a status"))
	}
	ch := incidents.Change{Status: &status, Body: &body, Components: set, DeliverNotifications: &notify}
	if _, err := a.incidents.Update(ctx, in.ID, ch); err != nil {
		return fail(err)
	}
	msg := "Update posted."
	if status.Closed() && !in.Status.Closed() {
		msg = status.Label() + "."
	}
	return a.seeOther(c, "/console/incidents/"+in.ID, msg+notifyNote(notify))
}

// postResolve resolves an incident (or completes a maintenance) with one
// click and an optional message.
func (a *app) postResolve(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := a.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	status := incidents.Resolved
	if in.Kind == incidents.KindMaintenance {
		status = incidents.Completed
	}
	body := c.FormValue("body")
	notify := formBool(c, "deliver_notifications")
	if _, err := a.incidents.Update(ctx, in.ID, incidents.Change{Status: &status, Body: &body, DeliverNotifications: &notify}); err != nil {
		return a.refuse(err, consoleView{}, prefixed("resolve_"), "", a.incidentRefused(c))
	}
	return a.seeOther(c, "/console/incidents/"+in.ID, status.Label()+"."+notifyNote(notify))
}

// postEditUpdate changes an update's text; no one is notified again.
func (a *app) postEditUpdate(c *fiber.Ctx) error {
	body := c.FormValue("body")
	if _, err := a.incidents.EditUpdate(c.UserContext(), c.Params("id"), c.Params("update_id"), incidents.UpdateEdit{Body: &body}); err != nil {
		return a.refuse(err, consoleView{}, prefixed("edit_"), "The update was not changed: ", a.incidentRefused(c))
	}
	web.SetAuditTarget(c, c.Params("update_id"))
	return a.seeOther(c, "/console/incidents/"+c.Params("id"), "Update text changed. No one was notified again.")
}

// postPostmortem saves, publishes or reverts the postmortem.
func (a *app) postPostmortem(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	var err error
	msg := "Postmortem draft saved."
	switch c.FormValue("action") {
	case "publish":
		if _, err = a.incidents.SetPostmortem(ctx, id, c.FormValue("body")); err == nil {
			_, err = a.incidents.PublishPostmortem(ctx, id, incidents.Publication{NotifySubscribers: formBool(c, "notify")})
		}
		msg = "Postmortem published."
	case "revert":
		_, err = a.incidents.RevertPostmortem(ctx, id)
		msg = "Postmortem taken back to draft."
	default:
		_, err = a.incidents.SetPostmortem(ctx, id, c.FormValue("body"))
	}
	if err != nil {
		return a.refuse(err, consoleView{}, always("postmortem_body"), "The postmortem was not saved: ", a.incidentRefused(c))
	}
	return a.seeOther(c, "/console/incidents/"+id, msg)
}

// postReschedule moves a maintenance's window or renames it.
func (a *app) postReschedule(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	loc := a.pageLocation(c)
	var s incidentScreen
	s.Reschedule.From, s.Reschedule.Until, s.Reschedule.Name = c.FormValue("scheduled_for"), c.FormValue("scheduled_until"), c.FormValue("name")
	fail := func(err error) error {
		return a.refuse(err, consoleView{Data: s}, prefixed("reschedule_"), "", a.incidentRefused(c))
	}
	from, err := parseLocal("scheduled_for", s.Reschedule.From, loc)
	if err != nil {
		return fail(err)
	}
	until, err := parseLocal("scheduled_until", s.Reschedule.Until, loc)
	if err != nil {
		return fail(err)
	}
	if _, err := a.incidents.Update(ctx, id, incidents.Change{Name: &s.Reschedule.Name, ScheduledFor: from, ScheduledUntil: until}); err != nil {
		return fail(err)
	}
	return a.seeOther(c, "/console/incidents/"+id, "Maintenance rescheduled.")
}

// postCancelMaintenance ends a maintenance that will not happen (or will
// not finish as planned) with a completion saying so.
func (a *app) postCancelMaintenance(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := a.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if in.Kind != incidents.KindMaintenance || in.Status.Closed() {
		return a.consoleMessage(c, fiber.StatusConflict, "Nothing to cancel", "Only a maintenance that has not completed can be cancelled.")
	}
	body := strings.TrimSpace(c.FormValue("body"))
	if body == "" {
		body = "This scheduled maintenance has been cancelled."
	}
	notify := formBool(c, "deliver_notifications")
	status := incidents.Completed
	if _, err := a.incidents.Update(ctx, in.ID, incidents.Change{Status: &status, Body: &body, DeliverNotifications: &notify}); err != nil {
		return err
	}
	return a.seeOther(c, "/console/incidents/"+in.ID, "Maintenance cancelled."+notifyNote(notify))
}

// postDeleteIncident removes an incident and its history from the page.
func (a *app) postDeleteIncident(c *fiber.Ctx) error {
	in, err := a.incidents.Delete(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	to := "/console/incidents"
	if in.Kind == incidents.KindMaintenance {
		to = "/console/maintenance"
	}
	return a.seeOther(c, to, "“"+in.Name+"” deleted.")
}

// postRemoveFollower stops one follower hearing of the incident; one who
// follows nothing else and has no page subscription is unsubscribed.
func (a *app) postRemoveFollower(c *fiber.Ctx) error {
	in, err := a.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := a.subscribers.Unfollow(c.UserContext(), in.ID, c.Params("subscriber_id"))
	if err != nil {
		return err
	}
	return a.seeOther(c, "/console/incidents/"+in.ID, maskAddress(f.Subscriber.Address)+" no longer follows this incident.")
}

// incidentList is the incidents and maintenance lists' data.
type incidentList struct {
	Maintenance bool
	Open        []incidentItem
	Recent      []incidentItem
	Templates   []incidents.Template
}

type incidentItem struct {
	ID, Name, Status, Impact, When string
}

func (a *app) listScreen(c *fiber.Ctx, kind incidents.Kind) error {
	ctx := c.UserContext()
	loc := a.pageLocation(c)
	list, err := a.incidents.List(ctx, incidents.Filter{Kind: kind, Brief: true, Limit: 100})
	if err != nil {
		return err
	}
	data := incidentList{Maintenance: kind == incidents.KindMaintenance}
	for _, in := range list {
		it := incidentItem{ID: in.ID, Name: in.Name, Status: in.Status.Label(), Impact: string(in.Impact),
			When: in.StartedAt.In(loc).Format("Jan 2, 2006 15:04 MST")}
		if in.ScheduledFor != nil {
			it.When = in.ScheduledFor.In(loc).Format("Jan 2, 2006 15:04 MST")
		}
		if in.Status.Closed() {
			data.Recent = append(data.Recent, it)
		} else {
			data.Open = append(data.Open, it)
		}
	}
	title, section := "Incidents", "incidents"
	if data.Maintenance {
		title, section = "Maintenance", "maintenance"
	} else if data.Templates, err = a.incidents.Templates(ctx); err != nil {
		return err
	}
	return a.renderConsole(c, fiber.StatusOK, "incidents", consoleView{Title: title, Section: section, Data: data})
}

func (a *app) getIncidents(c *fiber.Ctx) error   { return a.listScreen(c, incidents.KindIncident) }
func (a *app) getMaintenance(c *fiber.Ctx) error { return a.listScreen(c, incidents.KindMaintenance) }
