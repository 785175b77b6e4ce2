package public

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/feeds"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
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
//
// comp, when not nil, is the component the feed is filtered by: its title
// names it and its id is the filtered history's address.
func (v *pageRender) feeds(list []incidents.Incident, comp *components.Component) (atom, rss *web.Resource, err error) {
	base, lang := v.c.baseURL, v.lang
	page := chars.CleanLine(v.s.page.Name)
	f := &feeds.Feed{
		Title:       lang.F("feed.title", "Page", page),
		Link:        &feeds.Link{Href: base + "/"},
		Description: lang.F("feed.summary", "Page", page),
		Id:          base + "/history",
		Updated:     v.s.updatedAt,
	}
	if comp != nil {
		name := chars.CleanLine(comp.Name)
		f.Title = lang.F("feed.title_component", "Page", page, "Component", name)
		f.Description = lang.F("feed.summary_component", "Page", page, "Component", name)
		f.Id = base + "/history?component=" + url.QueryEscape(comp.ID)
		f.Link = &feeds.Link{Href: f.Id}
	}
	for _, in := range list {
		var body bytes.Buffer
		for i, u := range in.Updates {
			label := lang.T("status.update")
			if !incidents.UpdateRepeats(in, i) {
				label = lang.Enum("incident", string(u.Status))
			}
			fmt.Fprintf(&body, "<p><small>%s</small><br><strong>%s</strong></p>%s",
				template.HTMLEscapeString(v.stamp(u.DisplayAt).Text), template.HTMLEscapeString(label),
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
	return p.feed(c, "atom", "application/atom+xml; charset=utf-8")
}

func (p *pages) rssFeed(c *fiber.Ctx) error {
	return p.feed(c, "rss", "application/rss+xml; charset=utf-8")
}

// feed serves the Atom or RSS feed: the whole page's from the snapshot, or,
// with ?component=ID, that component's, rendered on first request and kept
// with the snapshot's lazy pages (an unknown id is not found, so there are
// at most two feeds per component).
func (p *pages) feed(c *fiber.Ctx, kind, contentType string) error {
	ctx := c.UserContext()
	s, err := p.cache.get(ctx)
	if err != nil {
		return err
	}
	comp, ok := s.filterComponent(c)
	if !ok {
		return p.reply.NotFound(c, incidents.ErrNotFound)
	}
	// Feed readers send no Accept-Language: a feed is in the page's
	// language unless its address names another (?lang=).
	lang := p.queryLang(c, s)
	if comp == nil && lang == s.lang {
		r := s.atom
		if kind == "rss" {
			r = s.rss
		}
		return r.Send(c, contentType, p.cacheControl)
	}
	key := kind + ":" + lang.Code()
	if comp != nil {
		key += ":" + comp.ID
	}
	r, err := s.lazy(key, func() (*web.Resource, error) {
		var list []incidents.Incident
		var err error
		if comp == nil {
			list = mergeNewest(s.recentIncidents, s.recentMaintenance, recentLimit)
		} else if list, err = p.incidents.List(ctx, incidents.Filter{ComponentID: comp.ID, Limit: recentLimit}); err != nil {
			return nil, err
		}
		atom, rss, err := newPageRender(p.cache, s, lang).feeds(list, comp)
		if kind == "rss" {
			return rss, err
		}
		return atom, err
	})
	if err != nil {
		return err
	}
	return r.Send(c, contentType, p.cacheControl)
}

// queryLang is the language a feed, calendar or badge is asked in: the
// one ?lang= names, else the page's. Their clients send no
// Accept-Language, and a cookie would make one address mean several
// documents.
func (p *pages) queryLang(c *fiber.Ctx, s *snapshot) *i18n.Lang {
	if q := c.Request().URI().QueryArgs().Peek("lang"); len(q) > 0 {
		if l, ok := s.lang.Catalogue().Lookup(string(q)); ok {
			return l
		}
	}
	return s.lang
}
