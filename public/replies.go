package public

import (
	"context"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/public/report"
)

// head is what every page's layout reads.
type head = frame.Head

// pageHead returns the layout data every page shares: the same frame on
// the status page, incident pages, history and the subscribe screens.
func pageHead(s *snapshot, title string, lang *i18n.Lang) head {
	p := s.page
	h := head{Title: title, PageName: p.Name, LogoURL: p.LogoURL, AccentColor: p.AccentColor, SupportURL: p.SupportURL,
		Indicator: s.status.Indicator}
	h.SetLang(lang, s.lang, "")
	return h
}

// head returns the layout data of a page from the current snapshot (the
// replies' Heads).
func (c *cache) head(ctx context.Context, title string) (head, error) {
	s, err := c.get(ctx)
	if err != nil {
		return head{}, err
	}
	return pageHead(s, title, s.lang), nil
}

// Page returns the layout data of a page in lang (the page's default
// language when nil) and the page's components from the current snapshot:
// what the sign-up flows read (signup.Site).
func (c *cache) Page(ctx context.Context, title string, lang *i18n.Lang) (head, []components.Component, error) {
	s, err := c.get(ctx)
	if err != nil {
		return head{}, nil, err
	}
	if lang == nil {
		lang = s.lang
	}
	return pageHead(s, title, lang), s.components, nil
}

// Snapshot returns the current snapshot as the uptime report reads it
// (report.Site): what it shows, and its cache of pages rendered on demand.
func (c *cache) Snapshot(ctx context.Context) (report.Snapshot, error) {
	s, err := c.get(ctx)
	if err != nil {
		return report.Snapshot{}, err
	}
	head := func(title string, lang *i18n.Lang) head { return newPageRender(c, s, lang).head(title) }
	return report.Snapshot{Page: s.page, Components: s.components, At: s.at, Lang: s.lang, Head: head, Lazy: s.lazy}, nil
}
