package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// uptimeAPI answers /components/{id}/uptime and
// /component-groups/{id}/uptime.
type uptimeAPI struct {
	components *components.Service
	incidents  *incidents.Service
	now        func() time.Time
	render     rendering
}

// get answers Statuspage's uptime endpoint. start and end are dates
// (YYYY-MM-DD) in the page's time zone; the default is the last 90 days.
func (h uptimeAPI) get(c *fiber.Ctx) error {
	ctx := c.UserContext()
	r, err := h.render.renderer(ctx)
	if err != nil {
		return err
	}
	comp, err := h.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	// components/{id}/uptime is for components, component-groups/{id}/uptime
	// for groups.
	if comp.Group != strings.Contains(c.Route().Path, "component-groups") {
		return fiber.ErrNotFound
	}
	now := h.now().In(r.Location())
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
			p, err := h.components.Uptime(ctx, id, start, end, r.Location(), h.now())
			if err != nil {
				return err
			}
			parts = append(parts, p)
		}
		u = components.Combine(comp.ID, parts...)
	} else if u, err = h.components.Uptime(ctx, comp.ID, start, end, r.Location(), h.now()); err != nil {
		return err
	}
	warnings := []string{}
	if len(u.Days) > 0 && u.Days[0].NoData {
		warnings = append(warnings, "The range starts before the component's history: days without data are left out of the percentage.")
	}
	events := []statuspage.Event{}
	seen := map[string]bool{}
	for _, id := range append([]string{comp.ID}, comp.Members...) {
		related, err := h.incidents.List(ctx, incidents.Filter{ComponentID: id, From: start, To: end.AddDate(0, 0, 1), Limit: 1000})
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
		return components.DayStart(def.Year(), def.Month(), def.Day(), loc), nil
	}
	if len(s) > len(time.DateOnly) {
		s = s[:len(time.DateOnly)] // accept full timestamps; the day is what counts
	}
	// Read as a calendar date, then started in the page's zone (where a
	// midnight is missing, parsing in the zone would give the day before).
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, web.Unprocessable(name, "must be a date formatted YYYY-MM-DD")
	}
	return components.DayStart(d.Year(), d.Month(), d.Day(), loc), nil
}
