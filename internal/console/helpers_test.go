package console_test

import (
	"context"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apptest"
	"github.com/beacon-status/beacon/internal/console"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// testEnv is the staff console on a real SQLite file in a temporary
// directory, with the services it uses, driven through its routes.
type testEnv struct {
	t     testing.TB
	svc   *apptest.Services
	fiber *fiber.App
	clock *testutil.Clock
	// embed is what the public site's embed script carries: the site
	// renders it from the stored embed settings and keeps it until a
	// change is announced, so this re-reads them on every announced
	// change (apptest's OnChange), as the site's cache does.
	embed settings.Embed
}

// newTestEnv builds the console at apptest.Start unless the clock is
// moved, with no SMTP server configured and Beacon's default notification
// settings: SMS from the US, Canada and Britain, on every update.
func newTestEnv(tb testing.TB) *testEnv {
	tb.Helper()
	svc := apptest.New(tb, apptest.Options{Notify: settings.Notify{SMSCountries: []string{"US", "CA", "GB"}, SMSAllUpdates: true}})
	e := &testEnv{t: tb, svc: svc, clock: svc.Clock}
	var err error
	if e.embed, err = svc.InForce.Embed(context.Background()); err != nil {
		tb.Fatal(err)
	}
	svc.OnChange(func() {
		if e.embed, err = svc.InForce.Embed(context.Background()); err != nil {
			tb.Error(err)
		}
	})
	screens := console.New(console.Deps{Log: svc.Log, BaseURL: svc.BaseURL, Now: svc.Clock.Now, PageID: svc.PageID,
		Templates: svc.Templates, Components: svc.Components, Incidents: svc.Incidents, Subscribers: svc.Subscribers,
		Outbox: svc.Outbox, Dispatcher: svc.Dispatcher, Accounts: svc.Accounts, Keys: svc.Keys, Audit: svc.Audit,
		InForce: svc.InForce, Integrations: svc.Integrations, Metrics: svc.Metrics})
	e.fiber = svc.App(screens.ErrorPage())
	screens.Routes(e.fiber)
	return e
}

// response is a finished request.
type response = testutil.Response

// do sends a request through the console's routes (testutil.Do).
func (e *testEnv) do(method, target string, body any, headers ...string) response {
	e.t.Helper()
	return testutil.Do(e.t, e.fiber, method, target, body, headers...)
}

// staff is a signed-in console user (consoletest.Staff).
type staff = consoletest.Staff

// newStaff creates a user with role and signs them in.
func (e *testEnv) newStaff(role accounts.Role) *staff {
	e.t.Helper()
	return consoletest.SignIn(e.t, e.svc.Accounts, role, e.do)
}

// consoleFixture is a page with something of everything for the forms to
// act on.
type consoleFixture struct {
	api, web    string // component ids
	incident    incidents.Incident
	resolved    incidents.Incident
	maintenance incidents.Incident
	template    incidents.Template
	subscriber  string
	follower    string // follows resolved (not incident, whose updates would reach it), by email, confirmed
	keyID       string
	responderID string
}

func newConsoleFixture(t *testing.T, e *testEnv) consoleFixture {
	t.Helper()
	ctx := context.Background()
	a := e.svc
	var f consoleFixture
	api, err := a.Components.Create(ctx, components.Input{Name: ptr("API")})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := a.Components.Create(ctx, components.Input{Name: ptr("Website")})
	f.api, f.web = api.ID, web.ID
	if f.incident, err = a.Incidents.Create(ctx, incidents.NewIncident{Name: "Elevated errors", Body: "Looking into it.",
		Components: map[string]components.Status{f.api: components.PartialOutage}}); err != nil {
		t.Fatal(err)
	}
	if f.resolved, err = a.Incidents.Create(ctx, incidents.NewIncident{Name: "Old outage", Status: incidents.Resolved, Body: "Fixed."}); err != nil {
		t.Fatal(err)
	}
	from, until := e.clock.Now().Add(48*time.Hour), e.clock.Now().Add(50*time.Hour)
	if f.maintenance, err = a.Incidents.Create(ctx, incidents.NewIncident{Name: "Database upgrade", ScheduledFor: &from, ScheduledUntil: &until,
		ComponentIDs: []string{f.web}}); err != nil {
		t.Fatal(err)
	}
	if f.template, err = a.Incidents.CreateTemplate(ctx, incidents.TemplateInput{Name: ptr("Slow API"), Title: ptr("Slow API responses")}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Subscribers.Subscribe(ctx, subscribers.Signup{Mode: "email", Address: "reader@example.com", SkipConfirmation: true})
	if err != nil {
		t.Fatal(err)
	}
	f.subscriber = res.Subscriber.ID
	fr, err := a.Subscribers.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: f.resolved.ID, Mode: notifier.Email,
		Address: "follower@example.com", SkipConfirmation: true})
	if err != nil {
		t.Fatal(err)
	}
	f.follower = fr.Follow.Subscriber.ID
	k, _, _ := a.Keys.Create(ctx, "deploy")
	f.keyID = k.ID
	u, _ := a.Accounts.CreateUser(ctx, "responder-fixture@example.com", accounts.Responder, "")
	f.responderID = u.ID
	return f
}

func ptr[T any](v T) *T { return &v }
