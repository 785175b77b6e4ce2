package main

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/notifier"
)

// consoleSite is a Beacon with email configured to an SMTP server on
// loopback, its dispatcher running, three email subscribers and an admin,
// serving HTTP on loopback.
type consoleSite struct {
	env  *testEnv
	mail *smtptest.Server
	base string
	api  string // a component id
	subs int
}

const consoleAdmin = "oncall@example.com"

func newConsoleSite(t *testing.T) *consoleSite {
	t.Helper()
	s := &consoleSite{mail: smtptest.Start(t), subs: 3}
	s.env = newTestEnv(t, func(c *Config) {
		c.PageName = "Acme"
		c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS, c.SMTP.From, c.SMTP.Pool = s.mail.Host, s.mail.Port, "none", "status@example.com", 1
		for _, ch := range []string{"email", "sms", "webhook"} {
			c.channel(ch).Rate = 0
		}
	})
	// The browser shows real time; the app's clock follows it.
	s.env.clock.Set(time.Now())
	var c struct{ ID string }
	s.env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}).JSON(t, &c)
	s.api = c.ID
	s.env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Dashboard"}})
	for _, addr := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		s.env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
			"email": addr, "skip_confirmation_notification": true}})
	}
	ctx := context.Background()
	u, err := s.env.app.accounts.CreateUser(ctx, consoleAdmin, accounts.Admin, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.env.app.accounts.SetPassword(ctx, u.ID, consoletest.Password); err != nil {
		t.Fatal(err)
	}

	// The dispatcher runs as in the server, and stops with the test.
	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.env.app.dispatcher.Run(runCtx) })
	t.Cleanup(func() { stop(); wg.Wait() })
	s.base = serveOnLoopback(t, s.env)
	return s
}

// signIn gives the browser s's session cookie, as it keeps it after
// signing in at base; with s nil it drops the cookie (signed out).
func (b *browser) signIn(t *testing.T, base string, s *staff) {
	t.Helper()
	cookie := screen.SessionCookie + "=; path=/console; max-age=0"
	if s != nil {
		cookie = screen.SessionCookie + "=" + s.Session + "; path=/console"
	}
	b.step(t, "set the session cookie", chromedp.Navigate(base+"/healthz"),
		chromedp.Evaluate[chromedp.Void](`document.cookie = "`+cookie+`"`))
}

// submit clicks a form's submit button and waits for the page it leads to.
func (b *browser) submit(t *testing.T, what, button string, wantStatus int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Status != wantStatus {
		t.Fatalf("%s: status %d, want %d", what, res.Status, wantStatus)
	}
}

// screenshot saves the page as name.png in $BEACON_SCREENSHOTS, when set,
// to look at the console.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("BEACON_SCREENSHOTS") != "" {
		b.shoot(t, screenshots(t), name)
	}
}

func (b *browser) heading(t *testing.T) string {
	t.Helper()
	return browserEval[string](t, b, "heading", `document.querySelector("h1")?.textContent.trim() ?? ""`)
}

// TestBrowserConsole is on-call staff's path through the console in real
// Chromium: sign in, post an incident affecting a component, see it on the
// public page and in summary.json, post an update, resolve, and watch each
// update's delivery count reach the number of subscribers without
// reloading, while the SMTP server on loopback receives every message.
func TestBrowserConsole(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newConsoleSite(t)
	b := newBrowser(t, tools)
	const name = "Checkout payments failing"

	b.step(t, "open the console", chromedp.Navigate(site.base+"/console"))
	if h := b.heading(t); h != "Sign in" {
		t.Fatalf("the console opens on %q, want the sign-in page", h)
	}
	b.step(t, "type the credentials",
		chromedp.SendKeys(chromedp.CSS("#email"), consoleAdmin),
		chromedp.SendKeys(chromedp.CSS("#password"), consoletest.Password))
	b.submit(t, "sign in", "form[action='/console/signin'] button[type=submit]", 200)
	if h := b.heading(t); h != "Dashboard" {
		t.Fatalf("after sign-in: %q, want the dashboard", h)
	}
	b.screenshot(t, "console-dashboard")

	b.step(t, "open the new incident form", chromedp.Navigate(site.base+"/console/incidents/new"))
	b.step(t, "fill the incident",
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SetValue(chromedp.CSS("#status"), "identified"),
		chromedp.SendKeys(chromedp.CSS("#body"), "Card payments fail at checkout. We are rolling back."),
		chromedp.SetValue(chromedp.CSS("#component_"+site.api), "major_outage"))
	b.submit(t, "post the incident", "form[action='/console/incidents'] button[type=submit]", 200)
	if h := b.heading(t); h != name {
		t.Fatalf("after posting: %q, want the incident page", h)
	}
	incidentURL := browserEval[string](t, b, "location", `location.pathname`)
	id := strings.TrimPrefix(incidentURL, "/console/incidents/")

	// Visitors see it at once, on the page and in the API.
	_, page := browserFetch(t, site.base, http.MethodGet, "/", nil, "", "")
	if !strings.Contains(string(page), name) {
		t.Errorf("the public page does not show the new incident:\n%s", page)
	}
	_, raw := browserFetch(t, site.base, http.MethodGet, "/api/v2/summary.json", nil, "", "")
	var summary struct {
		Status     struct{ Indicator string }
		Components []struct{ ID, Status string }
		Incidents  []struct{ ID, Name, Status string }
	}
	if err := json.Unmarshal(raw, &summary); err != nil {
		t.Fatal(err)
	}
	if len(summary.Incidents) != 1 || summary.Incidents[0].ID != id || summary.Incidents[0].Status != "identified" || summary.Status.Indicator != "critical" {
		t.Errorf("summary.json = %s", raw)
	}
	for _, c := range summary.Components {
		if c.ID == site.api && c.Status != "major_outage" {
			t.Errorf("API is %s in summary.json, want major_outage", c.Status)
		}
	}

	b.step(t, "write an update",
		chromedp.SetValue(chromedp.CSS("#status"), "monitoring"),
		chromedp.SendKeys(chromedp.CSS("#body"), "The rollback is done; payments are recovering."))
	b.submit(t, "post the update", "form[action$='/updates'] button[type=submit]", 200)
	b.submit(t, "resolve", "form[action$='/resolve'] button[type=submit]", 200)
	if flash := browserEval[string](t, b, "flash", `document.querySelector(".flash")?.textContent ?? ""`); !strings.Contains(flash, "Resolved") {
		t.Errorf("after resolving, the page says %q", flash)
	}

	// Without reloading, every update's count reaches the subscribers.
	want := "email: 3 sent, 0 pending, 0 failed"
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const rows = [...document.querySelectorAll("[data-update]")];
		return rows.length === 3 && rows.every(r => r.textContent.includes(`+"`"+want+"`"+`));
	})()`, chromedp.WithPollingInterval(200*time.Millisecond))); err != nil {
		got := browserEval[[]string](t, b, "counts", `[...document.querySelectorAll("[data-update]")].map(r => r.textContent)`)
		t.Fatalf("delivery counts never reached %q: %q (%v)", want, got, err)
	}
	b.screenshot(t, "console-incident")
	b.step(t, "phone width", chromedp.EmulateViewport(375, 800))
	b.screenshot(t, "console-incident-375")
	b.step(t, "desktop width", chromedp.EmulateViewport(1280, 900))
	if n := site.mail.Count(); n != 3*site.subs {
		t.Errorf("the SMTP server received %d messages, want %d (3 updates × %d subscribers)", n, 3*site.subs, site.subs)
	}
	queue, err := site.env.app.outbox.Queue(context.Background(), time.Now().Add(-time.Hour))
	if err != nil || queue[notifier.Email].Sent != 9 {
		t.Errorf("queue = %+v, %v", queue, err)
	}

	// The audit log names who did it.
	b.step(t, "open the audit log", chromedp.Navigate(site.base+"/console/audit"))
	log := browserEval[string](t, b, "audit log", `document.querySelector("main table")?.textContent ?? ""`)
	for _, want := range []string{"user " + consoleAdmin, "POST incidents/:id/resolve", "POST incidents/:id/updates", "session.sign_in"} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}

// consoleScreen is one console screen for the audits: a page loaded
// (or a form posted) by someone signed in, or by nobody.
type consoleScreen struct {
	browserPage
	as *staff // signed in; nil: signed out
}

// consoleAudit is a console with something on every screen: open
// incidents of two impacts, a maintenance in progress and one upcoming,
// components in every status, followers, a template, and staff of both
// roles.
type consoleAudit struct {
	*consoleSite
	admin, responder *staff
	incident, maint  string // the "Queue stuck" incident, the maintenance in progress
	password         string // a set-password link's token
	firstRun         string // a fresh Beacon's base URL, to create its first admin
	firstRunToken    string
	integration      string // an integration with a draft and alerts in its log
	provider, metric string // a Self metrics provider, and its metric with an hour of points
}

func newConsoleAudit(t *testing.T) *consoleAudit {
	t.Helper()
	site := newConsoleSite(t)
	a := &consoleAudit{consoleSite: site}
	id := func(res response) string {
		t.Helper()
		var v struct{ ID string }
		res.JSON(t, &v)
		return v.ID
	}
	component := func(name string) string {
		return id(site.env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name}}))
	}
	search, storage, db := component("Search"), component("Storage"), component("Database")
	// A status set by hand, outside any incident.
	site.env.mustAPI(200, "PATCH", "/components/"+storage, map[string]any{"component": map[string]any{"status": "major_outage"}})
	site.env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{
		"name": "Infrastructure", "components": []string{storage, db}}})
	a.incident = id(site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Queue stuck", "status": "investigating",
		"body": "Jobs are **not** running.", "components": map[string]string{site.api: "partial_outage"}}}))
	site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Slow search", "status": "identified",
		"body": "Searches take seconds.", "components": map[string]string{search: "degraded_performance"}}})
	now := time.Now().UTC()
	a.maint = id(site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Database upgrade", "status": "in_progress",
		"body": "Writes pause.", "components": map[string]string{db: "under_maintenance"},
		"scheduled_for": now.Add(-time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(time.Hour).Format(time.RFC3339)}}))
	site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Network work", "status": "scheduled",
		"body": "A switch is replaced.", "component_ids": []string{storage},
		"scheduled_for": now.Add(24 * time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(26 * time.Hour).Format(time.RFC3339)}})
	site.env.mustAPI(201, "POST", "/incident_templates", map[string]any{"template": map[string]any{"name": "Down",
		"title": "API down", "body": "The API is down.", "component_ids": []string{site.api}}})
	// An integration whose alerts opened a draft, and one it ignored.
	it := apitest.Object(t, site.env.mustAPI(201, "POST", "/integrations", map[string]any{"integration": map[string]any{
		"name": "Prometheus", "kind": "generic"}}))
	a.integration = it["id"].(string)
	for _, alert := range []string{`{"component":"Search","status":"partial_outage","title":"Search is slow","dedupe_key":"search"}`,
		`{"component":"Billing","status":"major_outage"}`} {
		if res := site.env.do("POST", "/api/v1/integrations/"+a.integration+"/alerts?token="+it["token"].(string), alert); res.Status != 200 {
			t.Fatalf("post an alert: %d %s", res.Status, res.Body)
		}
	}
	// A metric with an hour of points, so that its screen shows its last
	// point and aggregates, and a stored Datadog provider.
	a.provider = id(site.env.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Self"}}))
	site.env.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Datadog", "api_key": "k"}})
	a.metric = id(site.env.mustAPI(201, "POST", "/metrics_providers/"+a.provider+"/metrics", map[string]any{"metric": map[string]any{
		"name": "API response time", "suffix": "ms", "y_axis_min": 0, "display": true, "tooltip_description": "Median time to answer"}}))
	var points []map[string]any
	for i := range 120 {
		points = append(points, map[string]any{"timestamp": now.Add(-time.Duration(i) * 30 * time.Second).Unix(), "value": 150 + i%7*9})
	}
	site.env.mustAPI(202, "POST", "/metrics/data", map[string]any{"data": map[string]any{a.metric: points}})
	// Followers, so that the incident screen shows its table: one
	// confirmed, one waiting.
	site.env.mustAPI(201, "POST", "/incidents/"+a.incident+"/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "follower@example.com", "skip_confirmation_notification": true}})
	site.env.mustAPI(201, "POST", "/incidents/"+a.incident+"/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "waiting@example.com"}})
	a.admin, a.responder = site.env.newStaff(accounts.Admin), site.env.newStaff(accounts.Responder)
	ctx := context.Background()
	u, err := site.env.app.accounts.CreateUser(ctx, "new.hire@example.com", accounts.Responder, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.password, err = site.env.app.accounts.PasswordLink(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	// A Beacon nobody has signed in to yet.
	fresh := newTestEnv(t)
	var ok bool
	if a.firstRunToken, ok, err = fresh.app.accounts.FirstRunLink(ctx); err != nil || !ok {
		t.Fatalf("first-run link: %v, %v", ok, err)
	}
	a.firstRun = serveOnLoopback(t, fresh)
	return a
}

// screens lists every console screen: signed out (sign-in, its error,
// setting a password, a dead link), every section an admin sees with its
// forms, forms shown again with errors, and the message pages.
func (a *consoleAudit) screens() []consoleScreen {
	csrf := func(form url.Values) url.Values { form.Set(screen.CSRFField, a.admin.CSRF); return form }
	admin := func(name, path string, status int, title string) consoleScreen {
		return consoleScreen{browserPage{name: name, path: path, status: status, title: title}, a.admin}
	}
	post := func(name, path string, form url.Values, status int, title string) consoleScreen {
		return consoleScreen{browserPage{name: name, path: path, form: csrf(form), status: status, title: title}, a.admin}
	}
	nobody := func(name, path string, status int, title string) consoleScreen {
		return consoleScreen{browserPage{name: name, path: path, status: status, title: title}, nil}
	}
	return []consoleScreen{
		nobody("signin", "/console/signin?next=/console/x", 200, "Sign in"),
		{browserPage{name: "signin-failed", path: "/console/signin", status: 401, title: "Sign in",
			form: url.Values{"email": {consoleAdmin}, "password": {"not the password"}, screen.CSRFField: {consoleAuditCSRF}}}, nil},
		nobody("password", "/console/password?token="+url.QueryEscape(a.password), 200, "Set your password"),
		nobody("password-expired", "/console/password?token=expired", 410, "This link has expired"),
		admin("dashboard", "/console", 200, "Dashboard"),
		admin("incidents", "/console/incidents", 200, "Incidents"),
		admin("new-incident", "/console/incidents/new", 200, "New incident"),
		post("new-incident-invalid", "/console/incidents", url.Values{"name": {""}, "status": {"investigating"}}, 422, "New incident"),
		admin("incident", "/console/incidents/"+a.incident, 200, "Queue stuck"),
		post("incident-invalid", "/console/incidents/"+a.incident+"/updates", url.Values{"status": {"nope"}, "body": {"x"}}, 422, "Queue stuck"),
		post("incident-preview", "/console/incidents/"+a.incident+"/preview", url.Values{"status": {"monitoring"},
			"body": {"Draining **now**.\n\n- orders\n- refunds"}, "deliver_notifications": {"1"}}, 200, "Queue stuck"),
		admin("maintenance", "/console/maintenance", 200, "Maintenance"),
		admin("maintenance-in-progress", "/console/incidents/"+a.maint, 200, "Database upgrade"),
		admin("new-maintenance", "/console/maintenance/new", 200, "Schedule maintenance"),
		admin("components", "/console/components", 200, "Components"),
		admin("component-edit", "/console/components/"+a.api, 200, "Edit API"),
		admin("templates", "/console/templates", 200, "Incident templates"),
		admin("integrations", "/console/integrations", 200, "Alerts"),
		admin("integration", "/console/integrations/"+a.integration, 200, "Prometheus"),
		post("integration-created", "/console/integrations", url.Values{"kind": {"grafana"}, "name": {"Grafana"}, "incident_mode": {"draft"},
			"component_label": {"beacon_component"}, "severity_label": {"severity"}, "severities": {"critical = major_outage"},
			"default_status": {"major_outage"}, "flap_window": {"120"}, "auto_resolve": {"1"}}, 201, "Alerts"),
		post("integration-invalid", "/console/integrations/"+a.integration, url.Values{"name": {"Prometheus"}, "incident_mode": {"draft"},
			"component_label": {"beacon component"}, "severity_label": {"severity"}, "components": {"search = Nothing"},
			"default_status": {"major_outage"}, "flap_window": {"120"}}, 422, "Prometheus"),
		admin("metrics", "/console/metrics", 200, "Metrics"),
		admin("metric", "/console/metrics/"+a.metric, 200, "API response time"),
		admin("metrics-provider", "/console/metrics/providers/"+a.provider, 200, "Self provider"),
		post("metric-invalid", "/console/metrics/"+a.metric, url.Values{"name": {"API response time"}, "decimal_places": {"9"},
			"suffix": {"ms"}}, 422, "API response time"),
		post("metric-reset-unconfirmed", "/console/metrics/"+a.metric+"/reset", url.Values{}, 422, "API response time"),
		admin("subscribers", "/console/subscribers", 200, "Subscribers"),
		admin("keys", "/console/keys", 200, "API keys"),
		post("key-created", "/console/keys", url.Values{"name": {"ci"}}, 201, "API keys"),
		admin("users", "/console/users", 200, "Users"),
		admin("settings", "/console/settings", 200, "Settings"),
		admin("audit", "/console/audit", 200, "Audit log"),
		admin("not-found", "/console/nope", 404, "Not found"),
		{browserPage{name: "admins-only", path: "/console/users", status: 403, title: "Admins only"}, a.responder},
		{browserPage{name: "form-expired", path: "/console/keys", form: url.Values{"name": {"ci"}, screen.CSRFField: {""}}, status: 403, title: "This form has expired"}, a.admin},
	}
}

// consoleAuditCSRF is the signed-out forms' token: the browser and the
// requests carry it in the CSRF cookie and in the form.
const consoleAuditCSRF = "0123456789abcdef0123456789abcdef"

// fetch returns the server's answer to screen s.
func (a *consoleAudit) fetch(s consoleScreen) response {
	switch {
	case s.as != nil && s.form != nil:
		return s.as.Post(s.path, s.form)
	case s.as != nil:
		return s.as.Get(s.path)
	case s.form != nil:
		return a.env.do("POST", s.path, s.form.Encode(), "Content-Type", "application/x-www-form-urlencoded",
			"Cookie", screen.CSRFCookie+"="+consoleAuditCSRF)
	}
	return a.env.do("GET", s.path, nil)
}

// TestBrowserConsoleAccessibility runs axe-core with its default rules on
// every console screen (consoleAudit.screens) at 375 and 1280 px in both
// colour schemes, fails on any violation, of any impact, and saves a
// screenshot of each as console-screen-width-scheme.png. The dashboard shows
// open incidents, maintenance and components in every tone. The first-run
// screen of a fresh Beacon is audited too.
func TestBrowserConsoleAccessibility(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	a := newConsoleAudit(t)
	b := newBrowser(t, tools)
	shots := screenshots(t)
	audits, violations, screens := 0, 0, 0
	var who *staff
	for i, s := range a.screens() {
		t.Run(s.name, func(t *testing.T) {
			if i == 0 || s.as != who {
				b.signIn(t, a.base, s.as)
				who = s.as
			}
			if s.as == nil && s.form != nil {
				// The cookie the sign-in page set is HttpOnly: only the
				// DevTools protocol can replace it.
				b.step(t, "set the CSRF cookie", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
					_, err := cdp.Call(ctx, tab, network.SetCookie, network.SetCookieParams{Name: screen.CSRFCookie, Value: consoleAuditCSRF,
						URL: a.base + "/console", Path: "/console", HTTPOnly: ptr(true), SameSite: network.CookieSameSiteLax})
					return err
				}))
			}
			b.open(t, a.base, s.browserPage)
			n, v := b.auditEverywhere(t, axe, shots, "console-"+s.name, nil)
			audits, violations, screens = audits+n, violations+v, screens+1
		})
	}
	t.Run("first-admin", func(t *testing.T) {
		b.open(t, a.firstRun, browserPage{name: "first-admin", path: "/console/password?token=" + url.QueryEscape(a.firstRunToken),
			status: 200, title: "Create the first admin"})
		n, v := b.auditEverywhere(t, axe, shots, "console-first-admin", nil)
		audits, violations, screens = audits+n, violations+v, screens+1
	})
	t.Logf("console: axe %d violations in %d audits (%d screens at 375 and 1280 px, light and dark)", violations, audits, screens)
}

// TestBrowserConsoleHTMLValidate checks the markup of every console screen
// (consoleAudit.screens), and of the embed settings shown again with
// errors, with html-validate.
func TestBrowserConsoleHTMLValidate(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, false)
	a := newConsoleAudit(t)
	dir := t.TempDir()
	var files []string
	write := func(name string, res response, want int) {
		t.Helper()
		if res.Status != want {
			t.Errorf("%s: status %d, want %d", name, res.Status, want)
		}
		file := filepath.Join(dir, name+".html")
		if err := os.WriteFile(file, res.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	for _, s := range a.screens() {
		res := a.fetch(s)
		if !strings.Contains(string(res.Body), ">"+html.EscapeString(s.title)+"</h1>") {
			t.Errorf("%s: no <h1> %q in\n%s", s.name, s.title, res.Body)
		}
		write("console-"+s.name, res, s.status)
	}
	res, body := browserFetch(t, a.firstRun, http.MethodGet, "/console/password?token="+url.QueryEscape(a.firstRunToken), nil, "", "")
	write("console-first-admin", response{Status: res.StatusCode, Body: body}, 200)
	write("console-embed-invalid", a.admin.Post("/console/settings/embed", map[string][]string{"position": {"top-left"},
		"incident_text_color": {"white"}}), 422)
	write("console-footer-invalid", a.admin.Post("/console/settings", map[string][]string{"name": {"Acme"}, "time_zone": {"Etc/UTC"},
		"notifications_email_footer": {strings.Repeat("x", 501)}}), 422)
	errs := 0
	for _, n := range htmlValidate(t, tools, dir, files) {
		errs += n
	}
	t.Logf("console: html-validate %d errors or warnings on %d screens", errs, len(files))
}

// TestBrowserConsoleEmbedColours: once the console's script runs, each
// embed colour has a picker beside its text field, the two follow each
// other, and saving sends what they show.
func TestBrowserConsoleEmbedColours(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newConsoleSite(t)
	admin := site.env.newStaff(accounts.Admin)
	b := newBrowser(t, tools)
	b.signIn(t, site.base, admin)
	b.step(t, "open the settings", chromedp.Navigate(site.base+"/console/settings"))
	picker := `document.querySelector("[data-color-for=embed_incident_background_color]")`
	if got, want := browserEval[string](t, b, "picker", `(p => p.hidden + " " + p.value)(`+picker+`)`), "false #c0392b"; got != want {
		t.Errorf("incident background picker: hidden and value %q, want %q", got, want)
	}
	// Picking fills the text field.
	if got := browserEval[string](t, b, "pick", `(p => { p.value = "#123456"; p.dispatchEvent(new Event("input"));
		return document.getElementById("embed_incident_background_color").value })(`+picker+`)`); got != "#123456" {
		t.Errorf("after picking #123456 the text field holds %q", got)
	}
	// Typing moves the picker.
	browserEval[string](t, b, "clear", `document.getElementById("embed_maintenance_text_color").value = ""`)
	b.step(t, "type a colour", chromedp.SendKeys(chromedp.CSS("#embed_maintenance_text_color"), "#00FF00"))
	if got := browserEval[string](t, b, "typed", `document.querySelector("[data-color-for=embed_maintenance_text_color]").value`); got != "#00ff00" {
		t.Errorf("after typing #00FF00 the picker shows %q", got)
	}
	b.submit(t, "save the embed", "form[action='/console/settings/embed'] button[type=submit]", 200)
	got, err := site.env.app.settings.Embed(context.Background())
	if err != nil || got.IncidentBackgroundColor != "#123456" || got.MaintenanceTextColor != "#00ff00" {
		t.Errorf("saved %+v (%v), want #123456 and #00ff00", got, err)
	}
}
