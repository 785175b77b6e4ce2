package main

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/feeds"

	"github.com/beacon-status/beacon/incidents"
)

// feeds renders the history as Atom and RSS: one entry per incident or
// maintenance, its content the whole timeline.
func (v *pageRender) feeds(list []incidents.Incident) (atom, rss *resource, err error) {
	base := v.a.cfg.BaseURL
	f := &feeds.Feed{
		Title:       v.s.page.Name + " Status - Incident History",
		Link:        &feeds.Link{Href: base + "/"},
		Description: "Incidents and scheduled maintenance of " + v.s.page.Name,
		Id:          base + "/history",
		Updated:     v.s.updatedAt,
	}
	for _, in := range list {
		var body bytes.Buffer
		for i, u := range in.Updates {
			fmt.Fprintf(&body, "<p><small>%s</small><br><strong>%s</strong></p>%s",
				template.HTMLEscapeString(v.stamp(u.DisplayAt).Text), template.HTMLEscapeString(updateLabel(in, i)),
				v.markdown(u.Body))
		}
		link := base + "/incidents/" + in.ID
		updated := in.UpdatedAt
		f.Items = append(f.Items, &feeds.Item{
			Id: link, Title: in.Name, Link: &feeds.Link{Href: link},
			Description: strings.TrimSpace(body.String()), Content: strings.TrimSpace(body.String()),
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
	return newResource([]byte(a)), newResource([]byte(r)), nil
}

func (a *app) atomFeed(c *fiber.Ctx) error {
	s, err := a.public.get(c.UserContext())
	if err != nil {
		return err
	}
	return s.atom.send(c, "application/atom+xml; charset=utf-8", a.pageCache)
}

func (a *app) rssFeed(c *fiber.Ctx) error {
	s, err := a.public.get(c.UserContext())
	if err != nil {
		return err
	}
	return s.rss.send(c, "application/rss+xml; charset=utf-8", a.pageCache)
}
