package web

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
)

// Cookies sets and clears the cookies of a surface for people: HTTP-only,
// SameSite=Lax, under Path, and Secure whenever Beacon is reached over
// HTTPS (by its base URL or the request).
type Cookies struct {
	Path    string
	BaseURL string
}

// secure reports whether cookies get the Secure flag.
func (k Cookies) secure(c *fiber.Ctx) bool {
	return strings.HasPrefix(k.BaseURL, "https://") || c.Protocol() == "https"
}

// Set sets cookie name to value for maxAge.
func (k Cookies) Set(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: k.Path, HTTPOnly: true, Secure: k.secure(c),
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(maxAge.Seconds()),
	})
}

// Clear removes cookie name from the browser.
func (k Cookies) Clear(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: k.Path, HTTPOnly: true, Secure: k.secure(c),
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1})
}

// sessionKey is the Locals key of a request's session.
type sessionKey struct{}

// RequireSession lets a request through only with a live session, read
// from the cookie named cookie; the session is then Session(c) and the
// request's actor is its user. Without one, a script (X-Requested-With, or
// asking for JSON) gets 401 and JSON; a person is sent to signInPath, which
// brings a GET back to where it was going afterwards (?next=).
func RequireSession(store *accounts.Store, cookies Cookies, cookie, signInPath string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, err := store.Session(c.UserContext(), c.Cookies(cookie))
		if errors.Is(err, accounts.ErrExpired) {
			if c.Cookies(cookie) != "" {
				cookies.Clear(c, cookie)
			}
			next := ""
			if c.Method() == fiber.MethodGet {
				next = "?next=" + url.QueryEscape(c.OriginalURL())
			}
			if c.Get("X-Requested-With") != "" || c.Accepts("text/html", "application/json") == "application/json" {
				return c.Status(fiber.StatusUnauthorized).JSON(ErrorBody{Message: "Your session has ended: sign in again."})
			}
			return c.Redirect(signInPath+next, fiber.StatusSeeOther)
		}
		if err != nil {
			return err
		}
		c.Locals(sessionKey{}, sess)
		setActor(c, "user "+sess.User.Email)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Next()
	}
}

// Session returns the signed-in session RequireSession found for the
// request; the zero Session (no user, no CSRF token) before sign-in.
func Session(c *fiber.Ctx) accounts.Session {
	s, _ := c.Locals(sessionKey{}).(accounts.Session)
	return s
}
