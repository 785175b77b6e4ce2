package console

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
)

// The maintenance screens: the list, the new-maintenance form, and
// rescheduling and cancelling one. They are incidentPages' too: a
// maintenance is shown on the incident screen.

func (h *incidentPages) getMaintenance(c *fiber.Ctx) error {
	return h.listScreen(c, incidents.KindMaintenance)
}

func (h *incidentPages) getNewMaintenance(c *fiber.Ctx) error {
	f, _, err := h.newForm(c, true)
	if err != nil {
		return err
	}
	loc := h.Location(c)
	start := h.now().In(loc).Add(24 * time.Hour).Truncate(time.Hour)
	f.ScheduledFor, f.ScheduledUntil = start.Format(localTime), start.Add(2*time.Hour).Format(localTime)
	return h.Render(c, fiber.StatusOK, "maintenance_new", screen.View{Title: h.T(c, "console.dashboard.schedule"), Section: "maintenance", Data: f})
}

// formAutomation reads a maintenance's flags.
func formAutomation(c *fiber.Ctx) (incidents.Automation, incidents.AutomationInput) {
	au := incidents.Automation{
		RemindPrior: screen.FormBool(c, "remind_prior"), AutoInProgress: screen.FormBool(c, "auto_in_progress"), AutoCompleted: screen.FormBool(c, "auto_completed"),
		ToMaintenanceState: screen.FormBool(c, "to_maintenance_state"), ToOperationalState: screen.FormBool(c, "to_operational_state"),
		NotifyAtStart: screen.FormBool(c, "notify_at_start"), NotifyAtEnd: screen.FormBool(c, "notify_at_end"),
	}
	return au, incidents.AutomationInput{RemindPrior: &au.RemindPrior, AutoInProgress: &au.AutoInProgress, AutoCompleted: &au.AutoCompleted,
		ToMaintenanceState: &au.ToMaintenanceState, ToOperationalState: &au.ToOperationalState,
		NotifyAtStart: &au.NotifyAtStart, NotifyAtEnd: &au.NotifyAtEnd}
}

func (h *incidentPages) postNewMaintenance(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, all, err := h.newForm(c, true)
	if err != nil {
		return err
	}
	checked := formChecked(c, "component_ids[]")
	f.Name, f.Body, f.Notify = c.FormValue("name"), c.FormValue("body"), screen.FormBool(c, "deliver_notifications")
	f.ScheduledFor, f.ScheduledUntil = c.FormValue("scheduled_for"), c.FormValue("scheduled_until")
	f.Components = checkRows(all, checked)
	var auto incidents.AutomationInput
	f.Automation, auto = formAutomation(c)
	v := screen.View{Title: h.T(c, "console.dashboard.schedule"), Section: "maintenance", Data: f}
	loc := h.Location(c)
	from, err := parseLocal(h.Lang(c), "scheduled_for", f.ScheduledFor, loc)
	if err == nil && from == nil {
		err = web.Unprocessable("scheduled_for", "%s", h.T(c, "console.maintenance_new.needed"))
	}
	if err != nil {
		return h.FormError(c, "maintenance_new", v, err)
	}
	until, err := parseLocal(h.Lang(c), "scheduled_until", f.ScheduledUntil, loc)
	if err == nil && until == nil {
		err = web.Unprocessable("scheduled_until", "%s", h.T(c, "console.maintenance_new.needed"))
	}
	if err != nil {
		return h.FormError(c, "maintenance_new", v, err)
	}
	in, err := h.incidents.Create(ctx, incidents.NewIncident{Name: f.Name, Status: incidents.Scheduled, Body: f.Body,
		ComponentIDs: checked, DeliverNotifications: &f.Notify, ScheduledFor: from, ScheduledUntil: until, Automation: auto})
	if err != nil {
		return h.FormError(c, "maintenance_new", v, err)
	}
	web.SetAuditTarget(c, in.ID)
	return h.SeeOther(c, "/console/incidents/"+in.ID, h.T(c, "console.maintenance_new.scheduled")+notifyNote(h.Lang(c), f.Notify))
}

// postReschedule moves a maintenance's window or renames it.
func (h *incidentPages) postReschedule(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	loc := h.Location(c)
	var s incidentScreen
	s.Reschedule.From, s.Reschedule.Until, s.Reschedule.Name = c.FormValue("scheduled_for"), c.FormValue("scheduled_until"), c.FormValue("name")
	fail := func(err error) error {
		return screen.Refuse(err, screen.View{Data: s}, screen.Prefixed("reschedule_"), "", h.refused(c))
	}
	from, err := parseLocal(h.Lang(c), "scheduled_for", s.Reschedule.From, loc)
	if err != nil {
		return fail(err)
	}
	until, err := parseLocal(h.Lang(c), "scheduled_until", s.Reschedule.Until, loc)
	if err != nil {
		return fail(err)
	}
	if _, err := h.incidents.Update(ctx, id, incidents.Change{Name: &s.Reschedule.Name, ScheduledFor: from, ScheduledUntil: until}); err != nil {
		return fail(err)
	}
	return h.SeeOther(c, "/console/incidents/"+id, h.T(c, "console.maintenance.rescheduled"))
}

// postCancelMaintenance ends a maintenance that will not happen (or will
// not finish as planned) with a completion saying so.
func (h *incidentPages) postCancelMaintenance(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := h.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if in.Kind != incidents.KindMaintenance || in.Status.Closed() {
		return h.Message(c, fiber.StatusConflict, h.T(c, "console.maintenance.nothing_to_cancel"), h.T(c, "console.maintenance.nothing_to_cancel_body"))
	}
	body := strings.TrimSpace(c.FormValue("body"))
	if body == "" {
		// Visitors read it: in the page's language.
		body = h.Templates().Catalogue().Get(h.Page(c).Language).T("console.incident.cancel_placeholder")
	}
	notify := screen.FormBool(c, "deliver_notifications")
	status := incidents.Completed
	if _, err := h.incidents.Update(ctx, in.ID, incidents.Change{Status: &status, Body: &body, DeliverNotifications: &notify}); err != nil {
		return err
	}
	return h.SeeOther(c, "/console/incidents/"+in.ID, h.T(c, "console.maintenance.cancelled")+notifyNote(h.Lang(c), notify))
}
