// Package console is the staff console: the screens on-call staff and
// admins use in the browser to sign in, post incidents and maintenance,
// set component statuses, and manage subscribers, API keys, users and
// the page's settings. It is served under /console, behind a session.
package console

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// The staff console's cookies. The session cookie holds the session's
// secret (the server keeps only its hash); the CSRF cookie guards the forms
// shown before sign-in; the flash cookie carries one message across a
// redirect. CSRFField is the form field that carries the CSRF token.
const (
	SessionCookie = "beacon_session"
	CSRFCookie    = "beacon_csrf"
	FlashCookie   = "beacon_flash"
	CSRFField     = "_csrf"
)

// signInPath is the sign-in page, where a request without a session goes.
const signInPath = "/console/signin"

// PasswordURL is the link that sets a password with token, on the Beacon
// reached at baseURL.
func PasswordURL(baseURL, token string) string {
	return strings.TrimSuffix(baseURL, "/") + "/console/password?token=" + token
}

// Deps are the services the console uses.
type Deps struct {
	Log     *slog.Logger
	BaseURL string
	Now     func() time.Time
	// PageID is the page's id, which the API keys screen shows.
	PageID string
	// EmailConfigured reports whether an SMTP server is set, which the
	// notification settings say.
	EmailConfigured bool
	Templates       *templates.Set
	Components      *components.Service
	Incidents       *incidents.Service
	Subscribers     *subscribers.Service
	Outbox          *notifier.Outbox
	// Dispatcher is woken after an import, to send its confirmations.
	Dispatcher *notifier.Dispatcher
	Accounts   *accounts.Store
	Keys       *apikeys.Store
	Audit      *web.Audit
	InForce    *settings.InForce
}

// Screens is the staff console: its screens, each a small handler
// holding only the services it uses.
type Screens struct {
	frame       *frame
	audit       *web.Audit
	session     fiber.Handler
	auth        *authPages
	dashboard   *dashboardPages
	incidents   *incidentPages
	components  *componentPages
	templates   *templatePages
	subscribers *subscriberPages
	keys        *keyPages
	users       *userPages
	settings    *settingsPages
	auditLog    *auditPages
}

// New builds the console's screens on d's services.
func New(d Deps) *Screens {
	f := &frame{log: d.Log, cookies: web.Cookies{Path: "/console", BaseURL: d.BaseURL}, templates: d.Templates, pages: d.Components}
	return &Screens{
		frame:   f,
		audit:   d.Audit,
		session: web.RequireSession(d.Accounts, f.cookies, SessionCookie, signInPath),
		auth:    &authPages{frame: f, accounts: d.Accounts, audit: d.Audit},
		dashboard: &dashboardPages{frame: f, components: d.Components, incidents: d.Incidents, outbox: d.Outbox,
			now: d.Now},
		incidents: &incidentPages{frame: f, components: d.Components, incidents: d.Incidents, subscribers: d.Subscribers,
			outbox: d.Outbox, now: d.Now},
		components:  &componentPages{frame: f, components: d.Components},
		templates:   &templatePages{frame: f, components: d.Components, incidents: d.Incidents},
		subscribers: &subscriberPages{frame: f, components: d.Components, subscribers: d.Subscribers, dispatcher: d.Dispatcher},
		keys:        &keyPages{frame: f, keys: d.Keys, pageID: d.PageID},
		users:       &userPages{frame: f, accounts: d.Accounts, baseURL: d.BaseURL},
		settings: &settingsPages{frame: f, components: d.Components, inForce: d.InForce, baseURL: d.BaseURL,
			emailConfigured: d.EmailConfigured, pageID: d.PageID},
		auditLog: &auditPages{frame: f, accounts: d.Accounts},
	}
}

// frame is what every screen shares: the page's frame around a screen,
// the console's cookies, flash messages and form errors.
type frame struct {
	log       *slog.Logger
	cookies   web.Cookies
	templates *templates.Set
	// pages reads the page's settings, for its name and time zone.
	pages *components.Service
}

// view is what every console page gets: the signed-in user, the CSRF
// token its forms carry, the section it belongs to and a message.
type view struct {
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
func (v view) IsAdmin() bool { return v.User.Role == accounts.Admin }

// requireAdmin keeps admin screens from responders.
func (f *frame) requireAdmin(c *fiber.Ctx) error {
	if web.Session(c).User.Role != accounts.Admin {
		return f.message(c, fiber.StatusForbidden, "Admins only",
			"This needs an admin. Ask an admin of this page to do it, or to make you one.")
	}
	return c.Next()
}

// checkCSRF refuses a state-changing console request whose form (or
// X-CSRF-Token header) does not carry the session's token. Before sign-in
// the token is the one in the CSRF cookie (a double-submit token).
func (f *frame) checkCSRF(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	want := web.Session(c).CSRFToken
	if want == "" {
		want = c.Cookies(CSRFCookie)
	}
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue(CSRFField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return f.message(c, fiber.StatusForbidden, "This form has expired",
			"The form was missing its security token, or it came from another site. Go back, reload the page and try again.")
	}
	return c.Next()
}

// preSessionCSRF returns the token for the signed-out forms, setting its
// cookie when there is none.
func (f *frame) preSessionCSRF(c *fiber.Ctx) string {
	if t := c.Cookies(CSRFCookie); len(t) >= 32 && len(t) <= 64 {
		return t
	}
	t := accounts.NewToken()
	f.cookies.Set(c, CSRFCookie, t, 24*time.Hour)
	return t
}

// flash sets a message shown once on the next console page.
func (f *frame) flash(c *fiber.Ctx, msg string) {
	f.cookies.Set(c, FlashCookie, url.QueryEscape(msg), time.Minute)
}

// seeOther redirects after a successful form post, with a message.
func (f *frame) seeOther(c *fiber.Ctx, to, msg string) error {
	if msg != "" {
		f.flash(c, msg)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// render renders the console template name with the page's frame.
func (f *frame) render(c *fiber.Ctx, status int, name string, v view) error {
	sess := web.Session(c)
	v.User = sess.User
	if v.CSRF == "" {
		v.CSRF = sess.CSRFToken
	}
	if fl := c.Cookies(FlashCookie); fl != "" {
		v.Flash, _ = url.QueryUnescape(fl)
		f.cookies.Clear(c, FlashCookie)
	}
	v.PageName = f.page(c).Name
	var buf bytes.Buffer
	if err := f.templates.HTML(&buf, "console/"+name+".html", v); err != nil {
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

// pageKey is the Locals key of the page's settings, read once a request.
type pageKey struct{}

// page returns the page's settings, read once per request: the frame
// shows its name and times are shown in its zone. If it cannot be read, a
// page named "Beacon" in UTC stands in and the error is logged.
func (f *frame) page(c *fiber.Ctx) components.Page {
	if p, ok := c.Locals(pageKey{}).(components.Page); ok {
		return p
	}
	p, err := f.pages.Page(c.UserContext())
	if err != nil {
		f.log.Error("console: read the page", "err", err)
		p = components.Page{Name: "Beacon", TimeZone: "UTC"}
	}
	c.Locals(pageKey{}, p)
	return p
}

// location is the page's time zone, for a console request.
func (f *frame) location(c *fiber.Ctx) *time.Location { return f.page(c).Location() }

// errorPage is the console's web.ErrorPage: an error shown as a console
// page that says what to do next.
func (f *frame) errorPage(c *fiber.Ctx, status int, body web.ErrorBody) error {
	title := "Something went wrong"
	switch {
	case status == fiber.StatusNotFound:
		title, body.Message = "Not found", "It may have been deleted. Go back to the list and try again."
	case status < 500:
		title = "That did not work"
	default:
		body.Message = "The server could not do this. Try again; if it keeps failing, the server's log says why."
	}
	return f.message(c, status, title, body.Message)
}

// message renders a page that only says something.
func (f *frame) message(c *fiber.Ctx, status int, title, msg string) error {
	return f.render(c, status, "message", view{Title: title, Error: msg})
}

// formError renders name again with the submitted values and err beside
// its field (or above the form), with status 422.
func (f *frame) formError(c *fiber.Ctx, name string, v view, err error) error {
	field, msg, ok := fieldError(err)
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
	return f.render(c, fiber.StatusUnprocessableEntity, name, v)
}

// refuse shows a form again after err when err is the user's to correct
// (see fieldError): the message beside the field named key(field), when
// key is set, and above the form after lead. Any other error goes to the
// error handler.
func refuse(err error, v view, key func(field string) string, lead string, show func(view) error) error {
	field, msg, ok := fieldError(err)
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
func fieldError(err error) (field, msg string, ok bool) {
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
