package main

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/beacon-status/beacon/internal/web"
)

// routes is the one route table.
func (a *app) routes() *fiber.App {
	app := a.newFiber()
	errs := web.ErrorHandler(a.log)
	app.Use(web.Instrument(a.metrics, a.log, errs), web.Secure(a.secHeaders, errs), recover.New())

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", a.ready)
	app.Get("/metrics", a.metrics.Handler())

	a.public.Routes(app)

	a.console.Routes(app)

	// Management API v1, authenticated by API key; changes are audited.
	a.api.Routes(app)

	// Anything else under /api, v1 or v2, answers in JSON too.
	app.Use("/api", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app
}

func (a *app) ready(c *fiber.Ctx) error {
	if err := a.db.Ping(c.UserContext()); err != nil {
		a.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ready")
}
