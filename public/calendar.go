package public

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/icalendar"
	"github.com/beacon-status/beacon/internal/web"
)

// The maintenance calendar (internal/icalendar): /maintenance.ics, with
// ?component=ID,… for the maintenances of some components, and
// /incidents/{id}.ics for one. Like the feeds, they are rendered from the
// snapshot and kept with it; the filtered ones at most maxCalendars per
// snapshot, since every set of components has its own.

const calendarType = "text/calendar; charset=utf-8"

const maxCalendars = 500

func (v *pageRender) calendars() *icalendar.Renderer {
	return icalendar.NewRenderer(v.s.page, v.c.baseURL, v.s.components, v.c.templates.PlainText, v.lang)
}

func (p *pages) calendar(c *fiber.Ctx) error {
	s, err := p.cache.get(c.UserContext())
	if err != nil {
		return err
	}
	ids, ok := icalendar.Scope(c.Query("component"), s.byID)
	if !ok {
		return p.reply.NotFound(c, incidents.ErrNotFound)
	}
	// As a feed: the page's language unless the address names another.
	lang := p.queryLang(c, s)
	r := s.ics
	if len(ids) > 0 || lang != s.lang {
		r = s.filtered.Get(lang.Code()+":"+strings.Join(ids, ","), func() *web.Resource {
			list := s.maintenance
			if len(ids) > 0 {
				list = icalendar.Affecting(s.maintenance, ids)
			}
			return web.NewResource(newPageRender(p.cache, s, lang).calendars().Calendar(list, ids))
		})
	}
	return r.Send(c, calendarType, p.cacheControl)
}

// incidentCalendar serves one maintenance, from the snapshot's calendar or,
// when it is older, from the database; an incident is not found.
func (p *pages) incidentCalendar(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s, err := p.cache.get(ctx)
	if err != nil {
		return err
	}
	id := c.Params("id")
	lang := p.queryLang(c, s)
	r, err := s.lazy("ics:"+id+":"+lang.Code(), func() (*web.Resource, error) {
		i := slices.IndexFunc(s.maintenance, func(in incidents.Incident) bool { return in.ID == id })
		if i < 0 {
			in, err := p.incidents.Get(ctx, id)
			if err != nil || in.Kind != incidents.KindMaintenance {
				return nil, incidents.ErrNotFound
			}
			return web.NewResource(newPageRender(p.cache, s, lang).calendars().Event(in)), nil
		}
		return web.NewResource(newPageRender(p.cache, s, lang).calendars().Event(s.maintenance[i])), nil
	})
	if err != nil {
		return p.reply.NotFound(c, err)
	}
	return r.Send(c, calendarType, p.cacheControl)
}
