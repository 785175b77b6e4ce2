package console

import (
	"github.com/beacon-status/beacon/internal/web"
	"github.com/gofiber/fiber/v2"
)

// ErrorPage has errors under /console shown as console pages; the app's
// error handler takes it (web.ErrorHandler).
func (s *Screens) ErrorPage() web.PageFor {
	return web.PageFor{Prefix: "/console", Page: s.frame.errorPage}
}

// Routes adds the staff console under /console: signed-out forms first,
// then the screens that need a session, with admin-only ones marked.
func (s *Screens) Routes(app fiber.Router) {
	f := s.frame
	// A preview changes nothing: routed ahead of the audit log, which
	// records every successful POST under /console.
	app.Post("/console/incidents/:id/preview", s.session, f.checkCSRF, s.incidents.postPreview)
	con := app.Group("/console", s.audit.Changes)
	con.Get("/signin", s.auth.getSignIn)
	con.Post("/signin", f.checkCSRF, s.auth.postSignIn)
	con.Get("/password", s.auth.getPassword)
	con.Post("/password", f.checkCSRF, s.auth.postPassword)

	r := con.Group("", s.session, f.checkCSRF)
	admin := f.requireAdmin
	r.Get("", s.dashboard.getDashboard)
	r.Post("/signout", s.auth.postSignOut)

	in := s.incidents
	r.Get("/incidents", in.getIncidents)
	r.Get("/incidents/new", in.getNewIncident)
	r.Post("/incidents", in.postNewIncident)
	r.Get("/maintenance", in.getMaintenance)
	r.Get("/maintenance/new", in.getNewMaintenance)
	r.Post("/maintenance", in.postNewMaintenance)
	r.Get("/incidents/:id", in.getIncident)
	r.Get("/incidents/:id/deliveries", in.getDeliveries)
	r.Post("/incidents/:id/updates", in.postUpdate)
	r.Post("/incidents/:id/resolve", in.postResolve)
	r.Post("/incidents/:id/updates/:update_id", in.postEditUpdate)
	r.Post("/incidents/:id/postmortem", in.postPostmortem)
	r.Post("/incidents/:id/reschedule", in.postReschedule)
	r.Post("/incidents/:id/cancel", in.postCancelMaintenance)
	r.Post("/incidents/:id/delete", in.postDelete)
	r.Post("/incidents/:id/followers/:subscriber_id/remove", admin, in.postRemoveFollower)

	comp := s.components
	r.Get("/components", comp.getComponents)
	r.Post("/components/:id/status", comp.postStatus)
	r.Post("/components", admin, comp.postNew)
	r.Get("/components/:id", admin, comp.getEdit)
	r.Post("/components/:id", admin, comp.postEdit)
	r.Post("/components/:id/move", admin, comp.postMove)
	r.Post("/components/:id/delete", admin, comp.postDelete)

	r.Get("/templates", s.templates.getTemplates)
	r.Post("/templates", admin, s.templates.postTemplate)
	r.Post("/templates/:id/delete", admin, s.templates.postDelete)

	r.Get("/subscribers", admin, s.subscribers.getSubscribers)
	r.Get("/subscribers/export.csv", admin, s.subscribers.getExport)
	r.Post("/subscribers/import", admin, s.subscribers.postImport)
	r.Post("/subscribers/:id/remove", admin, s.subscribers.postRemove)

	r.Get("/keys", admin, s.keys.getKeys)
	r.Post("/keys", admin, s.keys.postNew)
	r.Post("/keys/:id/revoke", admin, s.keys.postRevoke)
	r.Get("/users", admin, s.users.getUsers)
	r.Post("/users", admin, s.users.postNew)
	r.Post("/users/:id/role", admin, s.users.postRole)
	r.Post("/users/:id/link", admin, s.users.postLink)
	r.Post("/users/:id/delete", admin, s.users.postDelete)
	r.Get("/settings", admin, s.settings.getSettings)
	r.Post("/settings", admin, s.settings.postSettings)
	r.Post("/settings/notifications", admin, s.settings.postNotify)
	r.Post("/settings/embed", admin, s.settings.postEmbed)
	r.Get("/audit", admin, s.auditLog.getAudit)

	r.Use(func(c *fiber.Ctx) error {
		return f.message(c, fiber.StatusNotFound, "Not found", "There is no such console page.")
	})
}
