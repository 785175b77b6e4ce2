package public

import (
	"context"
	"slices"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/apptest"
	"github.com/beacon-status/beacon/internal/i18n"
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
	svc        *apptest.Services
	components *components.Service
	incidents  *incidents.Service
	pageID     string
}

// envOptions are how a test environment builds the site.
type envOptions struct {
	// baseURL is the page's address; timeZone its zone ("" for apptest's).
	baseURL, timeZone string
	// cacheControl is the Cache-Control of the cached responses.
	cacheControl string
	// channels are the configured notification channels; sms is set when
	// SMS callbacks are checked with testTwilioToken.
	channels []notifier.Channel
	sms      bool
}

// newTestEnv builds the site at 2026-03-10 12:00 UTC unless the clock is
// moved, with every channel configured.
func newTestEnv(tb testing.TB) *testEnv {
	tb.Helper()
	return openEnv(tb, envOptions{baseURL: testBaseURL, cacheControl: "public, max-age=0, must-revalidate",
		channels: append([]notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}, notifier.Chats...), sms: true})
}

// newDefaultEnv builds the site as cmd/beacon builds it with its default
// configuration: at http://localhost:8080, the page in Etc/UTC, webhooks
// and chat the only channels, and cacheControl (by default cmd/beacon's)
// on the cached responses.
func newDefaultEnv(tb testing.TB, cacheControl ...string) *testEnv {
	tb.Helper()
	o := envOptions{baseURL: "http://localhost:8080", timeZone: "Etc/UTC", cacheControl: "public, max-age=0, must-revalidate",
		channels: append([]notifier.Channel{notifier.Webhook}, notifier.Chats...)}
	if len(cacheControl) > 0 {
		o.cacheControl = cacheControl[0]
	}
	return openEnv(tb, o)
}

// openEnv builds the site with o.
func openEnv(tb testing.TB, o envOptions) *testEnv {
	tb.Helper()
	svc := apptest.New(tb, apptest.Options{BaseURL: o.baseURL, TimeZone: o.timeZone})
	var smsSender *sms.Sender
	if o.sms {
		// The SMS sender only checks signatures: its API address is never
		// called, and points at a closed loopback port should it be.
		var err error
		smsSender, err = sms.New(sms.Config{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: testTwilioToken,
			From: "+15005550006", APIURL: "http://127.0.0.1:1"})
		if err != nil {
			tb.Fatal(err)
		}
	}
	site := New(Deps{BaseURL: o.baseURL, Now: svc.Clock.Now, CacheControl: o.cacheControl, Templates: svc.Templates,
		Components: svc.Components, Incidents: svc.Incidents, Metrics: svc.Metrics, Subscribers: svc.Subscribers, Settings: svc.InForce, Notifier: svc.Dispatcher,
		SMS: smsSender, Channels: o.channels})
	svc.OnChange(site.Changed)
	app := svc.App()
	site.Routes(app)
	return &testEnv{t: tb, site: site, fiber: app, clock: svc.Clock, svc: svc, components: svc.Components, incidents: svc.Incidents,
		pageID: svc.PageID}
}

// do sends a request with a string body through the site's routes.
// headers are name, value pairs.
func (e *testEnv) do(method, target, body string, headers ...string) testutil.Response {
	e.t.Helper()
	return testutil.Do(e.t, e.fiber, method, target, body, headers...)
}

// v2 fetches a public API body and decodes it into a generic map.
func (e *testEnv) v2(path string) map[string]any {
	e.t.Helper()
	res := e.do("GET", "/api/v2/"+path, "")
	if res.Status != 200 {
		e.t.Fatalf("GET /api/v2/%s: status %d: %s", path, res.Status, res.Body)
	}
	var m map[string]any
	res.JSON(e.t, &m)
	return m
}

// ptr returns a pointer to v, for the services' optional inputs.
func ptr[T any](v T) *T { return &v }

// component creates a component, failing the test on an error.
func (e *testEnv) component(in components.Input) string {
	e.t.Helper()
	c, err := e.components.Create(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// group creates a group, failing the test on an error.
func (e *testEnv) group(in components.GroupInput) string {
	e.t.Helper()
	g, err := e.components.CreateGroup(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return g.ID
}

// incident creates an incident or maintenance, failing the test on an
// error.
func (e *testEnv) incident(n incidents.NewIncident) incidents.Incident {
	e.t.Helper()
	in, err := e.incidents.Create(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// change changes an incident, failing the test on an error.
func (e *testEnv) change(id string, c incidents.Change) {
	e.t.Helper()
	if _, err := e.incidents.Update(context.Background(), id, c); err != nil {
		e.t.Fatal(err)
	}
}

// savePage changes the page's settings as the API and console do,
// failing the test on an error.
func (e *testEnv) savePage(in components.PageInput) {
	e.t.Helper()
	if _, err := e.svc.InForce.SavePage(context.Background(), in); err != nil {
		e.t.Fatal(err)
	}
}

// sortedKeys returns the sorted keys of m.
func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sorted returns a sorted copy of list.
func sorted(list ...string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

// testLang returns the catalogue's language code.
func testLang(t testing.TB, code string) *i18n.Lang {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	l, ok := cat.Lookup(code)
	if !ok {
		t.Fatalf("no language %q", code)
	}
	return l
}
