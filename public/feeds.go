package public

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/feeds"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/web"
)

// feeds renders the history as Atom and RSS: one entry per incident or
// maintenance, its content the whole timeline.
//
// Every text is cleaned (internal/chars) whatever the database holds:
// encoding/xml writes a character XML forbids as U+FFFD in text but as it
// is inside CDATA (RSS's content:encoded), which made the whole feed
// unreadable to a strict parser. A "]]>" in CDATA is split by encoding/xml
// itself.
func (v *pageRender) feeds(list []incidents.Incident) (atom, rss *web.Resource, err error) {
	base := v.c.baseURL
	page := chars.CleanLine(v.s.page.Name)
	f := &feeds.Feed{
		Title:       page + " Status - Incident History",
		Link:        &feeds.Link{Href: base + "/"},
		Description: "Incidents and scheduled maintenance of " + page,
		Id:          base + "/history",
		Updated:     v.s.updatedAt,
	}
	for _, in := range list {
		var body bytes.Buffer
		for i, u := range in.Updates {
			fmt.Fprintf(&body, "<p><small>%s</small><br><strong>%s</strong></p>%s",
				template.HTMLEscapeString(v.stamp(u.DisplayAt).Text), template.HTMLEscapeString(incidents.UpdateLabel(in, i)),
				v.markdown(u.Body))
		}
		link := base + "/incidents/" + in.ID
		updated := in.UpdatedAt
		content := chars.Clean(strings.TrimSpace(body.String()))
		f.Items = append(f.Items, &feeds.Item{
			Id: link, Title: chars.CleanLine(in.Name), Link: &feeds.Link{Href: link},
			Description: content, Content: content,
			Created: in.CreatedAt, Updated: updated,
		})
	}
	a, err := f.ToAtom()
	if err != nil {
		return nil, nil, fmt.Errorf("render atom feed: %w", err)
	}
	r, err := f.ToRss()
	if err != nil {
		return nil, nil, fmt.Errorf("render rss feed: %w", err)
	}
	return web.NewResource([]byte(a)), web.NewResource([]byte(r)), nil
}

func (p *pages) atomFeed(c *fiber.Ctx) error {
	s, err := p.cache.get(c.UserContext())
	if err != nil {
		return err
	}
	return s.atom.Send(c, "application/atom+xml; charset=utf-8", p.cacheControl)
}

func (p *pages) rssFeed(c *fiber.Ctx) error {
	s, err := p.cache.get(c.UserContext())
	if err != nil {
		return err
	}
	return s.rss.Send(c, "application/rss+xml; charset=utf-8", p.cacheControl)
}
