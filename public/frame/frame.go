// Package frame is what every public page shares: the data its layout
// reads (Head) and the short replies the public flows end in — a message,
// a form again, "not found" — or JSON to JSON callers. The status pages
// (public) and the subscription flows (public/signup) both render in it.
package frame

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
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
}

// Stamp is a time as the pages show it: machine-readable for <time
// datetime> (which the script re-renders in the visitor's zone) and as
// text in the page's zone.
type Stamp struct {
	ISO  string
	Text string
}

// StampOf is t as the pages show it in loc.
func StampOf(t time.Time, loc *time.Location) Stamp {
	return Stamp{ISO: t.UTC().Format(time.RFC3339), Text: t.In(loc).Format("Jan 2, 2006 - 15:04 MST")}
}

// Duration says a length of time the way a tooltip should: "1 h 12 min".
func Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case h > 0:
		return fmt.Sprintf("%d h", h)
	case m > 0:
		return fmt.Sprintf("%d min", m)
	}
	return "less than a minute"
}

// WantsJSON reports whether the caller sent or asked for JSON.
func WantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) ||
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}

// Replies answers with the short pages the public flows end in.
type Replies struct {
	// Heads returns the layout data of a page titled title, from the
	// public site's current snapshot.
	Heads     func(ctx context.Context, title string) (Head, error)
	Templates *templates.Set
}

// Head returns the layout data of a page from the current snapshot.
func (r Replies) Head(c *fiber.Ctx, title string) (Head, error) {
	return r.Heads(c.UserContext(), title)
}

// Render renders an HTML page template with status code.
func (r Replies) Render(c *fiber.Ctx, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := r.Templates.HTML(&buf, "pages/"+name+".html", data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
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
	return r.Message(c, fiber.StatusNotFound, "Not found", "There is nothing at this address. It may have been removed.")
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
