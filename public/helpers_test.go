package public

import (
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/apptest"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
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
	svc := apptest.New(tb, apptest.Options{BaseURL: testBaseURL})
	// The SMS sender only checks signatures: its API address is never
	// called, and points at a closed loopback port should it be.
	smsSender, err := sms.New(sms.Config{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: testTwilioToken,
		From: "+15005550006", APIURL: "http://127.0.0.1:1"})
	if err != nil {
		tb.Fatal(err)
	}
	site := New(Deps{BaseURL: testBaseURL, Now: svc.Clock.Now, CacheControl: "public, max-age=0, must-revalidate", Templates: svc.Templates,
		Components: svc.Components, Incidents: svc.Incidents, Subscribers: svc.Subscribers, Settings: svc.InForce, Notifier: svc.Dispatcher,
		SMS: smsSender, Channels: []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}})
	svc.OnChange(site.Changed)
	app := svc.App()
	site.Routes(app)
	return &testEnv{t: tb, site: site, fiber: app, clock: svc.Clock, components: svc.Components, incidents: svc.Incidents}
}

// do sends a request with a string body through the site's routes.
// headers are name, value pairs.
func (e *testEnv) do(method, target, body string, headers ...string) testutil.Response {
	e.t.Helper()
	return testutil.Do(e.t, e.fiber, method, target, body, headers...)
}
