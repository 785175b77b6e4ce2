package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// templateAPI answers /incident_templates, shaped as Statuspage's.
type templateAPI struct {
	incidents *incidents.Service
	render    rendering
}

// templateRequest is the body of a create or update; component_ids (or
// components, as ids) lists the components.
type templateRequest struct {
	Name                    web.Opt[string]   `json:"name"`
	Title                   web.Opt[string]   `json:"title"`
	Body                    web.Opt[string]   `json:"body"`
	UpdateStatus            web.Opt[string]   `json:"update_status"`
	ShouldSendNotifications web.Opt[bool]     `json:"should_send_notifications"`
	ComponentIDs            web.Opt[[]string] `json:"component_ids"`
	Components              web.Opt[[]string] `json:"components"`
	GroupID                 web.Opt[string]   `json:"group_id"`
	ShouldTweet             web.Opt[bool]     `json:"should_tweet"`
}

func (req templateRequest) input() incidents.TemplateInput {
	in := incidents.TemplateInput{Name: req.Name.Ptr(), Title: req.Title.Ptr(), Body: web.Clearable(req.Body),
		DeliverNotifications: req.ShouldSendNotifications.Ptr()}
	if s := req.UpdateStatus.Ptr(); s != nil {
		st := incidents.Status(*s)
		in.Status = &st
	}
	for _, list := range []web.Opt[[]string]{req.Components, req.ComponentIDs} {
		if list.Set {
			v := list.V
			if v == nil {
				v = []string{}
			}
			in.ComponentIDs = &v
		}
	}
	return in
}

func (h templateAPI) list(c *fiber.Ctx) error {
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	list, err := h.incidents.Templates(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]statuspage.Template, 0, len(list))
	for _, t := range list {
		out = append(out, r.Template(t))
	}
	return c.JSON(out)
}

func (h templateAPI) send(c *fiber.Ctx, status int, t incidents.Template) error {
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.Status(status).JSON(r.Template(t))
}

func (h templateAPI) get(c *fiber.Ctx) error {
	t, err := h.incidents.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, fiber.StatusOK, t)
}

func (h templateAPI) create(c *fiber.Ctx) error {
	var req templateRequest
	if err := web.DecodeBody(c, "template", &req); err != nil {
		return err
	}
	t, err := h.incidents.CreateTemplate(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, t.ID)
	return h.send(c, fiber.StatusCreated, t)
}

func (h templateAPI) update(c *fiber.Ctx) error {
	var req templateRequest
	if err := web.DecodeBody(c, "template", &req); err != nil {
		return err
	}
	t, err := h.incidents.UpdateTemplate(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return h.send(c, fiber.StatusOK, t)
}

func (h templateAPI) delete(c *fiber.Ctx) error {
	t, err := h.incidents.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.incidents.DeleteTemplate(c.UserContext(), t.ID); err != nil {
		return err
	}
	return h.send(c, fiber.StatusOK, t)
}
