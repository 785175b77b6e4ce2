// Package frame is what every public page shares: the data its layout
// reads (Head) and the short replies the public flows end in — a message,
// a form again, "not found" — or JSON to JSON callers. The status pages
// (public) and the subscription flows (public/signup) both render in it.
package frame

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/templates"
)

// Head is what every page's layout reads.
type Head struct {
	Title       string
	PageName    string
	LogoURL     string
	AccentColor string
	SupportURL  string
	Description string
	// Indicator is the page's current indicator: the favicon's link names
	// it, so that a browser fetches the icon again when its colour changes.
	Indicator components.Impact
	// FeedQuery narrows the feeds the head announces to readers
	// ("?component=ID" on a filtered history page), so that a feed reader
	// pointed at that page follows the same component.
	FeedQuery string
	// Home marks the status page itself, whose title is the page's name
	// alone; other pages' titles are followed by it.
	Home bool
	// Lang is the language the page is read in; nil for English.
	Lang *i18n.Lang
	// Languages are the picker's links, one per language.
	Languages []LangLink
	// FeedLang is the language the page links its feeds and calendar in:
	// the code of Lang when that is not the page's default language, so
	// that a German reader subscribes to the German feed (feed readers
	// send no Accept-Language and no cookie: only the address can say
	// it); empty in the default language, whose addresses stay as they
	// were. The layout writes the links with the templates' feed.
	FeedLang string
}

// SetLang makes h a page read in lang, on a site whose default language
// is def: its language, picker (keeping query: see Picker) and feed links.
func (h *Head) SetLang(lang, def *i18n.Lang, query string) {
	h.Lang, h.Languages, h.FeedLang = lang, Picker(lang, query), ""
	if lang != def {
		h.FeedLang = lang.Code()
	}
}

// Stamp is a time as the pages show it: machine-readable for <time
// datetime> (which the script re-renders in the visitor's zone) and as
// text in the page's zone.
type Stamp struct {
	ISO  string
	Text string
}

// StampIn is t as the pages show it in loc, in lang.
func StampIn(t time.Time, loc *time.Location, lang *i18n.Lang) Stamp {
	return Stamp{ISO: t.UTC().Format(time.RFC3339), Text: lang.Date(i18n.Stamp, t.In(loc))}
}

// WantsJSON reports whether the caller sent or asked for JSON.
func WantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) ||
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}

// Replies answers with the short pages the public flows end in, in the
// language the visitor reads the site in.
type Replies struct {
	// Heads returns the layout data of a page titled title, from the
	// public site's current snapshot, in the page's default language
	// (Head.Lang).
	Heads     func(ctx context.Context, title string) (Head, error)
	Templates *templates.Set
	// Languages chooses the visitor's language.
	Languages Languages
}

// Head returns the layout data of a page from the current snapshot, in
// the visitor's language (Lang).
func (r Replies) Head(c *fiber.Ctx, title string) (Head, error) {
	h, err := r.Heads(c.UserContext(), title)
	if err != nil {
		return h, err
	}
	h.SetLang(r.Languages.Choose(c, h.Lang), h.Lang, QueryWithoutLang(c))
	return h, nil
}

// Lang returns the language the visitor reads the site in.
func (r Replies) Lang(c *fiber.Ctx) (*i18n.Lang, error) {
	h, err := r.Head(c, "")
	return h.Lang, err
}

// Render renders an HTML page template with status code, in the
// visitor's language.
func (r Replies) Render(c *fiber.Ctx, status int, name string, data any) error {
	lang, err := r.Lang(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := r.Templates.In(lang).HTML(&buf, "pages/"+name+".html", data); err != nil {
		return err
	}
	r.Languages.Remember(c, lang)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentLanguage, lang.Code())
	return c.Status(status).Send(buf.Bytes())
}

// MessagePage is the data of the short message page.
type MessagePage struct {
	Head
	Message string
	IsError bool
	Secret  string
}

// Message answers with a short page (or {"message"} for JSON callers).
func (r Replies) Message(c *fiber.Ctx, status int, title, msg string) error {
	if WantsJSON(c) {
		return c.Status(status).JSON(web.ErrorBody{Message: msg})
	}
	h, err := r.Head(c, title)
	if err != nil {
		return err
	}
	return r.Render(c, status, "message", MessagePage{Head: h, Message: msg, IsError: status >= 400})
}

// NotFound answers 404 with a page for visitors (err says why, for errors
// that are not "not found").
func (r Replies) NotFound(c *fiber.Ctx, err error) error {
	if status, _ := web.Classify(err); status >= 500 {
		return err
	}
	lang, err := r.Lang(c)
	if err != nil {
		return err
	}
	return r.Message(c, fiber.StatusNotFound, lang.T("page.not_found_title"), lang.T("page.not_found"))
}

// Parallel runs fns at the same time and returns their errors joined (nil
// when none failed).
func Parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
