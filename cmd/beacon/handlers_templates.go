package main

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/statuspage"
)

// Management API incident_templates, shaped as Statuspage's.

// templateRequest is the body of a create or update; component_ids (or
// components, as ids) lists the components.
type templateRequest struct {
	Name                    opt[string]   `json:"name"`
	Title                   opt[string]   `json:"title"`
	Body                    opt[string]   `json:"body"`
	UpdateStatus            opt[string]   `json:"update_status"`
	ShouldSendNotifications opt[bool]     `json:"should_send_notifications"`
	ComponentIDs            opt[[]string] `json:"component_ids"`
	Components              opt[[]string] `json:"components"`
	GroupID                 opt[string]   `json:"group_id"`
	ShouldTweet             opt[bool]     `json:"should_tweet"`
}

func (req templateRequest) input() incidents.TemplateInput {
	in := incidents.TemplateInput{Name: req.Name.ptr(), Title: req.Title.ptr(), Body: clearable(req.Body),
		DeliverNotifications: req.ShouldSendNotifications.ptr()}
	if s := req.UpdateStatus.ptr(); s != nil {
		st := incidents.Status(*s)
		in.Status = &st
	}
	for _, list := range []opt[[]string]{req.Components, req.ComponentIDs} {
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

func (a *app) listTemplates(c *fiber.Ctx) error {
	r, err := a.renderer(c)
	if err != nil {
		return err
	}
	list, err := a.incidents.Templates(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]statuspage.Template, 0, len(list))
	for _, t := range list {
		out = append(out, r.Template(t))
	}
	return c.JSON(out)
}

func (a *app) sendTemplate(c *fiber.Ctx, status int, t incidents.Template) error {
	r, err := a.renderer(c)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(r.Template(t))
}

func (a *app) getTemplate(c *fiber.Ctx) error {
	t, err := a.incidents.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return a.sendTemplate(c, fiber.StatusOK, t)
}

func (a *app) createTemplate(c *fiber.Ctx) error {
	var req templateRequest
	if err := decodeBody(c, "template", &req); err != nil {
		return err
	}
	t, err := a.incidents.CreateTemplate(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	c.Locals("audit_target", t.ID)
	return a.sendTemplate(c, fiber.StatusCreated, t)
}

func (a *app) updateTemplate(c *fiber.Ctx) error {
	var req templateRequest
	if err := decodeBody(c, "template", &req); err != nil {
		return err
	}
	t, err := a.incidents.UpdateTemplate(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return a.sendTemplate(c, fiber.StatusOK, t)
}

func (a *app) deleteTemplate(c *fiber.Ctx) error {
	t, err := a.incidents.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := a.incidents.DeleteTemplate(c.UserContext(), t.ID); err != nil {
		return err
	}
	return a.sendTemplate(c, fiber.StatusOK, t)
}
