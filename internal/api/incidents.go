package api

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/web"
)

// incidentRequest is the body of POST and PATCH on incidents, with
// Statuspage's field names.
type incidentRequest struct {
	Name                    web.Opt[string]            `json:"name"`
	Status                  web.Opt[string]            `json:"status"`
	ImpactOverride          web.Opt[string]            `json:"impact_override"`
	Body                    web.Opt[string]            `json:"body"`
	ComponentIDs            web.Opt[[]string]          `json:"component_ids"`
	Components              web.Opt[map[string]string] `json:"components"`
	DeliverNotifications    web.Opt[bool]              `json:"deliver_notifications"`
	ScheduledFor            web.Opt[web.FlexTime]      `json:"scheduled_for"`
	ScheduledUntil          web.Opt[web.FlexTime]      `json:"scheduled_until"`
	ScheduledRemindPrior    web.Opt[bool]              `json:"scheduled_remind_prior"`
	ScheduledAutoInProgress web.Opt[bool]              `json:"scheduled_auto_in_progress"`
	ScheduledAutoCompleted  web.Opt[bool]              `json:"scheduled_auto_completed"`
	// ScheduledAutoTransition sets both automatic edges at once.
	ScheduledAutoTransition          web.Opt[bool]         `json:"scheduled_auto_transition"`
	AutoTransitionToMaintenanceState web.Opt[bool]         `json:"auto_transition_to_maintenance_state"`
	AutoTransitionToOperationalState web.Opt[bool]         `json:"auto_transition_to_operational_state"`
	NotifyAtStart                    web.Opt[bool]         `json:"auto_transition_deliver_notifications_at_start"`
	NotifyAtEnd                      web.Opt[bool]         `json:"auto_transition_deliver_notifications_at_end"`
	Backfilled                       web.Opt[bool]         `json:"backfilled"`
	BackfillDate                     web.Opt[web.FlexTime] `json:"backfill_date"`
	// Metadata is kept as given; the incidents package checks that it is
	// a JSON object.
	Metadata web.Opt[json.RawMessage] `json:"metadata"`
}

// metadata is the request's metadata for the incidents package: nil when
// absent, null when sent as null or "" (which clears it).
func (req incidentRequest) metadata() json.RawMessage {
	switch {
	case !req.Metadata.Set:
		return nil
	case req.Metadata.Null:
		return json.RawMessage("null")
	}
	return req.Metadata.V
}

func (req incidentRequest) automation() incidents.AutomationInput {
	a := incidents.AutomationInput{
		RemindPrior: req.ScheduledRemindPrior.Ptr(), AutoInProgress: req.ScheduledAutoInProgress.Ptr(),
		AutoCompleted: req.ScheduledAutoCompleted.Ptr(), ToMaintenanceState: req.AutoTransitionToMaintenanceState.Ptr(),
		ToOperationalState: req.AutoTransitionToOperationalState.Ptr(), NotifyAtStart: req.NotifyAtStart.Ptr(),
		NotifyAtEnd: req.NotifyAtEnd.Ptr(),
	}
	if both := req.ScheduledAutoTransition.Ptr(); both != nil {
		if a.AutoInProgress == nil {
			a.AutoInProgress = both
		}
		if a.AutoCompleted == nil {
			a.AutoCompleted = both
		}
	}
	return a
}

func (req incidentRequest) statuses() map[string]components.Status {
	if req.Components.Null || len(req.Components.V) == 0 {
		return nil
	}
	m := make(map[string]components.Status, len(req.Components.V))
	for id, st := range req.Components.V {
		m[id] = components.Status(st)
	}
	return m
}

func timeOf(o web.Opt[web.FlexTime]) *time.Time {
	if p := o.Ptr(); p != nil {
		return &p.Time
	}
	return nil
}

// incidentAPI answers /incidents (incidents and scheduled maintenance)
// and /incidents/{id}/incident_updates/{update_id}.
type incidentAPI struct {
	incidents *incidents.Service
	render    rendering
}

func (h incidentAPI) create(c *fiber.Ctx) error {
	var req incidentRequest
	if err := web.DecodeBody(c, "incident", &req); err != nil {
		return err
	}
	n := incidents.NewIncident{
		Name: req.Name.V, Status: incidents.Status(req.Status.V), Body: req.Body.V,
		ImpactOverride: components.Impact(req.ImpactOverride.V), ComponentIDs: req.ComponentIDs.V,
		Components: req.statuses(), DeliverNotifications: req.DeliverNotifications.Ptr(),
		ScheduledFor: timeOf(req.ScheduledFor), ScheduledUntil: timeOf(req.ScheduledUntil),
		Automation: req.automation(), Backfilled: req.Backfilled.V, BackfillDate: timeOf(req.BackfillDate),
		Metadata: req.metadata(),
	}
	in, err := h.incidents.Create(c.UserContext(), n)
	if err != nil {
		return err
	}
	return h.send(c.Status(fiber.StatusCreated), in)
}

func (h incidentAPI) update(c *fiber.Ctx) error {
	var req incidentRequest
	if err := web.DecodeBody(c, "incident", &req); err != nil {
		return err
	}
	ch := incidents.Change{
		Name: req.Name.Ptr(), Body: req.Body.Ptr(), Components: req.statuses(),
		DeliverNotifications: req.DeliverNotifications.Ptr(),
		ScheduledFor:         timeOf(req.ScheduledFor), ScheduledUntil: timeOf(req.ScheduledUntil),
		Automation: req.automation(), Metadata: req.metadata(),
	}
	if st := req.Status.Ptr(); st != nil {
		s := incidents.Status(*st)
		ch.Status = &s
	}
	if req.ImpactOverride.Set {
		imp := components.Impact(req.ImpactOverride.V)
		ch.ImpactOverride = &imp
	}
	if req.ComponentIDs.Set && !req.ComponentIDs.Null {
		list := req.ComponentIDs.V
		if list == nil {
			list = []string{}
		}
		ch.ComponentIDs = &list
	}
	in, err := h.incidents.Update(c.UserContext(), c.Params("id"), ch)
	if err != nil {
		return err
	}
	return h.send(c, in)
}

func (h incidentAPI) send(c *fiber.Ctx, in incidents.Incident) error {
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r.ManagedIncident(in))
}

func (h incidentAPI) get(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, in)
}

func (h incidentAPI) delete(c *fiber.Ctx) error {
	in, err := h.incidents.Delete(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, in)
}

// list lists incidents and maintenances, newest first, with q
// searching names.
func (h incidentAPI) list(c *fiber.Ctx) error {
	q, err := web.SearchText(c)
	if err != nil {
		return err
	}
	return h.sendList(c, incidents.Filter{Query: q})
}

// unresolved answers the incidents not yet resolved (maintenances are
// not incidents here), newest first.
func (h incidentAPI) unresolved(c *fiber.Ctx) error {
	return h.sendList(c, incidents.UnresolvedFilter())
}

// upcoming answers the maintenances not yet started, soonest first.
func (h incidentAPI) upcoming(c *fiber.Ctx) error {
	return h.sendList(c, incidents.UpcomingFilter())
}

// scheduled answers every maintenance, whatever its status, newest
// first.
func (h incidentAPI) scheduled(c *fiber.Ctx) error {
	return h.sendList(c, incidents.Filter{Kind: incidents.KindMaintenance})
}

// activeMaintenance answers the maintenances in progress or verifying,
// soonest started first.
func (h incidentAPI) activeMaintenance(c *fiber.Ctx) error {
	return h.sendList(c, incidents.ActiveMaintenanceFilter())
}

func (h incidentAPI) sendList(c *fiber.Ctx, f incidents.Filter) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	f.Offset, f.Limit = offset, limit
	list, err := h.incidents.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	total, err := h.incidents.Count(c.UserContext(), f)
	if err != nil {
		return err
	}
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	c.Set("X-Total-Count", strconv.Itoa(total))
	return c.JSON(r.ManagedIncidents(list))
}

type updateEditRequest struct {
	Body      web.Opt[string]       `json:"body"`
	DisplayAt web.Opt[web.FlexTime] `json:"display_at"`
}

func (h incidentAPI) editUpdate(c *fiber.Ctx) error {
	var req updateEditRequest
	if err := web.DecodeBody(c, "incident_update", &req); err != nil {
		return err
	}
	u, err := h.incidents.EditUpdate(c.UserContext(), c.Params("id"), c.Params("update_id"),
		incidents.UpdateEdit{Body: req.Body.Ptr(), DisplayAt: timeOf(req.DisplayAt)})
	if err != nil {
		return err
	}
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r.Update(u))
}
