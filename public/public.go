// Package public is everything a visitor reaches without signing in: the
// status page, incident pages and history, the feeds, the maintenance
// calendar and the badge, API v2, the status embed script, the SMS
// provider's callbacks, and the static assets (public/static/) those pages
// and the console load. The subscribe, confirm, follow, manage and
// unsubscribe flows live in public/signup, and the uptime report in
// public/report, both mounted here; the frame every public page renders in
// lives in public/frame.
//
// The pages and API v2 are rendered once per change into an in-memory
// snapshot (snapshot.go) and served from it with ETag/304 and gzip: a
// traffic spike during an outage costs no database work.
//
// The status page's charts of system metrics (metrics.go) are the one part
// that changes without a change being announced: data points are pushed
// often and do not mark the snapshot stale. The cache keeps each period's
// charts across snapshots and draws them again at most once a minute, when
// the metrics' DataVersion or the charts' window moved; a snapshot showing
// charts expires when they may be drawn again, so new data shows within a
// minute at the cost of one rebuild a minute, never one per point.
package public

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/public/report"
	"github.com/beacon-status/beacon/public/signup"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// Deps are the services the public site uses.
type Deps struct {
	// BaseURL is the page's public address, without a trailing slash: the
	// links in feeds and API v2, and the URL Twilio signs its callbacks for.
	BaseURL string
	// Now is the clock.
	Now func() time.Time
	// Log hears of a snapshot that could not be rebuilt (the last one is
	// served meanwhile); nil discards.
	Log *slog.Logger
	// CacheControl is the Cache-Control value of the cached public
	// responses (pages, feeds, badge, API v2, the embed script).
	CacheControl string
	Templates    *templates.Set
	Components   *components.Service
	Incidents    *incidents.Service
	// Metrics are the system metrics whose charts "/" shows; nil for none.
	Metrics     *metrics.Service
	Subscribers *subscribers.Service
	// Settings gives the status embed's settings in force.
	Settings *settings.InForce
	// Notifier is woken after a sign-up, so that its confirmation goes out
	// at once, and records the SMS provider's delivery reports.
	Notifier Notifier
	// SMS checks the signatures of Twilio's callbacks; nil when SMS is not
	// configured, and every callback is refused.
	SMS *sms.Sender
	// Channels are the configured notification channels: the forms offer
	// only these.
	Channels []notifier.Channel
}

// Notifier is what the public site asks of the notification dispatcher
// (*notifier.Dispatcher).
type Notifier interface {
	// Wake makes the dispatcher look for new work now.
	Wake()
	// RecordProviderStatus records a delivery report for the message the
	// provider knows as providerID, reporting whether it was found.
	RecordProviderStatus(ctx context.Context, providerID, status, code string) (bool, error)
}

// Site is the public site: its snapshot and its handlers.
type Site struct {
	cache  *cache
	pages  *pages
	signup *signup.Flows
	report *report.Report
	twilio *twilio
	embed  *embedScript
}

// New returns the public site; its snapshot is built on the first request.
func New(d Deps) *Site {
	ch := signup.ChannelSet(d.Channels)
	c := newCache(d, ch)
	langs := frame.Languages{Chooser: i18n.NewChooser(d.Templates.Catalogue()), Cookies: web.Cookies{Path: "/", BaseURL: d.BaseURL}}
	reply := frame.Replies{Heads: c.head, Templates: d.Templates, Languages: langs}
	cacheControl := []byte(d.CacheControl)
	return &Site{
		cache: c,
		pages: &pages{cache: c, incidents: d.Incidents, cacheControl: cacheControl, reply: reply, langs: langs},
		signup: signup.New(signup.Deps{Site: c, Replies: reply, Incidents: d.Incidents, Subscribers: d.Subscribers,
			Notifier: d.Notifier, Channels: ch}),
		report: report.New(report.Deps{Site: c, Replies: reply, Languages: langs, Templates: d.Templates, Components: d.Components,
			Incidents: d.Incidents, BaseURL: d.BaseURL, CacheControl: cacheControl}),
		twilio: &twilio{cache: c, sms: d.SMS, baseURL: d.BaseURL, notifier: d.Notifier, subscribers: d.Subscribers},
		embed:  &embedScript{cache: c, settings: d.Settings, cacheControl: cacheControl},
	}
}

// Changed marks the snapshot stale: the next request renders the site
// again. It is called after every committed change.
func (s *Site) Changed() { s.cache.invalidate() }

// Builds counts the snapshot rebuilds tried: what a change costs.
func (s *Site) Builds() uint64 { return s.cache.builds.Load() }

// Routes adds every public route to app.
func (s *Site) Routes(app fiber.Router) {
	// Public API v2: open to any origin, served from memory.
	v2 := app.Group("/api/v2")
	// GETs carry Access-Control-Allow-Origin: * from apiV2; the CORS
	// middleware only answers preflights.
	v2.Options("/*", cors.New(cors.Config{AllowOrigins: "*", AllowMethods: "GET,HEAD,OPTIONS"}))
	for _, path := range []string{
		"summary.json", "status.json", "components.json",
		"incidents.json", "incidents/unresolved.json",
		"scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json",
	} {
		v2.Get("/"+path, s.pages.apiV2(path))
	}

	// The public page, rendered once per change and served from memory.
	app.Get("/", s.pages.index)
	// Before /incidents/:id, which would take "ID.ics" for an id.
	app.Get("/incidents/:id.ics", s.pages.incidentCalendar)
	app.Get("/incidents/:id", s.pages.incident)
	app.Get("/history", s.pages.history)
	s.report.Routes(app) // /uptime, the monthly uptime and SLA report (public/report)
	app.Get("/history.atom", s.pages.atomFeed)
	app.Get("/history.rss", s.pages.rssFeed)
	app.Get("/maintenance.ics", s.pages.calendar)
	app.Get("/badge.svg", s.pages.badgeSVG)
	app.Get("/favicon.svg", s.pages.faviconSVG)
	app.Get("/favicon.ico", s.pages.faviconSVG)
	app.Get("/embed/script.js", s.embed.script) // the status embed other sites include

	// Subscribing, confirming and leaving (public/signup).
	s.signup.Routes(app)
	app.Post(TwilioStatusPath, s.twilio.status)
	app.Post(TwilioInboundPath, s.twilio.inbound)
	app.Get("/static/accent/:hex.css", accentCSS)
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static), PathPrefix: "static", MaxAge: 3600}))
}
