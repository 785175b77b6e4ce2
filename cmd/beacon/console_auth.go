package main

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
)

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

func (a *app) getSignIn(c *fiber.Ctx) error {
	if _, err := a.accounts.Session(c.UserContext(), c.Cookies(sessionCookie)); err == nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return a.renderConsole(c, fiber.StatusOK, "signin", consoleView{Title: "Sign in", CSRF: a.preSessionCSRF(c),
		Data: signInForm{Next: safeNext(c.Query("next"))}})
}

func (a *app) postSignIn(c *fiber.Ctx) error {
	form := signInForm{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next"))}
	view := consoleView{Title: "Sign in", CSRF: a.preSessionCSRF(c), Data: form}
	token, sess, err := a.accounts.SignIn(c.UserContext(), form.Email, c.FormValue("password"), c.IP(), c.Get(fiber.HeaderUserAgent))
	var lim *accounts.LimitError
	switch {
	case errors.As(err, &lim):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(lim.RetryAfter.Seconds()))))
		view.Error = "Too many failed sign-ins. " + strings.ToUpper(lim.Error()[:1]) + lim.Error()[1:] + "."
		return a.renderConsole(c, fiber.StatusTooManyRequests, "signin", view)
	case errors.Is(err, accounts.ErrCredentials):
		view.Error = "That email address and password do not match an account."
		return a.renderConsole(c, fiber.StatusUnauthorized, "signin", view)
	case err != nil:
		return err
	}
	a.setCookie(c, sessionCookie, token, a.accounts.Config().MaxAge)
	a.clearCookie(c, csrfCookie)
	a.auditLog.Record(c, "user "+sess.User.Email, "session.sign_in", sess.User.ID)
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

func (a *app) postSignOut(c *fiber.Ctx) error {
	if err := a.accounts.SignOut(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	a.clearCookie(c, sessionCookie)
	return a.seeOther(c, "/console/signin", "You have signed out.")
}

// passwordForm is the set-password page's data: for a first-run link it
// also asks for the first admin's address.
type passwordForm struct {
	Token    string
	FirstRun bool
	Email    string
}

func (a *app) getPassword(c *fiber.Ctx) error {
	token := c.Query("token")
	link, err := a.accounts.LinkFor(c.UserContext(), token)
	if errors.Is(err, accounts.ErrExpired) {
		return a.consoleMessage(c, fiber.StatusGone, "This link has expired",
			"Set-password links work once and for a limited time. Ask an admin for a new one (beacon user create, or the Users screen).")
	}
	if err != nil {
		return err
	}
	title := "Set your password"
	if link.FirstRun {
		title = "Create the first admin"
	}
	return a.renderConsole(c, fiber.StatusOK, "password", consoleView{Title: title, CSRF: a.preSessionCSRF(c),
		Data: passwordForm{Token: token, FirstRun: link.FirstRun, Email: link.User.Email}})
}

func (a *app) postPassword(c *fiber.Ctx) error {
	token := c.FormValue("token")
	link, err := a.accounts.LinkFor(c.UserContext(), token)
	if errors.Is(err, accounts.ErrExpired) {
		return a.consoleMessage(c, fiber.StatusGone, "This link has expired",
			"Set-password links work once and for a limited time. Ask an admin for a new one.")
	}
	if err != nil {
		return err
	}
	form := passwordForm{Token: token, FirstRun: link.FirstRun, Email: link.User.Email}
	if link.FirstRun {
		form.Email = strings.TrimSpace(c.FormValue("email"))
	}
	view := consoleView{Title: "Set your password", CSRF: a.preSessionCSRF(c), Data: form}
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		view.Errors = map[string]string{"confirm": "The two passwords differ."}
		view.Error = "Please correct the highlighted field: the two passwords differ."
		return a.renderConsole(c, fiber.StatusUnprocessableEntity, "password", view)
	}
	u, err := a.accounts.UseLink(c.UserContext(), token, form.Email, password)
	if err != nil {
		return a.formError(c, "password", view, err)
	}
	a.auditLog.Record(c, "user "+u.Email, "user.set_password", u.ID)
	return a.seeOther(c, "/console/signin?next=/console", "Your password is set. Sign in with it now.")
}
