package main

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/web"
)

// The staff console's cookies. The session cookie holds the session's
// secret (the server keeps only its hash); the CSRF cookie guards the forms
// shown before sign-in; the flash cookie carries one message across a
// redirect.
const (
	sessionCookie = "beacon_session"
	csrfCookie    = "beacon_csrf"
	flashCookie   = "beacon_flash"
	csrfField     = "_csrf"
)

// consoleView is what every console page gets: the signed-in user, the
// CSRF token its forms carry, the section it belongs to and a message.
type consoleView struct {
	Title    string
	PageName string
	User     accounts.User
	CSRF     string
	Section  string
	Flash    string
	Error    string            // a message for the whole form
	Errors   map[string]string // messages beside fields, by field name
	Data     any
}

// IsAdmin reports whether the signed-in user is an admin.
func (v consoleView) IsAdmin() bool { return v.User.Role == accounts.Admin }

// session returns the signed-in session of a console request.
func session(c *fiber.Ctx) accounts.Session {
	s, _ := c.Locals("session").(accounts.Session)
	return s
}

// secureCookies reports whether cookies get the Secure flag: always when
// Beacon is reached over HTTPS (by its base URL or this request).
func (a *app) secureCookies(c *fiber.Ctx) bool {
	return strings.HasPrefix(a.cfg.BaseURL, "https://") || c.Protocol() == "https"
}

func (a *app) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/console", HTTPOnly: true, Secure: a.secureCookies(c),
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(maxAge.Seconds()),
	})
}

func (a *app) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/console", HTTPOnly: true, Secure: a.secureCookies(c),
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1})
}

// requireSession lets a request through only with a live session; others
// are sent to the sign-in page, which brings them back afterwards.
func (a *app) requireSession(c *fiber.Ctx) error {
	sess, err := a.accounts.Session(c.UserContext(), c.Cookies(sessionCookie))
	if errors.Is(err, accounts.ErrExpired) {
		if c.Cookies(sessionCookie) != "" {
			a.clearCookie(c, sessionCookie)
		}
		next := ""
		if c.Method() == fiber.MethodGet {
			next = "?next=" + url.QueryEscape(c.OriginalURL())
		}
		if c.Get("X-Requested-With") != "" || c.Accepts("text/html", "application/json") == "application/json" {
			return c.Status(fiber.StatusUnauthorized).JSON(web.ErrorBody{Message: "Your session has ended: sign in again."})
		}
		return c.Redirect("/console/signin"+next, fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	c.Locals("session", sess)
	web.SetActor(c, "user "+sess.User.Email)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// requireAdmin keeps admin screens from responders.
func (a *app) requireAdmin(c *fiber.Ctx) error {
	if session(c).User.Role != accounts.Admin {
		return a.consoleMessage(c, fiber.StatusForbidden, "Admins only",
			"This needs an admin. Ask an admin of this page to do it, or to make you one.")
	}
	return c.Next()
}

// checkCSRF refuses a state-changing console request whose form (or
// X-CSRF-Token header) does not carry the session's token. Before sign-in
// the token is the one in the CSRF cookie (a double-submit token).
func (a *app) checkCSRF(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	want := session(c).CSRFToken
	if want == "" {
		want = c.Cookies(csrfCookie)
	}
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue(csrfField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return a.consoleMessage(c, fiber.StatusForbidden, "This form has expired",
			"The form was missing its security token, or it came from another site. Go back, reload the page and try again.")
	}
	return c.Next()
}

// preSessionCSRF returns the token for the signed-out forms, setting its
// cookie when there is none.
func (a *app) preSessionCSRF(c *fiber.Ctx) string {
	if t := c.Cookies(csrfCookie); len(t) >= 32 && len(t) <= 64 {
		return t
	}
	t := accounts.NewToken()
	a.setCookie(c, csrfCookie, t, 24*time.Hour)
	return t
}

// flash sets a message shown once on the next console page.
func (a *app) flash(c *fiber.Ctx, msg string) {
	a.setCookie(c, flashCookie, url.QueryEscape(msg), time.Minute)
}

// seeOther redirects after a successful form post, with a message.
func (a *app) seeOther(c *fiber.Ctx, to, msg string) error {
	if msg != "" {
		a.flash(c, msg)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// renderConsole renders the console template name with the page's frame.
func (a *app) renderConsole(c *fiber.Ctx, status int, name string, v consoleView) error {
	sess := session(c)
	v.User = sess.User
	if v.CSRF == "" {
		v.CSRF = sess.CSRFToken
	}
	if f := c.Cookies(flashCookie); f != "" {
		v.Flash, _ = url.QueryUnescape(f)
		a.clearCookie(c, flashCookie)
	}
	v.PageName = a.consolePage(c).Name
	var buf bytes.Buffer
	if err := a.templates.HTML(&buf, "console/"+name+".html", v); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Set("Referrer-Policy", "same-origin")
	c.Type("html", "utf-8")
	// A name stored before control characters were refused is shown
	// without them, so saving the form again stores it clean.
	return c.Status(status).Send(chars.CleanBytes(buf.Bytes()))
}

// consolePage returns the page's settings, read once per request: the
// frame shows its name and times are shown in its zone. If it cannot be
// read, a page named "Beacon" in UTC stands in and the error is logged.
func (a *app) consolePage(c *fiber.Ctx) components.Page {
	if p, ok := c.Locals("page").(components.Page); ok {
		return p
	}
	p, err := a.components.Page(c.UserContext())
	if err != nil {
		a.log.Error("console: read the page", "err", err)
		p = components.Page{Name: "Beacon", TimeZone: "UTC"}
	}
	c.Locals("page", p)
	return p
}

// consoleError is the console's web.ErrorPage: an error shown as a
// console page that says what to do next.
func (a *app) consoleError(c *fiber.Ctx, status int, body web.ErrorBody) error {
	title := "Something went wrong"
	switch {
	case status == fiber.StatusNotFound:
		title, body.Message = "Not found", "It may have been deleted. Go back to the list and try again."
	case status < 500:
		title = "That did not work"
	default:
		body.Message = "The server could not do this. Try again; if it keeps failing, the server's log says why."
	}
	return a.consoleMessage(c, status, title, body.Message)
}

// consoleMessage renders a page that only says something.
func (a *app) consoleMessage(c *fiber.Ctx, status int, title, msg string) error {
	return a.renderConsole(c, status, "message", consoleView{Title: title, Error: msg})
}

// formError renders name again with the submitted values and err beside
// its field (or above the form), with status 422.
func (a *app) formError(c *fiber.Ctx, name string, v consoleView, err error) error {
	field, msg, ok := a.fieldError(err)
	if !ok {
		return err
	}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if field != "" {
		v.Errors[field] = msg
	}
	v.Error = "Please correct the highlighted field: " + msg
	if field == "" {
		v.Error = msg
	}
	return a.renderConsole(c, fiber.StatusUnprocessableEntity, name, v)
}

// refuse shows a form again after err when err is the user's to correct
// (see fieldError): the message beside the field named key(field), when
// key is set, and above the form after lead. Any other error goes to the
// error handler.
func (a *app) refuse(err error, v consoleView, key func(field string) string, lead string, show func(consoleView) error) error {
	field, msg, ok := a.fieldError(err)
	if !ok {
		return err
	}
	if key != nil {
		if v.Errors == nil {
			v.Errors = map[string]string{}
		}
		v.Errors[key(field)] = msg
	}
	v.Error = lead + msg
	return show(v)
}

// prefixed names a form's field by the field at fault, after prefix.
func prefixed(prefix string) func(string) string {
	return func(field string) string { return prefix + field }
}

// always names the same form field whatever the field at fault.
func always(name string) func(string) string {
	return func(string) string { return name }
}

// fieldError turns a client's error (invalid input, a conflict) into a
// field and a message to show beside the form; anything else is not for
// the form to show.
func (a *app) fieldError(err error) (field, msg string, ok bool) {
	var req *web.Error
	if errors.As(err, &req) && req.Status() < 500 {
		return req.Field(), req.Error(), true
	}
	status, body := web.Classify(err)
	if status == fiber.StatusUnprocessableEntity || status == fiber.StatusConflict {
		return body.Field, body.Message, true
	}
	return "", "", false
}
