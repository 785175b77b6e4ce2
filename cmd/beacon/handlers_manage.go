package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// renderer returns a renderer for the current page and components.
// It reads the page and components directly: rebuilding the public
// snapshot for every management response would make a run of API changes
// render every page once per change.
func (a *app) renderer(c *fiber.Ctx) (*statuspage.Renderer, error) {
	ctx := c.UserContext()
	page, err := a.components.Page(ctx)
	if err != nil {
		return nil, err
	}
	all, err := a.components.List(ctx)
	if err != nil {
		return nil, err
	}
	return statuspage.NewRenderer(page, a.cfg.BaseURL, all), nil
}

// --- page ---

type pageRequest struct {
	Name        web.Opt[string] `json:"name"`
	URL         web.Opt[string] `json:"url"`
	TimeZone    web.Opt[string] `json:"time_zone"`
	SupportURL  web.Opt[string] `json:"support_url"`
	LogoURL     web.Opt[string] `json:"logo_url"`
	AccentColor web.Opt[string] `json:"accent_color"`
}

func (a *app) listPages(c *fiber.Ctx) error {
	page, err := a.components.Page(c.UserContext())
	if err != nil {
		return err
	}
	r := statuspage.NewRenderer(page, a.cfg.BaseURL, nil)
	return c.JSON([]statuspage.ManagedPage{r.ManagedPage(page)})
}

func (a *app) getPage(c *fiber.Ctx) error {
	page, err := a.components.Page(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(statuspage.NewRenderer(page, a.cfg.BaseURL, nil).ManagedPage(page))
}

func (a *app) updatePage(c *fiber.Ctx) error {
	var req pageRequest
	if err := web.DecodeBody(c, "page", &req); err != nil {
		return err
	}
	page, err := a.inForce.SavePage(c.UserContext(), components.PageInput{
		Name: req.Name.Ptr(), URL: req.URL.Ptr(), TimeZone: req.TimeZone.Ptr(), SupportURL: web.Clearable(req.SupportURL),
		LogoURL: web.Clearable(req.LogoURL), AccentColor: web.Clearable(req.AccentColor),
	})
	if err != nil {
		return err
	}
	return c.JSON(statuspage.NewRenderer(page, a.cfg.BaseURL, nil).ManagedPage(page))
}

// --- components ---

type componentRequest struct {
	Name               web.Opt[string] `json:"name"`
	Description        web.Opt[string] `json:"description"`
	Status             web.Opt[string] `json:"status"`
	GroupID            web.Opt[string] `json:"group_id"`
	Position           web.Opt[int]    `json:"position"`
	Showcase           web.Opt[bool]   `json:"showcase"`
	OnlyShowIfDegraded web.Opt[bool]   `json:"only_show_if_degraded"`
	StartDate          web.Opt[string] `json:"start_date"`
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
	return in
}

func (a *app) listComponents(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	r, err := a.renderer(c)
	if err != nil {
		return err
	}
	all, err := a.components.List(c.UserContext())
	if err != nil {
		return err
	}
	c.Set("X-Total-Count", strconv.Itoa(len(all)))
	return c.JSON(r.Components(window(all, offset, limit)))
}

func window[T any](list []T, offset, limit int) []T {
	if offset >= len(list) {
		return []T{}
	}
	return list[offset:min(len(list), offset+limit)]
}

func (a *app) createComponent(c *fiber.Ctx) error {
	var req componentRequest
	if err := web.DecodeBody(c, "component", &req); err != nil {
		return err
	}
	comp, err := a.components.Create(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	return a.sendComponent(c.Status(fiber.StatusCreated), comp.ID)
}

func (a *app) sendComponent(c *fiber.Ctx, id string) error {
	comp, err := a.components.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	r, err := a.renderer(c)
	if err != nil {
		return err
	}
	return c.JSON(r.Component(comp))
}

func (a *app) getComponent(c *fiber.Ctx) error {
	return a.sendComponent(c, c.Params("id"))
}

func (a *app) updateComponent(c *fiber.Ctx) error {
	var req componentRequest
	if err := web.DecodeBody(c, "component", &req); err != nil {
		return err
	}
	comp, err := a.components.Update(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return a.sendComponent(c, comp.ID)
}

func (a *app) deleteComponent(c *fiber.Ctx) error {
	if err := a.components.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// componentUptime answers Statuspage's uptime endpoint. start and end are
// dates (YYYY-MM-DD) in the page's time zone; the default is the last 90
// days.
func (a *app) componentUptime(c *fiber.Ctx) error {
	ctx := c.UserContext()
	r, err := a.renderer(c)
	if err != nil {
		return err
	}
	comp, err := a.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	// components/{id}/uptime is for components, component-groups/{id}/uptime
	// for groups.
	if comp.Group != strings.Contains(c.Route().Path, "component-groups") {
		return fiber.ErrNotFound
	}
	now := a.now().In(r.Location())
	end, err := queryDate(c, "end", now, r.Location())
	if err != nil {
		return err
	}
	start, err := queryDate(c, "start", end.AddDate(0, 0, -89), r.Location())
	if err != nil {
		return err
	}
	if end.Before(start) {
		return web.Unprocessable("end", "must not be before start")
	}
	var u components.Uptime
	if comp.Group {
		// A group's uptime adds up its members'.
		parts := make([]components.Uptime, 0, len(comp.Members))
		for _, id := range comp.Members {
			p, err := a.components.Uptime(ctx, id, start, end, r.Location(), a.now())
			if err != nil {
				return err
			}
			parts = append(parts, p)
		}
		u = components.Combine(comp.ID, parts...)
	} else if u, err = a.components.Uptime(ctx, comp.ID, start, end, r.Location(), a.now()); err != nil {
		return err
	}
	warnings := []string{}
	if len(u.Days) > 0 && u.Days[0].NoData {
		warnings = append(warnings, "The range starts before the component's history: days without data are left out of the percentage.")
	}
	events := []statuspage.Event{}
	seen := map[string]bool{}
	for _, id := range append([]string{comp.ID}, comp.Members...) {
		related, err := a.incidents.List(ctx, incidents.Filter{ComponentID: id, From: start, To: end.AddDate(0, 0, 1), Limit: 1000})
		if err != nil {
			return err
		}
		for _, in := range related {
			if !seen[in.ID] {
				seen[in.ID] = true
				events = append(events, statuspage.Event{ID: in.ID, Name: in.Name})
			}
		}
	}
	return c.JSON(statuspage.Uptime{
		RangeStart: start.Format(time.DateOnly), RangeEnd: end.Format(time.DateOnly),
		UptimePercentage: u.Percent(), MajorOutage: int64(u.MajorOutage.Seconds()), PartialOutage: int64(u.PartialOut.Seconds()),
		Warnings: warnings, ID: comp.ID, Name: comp.Name, RelatedEvents: events,
	})
}

func queryDate(c *fiber.Ctx, name string, def time.Time, loc *time.Location) (time.Time, error) {
	s := c.Query(name)
	if s == "" {
		return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, loc), nil
	}
	if len(s) > len(time.DateOnly) {
		s = s[:len(time.DateOnly)] // accept full timestamps; the day is what counts
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, web.Unprocessable(name, "must be a date formatted YYYY-MM-DD")
	}
	return d, nil
}

// --- component groups ---

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

func (a *app) listGroups(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	groups, err := a.components.Groups(c.UserContext())
	if err != nil {
		return err
	}
	r, err := a.renderer(c)
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

func (a *app) sendGroup(c *fiber.Ctx, g components.Component) error {
	r, err := a.renderer(c)
	if err != nil {
		return err
	}
	return c.JSON(r.Group(g))
}

func (a *app) createGroup(c *fiber.Ctx) error {
	var req groupRequest
	if err := web.DecodeBody(c, "component_group", &req); err != nil {
		return err
	}
	g, err := a.components.CreateGroup(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	return a.sendGroup(c.Status(fiber.StatusCreated), g)
}

func (a *app) getGroup(c *fiber.Ctx) error {
	g, err := a.components.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !g.Group {
		return fiber.ErrNotFound
	}
	return a.sendGroup(c, g)
}

func (a *app) updateGroup(c *fiber.Ctx) error {
	var req groupRequest
	if err := web.DecodeBody(c, "component_group", &req); err != nil {
		return err
	}
	g, err := a.components.UpdateGroup(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return a.sendGroup(c, g)
}

func (a *app) deleteGroup(c *fiber.Ctx) error {
	g, err := a.components.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !g.Group {
		return fiber.ErrNotFound
	}
	if err := a.components.DeleteGroup(c.UserContext(), g.ID); err != nil {
		return err
	}
	return a.sendGroup(c, g)
}
