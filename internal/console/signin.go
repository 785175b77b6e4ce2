package console

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
)

// authPages are the screens of signing in and out and of setting a
// password with a one-time link.
type authPages struct {
	*screen.Frame
	accounts *accounts.Store
	audit    *web.Audit
}

// signInForm is the sign-in page's data.
type signInForm struct {
	Email string
	Next  string
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/console"
}

func (h *authPages) getSignIn(c *fiber.Ctx) error {
	if _, err := h.accounts.Session(c.UserContext(), c.Cookies(screen.SessionCookie)); err == nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return h.Render(c, fiber.StatusOK, "signin", screen.View{Title: h.T(c, "console.signin.title"), CSRF: h.PreSessionCSRF(c),
		Data: signInForm{Next: safeNext(c.Query("next"))}})
}

func (h *authPages) postSignIn(c *fiber.Ctx) error {
	form := signInForm{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next"))}
	v := screen.View{Title: h.T(c, "console.signin.title"), CSRF: h.PreSessionCSRF(c), Data: form}
	// An address no account can have (NUL, not UTF-8) is told apart here,
	// not by the database (PostgreSQL refuses it as an argument), and the
	// session keeps the user agent as one clean line.
	var token string
	var sess accounts.Session
	err := accounts.ErrCredentials
	if web.Storable(form.Email) {
		token, sess, err = h.accounts.SignIn(c.UserContext(), form.Email, c.FormValue("password"), c.IP(), chars.CleanLine(c.Get(fiber.HeaderUserAgent)))
	}
	var lim *accounts.LimitError
	switch {
	case errors.As(err, &lim):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(lim.RetryAfter.Seconds()))))
		v.Error = h.Lang(c).N("console.signin.too_many", lim.Minutes())
		return h.Render(c, fiber.StatusTooManyRequests, "signin", v)
	case errors.Is(err, accounts.ErrCredentials):
		v.Error = h.T(c, "console.signin.no_match")
		return h.Render(c, fiber.StatusUnauthorized, "signin", v)
	case err != nil:
		return err
	}
	h.Cookies().Set(c, screen.SessionCookie, token, h.accounts.Config().MaxAge)
	h.Cookies().Clear(c, screen.CSRFCookie)
	h.audit.Record(c, "user "+sess.User.Email, "session.sign_in", sess.User.ID)
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

func (h *authPages) postSignOut(c *fiber.Ctx) error {
	if err := h.accounts.SignOut(c.UserContext(), c.Cookies(screen.SessionCookie)); err != nil {
		return err
	}
	h.Cookies().Clear(c, screen.SessionCookie)
	return h.SeeOther(c, screen.SignInPath, h.T(c, "console.signin.signed_out"))
}

// passwordForm is the set-password page's data: for a first-run link it
// also asks for the first admin's address.
type passwordForm struct {
	Token    string
	FirstRun bool
	Email    string
}

func (h *authPages) getPassword(c *fiber.Ctx) error {
	token := c.Query("token")
	link, err := h.accounts.LinkFor(c.UserContext(), token)
	if errors.Is(err, accounts.ErrExpired) {
		return h.Message(c, fiber.StatusGone, h.T(c, "console.password.expired"), h.T(c, "console.password.expired_body"))
	}
	if err != nil {
		return err
	}
	title := h.T(c, "console.password.title")
	if link.FirstRun {
		title = h.T(c, "console.password.first_title")
	}
	return h.Render(c, fiber.StatusOK, "password", screen.View{Title: title, CSRF: h.PreSessionCSRF(c),
		Data: passwordForm{Token: token, FirstRun: link.FirstRun, Email: link.User.Email}})
}

func (h *authPages) postPassword(c *fiber.Ctx) error {
	token := c.FormValue("token")
	link, err := h.accounts.LinkFor(c.UserContext(), token)
	if errors.Is(err, accounts.ErrExpired) {
		return h.Message(c, fiber.StatusGone, h.T(c, "console.password.expired"), h.T(c, "console.password.expired_short"))
	}
	if err != nil {
		return err
	}
	form := passwordForm{Token: token, FirstRun: link.FirstRun, Email: link.User.Email}
	if link.FirstRun {
		form.Email = strings.TrimSpace(c.FormValue("email"))
	}
	v := screen.View{Title: h.T(c, "console.password.title"), CSRF: h.PreSessionCSRF(c), Data: form}
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		v.Errors = map[string]string{"confirm": h.T(c, "console.password.differ")}
		v.Error = h.T(c, "console.password.differ_lead")
		return h.Render(c, fiber.StatusUnprocessableEntity, "password", v)
	}
	u, err := h.accounts.UseLink(c.UserContext(), token, form.Email, password)
	if err != nil {
		return h.FormError(c, "password", v, err)
	}
	h.audit.Record(c, "user "+u.Email, "user.set_password", u.ID)
	return h.SeeOther(c, "/console/signin?next=/console", h.T(c, "console.password.set"))
}

// postLanguage sets the language the console speaks to the signed-in
// user ("" follows the page's), and returns to the screen it was chosen
// on.
func (h *authPages) postLanguage(c *fiber.Ctx) error {
	u := web.Session(c).User
	if err := h.accounts.SetLanguage(c.UserContext(), u.ID, c.FormValue("language")); err != nil {
		return err
	}
	web.SetAuditTarget(c, u.ID)
	code, _ := i18n.Canonical(c.FormValue("language"))
	h.UseLanguage(c, code)
	return h.SeeOther(c, safeNext(c.FormValue("next")), h.T(c, "console.frame.language_set"))
}
