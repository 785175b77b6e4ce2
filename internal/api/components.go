package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// componentAPI answers /components.
type componentAPI struct {
	components *components.Service
	render     rendering
}

type componentRequest struct {
	Name               web.Opt[string] `json:"name"`
	Description        web.Opt[string] `json:"description"`
	Status             web.Opt[string] `json:"status"`
	GroupID            web.Opt[string] `json:"group_id"`
	Position           web.Opt[int]    `json:"position"`
	Showcase           web.Opt[bool]   `json:"showcase"`
	OnlyShowIfDegraded web.Opt[bool]   `json:"only_show_if_degraded"`
	StartDate          web.Opt[string] `json:"start_date"`
	// SLATarget is Beacon's own: the uptime target, null to clear it.
	SLATarget web.Opt[float64] `json:"sla_target"`
}

// managedComponent is the v1 component with Beacon's own field, its SLA
// target (null when unset). API v2 and the components inside incidents
// keep Statuspage's shape.
type managedComponent struct {
	statuspage.Component
	SLATarget *float64 `json:"sla_target"`
}

func managed(r *statuspage.Renderer, c components.Component) managedComponent {
	return managedComponent{Component: r.Component(c), SLATarget: c.SLATarget}
}

func (req componentRequest) input() components.Input {
	in := components.Input{
		Name: req.Name.Ptr(), Description: web.Clearable(req.Description), GroupID: web.Clearable(req.GroupID),
		Position: req.Position.Ptr(), Showcase: req.Showcase.Ptr(), OnlyShowIfDegraded: req.OnlyShowIfDegraded.Ptr(),
		StartDate: web.Clearable(req.StartDate),
	}
	if st := req.Status.Ptr(); st != nil {
		s := components.Status(*st)
		in.Status = &s
	}
	if req.SLATarget.Set {
		target := req.SLATarget.Ptr()
		in.SLATarget = &target
	}
	return in
}

func (h componentAPI) list(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	all, err := h.components.List(c.UserContext())
	if err != nil {
		return err
	}
	c.Set("X-Total-Count", strconv.Itoa(len(all)))
	page := window(all, offset, limit)
	out := make([]managedComponent, 0, len(page))
	for _, comp := range page {
		out = append(out, managed(r, comp))
	}
	return c.JSON(out)
}

func (h componentAPI) create(c *fiber.Ctx) error {
	var req componentRequest
	if err := web.DecodeBody(c, "component", &req); err != nil {
		return err
	}
	comp, err := h.components.Create(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	return h.send(c.Status(fiber.StatusCreated), comp.ID)
}

func (h componentAPI) send(c *fiber.Ctx, id string) error {
	comp, err := h.components.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(managed(r, comp))
}

func (h componentAPI) get(c *fiber.Ctx) error {
	return h.send(c, c.Params("id"))
}

func (h componentAPI) update(c *fiber.Ctx) error {
	var req componentRequest
	if err := web.DecodeBody(c, "component", &req); err != nil {
		return err
	}
	comp, err := h.components.Update(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return h.send(c, comp.ID)
}

func (h componentAPI) delete(c *fiber.Ctx) error {
	if err := h.components.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
