package console

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
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// incidentPages are the incident and maintenance screens: the lists, the
// new-incident and new-maintenance forms, and one incident's screen with
// its updates, postmortem, followers and deliveries. The maintenance
// screens are in maintenance.go.
type incidentPages struct {
	*screen.Frame
	components  *components.Service
	incidents   *incidents.Service
	subscribers *subscribers.Service
	outbox      *notifier.Outbox
	now         func() time.Time
}

// incidentList is the incidents and maintenance lists' data.
type incidentList struct {
	Maintenance bool
	Open        []incidentItem
	Recent      []incidentItem
	Templates   []incidents.Template
}

func (h *incidentPages) listScreen(c *fiber.Ctx, kind incidents.Kind) error {
	ctx := c.UserContext()
	loc, lang := h.Location(c), h.Lang(c)
	list, err := h.incidents.List(ctx, incidents.Filter{Kind: kind, Brief: true, Limit: 100})
	if err != nil {
		return err
	}
	data := incidentList{Maintenance: kind == incidents.KindMaintenance}
	for _, in := range list {
		it := incidentItem{ID: in.ID, Name: in.Name, Status: lang.Enum("incident", string(in.Status)), Tone: incidentTone(in),
			When: lang.Date(i18n.DateTime, in.StartedAt.In(loc))}
		if in.ScheduledFor != nil {
			it.When = lang.Date(i18n.DateTime, in.ScheduledFor.In(loc))
		}
		if in.Status.Closed() {
			data.Recent = append(data.Recent, it)
		} else {
			data.Open = append(data.Open, it)
		}
	}
	title, section := lang.T("console.nav.incidents"), "incidents"
	if data.Maintenance {
		title, section = lang.T("console.nav.maintenance"), "maintenance"
	} else if data.Templates, err = h.incidents.Templates(ctx); err != nil {
		return err
	}
	return h.Render(c, fiber.StatusOK, "incidents", screen.View{Title: title, Section: section, Data: data})
}

func (h *incidentPages) getIncidents(c *fiber.Ctx) error {
	return h.listScreen(c, incidents.KindIncident)
}

// incidentForm is the new-incident and new-maintenance forms' data.
type incidentForm struct {
	Maintenance    bool
	Name, Body     string
	Statuses       []screen.Option
	Impacts        []screen.Option
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

func impactOptions(l *i18n.Lang, cur components.Impact) []screen.Option {
	out := []screen.Option{{Value: "", Label: l.T("console.incident_new.impact_derived"), Selected: cur == ""}}
	for _, i := range impacts {
		out = append(out, screen.Option{Value: string(i), Label: strings.ToUpper(string(i[:1])) + string(i[1:]), Kind: "impact", Selected: i == cur})
	}
	return out
}

// newForm is the empty new-incident or new-maintenance form, and the
// components it lists.
func (h *incidentPages) newForm(c *fiber.Ctx, maintenance bool) (incidentForm, []components.Component, error) {
	ctx := c.UserContext()
	all, err := h.components.List(ctx)
	if err != nil {
		return incidentForm{}, nil, err
	}
	tpls, err := h.incidents.Templates(ctx)
	if err != nil {
		return incidentForm{}, nil, err
	}
	f := incidentForm{Maintenance: maintenance, Notify: true, Templates: tpls, Impacts: impactOptions(h.Lang(c), ""),
		Zone: h.Location(c).String(),
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

func (h *incidentPages) getNewIncident(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, all, err := h.newForm(c, false)
	if err != nil {
		return err
	}
	if id := c.Query("template"); id != "" {
		tpl, err := h.incidents.Template(ctx, id)
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
	return h.Render(c, fiber.StatusOK, "incident_new", screen.View{Title: h.T(c, "console.dashboard.new_incident"), Section: "incidents", Data: f})
}

func (h *incidentPages) postNewIncident(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, all, err := h.newForm(c, false)
	if err != nil {
		return err
	}
	set := formStatuses(c, all)
	status := incidents.Status(c.FormValue("status"))
	impact := components.Impact(c.FormValue("impact_override"))
	f.Name, f.Body, f.Notify = c.FormValue("name"), c.FormValue("body"), screen.FormBool(c, "deliver_notifications")
	f.Statuses, f.Impacts, f.Components = statusOptions(incidentStatuses, status), impactOptions(h.Lang(c), impact), componentRows(all, set, nil)
	f.Backfill, f.BackfillDate, f.TemplateID = screen.FormBool(c, "backfill"), c.FormValue("backfill_date"), c.FormValue("template_id")
	v := screen.View{Title: h.T(c, "console.dashboard.new_incident"), Section: "incidents", Data: f}

	if !slices.Contains(incidentStatuses, status) {
		return h.FormError(c, "incident_new", v, web.Unprocessable("status", "%s", h.T(c, "console.incident_new.choose_status")))
	}
	if impact != "" && !slices.Contains(impacts, impact) {
		return h.FormError(c, "incident_new", v, web.Unprocessable("impact_override", "%s", h.T(c, "console.incident_new.choose_impact")))
	}
	if f.TemplateID != "" {
		if _, err := h.incidents.Template(ctx, f.TemplateID); errors.Is(err, incidents.ErrNotFound) {
			// The form shown again carries no template, so that posting it
			// as corrected is not refused for the same reason.
			f.TemplateID = ""
			v.Data = f
			return screen.Refuse(web.Unprocessable("template_id", "%s", h.T(c, "console.incident_new.no_template")), v, nil,
				h.T(c, "console.incident_new.not_posted"), func(v screen.View) error {
					return h.Render(c, fiber.StatusUnprocessableEntity, "incident_new", v)
				})
		} else if err != nil {
			return err
		}
	}
	n := incidents.NewIncident{Name: f.Name, Status: status, Body: f.Body, ImpactOverride: impact, Components: set,
		DeliverNotifications: &f.Notify}
	if f.Backfill {
		at, err := parseLocal(h.Lang(c), "backfill_date", f.BackfillDate, h.Location(c))
		if err != nil {
			return h.FormError(c, "incident_new", v, err)
		}
		if at == nil {
			return h.FormError(c, "incident_new", v, web.Unprocessable("backfill_date", "%s", h.T(c, "console.incident_new.backfill_needed")))
		}
		n = incidents.NewIncident{Name: f.Name, Body: f.Body, ImpactOverride: impact, Backfilled: true, BackfillDate: at,
			ComponentIDs: sortedKeys(set)}
	}
	in, err := h.incidents.Create(ctx, n)
	if err != nil {
		return h.FormError(c, "incident_new", v, err)
	}
	web.SetAuditTarget(c, in.ID)
	return h.SeeOther(c, "/console/incidents/"+in.ID, h.T(c, "console.incident_new.posted")+notifyNote(h.Lang(c), f.Notify && !f.Backfill))
}

// tIf is the message id in l, or "" for no id.
func tIf(l *i18n.Lang, id string) string {
	if id == "" {
		return ""
	}
	return l.T(id)
}

// sortedKeys returns the component ids of m in order.
func sortedKeys(m map[string]components.Status) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func notifyNote(l *i18n.Lang, notify bool) string {
	if notify {
		return " " + l.T("console.notify.yes")
	}
	return " " + l.T("console.notify.no")
}

// updateRow is one update of an incident's timeline in the console.
type updateRow struct {
	ID, Label string
	Body      template.HTML
	Raw       string
	At        string
	Notified  bool
	Preparing bool   // its notifications are not fanned out yet
	Nobody    string // why it reached no one, once its notifications went out
	Counts    []deliveryCounts
}

// incidentScreen is the incident page's data.
type incidentScreen struct {
	Incident    incidents.Incident
	Maintenance bool
	Closed      bool
	Impact      string
	Tone        string // the status pill's, incidentTone
	Affected    string
	Window      string
	Statuses    []screen.Option
	Components  []componentRow
	Updates     []updateRow
	Busy        bool // notifications still going out
	Form        struct {
		Body  string
		Quiet bool // "Notify subscribers" unticked
	}
	// Preview is the update form's text as the timeline will show it,
	// after the Preview button.
	Preview struct {
		Shown bool
		Label string
		Body  template.HTML
	}
	Reach      reach // who the update form's update will reach
	Reschedule struct{ From, Until, Name string }
	Postmortem string
	Published  bool
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
func (h *incidentPages) followers(ctx context.Context, incidentID string, loc *time.Location, lang *i18n.Lang) (followersBox, error) {
	list, total, err := h.subscribers.Followers(ctx, incidentID, followersShown, 0)
	if err != nil {
		return followersBox{}, err
	}
	states, err := h.subscribers.FollowerStates(ctx, incidentID)
	if err != nil {
		return followersBox{}, err
	}
	box := followersBox{Total: total, Confirmed: states[subscribers.Active], Waiting: states[subscribers.Unconfirmed],
		More: total - len(list)}
	box.Left = total - box.Confirmed - box.Waiting
	for _, f := range list {
		box.Rows = append(box.Rows, followerRow{ID: f.Subscriber.ID, Address: maskAddress(f.Subscriber.Address),
			Channel: string(f.Subscriber.Mode), State: string(f.Subscriber.State), Confirmed: f.ConfirmedAt != nil,
			Since: lang.Date(i18n.DayTimeZone, f.CreatedAt.In(loc))})
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
func (h *incidentPages) deliveries(ctx context.Context, id string) (map[string][]deliveryCounts, map[string]bool, bool, error) {
	stats, err := h.outbox.Stats(ctx, id)
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
		for _, ch := range channels {
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

func (h *incidentPages) getIncident(c *fiber.Ctx) error {
	return h.renderIncident(c, fiber.StatusOK, screen.View{})
}

// refused shows the incident's screen again, with status 422, for screen.Refuse.
func (h *incidentPages) refused(c *fiber.Ctx) func(screen.View) error {
	return func(v screen.View) error { return h.renderIncident(c, fiber.StatusUnprocessableEntity, v) }
}

// renderIncident shows an incident; v carries a failed form's values and
// errors.
func (h *incidentPages) renderIncident(c *fiber.Ctx, status int, v screen.View) error {
	ctx := c.UserContext()
	in, err := h.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	counts, preparing, busy, err := h.deliveries(ctx, in.ID)
	if err != nil {
		return err
	}
	loc, lang := h.Location(c), h.Lang(c)
	s, _ := v.Data.(incidentScreen)
	s.Incident, s.Maintenance, s.Closed, s.Busy = in, in.Kind == incidents.KindMaintenance, in.Status.Closed(), busy
	s.Tone = incidentTone(in)
	if in.Impact != "" {
		s.Impact = lang.T("console.impact." + string(in.Impact))
	}
	s.Postmortem, s.Published, s.PreviewKey = in.Postmortem.Draft, in.Postmortem.PublishedAt != nil, in.Postmortem.PreviewKey
	byID := components.ByID(all)
	var names []string
	for _, id := range in.ComponentIDs {
		if comp, ok := byID[id]; ok {
			names = append(names, comp.Name+" ("+lang.Enum("component", string(comp.Status))+")")
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
		s.Window = lang.Date(i18n.DayTime, in.ScheduledFor.In(loc)) + " – " + lang.Date(i18n.DayTimeZone, in.ScheduledUntil.In(loc))
		if s.Reschedule.From == "" {
			s.Reschedule.From, s.Reschedule.Until = in.ScheduledFor.In(loc).Format(localTime), in.ScheduledUntil.In(loc).Format(localTime)
			s.Reschedule.Name = in.Name
		}
	}
	if !s.Closed {
		if s.Reach, err = h.reachOf(ctx, in, setOf(s.Components), !s.Form.Quiet); err != nil {
			return err
		}
	}
	nobodyWhy, err := h.nobodyWhy(ctx, in, counts, preparing)
	if err != nil {
		return err
	}
	for i, u := range in.Updates {
		label := lang.T("status.update")
		if !incidents.UpdateRepeats(in, i) {
			label = lang.Enum("incident", string(u.Status))
		}
		s.Updates = append(s.Updates, updateRow{ID: u.ID, Label: label, Body: h.Templates().Markdown(u.Body), Raw: u.Body,
			At: lang.Date(i18n.DateTime, u.DisplayAt.In(loc)), Notified: u.DeliverNotifications,
			Preparing: preparing[u.ID], Counts: counts[u.ID], Nobody: tIf(lang, nobodyWhy(u))})
	}
	if s.Followers, err = h.followers(ctx, in.ID, loc, lang); err != nil {
		return err
	}
	v.Title, v.Section, v.Data = in.Name, "incidents", s
	if s.Maintenance {
		v.Section = "maintenance"
	}
	return h.Render(c, status, "incident", v)
}

// getDeliveries answers the incident page's refresh: the counts per
// update, and whether notifications are still going out.
func (h *incidentPages) getDeliveries(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	counts, preparing, busy, err := h.deliveries(c.UserContext(), in.ID)
	if err != nil {
		return err
	}
	nobodyWhy, err := h.nobodyWhy(c.UserContext(), in, counts, preparing)
	if err != nil {
		return err
	}
	type update struct {
		Preparing bool             `json:"preparing"`
		Channels  []deliveryCounts `json:"channels"`
		Nobody    string           `json:"nobody,omitempty"`
	}
	out := map[string]update{}
	for _, u := range in.Updates {
		out[u.ID] = update{Preparing: preparing[u.ID], Channels: counts[u.ID], Nobody: tIf(h.Lang(c), nobodyWhy(u))}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"busy": busy, "updates": out})
}

// postUpdate posts an update: a status, a message, and optionally
// component statuses.
func (h *incidentPages) postUpdate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := h.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	status := incidents.Status(c.FormValue("status"))
	body := c.FormValue("body")
	notify := screen.FormBool(c, "deliver_notifications")
	set := formStatuses(c, all)
	fail := func(err error) error {
		s := keptUpdateForm(in, all, status, body, notify, set)
		return screen.Refuse(err, screen.View{Data: s}, screen.Prefixed("update_"), h.T(c, "console.incident.not_posted"), h.refused(c))
	}
	if !status.Valid() {
		return fail(web.Unprocessable("status", "%s", h.T(c, "console.incident_new.choose_status")))
	}
	ch := incidents.Change{Status: &status, Body: &body, Components: set, DeliverNotifications: &notify}
	if _, err := h.incidents.Update(ctx, in.ID, ch); err != nil {
		return fail(err)
	}
	msg := h.T(c, "console.incident.update_posted")
	if status.Closed() && !in.Status.Closed() {
		msg = h.Lang(c).Enum("incident", string(status)) + "."
	}
	return h.SeeOther(c, "/console/incidents/"+in.ID, msg+notifyNote(h.Lang(c), notify))
}

// postResolve resolves an incident (or completes a maintenance) with one
// click and an optional message.
func (h *incidentPages) postResolve(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := h.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	status := incidents.Resolved
	if in.Kind == incidents.KindMaintenance {
		status = incidents.Completed
	}
	body := c.FormValue("body")
	notify := screen.FormBool(c, "deliver_notifications")
	if _, err := h.incidents.Update(ctx, in.ID, incidents.Change{Status: &status, Body: &body, DeliverNotifications: &notify}); err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed("resolve_"), "", h.refused(c))
	}
	return h.SeeOther(c, "/console/incidents/"+in.ID, h.Lang(c).Enum("incident", string(status))+"."+notifyNote(h.Lang(c), notify))
}

// postEditUpdate changes an update's text; no one is notified again.
func (h *incidentPages) postEditUpdate(c *fiber.Ctx) error {
	body := c.FormValue("body")
	if _, err := h.incidents.EditUpdate(c.UserContext(), c.Params("id"), c.Params("update_id"), incidents.UpdateEdit{Body: &body}); err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed("edit_"), h.T(c, "console.incident.not_changed"), h.refused(c))
	}
	web.SetAuditTarget(c, c.Params("update_id"))
	return h.SeeOther(c, "/console/incidents/"+c.Params("id"), h.T(c, "console.incident.text_changed"))
}

// postPostmortem saves, publishes or reverts the postmortem.
func (h *incidentPages) postPostmortem(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	var err error
	msg := h.T(c, "console.incident.pm_saved")
	switch c.FormValue("action") {
	case "publish":
		if _, err = h.incidents.SetPostmortem(ctx, id, c.FormValue("body")); err == nil {
			_, err = h.incidents.PublishPostmortem(ctx, id, incidents.Publication{NotifySubscribers: screen.FormBool(c, "notify")})
		}
		msg = h.T(c, "console.incident.pm_published")
	case "revert":
		_, err = h.incidents.RevertPostmortem(ctx, id)
		msg = h.T(c, "console.incident.pm_reverted")
	default:
		_, err = h.incidents.SetPostmortem(ctx, id, c.FormValue("body"))
	}
	if err != nil {
		return screen.Refuse(err, screen.View{}, screen.Always("postmortem_body"), h.T(c, "console.incident.pm_not_saved"), h.refused(c))
	}
	return h.SeeOther(c, "/console/incidents/"+id, msg)
}

// postDelete removes an incident and its history from the page.
func (h *incidentPages) postDelete(c *fiber.Ctx) error {
	in, err := h.incidents.Delete(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	to := "/console/incidents"
	if in.Kind == incidents.KindMaintenance {
		to = "/console/maintenance"
	}
	return h.SeeOther(c, to, h.F(c, "console.incident.deleted", "Name", in.Name))
}

// postRemoveFollower stops one follower hearing of the incident; one who
// follows nothing else and has no page subscription is unsubscribed.
func (h *incidentPages) postRemoveFollower(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := h.subscribers.Unfollow(c.UserContext(), in.ID, c.Params("subscriber_id"))
	if err != nil {
		return err
	}
	return h.SeeOther(c, "/console/incidents/"+in.ID, h.F(c, "console.incident.unfollowed", "Address", maskAddress(f.Subscriber.Address)))
}
