// Package screen is what every staff console screen shares: the frame a
// screen is rendered in (the signed-in user, CSRF token, flash message and
// form errors), the console's cookies and paths, and the checks every
// request passes (session role, CSRF). The console's screens —
// internal/console for on-call staff, internal/console/admin for admins —
// embed its Frame.
package screen

import (
	"bytes"
	"crypto/subtle"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
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

// SignInPath is the sign-in page, where a request without a session goes.
const SignInPath = "/console/signin"

// PasswordURL is the link that sets a password with token, on the Beacon
// reached at baseURL.
func PasswordURL(baseURL, token string) string {
	return strings.TrimSuffix(baseURL, "/") + "/console/password?token=" + token
}

// Frame is what every screen shares: the page's frame around a screen,
// the console's cookies, flash messages and form errors.
type Frame struct {
	log       *slog.Logger
	cookies   web.Cookies
	templates *templates.Set
	// pages reads the page's settings, for its name, time zone and
	// language.
	pages *components.Service
	// chooser matches a signed-out visitor's Accept-Language.
	chooser *i18n.Chooser
}

// NewFrame returns the frame of the console served at baseURL, rendered
// from set's console templates, naming the page pages holds.
func NewFrame(log *slog.Logger, baseURL string, set *templates.Set, pages *components.Service) *Frame {
	return &Frame{log: log, cookies: web.Cookies{Path: "/console", BaseURL: baseURL}, templates: set, pages: pages,
		chooser: i18n.NewChooser(set.Catalogue())}
}

// Cookies sets and clears the console's cookies.
func (f *Frame) Cookies() web.Cookies { return f.cookies }

// Templates are the templates screens render, and their Markdown.
func (f *Frame) Templates() *templates.Set { return f.templates }

// View is what every console page gets: the signed-in user, the CSRF
// token its forms carry, the section it belongs to and a message.
type View struct {
	Title    string
	PageName string
	User     accounts.User
	CSRF     string
	Section  string
	Flash    string
	Error    string            // a message for the whole form
	Errors   map[string]string // messages beside fields, by field name
	Data     any
	// Languages are the choices of the language picker (the signed-in
	// user's selected); Here is where it returns to.
	Languages []Option
	Here      string
}

// IsAdmin reports whether the signed-in user is an admin.
func (v View) IsAdmin() bool { return v.User.Role == accounts.Admin }

// RequireAdmin keeps admin screens from responders.
func (f *Frame) RequireAdmin(c *fiber.Ctx) error {
	if web.Session(c).User.Role != accounts.Admin {
		return f.Message(c, fiber.StatusForbidden, f.T(c, "console.frame.admins_only"), f.T(c, "console.frame.admins_only_body"))
	}
	return c.Next()
}

// CheckCSRF refuses a state-changing console request whose form (or
// X-CSRF-Token header) does not carry the session's token. Before sign-in
// the token is the one in the CSRF cookie (a double-submit token).
func (f *Frame) CheckCSRF(c *fiber.Ctx) error {
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
		return f.Message(c, fiber.StatusForbidden, f.T(c, "console.frame.expired"), f.T(c, "console.frame.expired_body"))
	}
	return c.Next()
}

// PreSessionCSRF returns the token for the signed-out forms, setting its
// cookie when there is none.
func (f *Frame) PreSessionCSRF(c *fiber.Ctx) string {
	if t := c.Cookies(CSRFCookie); len(t) >= 32 && len(t) <= 64 {
		return t
	}
	t := accounts.NewToken()
	f.cookies.Set(c, CSRFCookie, t, 24*time.Hour)
	return t
}

// flash sets a message shown once on the next console page.
func (f *Frame) flash(c *fiber.Ctx, msg string) {
	f.cookies.Set(c, FlashCookie, url.QueryEscape(msg), time.Minute)
}

// SeeOther redirects after a successful form post, with a message.
func (f *Frame) SeeOther(c *fiber.Ctx, to, msg string) error {
	if msg != "" {
		f.flash(c, msg)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// Render renders the console template name with the page's frame.
func (f *Frame) Render(c *fiber.Ctx, status int, name string, v View) error {
	sess := web.Session(c)
	v.User = sess.User
	if v.CSRF == "" {
		v.CSRF = sess.CSRFToken
	}
	if fl := c.Cookies(FlashCookie); fl != "" {
		v.Flash, _ = url.QueryUnescape(fl)
		f.cookies.Clear(c, FlashCookie)
	}
	v.PageName = f.Page(c).Name
	lang := f.Lang(c)
	if v.User.ID != "" {
		v.Languages = f.LanguageOptions(c, v.User.Language)
		if c.Method() == fiber.MethodGet {
			v.Here = c.OriginalURL()
		}
	}
	v.Error = translateRefusals(lang, v.Error)
	if len(v.Errors) > 0 && lang.Code() != i18n.Source {
		errs := make(map[string]string, len(v.Errors))
		for k, msg := range v.Errors {
			errs[k] = translateRefusals(lang, msg)
		}
		v.Errors = errs
	}
	var buf bytes.Buffer
	if err := f.templates.In(lang).HTML(&buf, "console/"+name+".html", v); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Set("Referrer-Policy", "same-origin")
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderContentLanguage, lang.Code())
	// A name stored before control characters were refused is shown
	// without them, so saving the form again stores it clean.
	return c.Status(status).Send(chars.CleanBytes(buf.Bytes()))
}

// langKey is the Locals key of the request's language.
type langKey struct{}

// Lang is the language the console speaks to a request: the signed-in
// user's choice, else (signed out) the best match of the browser's
// Accept-Language, else the page's language.
func (f *Frame) Lang(c *fiber.Ctx) *i18n.Lang {
	if l, ok := c.Locals(langKey{}).(*i18n.Lang); ok {
		return l
	}
	cat := f.templates.Catalogue()
	u := web.Session(c).User
	l, ok := cat.Lookup(u.Language)
	if !ok && u.ID == "" {
		l, ok = f.chooser.Match(c.Request().Header.Peek(fiber.HeaderAcceptLanguage))
	}
	if !ok {
		l = cat.Get(f.Page(c).Language)
	}
	c.Locals(langKey{}, l)
	return l
}

// UseLanguage has the rest of the request speak the language of code
// (the page's for ""), once the user has chosen it.
func (f *Frame) UseLanguage(c *fiber.Ctx, code string) {
	cat := f.templates.Catalogue()
	l, ok := cat.Lookup(code)
	if !ok {
		l = cat.Get(f.Page(c).Language)
	}
	c.Locals(langKey{}, l)
}

// T is the message id in the request's language (Lang).
func (f *Frame) T(c *fiber.Ctx, id string) string { return f.Lang(c).T(id) }

// F is the message id with data, as name, value pairs, in the request's
// language.
func (f *Frame) F(c *fiber.Ctx, id string, kv ...any) string { return f.Lang(c).F(id, kv...) }

// LanguageOptions are a language select's choices, chosen selected: the
// page's language first (the choice "" follows it), then each language
// by its own name. The footer's picker and the subscribers' languages
// offer them.
func (f *Frame) LanguageOptions(c *fiber.Ctx, chosen string) []Option {
	cat := f.templates.Catalogue()
	page := cat.Get(f.Page(c).Language)
	out := []Option{{Value: "", Label: f.F(c, "console.frame.language_page", "Language", page.Name()), Selected: chosen == ""}}
	for _, l := range cat.Langs() {
		out = append(out, Option{Value: l.Code(), Label: l.Name(), Lang: l.Code(), Selected: chosen == l.Code()})
	}
	return out
}

// pageKey is the Locals key of the page's settings, read once a request.
type pageKey struct{}

// Page returns the page's settings, read once per request: the frame
// shows its name and times are shown in its zone. If it cannot be read, a
// page named "Beacon" in UTC stands in and the error is logged.
func (f *Frame) Page(c *fiber.Ctx) components.Page {
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

// Location is the page's time zone, for a console request.
func (f *Frame) Location(c *fiber.Ctx) *time.Location { return f.Page(c).Location() }

// ErrorPage is the console's web.ErrorPage: an error shown as a console
// page that says what to do next.
func (f *Frame) ErrorPage(c *fiber.Ctx, status int, body web.ErrorBody) error {
	title := f.T(c, "console.frame.error")
	switch {
	case status == fiber.StatusNotFound:
		title, body.Message = f.T(c, "console.frame.not_found"), f.T(c, "console.frame.not_found_body")
	case status < 500:
		title = f.T(c, "console.frame.refused")
	default:
		body.Message = f.T(c, "console.frame.error_body")
	}
	return f.Message(c, status, title, body.Message)
}

// Message renders a page that only says something.
func (f *Frame) Message(c *fiber.Ctx, status int, title, msg string) error {
	return f.Render(c, status, "message", View{Title: title, Error: msg})
}
