// Package console is the staff console: the screens on-call staff and
// admins use in the browser to sign in, post incidents and maintenance,
// set component statuses, review what monitoring's alerts did, and manage
// subscribers, integrations, API keys, users and the page's settings. It is served under /console, behind a session.
//
// This package holds the screens of on-call work and the route table;
// the admin screens (settings, users, API keys, audit log) are in
// internal/console/admin, the Metrics screens in internal/console/metrics,
// and what every screen shares (the frame, the
// console's cookies, form errors) in internal/console/screen.
package console

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/console/admin"
	metricscreens "github.com/beacon-status/beacon/internal/console/metrics"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// Deps are the services the console uses.
type Deps struct {
	Log     *slog.Logger
	BaseURL string
	Now     func() time.Time
	// PageID is the page's id, which the API keys screen shows.
	PageID string
	// EmailConfigured reports whether an SMTP server is set, which the
	// notification settings say.
	EmailConfigured bool
	Templates       *templates.Set
	Components      *components.Service
	Incidents       *incidents.Service
	Subscribers     *subscribers.Service
	Outbox          *notifier.Outbox
	// Dispatcher is woken after an import, to send its confirmations.
	Dispatcher *notifier.Dispatcher
	Accounts   *accounts.Store
	Keys       *apikeys.Store
	Audit      *web.Audit
	InForce    *settings.InForce

	// Integrations are the monitoring systems that post alerts.
	Integrations *integrations.Service
	// Metrics are the metrics providers, metrics and their data.
	Metrics *metrics.Service
}

// Screens is the staff console: its screens, each a small handler
// holding only the services it uses.
type Screens struct {
	frame       *screen.Frame
	audit       *web.Audit
	session     fiber.Handler
	auth        *authPages
	dashboard   *dashboardPages
	incidents   *incidentPages
	components  *componentPages
	templates   *templatePages
	subscribers *subscriberPages
	admin       *admin.Screens

	integrations *integrationPages
	metrics      *metricscreens.Screens
}

// New builds the console's screens on d's services.
func New(d Deps) *Screens {
	f := screen.NewFrame(d.Log, d.BaseURL, d.Templates, d.Components)
	return &Screens{
		frame:   f,
		audit:   d.Audit,
		session: web.RequireSession(d.Accounts, f.Cookies(), screen.SessionCookie, screen.SignInPath),
		auth:    &authPages{Frame: f, accounts: d.Accounts, audit: d.Audit},
		dashboard: &dashboardPages{Frame: f, components: d.Components, incidents: d.Incidents, outbox: d.Outbox,
			now: d.Now, integrations: d.Integrations},
		incidents: &incidentPages{Frame: f, components: d.Components, incidents: d.Incidents, subscribers: d.Subscribers,
			outbox: d.Outbox, now: d.Now},
		components:  &componentPages{Frame: f, components: d.Components},
		templates:   &templatePages{Frame: f, components: d.Components, incidents: d.Incidents},
		subscribers: &subscriberPages{Frame: f, components: d.Components, subscribers: d.Subscribers, dispatcher: d.Dispatcher},
		integrations: &integrationPages{Frame: f, integrations: d.Integrations, components: d.Components, incidents: d.Incidents,
			baseURL: d.BaseURL},
		admin: admin.New(admin.Deps{Frame: f, BaseURL: d.BaseURL, PageID: d.PageID, EmailConfigured: d.EmailConfigured,
			Components: d.Components, Accounts: d.Accounts, Keys: d.Keys, InForce: d.InForce}),
		metrics: metricscreens.New(f, d.Metrics),
	}
}
