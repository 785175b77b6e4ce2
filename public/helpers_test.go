package public

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/notifier/webhook"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

const (
	// testBaseURL is the page's address: Twilio signs the URL it calls.
	testBaseURL = "https://status.example.com"
	// testTwilioToken is the auth token callbacks are signed with.
	testTwilioToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
)

// testEnv is the public site on a real SQLite file in a temporary
// directory, with the services it reads, driven through its routes.
type testEnv struct {
	t          testing.TB
	site       *Site
	fiber      *fiber.App
	clock      *testutil.Clock
	components *components.Service
	incidents  *incidents.Service
}

// newTestEnv builds the site at 2026-03-10 12:00 UTC unless the clock is
// moved, with every channel configured.
func newTestEnv(tb testing.TB) *testEnv {
	tb.Helper()
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	now := clock.Now
	db := testutil.OpenDB(tb, settings.Migrations(), notifier.Migrations(), components.Migrations(), subscribers.Migrations(),
		incidents.Migrations())
	tmpl, err := templates.Load()
	if err != nil {
		tb.Fatal(err)
	}
	// The services' change hooks run before the site exists.
	var site *Site
	changed := func() {
		if site != nil {
			site.Changed()
		}
	}
	outbox := notifier.NewOutbox(db)
	comps := components.NewService(db, outbox, now, changed)
	incs := incidents.NewService(db, comps, outbox, now, changed)
	name := "Example"
	if _, err := comps.EnsurePage(ctx, components.PageInput{Name: &name}); err != nil {
		tb.Fatal(err)
	}
	inForce, err := settings.NewInForce(ctx, settings.NewStore(db, now), comps, settings.Notify{})
	if err != nil {
		tb.Fatal(err)
	}
	subs, err := subscribers.NewService(ctx, db, comps, outbox, now, subscribers.Config{
		ValidateURL: func(ctx context.Context, raw string) error { return webhook.ValidateURL(ctx, raw, false) },
	})
	if err != nil {
		tb.Fatal(err)
	}
	// The SMS sender only checks signatures: its API address is never
	// called, and points at a closed loopback port should it be.
	smsSender, err := sms.New(sms.Config{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: testTwilioToken,
		From: "+15005550006", APIURL: "http://127.0.0.1:1"})
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dispatcher := notifier.NewDispatcher(db, subs, nil, nil, notifier.Config{}, now, log, nil)
	site = New(Deps{BaseURL: testBaseURL, Now: now, CacheControl: "public, max-age=0, must-revalidate", Templates: tmpl,
		Components: comps, Incidents: incs, Subscribers: subs, Settings: inForce, Notifier: dispatcher, SMS: smsSender,
		Channels: []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}})
	app := fiber.New(fiber.Config{Immutable: true, ErrorHandler: web.ErrorHandler(log), DisableStartupMessage: true})
	site.Routes(app)
	return &testEnv{t: tb, site: site, fiber: app, clock: clock, components: comps, incidents: incs}
}

// do sends a request with a string body through the site's routes.
// headers are name, value pairs.
func (e *testEnv) do(method, target, body string, headers ...string) testutil.Response {
	e.t.Helper()
	return testutil.Do(e.t, e.fiber, method, target, body, headers...)
}
