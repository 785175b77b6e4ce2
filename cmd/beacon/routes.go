package main

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/beacon-status/beacon/internal/web"
)

// routes mounts the three surfaces behind the middleware every answer
// passes through. Order matters: the public routes (API v2 among them)
// first, then the console, then the management API, then JSON 404s for
// the rest of /api.
func (a *app) routes() *fiber.App {
	app := a.newFiber()
	errs := a.errors()
	app.Use(web.Instrument(a.metrics, a.log, errs), web.Secure(a.secHeaders, errs), recover.New())

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", a.ready)
	app.Get("/metrics", a.metrics.Handler())

	a.public.Routes(app)
	a.console.Routes(app)
	a.api.Routes(app)

	// Anything else under /api, v1 or v2, answers in JSON too.
	app.Use("/api", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app
}

// readyTimeout is how long /readyz waits for the database: a load
// balancer's probe must get an answer, not time out itself.
const readyTimeout = 2 * time.Second

// ready answers 503 unless the database answers within readyTimeout.
func (a *app) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	if err := a.db.Ping(ctx); err != nil {
		a.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ready")
}
