package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
)

// templatePages are the incident templates screen: the list, and a form
// to add or edit one.
type templatePages struct {
	*screen.Frame
	components *components.Service
	incidents  *incidents.Service
}

// templateForm is the incident template form's data.
type templateForm struct {
	ID, Name, Title, Body string
	Statuses              []screen.Option
	Notify                bool
	Components            []componentRow
}

func (h *templatePages) form(c *fiber.Ctx, t incidents.Template) (templateForm, error) {
	all, err := h.components.List(c.UserContext())
	if err != nil {
		return templateForm{}, err
	}
	rows := componentRows(all, nil, t.ComponentIDs)
	return templateForm{ID: t.ID, Name: t.Name, Title: t.Title, Body: t.Body, Notify: t.DeliverNotifications,
		Statuses: statusOptions(incidentStatuses, t.Status), Components: rows}, nil
}

// templatesScreen lists the incident templates with a form for a new one.
type templatesScreen struct {
	List []incidents.Template
	Form templateForm
}

func (h *templatePages) show(c *fiber.Ctx, status int, form *templateForm, v screen.View) error {
	list, err := h.incidents.Templates(c.UserContext())
	if err != nil {
		return err
	}
	s := templatesScreen{List: list}
	if form != nil {
		s.Form = *form
	} else if s.Form, err = h.form(c, incidents.Template{Status: incidents.Investigating, DeliverNotifications: true}); err != nil {
		return err
	}
	v.Title, v.Section, v.Data = h.T(c, "console.templates.title"), "templates", s
	return h.Render(c, status, "templates", v)
}

func (h *templatePages) getTemplates(c *fiber.Ctx) error {
	if id := c.Query("edit"); id != "" {
		t, err := h.incidents.Template(c.UserContext(), id)
		if err != nil {
			return err
		}
		f, err := h.form(c, t)
		if err != nil {
			return err
		}
		return h.show(c, fiber.StatusOK, &f, screen.View{})
	}
	return h.show(c, fiber.StatusOK, nil, screen.View{})
}

func (h *templatePages) postTemplate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t := incidents.Template{ID: c.FormValue("id"), Name: c.FormValue("name"), Title: c.FormValue("title"), Body: c.FormValue("body"),
		Status: incidents.Status(c.FormValue("status")), DeliverNotifications: screen.FormBool(c, "deliver_notifications"),
		ComponentIDs: formChecked(c, "component_ids[]")}
	in := incidents.TemplateInput{Name: &t.Name, Title: &t.Title, Body: &t.Body, Status: &t.Status,
		DeliverNotifications: &t.DeliverNotifications, ComponentIDs: &t.ComponentIDs}
	var err error
	var saved incidents.Template
	if t.ID == "" {
		saved, err = h.incidents.CreateTemplate(ctx, in)
	} else {
		saved, err = h.incidents.UpdateTemplate(ctx, t.ID, in)
	}
	if err != nil {
		f, ferr := h.form(c, t)
		if ferr != nil {
			return ferr
		}
		return screen.Refuse(err, screen.View{}, screen.Prefixed(""), h.T(c, "console.templates.not_saved"), func(v screen.View) error {
			return h.show(c, fiber.StatusUnprocessableEntity, &f, v)
		})
	}
	web.SetAuditTarget(c, saved.ID)
	return h.SeeOther(c, "/console/templates", h.F(c, "console.templates.saved", "Name", saved.Name))
}

func (h *templatePages) postDelete(c *fiber.Ctx) error {
	if err := h.incidents.DeleteTemplate(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return h.SeeOther(c, "/console/templates", h.T(c, "console.templates.deleted"))
}
