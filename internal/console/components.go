package console

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
)

// componentPages are the components screen: every component with its
// status, and adding, editing, moving and deleting components and groups.
type componentPages struct {
	*screen.Frame
	components *components.Service
}

// componentsScreen lists components with a status select each, and the
// forms to add components and groups.
type componentsScreen struct {
	Rows   []componentRow
	Groups []components.Component
	New    componentForm
}

// componentForm is the create and edit forms' data.
type componentForm struct {
	ID, Name, Description, GroupID, StartDate string
	// SLATarget is the uptime target as typed ("99.9"), "" for none.
	SLATarget                           string
	Position                            int
	Group, Showcase, OnlyShowIfDegraded bool
	Groups                              []components.Component
}

func (h *componentPages) show(c *fiber.Ctx, status int, v screen.View) error {
	ctx := c.UserContext()
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	s, _ := v.Data.(componentsScreen)
	for _, comp := range all {
		s.Rows = append(s.Rows, componentRow{ID: comp.ID, Name: comp.Name, Group: comp.Group, InGroup: comp.GroupID != "",
			Current: comp.Status, Options: componentStatusOptions(comp.Status, "")[1:]})
		if comp.Group {
			s.Groups = append(s.Groups, comp)
		}
	}
	if s.New.Name == "" && !s.New.Showcase {
		s.New.Showcase = true
	}
	s.New.Groups = s.Groups
	v.Title, v.Section, v.Data = h.T(c, "console.nav.components"), "components", s
	return h.Render(c, status, "components", v)
}

// refused shows the components screen again, with status 422, for screen.Refuse.
func (h *componentPages) refused(c *fiber.Ctx) func(screen.View) error {
	return func(v screen.View) error { return h.show(c, fiber.StatusUnprocessableEntity, v) }
}

func (h *componentPages) getComponents(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, screen.View{})
}

// postStatus sets one component's status in one action.
func (h *componentPages) postStatus(c *fiber.Ctx) error {
	st := components.Status(c.FormValue("status"))
	comp, err := h.components.Update(c.UserContext(), c.Params("id"), components.Input{Status: &st})
	if err != nil {
		return screen.Refuse(err, screen.View{}, screen.Always("status_"+c.Params("id")), "", h.refused(c))
	}
	// Mid-sentence the status is lower case, but German writes nouns
	// capitalised.
	label := h.Lang(c).Enum("component", string(comp.Status))
	if h.Lang(c).Code() != "de" {
		label = strings.ToLower(label)
	}
	return h.SeeOther(c, "/console/components", h.F(c, "console.components.now", "Name", comp.Name, "Status", label))
}

func readComponentForm(c *fiber.Ctx) componentForm {
	pos, _ := strconv.Atoi(c.FormValue("position"))
	return componentForm{ID: c.Params("id"), Name: c.FormValue("name"), Description: c.FormValue("description"),
		GroupID: c.FormValue("group_id"), StartDate: c.FormValue("start_date"), SLATarget: c.FormValue("sla_target"), Position: pos,
		Group: c.FormValue("kind") == "group", Showcase: screen.FormBool(c, "showcase"), OnlyShowIfDegraded: screen.FormBool(c, "only_show_if_degraded")}
}

func (f componentForm) input() (components.Input, error) {
	target, err := components.ParseSLATarget(f.SLATarget)
	if err != nil {
		return components.Input{}, err
	}
	in := components.Input{Name: &f.Name, Description: &f.Description, GroupID: &f.GroupID, Showcase: &f.Showcase,
		OnlyShowIfDegraded: &f.OnlyShowIfDegraded, StartDate: &f.StartDate, SLATarget: &target}
	if f.Position > 0 {
		in.Position = &f.Position
	}
	return in, nil
}

func (h *componentPages) postNew(c *fiber.Ctx) error {
	f := readComponentForm(c)
	var err error
	var comp components.Component
	if f.Group {
		comp, err = h.components.CreateGroup(c.UserContext(), components.GroupInput{Name: &f.Name, Description: &f.Description})
	} else {
		var in components.Input
		if in, err = f.input(); err == nil {
			comp, err = h.components.Create(c.UserContext(), in)
		}
	}
	if err != nil {
		return screen.Refuse(err, screen.View{Data: componentsScreen{New: f}}, screen.Prefixed(""), h.T(c, "console.components.not_added"), h.refused(c))
	}
	web.SetAuditTarget(c, comp.ID)
	return h.SeeOther(c, "/console/components", h.F(c, "console.components.added", "Name", comp.Name))
}

func (h *componentPages) getEdit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := h.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	groups, err := h.components.Groups(ctx)
	if err != nil {
		return err
	}
	f := componentForm{ID: comp.ID, Name: comp.Name, Description: comp.Description, GroupID: comp.GroupID, StartDate: comp.StartDate,
		Position: comp.Position, Group: comp.Group, Showcase: comp.Showcase, OnlyShowIfDegraded: comp.OnlyShowIfDegraded, Groups: groups}
	if comp.SLATarget != nil {
		f.SLATarget = strconv.FormatFloat(*comp.SLATarget, 'f', -1, 64)
	}
	return h.Render(c, fiber.StatusOK, "component_edit", screen.View{Title: h.F(c, "console.component.title", "Name", comp.Name), Section: "components", Data: f})
}

func (h *componentPages) postEdit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := h.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	f := readComponentForm(c)
	f.Group = comp.Group
	if comp.Group {
		in := components.GroupInput{Name: &f.Name, Description: &f.Description}
		if f.Position > 0 {
			in.Position = &f.Position
		}
		_, err = h.components.UpdateGroup(ctx, comp.ID, in)
	} else {
		var in components.Input
		if in, err = f.input(); err == nil {
			_, err = h.components.Update(ctx, comp.ID, in)
		}
	}
	if err != nil {
		var gerr error
		if f.Groups, gerr = h.components.Groups(ctx); gerr != nil {
			return gerr
		}
		return h.FormError(c, "component_edit", screen.View{Title: h.F(c, "console.component.title", "Name", comp.Name), Section: "components", Data: f}, err)
	}
	return h.SeeOther(c, "/console/components", h.F(c, "console.components.saved", "Name", f.Name))
}

// postMove moves a component one place up or down.
func (h *componentPages) postMove(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := h.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	pos := comp.Position + 1
	if c.FormValue("direction") == "up" {
		pos = max(1, comp.Position-1)
	}
	if comp.Group {
		_, err = h.components.UpdateGroup(ctx, comp.ID, components.GroupInput{Position: &pos})
	} else {
		_, err = h.components.Update(ctx, comp.ID, components.Input{Position: &pos})
	}
	if err != nil {
		return err
	}
	return h.SeeOther(c, "/console/components", h.F(c, "console.components.moved", "Name", comp.Name))
}

func (h *componentPages) postDelete(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := h.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if comp.Group {
		err = h.components.DeleteGroup(ctx, comp.ID)
	} else {
		err = h.components.Delete(ctx, comp.ID)
	}
	if err != nil {
		return err
	}
	return h.SeeOther(c, "/console/components", h.F(c, "console.components.deleted", "Name", comp.Name))
}
