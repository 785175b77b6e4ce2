package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apptest"
	"github.com/beacon-status/beacon/internal/console"
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
		InForce: svc.InForce})
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

const staffPassword = "a long enough password"

// staff is a signed-in console user driving the console.
type staff struct {
	e       *testEnv
	user    accounts.User
	session string // the session cookie's value
	csrf    string
}

// newStaff creates a user with role and signs them in.
func (e *testEnv) newStaff(role accounts.Role) *staff {
	e.t.Helper()
	ctx := context.Background()
	n, _ := e.svc.Accounts.Count(ctx)
	u, err := e.svc.Accounts.CreateUser(ctx, fmt.Sprintf("%s%d@example.com", role, n), role, "")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.Accounts.SetPassword(ctx, u.ID, staffPassword); err != nil {
		e.t.Fatal(err)
	}
	token, sess, err := e.svc.Accounts.SignIn(ctx, u.Email, staffPassword, "192.0.2.10", "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return &staff{e: e, user: u, session: token, csrf: sess.CSRFToken}
}

func (s *staff) cookie() string { return console.SessionCookie + "=" + s.session }

func (s *staff) get(path string) response {
	s.e.t.Helper()
	return s.e.do("GET", path, nil, "Cookie", s.cookie())
}

// post sends a form with the session's CSRF token (unless the form sets
// _csrf itself, even to nothing).
func (s *staff) post(path string, form url.Values) response {
	s.e.t.Helper()
	if _, ok := form[console.CSRFField]; !ok {
		form.Set(console.CSRFField, s.csrf)
	}
	return s.e.do("POST", path, form.Encode(), "Cookie", s.cookie(), "Content-Type", "application/x-www-form-urlencoded")
}

// mustPost is post that fails the test unless the status is want.
func (s *staff) mustPost(want int, path string, form url.Values) response {
	s.e.t.Helper()
	res := s.post(path, form)
	if res.Status != want {
		s.e.t.Fatalf("POST %s: status %d, want %d: %s", path, res.Status, want, body(res))
	}
	return res
}

// body is the text of a page, shortened for failure messages.
func body(r response) string {
	b := string(r.Body)
	if i := strings.Index(b, `<main`); i >= 0 {
		b = b[i:]
	}
	if len(b) > 1500 {
		b = b[:1500] + "…"
	}
	return b
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
