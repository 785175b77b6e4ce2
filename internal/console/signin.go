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
	return h.Render(c, fiber.StatusOK, "signin", screen.View{Title: "Sign in", CSRF: h.PreSessionCSRF(c),
		Data: signInForm{Next: safeNext(c.Query("next"))}})
}

func (h *authPages) postSignIn(c *fiber.Ctx) error {
	form := signInForm{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next"))}
	v := screen.View{Title: "Sign in", CSRF: h.PreSessionCSRF(c), Data: form}
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
		v.Error = "Too many failed sign-ins. " + strings.ToUpper(lim.Error()[:1]) + lim.Error()[1:] + "."
		return h.Render(c, fiber.StatusTooManyRequests, "signin", v)
	case errors.Is(err, accounts.ErrCredentials):
		v.Error = "That email address and password do not match an account."
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
	return h.SeeOther(c, screen.SignInPath, "You have signed out.")
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
		return h.Message(c, fiber.StatusGone, "This link has expired",
			"Set-password links work once and for a limited time. Ask an admin for a new one (beacon user create, or the Users screen).")
	}
	if err != nil {
		return err
	}
	title := "Set your password"
	if link.FirstRun {
		title = "Create the first admin"
	}
	return h.Render(c, fiber.StatusOK, "password", screen.View{Title: title, CSRF: h.PreSessionCSRF(c),
		Data: passwordForm{Token: token, FirstRun: link.FirstRun, Email: link.User.Email}})
}

func (h *authPages) postPassword(c *fiber.Ctx) error {
	token := c.FormValue("token")
	link, err := h.accounts.LinkFor(c.UserContext(), token)
	if errors.Is(err, accounts.ErrExpired) {
		return h.Message(c, fiber.StatusGone, "This link has expired",
			"Set-password links work once and for a limited time. Ask an admin for a new one.")
	}
	if err != nil {
		return err
	}
	form := passwordForm{Token: token, FirstRun: link.FirstRun, Email: link.User.Email}
	if link.FirstRun {
		form.Email = strings.TrimSpace(c.FormValue("email"))
	}
	v := screen.View{Title: "Set your password", CSRF: h.PreSessionCSRF(c), Data: form}
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		v.Errors = map[string]string{"confirm": "The two passwords differ."}
		v.Error = "Please correct the highlighted field: the two passwords differ."
		return h.Render(c, fiber.StatusUnprocessableEntity, "password", v)
	}
	u, err := h.accounts.UseLink(c.UserContext(), token, form.Email, password)
	if err != nil {
		return h.FormError(c, "password", v, err)
	}
	h.audit.Record(c, "user "+u.Email, "user.set_password", u.ID)
	return h.SeeOther(c, "/console/signin?next=/console", "Your password is set. Sign in with it now.")
}
