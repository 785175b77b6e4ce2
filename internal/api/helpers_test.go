package api_test

import (
	"context"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/api"
	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/apptest"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
)

// response is a finished request.
type response = testutil.Response

// testEnv is the management API on a real SQLite file in a temporary
// directory, with the services it uses, driven through its routes with
// one API key.
type testEnv struct {
	t      testing.TB
	svc    *apptest.Services
	fiber  *fiber.App
	clock  *testutil.Clock
	key    string
	pageID string
}

// envOptions change what newTestEnv builds.
type envOptions struct {
	// rate and burst limit each API key; default 1000 and 1000.
	rate  float64
	burst int
	// allowPrivate lets webhook subscribers point at loopback, so tests
	// add them without any address outside this machine.
	allowPrivate bool
}

// newTestEnv builds the API at apptest.Start unless the clock is moved.
func newTestEnv(tb testing.TB, opts ...envOptions) *testEnv {
	tb.Helper()
	o := envOptions{rate: 1000, burst: 1000}
	if len(opts) > 0 {
		o = opts[0]
	}
	// The page and notification settings of cmd/beacon's default
	// configuration.
	svc := apptest.New(tb, apptest.Options{PageName: "Beacon", BaseURL: "http://localhost:8080", TimeZone: "Etc/UTC",
		Notify: settings.Notify{SMSAllUpdates: true, SMSCountries: []string{"US", "CA", "GB"}, WebhookAllowPrivate: o.allowPrivate}})
	v1 := api.New(api.Deps{BaseURL: svc.BaseURL, PageID: svc.PageID, Now: svc.Clock.Now, Components: svc.Components,
		Incidents: svc.Incidents, Subscribers: svc.Subscribers, Outbox: svc.Outbox, Dispatcher: svc.Dispatcher,
		InForce: svc.InForce, Keys: svc.Keys, Limiter: web.NewKeyLimiter(o.rate, o.burst, svc.Clock.Now), Audit: svc.Audit,
		Integrations: svc.Integrations, Metrics: svc.Metrics})
	app := svc.App()
	v1.Routes(app)
	_, key, err := svc.Keys.Create(context.Background(), "test")
	if err != nil {
		tb.Fatal(err)
	}
	return &testEnv{t: tb, svc: svc, fiber: app, clock: svc.Clock, key: key, pageID: svc.PageID}
}

// do sends a request through the API's routes (testutil.Do).
func (e *testEnv) do(method, target string, body any, headers ...string) response {
	e.t.Helper()
	return testutil.Do(e.t, e.fiber, method, target, body, headers...)
}

// api sends an authenticated management API request (apitest.Client).
func (e *testEnv) api(method, path string, body any, headers ...string) response {
	e.t.Helper()
	return e.client().API(method, path, body, headers...)
}

// mustAPI is api that fails the test unless the status is want.
func (e *testEnv) mustAPI(want int, method, path string, body any) response {
	e.t.Helper()
	return e.client().MustAPI(want, method, path, body)
}

// client is the management API's client for e.
func (e *testEnv) client() apitest.Client {
	return apitest.Client{TB: e.t, Do: e.do, Key: e.key, PageID: e.pageID}
}

// seed makes apitest's fixture through the API.
func (e *testEnv) seed() apitest.Fixture {
	e.t.Helper()
	return apitest.Seed(e.t, e.mustAPI, e.clock.Now())
}

// events returns every outbox event.
func (e *testEnv) events() []notifier.Event {
	e.t.Helper()
	events, err := e.svc.Outbox.Events(context.Background(), notifier.EventFilter{Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return events
}

// componentStatus reads one component's status through the API.
func (e *testEnv) componentStatus(id string) string {
	e.t.Helper()
	return apitest.String(e.t, e.mustAPI(200, "GET", "/components/"+id, nil), "status")
}
