package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/web"
)

// Routes adds the management API under /api/v1: every path also answers
// with a .json suffix, every change is audited, and everything but the
// audit needs an API key for the page.
func (v *V1) Routes(app fiber.Router) {
	app.Use("/api/v1", stripJSONSuffix)
	requireKey := web.RequireKey(v.keys, v.limiter, v.pageID)
	// Data points are routed ahead of the audit log: a monitoring script
	// pushes one per metric every 30 seconds, which would bury every change
	// staff made. Creating, changing and deleting metrics, and resetting
	// their data, are audited.
	app.Post("/api/v1/pages/:page_id/metrics/data", requireKey, v.metrics.addPoints)
	app.Post("/api/v1/pages/:page_id/metrics/:id/data", requireKey, v.metrics.addPoint)
	v1 := app.Group("/api/v1", v.audit.Changes)
	// Monitoring posts alerts here (integrations.AlertsPath) with its
	// integration's token, not an API key.
	v1.Post("/integrations/:id/alerts", v.alerts.receive)
	v1.Get("/pages", requireKey, v.pages.list)
	p := v1.Group("/pages/:page_id", requireKey)
	p.Get("", v.pages.get)
	p.Patch("", v.pages.update)
	p.Put("", v.pages.update)

	p.Get("/components", v.components.list)
	p.Post("/components", v.components.create)
	p.Get("/components/:id", v.components.get)
	p.Patch("/components/:id", v.components.update)
	p.Put("/components/:id", v.components.update)
	p.Delete("/components/:id", v.components.delete)
	p.Get("/components/:id/uptime", v.uptime.get)

	p.Get("/component-groups", v.groups.list)
	p.Post("/component-groups", v.groups.create)
	p.Get("/component-groups/:id", v.groups.get)
	p.Patch("/component-groups/:id", v.groups.update)
	p.Put("/component-groups/:id", v.groups.update)
	p.Delete("/component-groups/:id", v.groups.delete)
	p.Get("/component-groups/:id/uptime", v.uptime.get)

	p.Get("/incidents", v.incidents.list)
	p.Post("/incidents", v.incidents.create)
	p.Get("/incidents/unresolved", v.incidents.unresolved)
	p.Get("/incidents/upcoming", v.incidents.upcoming)
	p.Get("/incidents/scheduled", v.incidents.scheduled)
	p.Get("/incidents/active_maintenance", v.incidents.activeMaintenance)
	p.Get("/incidents/:id", v.incidents.get)
	p.Patch("/incidents/:id", v.incidents.update)
	p.Put("/incidents/:id", v.incidents.update)
	p.Delete("/incidents/:id", v.incidents.delete)
	p.Patch("/incidents/:id/incident_updates/:update_id", v.incidents.editUpdate)
	p.Put("/incidents/:id/incident_updates/:update_id", v.incidents.editUpdate)
	p.Get("/incidents/:id/postmortem", v.postmortems.get)
	p.Put("/incidents/:id/postmortem", v.postmortems.set)
	p.Delete("/incidents/:id/postmortem", v.postmortems.delete)
	p.Put("/incidents/:id/postmortem/publish", v.postmortems.publish)
	p.Put("/incidents/:id/postmortem/revert", v.postmortems.revert)

	p.Get("/incidents/:id/notifications", v.notifications.counts)
	p.Get("/incidents/:id/subscribers", v.followers.list)
	p.Post("/incidents/:id/subscribers", v.followers.create)
	p.Get("/incidents/:id/subscribers/:subscriber_id", v.followers.get)
	p.Delete("/incidents/:id/subscribers/:subscriber_id", v.followers.delete)
	p.Post("/incidents/:id/subscribers/:subscriber_id/resend_confirmation", v.followers.resendConfirmation)

	p.Get("/status_embed_config", v.embed.get)
	p.Patch("/status_embed_config", v.embed.update)
	p.Put("/status_embed_config", v.embed.update)

	p.Get("/incident_templates", v.templates.list)
	p.Post("/incident_templates", v.templates.create)
	p.Get("/incident_templates/:id", v.templates.get)
	p.Patch("/incident_templates/:id", v.templates.update)
	p.Put("/incident_templates/:id", v.templates.update)
	p.Delete("/incident_templates/:id", v.templates.delete)

	p.Get("/integrations", v.integrations.list)
	p.Post("/integrations", v.integrations.create)
	p.Get("/integrations/:id", v.integrations.get)
	p.Patch("/integrations/:id", v.integrations.update)
	p.Delete("/integrations/:id", v.integrations.delete)
	p.Get("/integrations/:id/alerts", v.integrations.alerts)

	p.Get("/metrics_providers", v.providers.list)
	p.Post("/metrics_providers", v.providers.create)
	p.Get("/metrics_providers/:id", v.providers.get)
	p.Patch("/metrics_providers/:id", v.providers.update)
	p.Put("/metrics_providers/:id", v.providers.update)
	p.Delete("/metrics_providers/:id", v.providers.delete)
	p.Get("/metrics_providers/:id/metrics", v.metrics.providerMetrics)
	p.Post("/metrics_providers/:id/metrics", v.metrics.create)
	p.Get("/metrics", v.metrics.list)
	p.Get("/metrics/:id", v.metrics.get)
	p.Patch("/metrics/:id", v.metrics.update)
	p.Put("/metrics/:id", v.metrics.update)
	p.Delete("/metrics/:id", v.metrics.delete)
	p.Delete("/metrics/:id/data", v.metrics.reset)

	p.Get("/subscribers", v.subscribers.list)
	p.Post("/subscribers", v.subscribers.create)
	p.Get("/subscribers/count", v.subscribers.count)
	p.Get("/subscribers/histogram_by_state", v.subscribers.histogram)
	p.Get("/subscribers/export", v.subscribers.export)
	p.Post("/subscribers/import", v.subscribers.importCSV)
	p.Post("/subscribers/unsubscribe", v.subscribers.bulk("unsubscribe"))
	p.Post("/subscribers/reactivate", v.subscribers.bulk("reactivate"))
	p.Post("/subscribers/resend_confirmation", v.subscribers.bulk("resend_confirmation"))
	p.Get("/subscribers/unsubscribed", v.subscribers.listUnsubscribed)
	p.Get("/subscribers/:id", v.subscribers.get)
	p.Patch("/subscribers/:id", v.subscribers.update)
	p.Delete("/subscribers/:id", v.subscribers.delete)
	p.Post("/subscribers/:id/resend_confirmation", v.subscribers.resendConfirmation)
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
