// Package apptest builds Beacon's services for the handler tests of one
// surface (public, internal/api, internal/console): every domain service
// and store on a real, migrated database (testutil.OpenDB: a SQLite file in
// a temporary directory, or a PostgreSQL database under
// BEACON_TEST_ENGINE=postgres), at a fake clock, with the change hooks
// wired as cmd/beacon wires them. The
// surface under test mounts itself on App with its own routes; tests of the
// whole binary (middleware, route order, processes) live in cmd/beacon.
// It is imported by tests only.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/webhook"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// Start is where the clock starts unless a test moves it: 2026-03-10
// 12:00 UTC.
func Start() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) }

// Options change what Services builds.
type Options struct {
	// PageName, BaseURL and TimeZone are the page's; defaults "Example",
	// "https://status.example.com" and "UTC".
	PageName, BaseURL, TimeZone string
	// Notify are the environment's notification settings.
	Notify settings.Notify
}

// Services are Beacon's domain services and stores on one database, built
// as cmd/beacon builds them, but without what a surface's handler tests do
// not need: no senders (deliveries are queued, never sent), no message
// composition, and settings saved through InForce are not applied to
// running services (there are none). A test that needs those is a test of
// the whole binary, in cmd/beacon.
type Services struct {
	DB          *store.DB
	Clock       *testutil.Clock
	Log         *slog.Logger
	BaseURL     string
	PageID      string
	Templates   *templates.Set
	Outbox      *notifier.Outbox
	Components  *components.Service
	Incidents   *incidents.Service
	Subscribers *subscribers.Service
	Dispatcher  *notifier.Dispatcher
	Accounts    *accounts.Store
	Keys        *apikeys.Store
	Settings    *settings.Store
	InForce     *settings.InForce
	Audit       *web.Audit

	// Integrations turns alerts into page changes, on the services above.
	Integrations *integrations.Service
	// Metrics are the system metrics the page charts.
	Metrics *metrics.Service

	// changed are told of every committed change (OnChange).
	changed []func()
}

// loadTemplates parses the templates and catalogues once per test binary,
// and every New shares them, as a server's requests share the one Set it
// loads at start: a Set is read-only once loaded, and parsing it (seven
// languages' catalogues, every template cloned for each) was most of the
// CPU of a New, which nearly every handler test calls, many once per case.
// The templates package's own tests parse them afresh.
var loadTemplates = sync.OnceValues(templates.Load)

// New builds the services at Start.
func New(tb testing.TB, o Options) *Services {
	tb.Helper()
	ctx := context.Background()
	if o.PageName == "" {
		o.PageName = "Example"
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://status.example.com"
	}
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	s := &Services{Clock: testutil.NewClock(Start()), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: o.BaseURL}
	now := s.Clock.Now
	s.DB = testutil.OpenDB(tb, schema.Sets()...)
	var err error
	if s.Templates, err = loadTemplates(); err != nil {
		tb.Fatal(err)
	}
	changed := func() {
		for _, f := range s.changed {
			f()
		}
		if s.Dispatcher != nil {
			s.Dispatcher.Wake()
		}
	}
	s.Outbox = notifier.NewOutbox(s.DB)
	s.Components = components.NewService(s.DB, s.Outbox, now, changed)
	s.Incidents = incidents.NewService(s.DB, s.Components, s.Outbox, now, changed)
	s.Integrations = integrations.NewService(s.DB, s.Components, s.Incidents, now, changed)
	s.Metrics = metrics.NewService(s.DB, now, changed, metrics.Config{})
	s.Keys = apikeys.NewStore(s.DB, now)
	s.Accounts = accounts.NewStore(s.DB, now, accounts.Config{BcryptCost: bcrypt.MinCost})
	s.Audit = web.NewAudit(s.Accounts, s.Log, now)
	s.Settings = settings.NewStore(s.DB, now)
	if s.InForce, err = settings.NewInForce(ctx, s.Settings, s.Components, o.Notify); err != nil {
		tb.Fatal(err)
	}
	page, err := s.Components.EnsurePage(ctx, components.PageInput{Name: &o.PageName, URL: &o.BaseURL, TimeZone: &o.TimeZone})
	if err != nil {
		tb.Fatal(err)
	}
	s.PageID = page.ID
	s.Subscribers, err = subscribers.NewService(ctx, s.DB, s.Components, s.Outbox, now, subscribers.Config{
		SMSCountries: o.Notify.SMSCountries,
		ValidateURL: func(ctx context.Context, raw string) error {
			return webhook.ValidateURL(ctx, raw, s.InForce.Notify().WebhookAllowPrivate)
		},
		Languages: i18n.Codes(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	s.InForce.Attach(func(context.Context, settings.Notify, components.Page) error { return nil }, changed)
	s.Dispatcher = notifier.NewDispatcher(s.DB, s.Subscribers, nil, nil, notifier.Config{}, now, s.Log, nil)
	return s
}

// OnChange adds f to what hears of every committed change, as a surface's
// cache does (public.Site.Changed). Call it while setting up, before any
// request.
func (s *Services) OnChange(f func()) { s.changed = append(s.changed, f) }

// App returns a Fiber app with Beacon's settings and its one error
// handler (with pages, as the console's), for a surface to mount its
// routes on.
func (s *Services) App(pages ...web.PageFor) *fiber.App {
	return fiber.New(fiber.Config{Immutable: true, ErrorHandler: web.ErrorHandler(s.Log, pages...), DisableStartupMessage: true})
}
