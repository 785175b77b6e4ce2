package main

import (
	"context"
	"net/url"
	"os/user"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
)

// audit appends an entry to the audit log. A failure to record is logged,
// not returned: the change it describes has already been made.
func (a *app) audit(c *fiber.Ctx, actor, action, target string) {
	err := a.accounts.Record(c.UserContext(), accounts.Entry{Actor: actor, Action: action, Target: target, IP: c.IP()})
	if err != nil {
		a.log.Error("audit", "action", action, "err", err)
	}
}

// auditCLI records a change made with a command on the server itself.
func (a *app) auditCLI(ctx context.Context, command, target string) {
	actor := "command line"
	if u, err := user.Current(); err == nil {
		actor += " (" + u.Username + ")"
	}
	if err := a.accounts.Record(ctx, accounts.Entry{Actor: actor, Action: "cli: " + command, Target: target, IP: "local"}); err != nil {
		a.log.Error("audit", "action", command, "err", err)
	}
}

// auditChanges records every change that succeeds through the console or
// the management API: who (the actor the authentication set), what (the
// method and route), to what (the id in the path, or the id a handler
// created) and from where.
func (a *app) auditChanges(c *fiber.Ctx) error {
	err := c.Next()
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return err
	}
	actor, _ := c.Locals("actor").(string)
	if err != nil || actor == "" || c.Response().StatusCode() >= 400 {
		return err
	}
	target, _ := c.Locals("audit_target").(string)
	if target == "" {
		target = c.Params("update_id", c.Params("id"))
	}
	a.audit(c, actor, routeAction(c), target)
	return nil
}

// routeAction names a change by its method and route pattern, such as
// "api: PATCH incidents/:id" or "console: POST incidents/:id/resolve".
func routeAction(c *fiber.Ctx) string {
	path := c.Path()
	if r := c.Route(); r != nil {
		path = r.Path
	}
	surface := "console"
	if rest, ok := strings.CutPrefix(path, "/api/v1/pages/:page_id"); ok {
		surface, path = "api", rest
	} else if rest, ok := strings.CutPrefix(path, "/api/v1"); ok {
		surface, path = "api", rest
	} else {
		path = strings.TrimPrefix(path, "/console")
	}
	path = strings.Trim(path, "/")
	if path == "" {
		path = "page"
	}
	return surface + ": " + c.Method() + " " + path
}

// urlQuery escapes a query parameter's value.
func urlQuery(s string) string { return url.QueryEscape(s) }
