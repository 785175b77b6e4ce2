package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/internal/accounts"
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
	dir := os.Getenv("BEACON_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
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

// consolePages are the console's main screens for the audits.
func consolePages(id string) []browserPage {
	return []browserPage{
		{name: "console-dashboard", path: "/console", status: 200, title: "Dashboard"},
		{name: "console-incidents", path: "/console/incidents", status: 200, title: "Incidents"},
		{name: "console-new-incident", path: "/console/incidents/new", status: 200, title: "New incident"},
		{name: "console-incident", path: "/console/incidents/" + id, status: 200, title: "Queue stuck"},
		{name: "console-new-maintenance", path: "/console/maintenance/new", status: 200, title: "Schedule maintenance"},
		{name: "console-components", path: "/console/components", status: 200, title: "Components"},
		{name: "console-templates", path: "/console/templates", status: 200, title: "Incident templates"},
		{name: "console-subscribers", path: "/console/subscribers", status: 200, title: "Subscribers"},
		{name: "console-keys", path: "/console/keys", status: 200, title: "API keys"},
		{name: "console-users", path: "/console/users", status: 200, title: "Users"},
		{name: "console-settings", path: "/console/settings", status: 200, title: "Settings"},
		{name: "console-audit", path: "/console/audit", status: 200, title: "Audit log"},
	}
}

// consoleAuditSite seeds an incident with an update to show, and signs in.
func consoleAuditSite(t *testing.T) (*consoleSite, string, *staff) {
	t.Helper()
	site := newConsoleSite(t)
	var in struct{ ID string }
	site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Queue stuck", "status": "investigating",
		"body": "Jobs are **not** running.", "components": map[string]string{site.api: "partial_outage"}}}).JSON(t, &in)
	// Followers, so that the incident screen shows its table: one
	// confirmed, one waiting.
	site.env.mustAPI(201, "POST", "/incidents/"+in.ID+"/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "follower@example.com", "skip_confirmation_notification": true}})
	site.env.mustAPI(201, "POST", "/incidents/"+in.ID+"/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "waiting@example.com"}})
	return site, in.ID, site.env.newStaff(accounts.Admin)
}

// TestBrowserConsoleAccessibility runs axe-core on the console's main
// screens, signed in as an admin, in both colour schemes, and fails on any
// serious or critical violation.
func TestBrowserConsoleAccessibility(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	site, id, admin := consoleAuditSite(t)
	b := newBrowser(t, tools)
	b.step(t, "viewport", chromedp.EmulateViewport(1280, 900))
	// The session cookie, set as the browser would keep it after sign-in.
	b.signIn(t, site.base, admin)
	pages := append([]browserPage{{name: "console-signin", path: "/console/signin?next=/console/x", status: 200, title: "Sign in"}},
		consolePages(id)...)
	for i, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			if i == 0 { // signed out for the sign-in page, then back in
				b.signIn(t, site.base, nil)
				defer b.signIn(t, site.base, admin)
			}
			b.scheme(t, "light")
			b.open(t, site.base, p)
			for _, scheme := range []string{"light", "dark"} {
				t.Run(scheme, func(t *testing.T) {
					b.scheme(t, scheme)
					b.audit(t, axe)
				})
			}
		})
	}
}

// TestBrowserConsoleHTMLValidate checks the markup of the console's
// screens, and of a form shown again with errors, with html-validate.
func TestBrowserConsoleHTMLValidate(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, false)
	site, id, admin := consoleAuditSite(t)
	dir := t.TempDir()
	var files []string
	write := func(name string, res response, want int) {
		if res.Status != want {
			t.Errorf("%s: status %d, want %d", name, res.Status, want)
		}
		file := filepath.Join(dir, name+".html")
		if err := os.WriteFile(file, res.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	for _, p := range consolePages(id) {
		write(p.name, admin.Get(p.path), p.status)
	}
	write("console-signin", site.env.do("GET", "/console/signin", nil), 200)
	write("console-new-incident-invalid", admin.Post("/console/incidents", map[string][]string{"name": {""}, "status": {"investigating"}}), 422)
	write("console-incident-invalid", admin.Post("/console/incidents/"+id+"/updates", map[string][]string{"status": {"nope"}, "body": {"x"}}), 422)
	write("console-incident-preview", admin.Post("/console/incidents/"+id+"/preview", map[string][]string{"status": {"monitoring"},
		"body": {"Draining **now**.\n\n- orders\n- refunds"}, "deliver_notifications": {"1"}}), 200)
	write("console-key-created", admin.Post("/console/keys", map[string][]string{"name": {"ci"}}), 201)
	write("console-embed-invalid", admin.Post("/console/settings/embed", map[string][]string{"position": {"top-left"},
		"incident_text_color": {"white"}}), 422)
	write("console-footer-invalid", admin.Post("/console/settings", map[string][]string{"name": {"Acme"}, "time_zone": {"Etc/UTC"},
		"notifications_email_footer": {strings.Repeat("x", 501)}}), 422)
	htmlValidate(t, tools, dir, files)
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
