package main

import (
	"strings"

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
	app.Use("/api/v1", stripJSONSuffix)
	v1 := app.Group("/api/v1", a.auditLog.Changes)
	requireKey := web.RequireKey(a.keys, a.limiter, a.pageID)
	v1.Get("/pages", requireKey, a.listPages)
	p := v1.Group("/pages/:page_id", requireKey)
	p.Get("", a.getPage)
	p.Patch("", a.updatePage)
	p.Put("", a.updatePage)

	p.Get("/components", a.listComponents)
	p.Post("/components", a.createComponent)
	p.Get("/components/:id", a.getComponent)
	p.Patch("/components/:id", a.updateComponent)
	p.Put("/components/:id", a.updateComponent)
	p.Delete("/components/:id", a.deleteComponent)
	p.Get("/components/:id/uptime", a.componentUptime)

	p.Get("/component-groups", a.listGroups)
	p.Post("/component-groups", a.createGroup)
	p.Get("/component-groups/:id", a.getGroup)
	p.Patch("/component-groups/:id", a.updateGroup)
	p.Put("/component-groups/:id", a.updateGroup)
	p.Delete("/component-groups/:id", a.deleteGroup)
	p.Get("/component-groups/:id/uptime", a.componentUptime)

	p.Get("/incidents", a.listIncidents)
	p.Post("/incidents", a.createIncident)
	p.Get("/incidents/unresolved", a.listIncidentsIn(unresolvedFilter))
	p.Get("/incidents/upcoming", a.listIncidentsIn(upcomingFilter))
	p.Get("/incidents/scheduled", a.listIncidentsIn(scheduledFilter))
	p.Get("/incidents/active_maintenance", a.listIncidentsIn(activeMaintenanceFilter))
	p.Get("/incidents/:id", a.getIncident)
	p.Patch("/incidents/:id", a.updateIncident)
	p.Put("/incidents/:id", a.updateIncident)
	p.Delete("/incidents/:id", a.deleteIncident)
	p.Patch("/incidents/:id/incident_updates/:update_id", a.editIncidentUpdate)
	p.Put("/incidents/:id/incident_updates/:update_id", a.editIncidentUpdate)
	p.Get("/incidents/:id/postmortem", a.getPostmortem)
	p.Put("/incidents/:id/postmortem", a.setPostmortem)
	p.Delete("/incidents/:id/postmortem", a.deletePostmortem)
	p.Put("/incidents/:id/postmortem/publish", a.publishPostmortem)
	p.Put("/incidents/:id/postmortem/revert", a.revertPostmortem)

	p.Get("/incidents/:id/notifications", a.incidentNotifications)
	p.Get("/incidents/:id/subscribers", a.listIncidentSubscribers)
	p.Post("/incidents/:id/subscribers", a.createIncidentSubscriber)
	p.Get("/incidents/:id/subscribers/:subscriber_id", a.getIncidentSubscriber)
	p.Delete("/incidents/:id/subscribers/:subscriber_id", a.deleteIncidentSubscriber)
	p.Post("/incidents/:id/subscribers/:subscriber_id/resend_confirmation", a.resendIncidentSubscriberConfirmation)

	p.Get("/status_embed_config", a.getEmbedConfig)
	p.Patch("/status_embed_config", a.updateEmbedConfig)
	p.Put("/status_embed_config", a.updateEmbedConfig)

	p.Get("/incident_templates", a.listTemplates)
	p.Post("/incident_templates", a.createTemplate)
	p.Get("/incident_templates/:id", a.getTemplate)
	p.Patch("/incident_templates/:id", a.updateTemplate)
	p.Put("/incident_templates/:id", a.updateTemplate)
	p.Delete("/incident_templates/:id", a.deleteTemplate)

	p.Get("/subscribers", a.listSubscribers)
	p.Post("/subscribers", a.createSubscriber)
	p.Get("/subscribers/count", a.countSubscribers)
	p.Get("/subscribers/histogram_by_state", a.subscriberHistogram)
	p.Get("/subscribers/export", a.exportSubscribers)
	p.Post("/subscribers/import", a.importSubscribers)
	p.Post("/subscribers/unsubscribe", a.bulk("unsubscribe"))
	p.Post("/subscribers/reactivate", a.bulk("reactivate"))
	p.Post("/subscribers/resend_confirmation", a.bulk("resend_confirmation"))
	p.Get("/subscribers/unsubscribed", a.listUnsubscribed)
	p.Get("/subscribers/:id", a.getSubscriber)
	p.Patch("/subscribers/:id", a.updateSubscriber)
	p.Delete("/subscribers/:id", a.deleteSubscriber)
	p.Post("/subscribers/:id/resend_confirmation", a.resendConfirmation)

	// Anything else under the API answers in JSON too.
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

// stripJSONSuffix lets every management API path also answer with a .json
// suffix (/incidents.json, /incidents/{id}.json), as Statuspage's does and
// older clients send, by routing it as the path without one. Ids never end
// in ".json" (they are lowercase base32), so no path is taken for another.
func stripJSONSuffix(c *fiber.Ctx) error {
	if p := c.Path(); strings.HasSuffix(p, ".json") {
		c.Path(strings.TrimSuffix(p, ".json"))
	}
	return c.Next()
}

func (a *app) ready(c *fiber.Ctx) error {
	if err := a.db.Ping(c.UserContext()); err != nil {
		a.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ready")
}
