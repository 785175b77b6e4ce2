package public

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/templates"
)

// replies answers with the short pages the public flows end in — a
// message, a form again, "not found" — or with JSON to JSON callers.
type replies struct {
	cache     *cache
	templates *templates.Set
}

// wantsJSON reports whether the caller sent or asked for JSON.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) ||
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}

// pageView is the data every HTML page's layout reads.
type pageView = head

// pageHead returns the layout data every page shares: the same frame on
// the status page, incident pages, history and the subscribe screens.
func pageHead(s *snapshot, title string) head {
	p := s.page
	return head{Title: title, PageName: p.Name, LogoURL: p.LogoURL, AccentColor: p.AccentColor, SupportURL: p.SupportURL,
		Indicator: s.status.Indicator}
}

// head returns the layout data of a page from the current snapshot.
func (r replies) head(c *fiber.Ctx, title string) (head, error) {
	s, err := r.cache.get(c.UserContext())
	if err != nil {
		return head{}, err
	}
	return pageHead(s, title), nil
}

// render renders an HTML page template with status code.
func (r replies) render(c *fiber.Ctx, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := r.templates.HTML(&buf, "pages/"+name+".html", data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

type messagePage struct {
	pageView
	Message string
	IsError bool
	Secret  string
}

// message answers with a short page (or {"message"} for JSON callers).
func (r replies) message(c *fiber.Ctx, status int, title, msg string) error {
	if wantsJSON(c) {
		return c.Status(status).JSON(web.ErrorBody{Message: msg})
	}
	h, err := r.head(c, title)
	if err != nil {
		return err
	}
	return r.render(c, status, "message", messagePage{pageView: h, Message: msg, IsError: status >= 400})
}

// notFound answers 404 with a page for visitors (err says why, for errors
// that are not "not found").
func (r replies) notFound(c *fiber.Ctx, err error) error {
	if status, _ := web.Classify(err); status >= 500 {
		return err
	}
	return r.message(c, fiber.StatusNotFound, "Not found", "There is nothing at this address. It may have been removed.")
}
