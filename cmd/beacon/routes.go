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

	a.consoleRoutes(app)

	// Management API v1, authenticated by API key; changes are audited.
	a.api.Routes(app)

	// Anything else under /api, v1 or v2, answers in JSON too.
	app.Use("/api", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app
}

// consoleRoutes adds the staff console: signed-out forms first, then the
// screens that need a session, with admin-only ones marked.
func (a *app) consoleRoutes(app *fiber.App) {
	con := app.Group("/console", web.UseErrorPage(a.consoleError), a.auditLog.Changes)
	con.Get("/signin", a.getSignIn)
	con.Post("/signin", a.checkCSRF, a.postSignIn)
	con.Get("/password", a.getPassword)
	con.Post("/password", a.checkCSRF, a.postPassword)

	s := con.Group("", a.requireSession, a.checkCSRF)
	admin := a.requireAdmin
	s.Get("", a.getDashboard)
	s.Post("/signout", a.postSignOut)

	s.Get("/incidents", a.getIncidents)
	s.Get("/incidents/new", a.getNewIncident)
	s.Post("/incidents", a.postNewIncident)
	s.Get("/maintenance", a.getMaintenance)
	s.Get("/maintenance/new", a.getNewMaintenance)
	s.Post("/maintenance", a.postNewMaintenance)
	s.Get("/incidents/:id", a.getConsoleIncident)
	s.Get("/incidents/:id/deliveries", a.incidentDeliveries)
	s.Post("/incidents/:id/updates", a.postIncidentUpdate)
	s.Post("/incidents/:id/resolve", a.postResolve)
	s.Post("/incidents/:id/updates/:update_id", a.postEditUpdate)
	s.Post("/incidents/:id/postmortem", a.postPostmortem)
	s.Post("/incidents/:id/reschedule", a.postReschedule)
	s.Post("/incidents/:id/cancel", a.postCancelMaintenance)
	s.Post("/incidents/:id/delete", a.postDeleteIncident)
	s.Post("/incidents/:id/followers/:subscriber_id/remove", admin, a.postRemoveFollower)

	s.Get("/components", a.getComponents)
	s.Post("/components/:id/status", a.postComponentStatus)
	s.Post("/components", admin, a.postNewComponent)
	s.Get("/components/:id", admin, a.getEditComponent)
	s.Post("/components/:id", admin, a.postEditComponent)
	s.Post("/components/:id/move", admin, a.postMoveComponent)
	s.Post("/components/:id/delete", admin, a.postDeleteComponent)

	s.Get("/templates", a.getTemplates)
	s.Post("/templates", admin, a.postTemplate)
	s.Post("/templates/:id/delete", admin, a.postDeleteTemplate)

	s.Get("/subscribers", admin, a.getSubscribers)
	s.Get("/subscribers/export.csv", admin, a.getExportSubscribers)
	s.Post("/subscribers/import", admin, a.postImportSubscribers)
	s.Post("/subscribers/:id/remove", admin, a.postRemoveSubscriber)

	s.Get("/keys", admin, a.getKeys)
	s.Post("/keys", admin, a.postNewKey)
	s.Post("/keys/:id/revoke", admin, a.postRevokeKey)
	s.Get("/users", admin, a.getUsers)
	s.Post("/users", admin, a.postNewUser)
	s.Post("/users/:id/role", admin, a.postUserRole)
	s.Post("/users/:id/link", admin, a.postUserLink)
	s.Post("/users/:id/delete", admin, a.postDeleteUser)
	s.Get("/settings", admin, a.getSettings)
	s.Post("/settings", admin, a.postSettings)
	s.Post("/settings/notifications", admin, a.postNotifySettings)
	s.Post("/settings/embed", admin, a.postEmbedSettings)
	s.Get("/audit", admin, a.getAudit)

	s.Use(func(c *fiber.Ctx) error {
		return a.consoleMessage(c, fiber.StatusNotFound, "Not found", "There is no such console page.")
	})
}

func (a *app) ready(c *fiber.Ctx) error {
	if err := a.db.Ping(c.UserContext()); err != nil {
		a.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ready")
}
