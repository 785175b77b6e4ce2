package console

import (
	"github.com/beacon-status/beacon/internal/web"
	"github.com/gofiber/fiber/v2"
)

// ErrorPage has errors under /console shown as console pages; the app's
// error handler takes it (web.ErrorHandler).
func (s *Screens) ErrorPage() web.PageFor {
	return web.PageFor{Prefix: "/console", Page: s.frame.ErrorPage}
}

// Routes adds the staff console under /console: signed-out forms first,
// then the screens that need a session, with admin-only ones marked, and
// the admin screens (internal/console/admin's Routes).
func (s *Screens) Routes(app fiber.Router) {
	f := s.frame
	// A preview changes nothing: routed ahead of the audit log, which
	// records every successful POST under /console.
	app.Post("/console/incidents/:id/preview", s.session, f.CheckCSRF, s.incidents.postPreview)
	con := app.Group("/console", s.audit.Changes)
	con.Get("/signin", s.auth.getSignIn)
	con.Post("/signin", f.CheckCSRF, s.auth.postSignIn)
	con.Get("/password", s.auth.getPassword)
	con.Post("/password", f.CheckCSRF, s.auth.postPassword)

	r := con.Group("", s.session, f.CheckCSRF)
	admin := f.RequireAdmin
	r.Get("", s.dashboard.getDashboard)
	r.Post("/signout", s.auth.postSignOut)
	r.Post("/language", s.auth.postLanguage)

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
	r.Post("/subscribers/:id/language", admin, s.subscribers.postLanguage)

	it := s.integrations
	r.Get("/integrations", it.getIntegrations)
	r.Post("/integrations", admin, it.postNew)
	r.Post("/integrations/drafts/:id/publish", it.postPublish)
	r.Post("/integrations/drafts/:id/dismiss", it.postDismiss)
	r.Get("/integrations/:id", it.getIntegration)
	r.Post("/integrations/:id", admin, it.postEdit)
	r.Post("/integrations/:id/token", admin, it.postToken)
	r.Post("/integrations/:id/delete", admin, it.postDelete)

	s.admin.Routes(r)
	s.metrics.Routes(r)

	r.Use(func(c *fiber.Ctx) error {
		return f.Message(c, fiber.StatusNotFound, f.T(c, "console.frame.not_found"), f.T(c, "console.frame.no_page"))
	})
}
