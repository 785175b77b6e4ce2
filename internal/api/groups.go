package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// groupAPI answers /component-groups.
type groupAPI struct {
	components *components.Service
	render     rendering
}

type groupRequest struct {
	Name        web.Opt[string]   `json:"name"`
	Description web.Opt[string]   `json:"description"`
	Position    web.Opt[int]      `json:"position"`
	Components  web.Opt[[]string] `json:"components"`
}

func (req groupRequest) input() components.GroupInput {
	in := components.GroupInput{Name: req.Name.Ptr(), Description: web.Clearable(req.Description), Position: req.Position.Ptr()}
	if req.Components.Set {
		members := req.Components.V
		if members == nil {
			members = []string{}
		}
		in.Members = &members
	}
	return in
}

func (h groupAPI) list(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	groups, err := h.components.Groups(c.UserContext())
	if err != nil {
		return err
	}
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	out := []statuspage.Group{}
	for _, g := range window(groups, offset, limit) {
		out = append(out, r.Group(g))
	}
	c.Set("X-Total-Count", strconv.Itoa(len(groups)))
	return c.JSON(out)
}

func (h groupAPI) send(c *fiber.Ctx, g components.Component) error {
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r.Group(g))
}

func (h groupAPI) create(c *fiber.Ctx) error {
	var req groupRequest
	if err := web.DecodeBody(c, "component_group", &req); err != nil {
		return err
	}
	g, err := h.components.CreateGroup(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	return h.send(c.Status(fiber.StatusCreated), g)
}

func (h groupAPI) get(c *fiber.Ctx) error {
	g, err := h.components.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !g.Group {
		return fiber.ErrNotFound
	}
	return h.send(c, g)
}

func (h groupAPI) update(c *fiber.Ctx) error {
	var req groupRequest
	if err := web.DecodeBody(c, "component_group", &req); err != nil {
		return err
	}
	g, err := h.components.UpdateGroup(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return h.send(c, g)
}

func (h groupAPI) delete(c *fiber.Ctx) error {
	g, err := h.components.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !g.Group {
		return fiber.ErrNotFound
	}
	if err := h.components.DeleteGroup(c.UserContext(), g.ID); err != nil {
		return err
	}
	return h.send(c, g)
}
