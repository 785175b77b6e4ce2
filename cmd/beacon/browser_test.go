package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/public"
	"github.com/beacon-status/beacon/subscribers"
)

// The browser tests load the public pages in Debian's headless Chromium,
// driven through the DevTools protocol with chromedp, over real HTTP on
// loopback: the layout at phone and desktop widths in both colour schemes,
// an axe-core audit of every page, and html-validate on the markup the
// server sends. They need /usr/bin/chromium and the npm tools of
// package.json (`npm ci`); without them they skip, except in CI.

// browserSeedNow is where the seeded page's clock ends: the default of
// newTestEnv.
var browserSeedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// browserTools are the programs the browser tests run.
type browserTools struct {
	chromium string // the browser
	root     string // repository root, holding node_modules
}

// needBrowserTools finds Chromium (when chromium is set) and the npm tools.
// A missing tool skips the test, but fails it in CI, where .ci/run
// installs them all.
func needBrowserTools(t *testing.T, chromium bool) browserTools {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format+" (CI installs it: a browser test must not be skipped there)", args...)
		}
		t.Skipf(format, args...)
	}
	var tools browserTools
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			tools.root = dir
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	for _, f := range []string{"node_modules/axe-core/axe.min.js", "node_modules/.bin/html-validate"} {
		if _, err := os.Stat(filepath.Join(tools.root, f)); err != nil {
			missing("%s is missing: run `npm ci` in %s", f, tools.root)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed: %v", err)
	}
	if chromium {
		if tools.chromium, err = exec.LookPath("chromium"); err != nil {
			missing("Debian's chromium is not installed (apt-get install chromium): %v", err)
		}
	}
	return tools
}

// readAxe returns the source of axe-core.
func readAxe(t *testing.T, tools browserTools) []byte {
	t.Helper()
	axe, err := os.ReadFile(filepath.Join(tools.root, "node_modules/axe-core/axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return axe
}

// browserSite is a seeded Beacon serving HTTP on loopback.
type browserSite struct {
	base string // http://127.0.0.1:port

	activeID, resolvedID, maintenanceID string
	manageToken, unsubscribeToken       string
	verifyToken                         string // of an SMS sign-up waiting for its code
}

// Names the seeded page shows.
const (
	browserActive     = "Delayed email notifications"
	browserResolved   = "Elevated API error rates"
	browserMonitoring = "Slow dashboard loading"
	browserMaint      = "Database upgrade"
	browserPastMaint  = "Replica rebuild"
	// browserBanner is the banner of a page with a component in partial
	// outage.
	browserBanner = "Partial System Outage"
)

// newBrowserSite seeds a page with what a visitor sees on a bad day: a group
// with a degraded member, an active incident, resolved incidents (one with a
// postmortem) and a completed maintenance behind the uptime bars (so that
// they show a day of each kind), an upcoming maintenance, and a
// subscriber whose manage and unsubscribe links the tests open. Email and
// SMS are configured so that the subscribe screen offers every channel;
// nothing is ever sent, since no dispatcher runs.
func newBrowserSite(t *testing.T) *browserSite {
	t.Helper()
	env := newTestEnv(t, browserConfig)
	s := &browserSite{}
	id := func(res response) string {
		t.Helper()
		var v struct{ ID string }
		res.JSON(t, &v)
		if v.ID == "" {
			t.Fatalf("no id in %s", res.Body)
		}
		return v.ID
	}
	at := func(day, hour, minute int) { env.clock.Set(time.Date(2026, 2, day, hour, minute, 0, 0, time.UTC)) }
	component := func(name, desc string) string {
		return id(env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name, "description": desc}}))
	}
	incident := func(name, status, body string, comps map[string]string) string {
		return id(env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
			"name": name, "status": status, "body": body, "components": comps, "deliver_notifications": false}}))
	}
	update := func(inc, status, body string, comps map[string]string) {
		env.mustAPI(200, "PATCH", "/incidents/"+inc, map[string]any{"incident": map[string]any{
			"status": status, "body": body, "components": comps, "deliver_notifications": false}})
	}

	at(1, 8, 0)
	api := component("API", "REST and GraphQL endpoints")
	web := component("Dashboard", "")
	db := component("Database", "")
	mail := component("Email delivery", "")
	id(env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{
		"name": "Infrastructure", "components": []string{db, mail}}}))

	// The uptime report marks February below API's target.
	env.mustAPI(200, "PATCH", "/components/"+api, map[string]any{"component": map[string]any{"sla_target": 99.9}})

	at(14, 10, 5)
	s.resolvedID = incident(browserResolved, "investigating", "We are investigating **elevated error rates** on the API.", map[string]string{api: "major_outage"})
	env.clock.Advance(25 * time.Minute)
	update(s.resolvedID, "identified", "A bad deploy is being rolled back. See [the runbook](https://example.com/runbook).\n\n- Roll back the deploy\n- Drain the retry queue", map[string]string{api: "partial_outage"})
	env.clock.Advance(70 * time.Minute)
	update(s.resolvedID, "resolved", "Error rates are back to normal.", map[string]string{api: "operational"})
	env.mustAPI(200, "PUT", "/incidents/"+s.resolvedID+"/postmortem", map[string]any{"postmortem": map[string]any{
		"body_draft": "## What happened\n\nA configuration change removed a connection pool limit.\n\n- Detected after 4 minutes\n- Rolled back after 25 minutes"}})
	env.mustAPI(200, "PUT", "/incidents/"+s.resolvedID+"/postmortem/publish", map[string]any{"postmortem": map[string]any{"notify_subscribers": false}})

	// A completed maintenance on the Database, so that the bars show a
	// maintenance day too.
	at(20, 2, 0)
	pastMaint := id(env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": browserPastMaint, "status": "in_progress", "body": "Rebuilding a read replica.",
		"components": map[string]string{db: "under_maintenance"}, "deliver_notifications": false,
		"scheduled_for": env.clock.Now().Format(time.RFC3339), "scheduled_until": env.clock.Now().Add(time.Hour).Format(time.RFC3339),
	}}))
	env.clock.Advance(45 * time.Minute)
	update(pastMaint, "completed", "The replica is back.", map[string]string{db: "operational"})

	env.clock.Set(browserSeedNow.Add(-46 * time.Hour))
	inc := incident(browserMonitoring, "investigating", "Dashboard pages take several seconds to load.", map[string]string{web: "degraded_performance"})
	env.clock.Advance(30 * time.Minute)
	update(inc, "monitoring", "A fix is deployed; we are watching load times.", nil)
	env.clock.Advance(40 * time.Minute)
	update(inc, "resolved", "Load times are normal again.", map[string]string{web: "operational"})

	env.clock.Set(browserSeedNow.Add(-35 * time.Minute))
	s.activeID = incident(browserActive, "identified", "Notification emails are delayed by up to 20 minutes. A queue is backed up; we are draining it.", map[string]string{mail: "partial_outage"})
	env.clock.Set(browserSeedNow)
	s.maintenanceID = id(env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": browserMaint, "status": "scheduled", "body": "The primary database moves to new hardware. Writes pause for up to 5 minutes.",
		"component_ids": []string{db}, "deliver_notifications": false,
		"scheduled_for":   browserSeedNow.Add(38 * time.Hour).Format(time.RFC3339),
		"scheduled_until": browserSeedNow.Add(40 * time.Hour).Format(time.RFC3339),
	}}))

	sub := id(env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "reader@example.com", "component_ids": []string{api, web}, "skip_confirmation_notification": true}}))
	s.manageToken = env.app.subscribers.Link(subscribers.PurposeManage, sub)
	s.unsubscribeToken = env.app.subscribers.Link(subscribers.PurposeUnsubscribe, sub)

	s.base = serveOnLoopback(t, env)

	// An SMS sign-up waiting for its code, for the page that answers a
	// wrong code.
	res, body := browserFetch(t, s.base, http.MethodPost, "/subscribe", nil,
		`{"mode":"sms","phone_number":"+14155552671","phone_country":"US"}`, "application/json")
	var v struct {
		VerifyToken string `json:"verify_token"`
	}
	if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != http.StatusAccepted || v.VerifyToken == "" {
		t.Fatalf("SMS sign-up: status %d, body %s, err %v", res.StatusCode, body, err)
	}
	s.verifyToken = v.VerifyToken
	return s
}

// browserConfig is the seeded pages' configuration: a name, a support link,
// an accent colour, and email and SMS configured (to addresses nothing
// listens on) so that the subscribe screen offers every channel.
func browserConfig(c *Config) {
	c.PageName = "Acme"
	c.SupportURL = "https://support.example.com/"
	c.AccentColor = "#0a6b5e"
	c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS, c.SMTP.From, c.SMTP.Pool = "127.0.0.1", 2525, "none", "status@example.com", 1
	c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.From = "AC0123456789abcdef0123456789abcdef", "f00dfeedf00dfeedf00dfeedf00dfeed", "+15005550006"
	c.Twilio.APIURL = "http://127.0.0.1:9"
	c.SMSCountries = []string{"US"}
	c.WebhookAllowPrivate = true
}

// serveOnLoopback serves the app's routes over HTTP on 127.0.0.1 until the
// test ends, and returns the base URL.
func serveOnLoopback(t *testing.T, env *testEnv) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- env.fiber.Listener(ln) }()
	t.Cleanup(func() {
		if err := env.fiber.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("shut down the HTTP server: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("the HTTP server did not stop")
		}
	})
	return "http://" + ln.Addr().String()
}

// browserFetch sends one request and returns the response and its body.
// body is sent as is, with contentType; form, when not nil, is sent
// url-encoded instead.
func browserFetch(t *testing.T, base, method, path string, form url.Values, body, contentType string) (*http.Response, []byte) {
	t.Helper()
	if form != nil {
		body, contentType = form.Encode(), "application/x-www-form-urlencoded"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res, out
}

// browserPage is one page the audits visit: a GET, or the answer to a
// form posted to path.
type browserPage struct {
	name   string // also the file name of its markup
	path   string
	form   url.Values // when set, the page is the answer to this POST
	status int
	title  string // what <h1> must say, to be sure which page was audited
}

// pages lists every public page: the status page, an incident, a
// maintenance, the history, the uptime report (of the last 12 months and
// of February, below API's target), and every subscribe screen (each way, as
// chosen by ?mode=) with its messages and errors. The unsubscribe confirmation comes last: it ends the
// subscription the manage pages show.
func (s *browserSite) pages() []browserPage {
	return []browserPage{
		{name: "index", path: "/", status: 200, title: browserBanner},
		{name: "incident", path: "/incidents/" + s.resolvedID, status: 200, title: browserResolved},
		{name: "incident-active", path: "/incidents/" + s.activeID, status: 200, title: browserActive},
		{name: "maintenance", path: "/incidents/" + s.maintenanceID, status: 200, title: browserMaint},
		{name: "history", path: "/history", status: 200, title: "Incident history"},
		{name: "uptime", path: "/uptime", status: 200, title: "Uptime report"},
		{name: "uptime-month", path: "/uptime?month=2026-02", status: 200, title: "Uptime in February 2026"},
		{name: "subscribe", path: "/subscribe", status: 200, title: "Get notified"},
		{name: "subscribe-invalid", path: "/subscribe", form: url.Values{"mode": {"email"}, "email": {"not an address"}}, status: 422, title: "Get notified"},
		{name: "subscribe-email-sent", path: "/subscribe", form: url.Values{"mode": {"email"}, "email": {"new.reader@example.com"}}, status: 202, title: "Check your inbox"},
		{name: "subscribe-webhook-secret", path: "/subscribe", form: url.Values{"mode": {"webhook"}, "endpoint": {"http://127.0.0.1:9/beacon-hook"}}, status: 200, title: "Almost done"},
		{name: "sms-code", path: "/subscribe", form: url.Values{"mode": {"sms"}, "phone_number": {"+14155552672"}, "phone_country": {"US"}}, status: 200, title: "Enter your code"},
		{name: "sms-code-wrong", path: "/subscriptions/verify", form: url.Values{"token": {s.verifyToken}, "code": {"000000"}}, status: 422, title: "Enter your code"},
		{name: "confirm-expired", path: "/subscriptions/confirm?token=expired", status: 400, title: "Link expired"},
		{name: "subscribe-sms", path: "/subscribe?mode=sms", status: 200, title: "Get notified"},
		{name: "subscribe-webhook", path: "/subscribe?mode=webhook", status: 200, title: "Get notified"},
		{name: "subscribe-feed", path: "/subscribe?mode=feed", status: 200, title: "Get notified"},
		{name: "subscribe-chat", path: "/subscribe?mode=chat", status: 200, title: "Get notified"},
		{name: "subscribe-invalid-chat", path: "/subscribe", form: url.Values{"mode": {"chat"}, "platform": {"slack"}, "chat_endpoint": {"ftp://example.com/hook"}}, status: 422, title: "Get notified"},
		{name: "subscribe-chat-sent", path: "/subscribe", form: url.Values{"mode": {"chat"}, "platform": {"discord"}, "chat_endpoint": {"http://127.0.0.1:9/api/webhooks/1/t"}}, status: 202, title: "Almost done"},
		{name: "subscribe-invalid-sms", path: "/subscribe", form: url.Values{"mode": {"sms"}, "phone_number": {"12"}}, status: 422, title: "Get notified"},
		{name: "subscribe-invalid-components", path: "/subscribe", form: url.Values{"mode": {"email"}, "email": {"x@example.com"}, "component_ids[]": {"zzzzzzzzzzzz"}}, status: 422, title: "Get notified"},
		{name: "manage-expired", path: "/subscriptions/manage?token=expired", status: 400, title: "Link expired"},
		{name: "not-found", path: "/incidents/zzzzzzzzzzzz", status: 404, title: "Not found"},
		{name: "manage", path: "/subscriptions/manage?token=" + url.QueryEscape(s.manageToken), status: 200, title: "Manage your subscription"},
		{name: "manage-saved", path: "/subscriptions/manage", form: url.Values{"token": {s.manageToken}, "component_ids": {}}, status: 200, title: "Manage your subscription"},
		{name: "unsubscribe", path: "/unsubscribe/" + s.unsubscribeToken, status: 200, title: "Unsubscribe"},
		{name: "unsubscribed", path: "/unsubscribe/" + s.unsubscribeToken, form: url.Values{}, status: 200, title: "Unsubscribed"},
	}
}

// browser is a headless Chromium with one tab.
type browser struct {
	ctx context.Context // the tab
}

// newBrowser starts Chromium with the flags this machine needs (no
// background requests to Google's hosts, which the closed network refuses)
// and a fresh profile, and stops it when the test ends.
func newBrowser(t *testing.T, tools browserTools) *browser {
	t.Helper()
	// Everything the browser does ends within two minutes, however it
	// hangs. (The first action starts the browser: a shorter deadline on it
	// would stop the browser with it.)
	root, cancelRoot := context.WithTimeout(context.Background(), 2*time.Minute)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(tools.chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully, then make sure the process is gone
		// (cancelAlloc kills it and waits).
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		_ = chromedp.Cancel(cctx)
		cancel()
		cancelAlloc()
		cancelRoot()
	})
	// A headless page never has the system focus, so :focus would never
	// match: emulate a focused page.
	focused := chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), focused); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{ctx: ctx}
}

// step runs actions with a bounded wait.
func (b *browser) step(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browserEval evaluates a JavaScript expression in the page, awaiting a promise,
// and decodes its value.
func browserEval[T any](t *testing.T, b *browser, what, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// scheme emulates prefers-color-scheme.
func (b *browser) scheme(t *testing.T, name string) {
	t.Helper()
	b.step(t, "emulate prefers-color-scheme: "+name, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: name}}})
		return err
	}))
}

// open loads a page: navigates to it, or posts its form from a page of
// the same origin as a visitor's browser would, and checks the status and
// the heading.
func (b *browser) open(t *testing.T, base string, p browserPage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	var steps []chromedp.Action[chromedp.Void]
	if p.form == nil {
		steps = append(steps, chromedp.Navigate(base+p.path))
	} else {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/healthz")); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		fields := [][2]string{}
		for k, vs := range p.form {
			for _, v := range vs {
				fields = append(fields, [2]string{k, v})
			}
		}
		action, _ := json.Marshal(p.path)
		data, _ := json.Marshal(fields)
		steps = append(steps, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const f = document.createElement("form");
			f.method = "post";
			f.action = %s;
			for (const [name, value] of %s) {
				const i = document.createElement("input");
				i.type = "hidden"; i.name = name; i.value = value;
				f.append(i);
			}
			document.body.append(f);
			f.submit();
		})()`, action, data)))
	}
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: load %s: %v", p.name, p.path, err)
	}
	if res.Status != int64(p.status) {
		t.Errorf("%s: status %d, want %d", p.name, res.Status, p.status)
	}
	if h1 := browserEval[string](t, b, p.name+": heading", `document.querySelector("h1")?.textContent.trim() ?? ""`); h1 != p.title {
		t.Fatalf("%s: <h1> is %q, want %q", p.name, h1, p.title)
	}
}

// TestBrowserStatusPage loads / at phone and desktop widths in both colour
// schemes: the banner, the active incident and the uptime tooltips are
// there, the tooltips show on focus inside the viewport, nothing scrolls
// sideways, dark differs from light, and a screenshot of each is saved
// (in $BEACON_SCREENSHOTS when set, to look at them, else in a temporary
// directory). axe-core audits each, with a tooltip open.
func TestBrowserStatusPage(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	shots := screenshots(t)

	type layout struct {
		Banner, BannerBG, BannerFG, BodyBG string
		Incidents, Maintenance             []string
		Bars, Visible, Tips, Related       int
		Focusable                          int
		TipText                            string
		ScrollWidth, Width                 int
	}
	backgrounds := map[int]map[string]string{}
	for _, width := range []int64{375, 1280} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprintf("%d-%s", width, scheme), func(t *testing.T) {
				b.emulate(t, width)
				b.scheme(t, scheme)
				b.open(t, site.base, site.pages()[0])

				got := browserEval[layout](t, b, "read the layout", `(() => {
					const css = (el, p) => el ? getComputedStyle(el)[p] : "";
					const banner = document.querySelector("section.banner");
					const texts = sel => [...document.querySelectorAll(sel)].map(e => e.textContent.trim());
					const tips = [...document.querySelectorAll("ol.bars li .tip")];
					return {
						Banner: banner?.querySelector("h1")?.textContent.trim() ?? "",
						BannerBG: css(banner, "backgroundColor"), BannerFG: css(banner, "color"),
						BodyBG: css(document.body, "backgroundColor"),
						Incidents: texts("section[aria-labelledby=active-incidents] .card h3"),
						Maintenance: texts("section[aria-labelledby=maintenance] .card h3"),
						Bars: document.querySelectorAll("ol.bars li").length,
						Visible: [...document.querySelectorAll("ol.bars li")].filter(li => li.offsetParent !== null).length,
						Tips: tips.length,
						Related: tips.filter(t => t.textContent.includes(`+"`Related: "+browserResolved+"`"+`)).length,
						Focusable: document.querySelectorAll("ol.bars li[tabindex='0']").length,
						TipText: tips.find(t => t.textContent.includes("Related"))?.textContent ?? "",
						ScrollWidth: document.documentElement.scrollWidth, Width: window.innerWidth,
					};
				})()`)
				if got.Banner != browserBanner {
					t.Errorf("banner says %q, want %q", got.Banner, browserBanner)
				}
				if got.BannerBG == got.BodyBG || got.BannerFG == got.BannerBG {
					t.Errorf("banner: text %s on %s, page %s: want a coloured banner", got.BannerFG, got.BannerBG, got.BodyBG)
				}
				if len(got.Incidents) != 1 || got.Incidents[0] != browserActive {
					t.Errorf("active incidents %q, want [%q]", got.Incidents, browserActive)
				}
				if len(got.Maintenance) != 1 || got.Maintenance[0] != browserMaint {
					t.Errorf("maintenance %q, want [%q]", got.Maintenance, browserMaint)
				}
				// API and Dashboard are on their own; Database and Email
				// delivery in the group, open since one of them is degraded.
				if got.Bars != 4*public.UptimeDays || got.Tips != got.Bars {
					t.Errorf("%d bars with %d tooltips, want %d of each", got.Bars, got.Tips, 4*public.UptimeDays)
				}
				// A phone shows the last 30 days (TestBrowserBars reads them).
				visible := 4 * public.UptimeDays
				if width < 600 {
					visible = 4 * 30
				}
				if got.Visible != visible {
					t.Errorf("%d bars visible, want %d", got.Visible, visible)
				}
				if got.Related != 1 || !strings.Contains(got.TipText, "Major outage") {
					t.Errorf("%d tooltips name %q (%q), want 1 with its major outage", got.Related, browserResolved, got.TipText)
				}
				if got.Focusable < 3 {
					t.Errorf("%d bars can take focus, want one per day with downtime or an incident", got.Focusable)
				}
				if got.ScrollWidth > got.Width {
					t.Errorf("the page is %d px wide in a %d px viewport: it scrolls sideways", got.ScrollWidth, got.Width)
				}
				if backgrounds[int(width)] == nil {
					backgrounds[int(width)] = map[string]string{}
				}
				backgrounds[int(width)][scheme] = got.BodyBG + " " + got.BannerBG

				// Every focusable bar shows its tooltip on focus, inside the
				// viewport, readable on its background.
				type box struct {
					Left, Right, Width, Top float64
					Text, FG, BG            string
				}
				boxes := browserEval[[]box](t, b, "focus the bars", `(() => [...document.querySelectorAll("ol.bars li[tabindex='0']")].map(li => {
					li.focus();
					const tip = li.querySelector(".tip"), r = tip.getBoundingClientRect(), s = getComputedStyle(tip);
					const out = {Left: r.left, Right: r.right, Width: r.width, Top: r.top, Text: tip.textContent, FG: s.color, BG: s.backgroundColor};
					li.blur();
					return out;
				}))()`)
				for _, bx := range boxes {
					if bx.Width < 40 || bx.Left < 0 || bx.Right > float64(got.Width) {
						t.Errorf("tooltip %q on focus spans %.0f..%.0f px in a %d px viewport", bx.Text, bx.Left, bx.Right, got.Width)
					}
					if bx.FG == bx.BG {
						t.Errorf("tooltip %q: text colour %s on the same background", bx.Text, bx.FG)
					}
				}

				// The screenshot shows the tooltip of the resolved
				// incident's day, as a visitor hovering it would see it.
				b.step(t, "focus the incident's bar", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("ol.bars li[tabindex='0']")].find(li => li.textContent.includes("Related"))?.focus()`))
				b.shoot(t, shots, fmt.Sprintf("index-%d-%s", width, scheme))

				// The audit at this width and scheme, with the tooltip open.
				b.audit(t, axe)
			})
		}
	}
	for width, bg := range backgrounds {
		if bg["light"] == "" || bg["light"] == bg["dark"] {
			t.Errorf("%d px: light and dark schemes have the same background colours %q", width, bg["light"])
		}
	}
}

// axeViolation is one rule axe-core found broken, with the nodes that
// break it.
type axeViolation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []struct{ Target, HTML, Summary string }
}

// audit runs axe-core (its source in axe) with its default rules on the
// page in the tab: a violation of any impact fails the test. It returns the
// number of violations found (each broken rule counts once).
func (b *browser) audit(t *testing.T, axe []byte) int {
	t.Helper()
	if !browserEval[bool](t, b, "look for axe-core", `typeof axe === "object"`) {
		b.step(t, "inject axe-core", chromedp.Evaluate[chromedp.Void](string(axe)))
	}
	found := browserEval[[]axeViolation](t, b, "run axe", `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		ID: v.id, Impact: v.impact ?? "", Help: v.help, HelpURL: v.helpUrl,
		Nodes: v.nodes.map(n => ({Target: JSON.stringify(n.target), HTML: n.html, Summary: n.failureSummary ?? ""})),
	})))`)
	for _, v := range found {
		var nodes strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&nodes, "\n\t%s %s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
		}
		t.Errorf("axe: %s (%s): %s <%s>%s", v.ID, v.Impact, v.Help, v.HelpURL, nodes.String())
	}
	return len(found)
}

// TestBrowserAccessibility runs axe-core with its default rules on every
// public page at 375 and 1280 px in both colour schemes, fails on any
// violation, of any impact, and saves a screenshot of each as
// public-page-width-scheme.png.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	shots := screenshots(t)
	audits, violations := 0, 0
	for _, p := range site.pages() {
		t.Run(p.name, func(t *testing.T) {
			// Each page loads once (a form is posted once) and is audited
			// at each width in each scheme: the emulated viewport and
			// media apply to the loaded page at once.
			b.open(t, site.base, p)
			a, v := b.auditEverywhere(t, axe, shots, "public-"+p.name, nil)
			audits, violations = audits+a, violations+v
		})
	}
	t.Logf("public pages: axe %d violations in %d audits (%d pages at 375 and 1280 px, light and dark)", violations, audits, len(site.pages()))
}

// htmlValidateResult is one file of html-validate's JSON report.
type htmlValidateResult struct {
	FilePath string
	Messages []struct {
		RuleID   string
		Severity int
		Message  string
		Line     int
		Column   int
		Selector string
	}
}

// TestBrowserHTMLValidate fetches every page over HTTP and checks the markup
// the server sends with html-validate (testdata/browser/htmlvalidate.mjs:
// the recommended preset).
func TestBrowserHTMLValidate(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, false)
	site := newBrowserSite(t)
	dir := t.TempDir()
	files := fetchPages(t, site.base, site.pages(), dir, "")
	errs := 0
	for _, n := range htmlValidate(t, tools, dir, files) {
		errs += n
	}
	t.Logf("public pages: html-validate %d errors or warnings on %d pages", errs, len(files))
}

// fetchPages fetches each page over HTTP (posting its form), checks its
// status and heading, and saves its markup in dir as prefix+name.html for
// htmlValidate, and returns their paths.
func fetchPages(t *testing.T, base string, pages []browserPage, dir, prefix string) []string {
	t.Helper()
	var files []string
	for _, p := range pages {
		method := http.MethodGet
		if p.form != nil {
			method = http.MethodPost
		}
		res, body := browserFetch(t, base, method, p.path, p.form, "", "")
		if res.StatusCode != p.status {
			t.Errorf("%s %s: status %d, want %d", method, p.path, res.StatusCode, p.status)
		}
		if !bytes.Contains(body, []byte("<h1")) || !bytes.Contains(body, []byte(">"+p.title+"<")) {
			t.Errorf("%s %s: no <h1> %q in\n%s", method, p.path, p.title, body)
		}
		file := filepath.Join(dir, prefix+p.name+".html")
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	return files
}

// htmlValidate checks files (in dir) with html-validate and fails the test
// on every error or warning it reports. It returns the number of them in
// each file, by base name (a file without any is absent).
func htmlValidate(t *testing.T, tools browserTools, dir string, files []string) map[string]int {
	t.Helper()
	config, err := filepath.Abs("testdata/browser/htmlvalidate.mjs")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// The report goes to a file: node cuts a long report short on a pipe
	// when html-validate exits.
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.CommandContext(ctx, filepath.Join(tools.root, "node_modules/.bin/html-validate"),
		append([]string{"--config", config, "--formatter", "json=" + out}, files...)...)
	cmd.Dir = dir
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	runErr := cmd.Run()
	var exit *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exit) {
		t.Fatalf("html-validate: %v\n%s", runErr, output.Bytes())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("html-validate (%v): %v\n%s", runErr, err, output.Bytes())
	}
	var report []htmlValidateResult
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("html-validate (%v): %v\nreport: %s\noutput: %s", runErr, err, raw, output.Bytes())
	}
	// A warning fails the test as an error does: the preset's rules all
	// hold.
	errs, perFile := 0, map[string]int{}
	for _, r := range report {
		for _, m := range r.Messages {
			kind := "error"
			if m.Severity < 2 {
				kind = "warning"
			} else {
				errs++
			}
			perFile[filepath.Base(r.FilePath)]++
			t.Errorf("%s:%d:%d: %s: %s (%s) at %s", filepath.Base(r.FilePath), m.Line, m.Column, kind, m.Message, m.RuleID, m.Selector)
		}
	}
	// html-validate exits non-zero exactly when it reports an error.
	if (runErr != nil) != (errs > 0) {
		t.Errorf("html-validate exited with %v but reported %d errors\n%s", runErr, errs, output.Bytes())
	}
	t.Logf("html-validate checked %d pages", len(files))
	return perFile
}

// TestBrowserFrame loads every public page at phone and desktop widths and
// reads the computed layout: the content and the header have the width of
// the status page's on every page (incident pages were narrower), the
// "Subscribe to updates" link is drawn as a button, and the favicon the
// page links loads as an SVG.
func TestBrowserFrame(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	type frame struct {
		Main, Header, Footer        float64
		ButtonBG, ButtonFG, BodyBG  string
		ButtonPadding, ButtonRadius float64
		Icon                        string
		IconLoaded                  bool
	}
	for _, width := range []int64{375, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			b.emulate(t, width)
			b.scheme(t, "light")
			var want *frame
			for _, p := range site.pages() {
				b.open(t, site.base, p)
				got := browserEval[frame](t, b, p.name+": read the frame", `(async () => {
					const w = sel => document.querySelector(sel)?.getBoundingClientRect().width ?? 0;
					const a = document.querySelector(".site-header a.subscribe-link"), s = a ? getComputedStyle(a) : {};
					const icon = document.querySelector("link[rel=icon]");
					// The CSP allows no fetch(), but images from the page's origin.
					const img = new Image();
					let loaded = false;
					if (icon) { img.src = icon.href; loaded = await img.decode().then(() => true, () => false); }
					return {
						Main: w("main"), Header: w(".site-header .wrap"), Footer: w(".site-footer .wrap"),
						ButtonBG: s.backgroundColor ?? "", ButtonFG: s.color ?? "", BodyBG: getComputedStyle(document.body).backgroundColor,
						ButtonPadding: parseFloat(s.paddingLeft ?? "0"), ButtonRadius: parseFloat(s.borderTopLeftRadius ?? "0"),
						Icon: icon?.getAttribute("href") ?? "", IconLoaded: loaded && img.naturalWidth > 0,
					};
				})()`)
				if want == nil {
					want = &got
					if width == 1280 && (got.Main != 860 || got.Header != 860) {
						t.Errorf("%s: content %.0f px and header %.0f px wide at 1280 px, want 860 (828 px inside)", p.name, got.Main, got.Header)
					}
				}
				if got.Main != want.Main || got.Header != want.Header || got.Footer != want.Footer {
					t.Errorf("%s: content %.0f, header %.0f, footer %.0f px wide; the status page's %.0f, %.0f, %.0f",
						p.name, got.Main, got.Header, got.Footer, want.Main, want.Header, want.Footer)
				}
				if got.ButtonBG == "rgba(0, 0, 0, 0)" || got.ButtonBG == got.BodyBG || got.ButtonFG == got.ButtonBG || got.ButtonPadding < 8 || got.ButtonRadius == 0 {
					t.Errorf("%s: \"Subscribe to updates\" is %s on %s, padding %.0f px, radius %.0f px: not drawn as a button",
						p.name, got.ButtonFG, got.ButtonBG, got.ButtonPadding, got.ButtonRadius)
				}
				if !got.IconLoaded {
					t.Errorf("%s: favicon %q does not load as an image", p.name, got.Icon)
				}
			}
		})
	}
	// Browsers and feed readers that read no <link> ask for /favicon.ico.
	for _, path := range []string{"/favicon.svg", "/favicon.ico"} {
		res, body := browserFetch(t, site.base, http.MethodGet, path, nil, "", "")
		if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.HasPrefix(ct, "image/svg+xml") || !bytes.Contains(body, []byte("<svg")) {
			t.Errorf("%s: %d %q, want the SVG icon", path, res.StatusCode, ct)
		}
	}
}

// TestBrowserIncidentPage reads an incident page's computed styles in both
// schemes: the title takes its impact's colour (the page's --minor,
// --major or --critical), the maintenance's title the maintenance blue,
// and a Markdown list inside an update is drawn as a list (bullets, no
// timeline rule), not as a step of the timeline.
func TestBrowserIncidentPage(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	b.step(t, "viewport", chromedp.EmulateViewport(1280, 900))
	type styles struct {
		Title, Body, Impact     string
		Steps, Lists            int
		StepBorder, ItemBorder  float64
		ItemBullet              string
		ItemPadding, ListIndent float64
	}
	pages := site.pages()
	for _, p := range []browserPage{pages[1], pages[3]} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(p.name+"-"+scheme, func(t *testing.T) {
				b.scheme(t, scheme)
				b.open(t, site.base, p)
				got := browserEval[styles](t, b, "read the styles", `(() => {
					const css = (el, p) => el ? getComputedStyle(el)[p] : "";
					const art = document.querySelector("article.incident");
					const impact = [...art.classList].find(c => c.startsWith("impact-"))?.slice(7) ?? "";
					const probe = document.createElement("span");
					probe.style.color = "var(--" + ({maintenance: "maint"}[impact] ?? impact) + ")";
					document.body.append(probe);
					const want = getComputedStyle(probe).color;
					probe.remove();
					const item = document.querySelector(".timeline .body li");
					return {
						Title: css(art.querySelector("h1"), "color"), Body: css(document.body, "color"), Impact: want,
						Steps: document.querySelectorAll(".timeline > li").length,
						Lists: document.querySelectorAll(".timeline .body li").length,
						StepBorder: parseFloat(css(document.querySelector(".timeline > li"), "borderLeftWidth")),
						ItemBorder: parseFloat(css(item, "borderLeftWidth") || "0"),
						ItemBullet: css(item, "listStyleType"), ItemPadding: parseFloat(css(item, "paddingLeft") || "0"),
						ListIndent: parseFloat(css(item?.parentElement, "paddingLeft") || "0"),
					};
				})()`)
				if got.Title != got.Impact || got.Title == got.Body {
					t.Errorf("title colour %s, want its impact's %s (text is %s)", got.Title, got.Impact, got.Body)
				}
				if got.Steps < 1 || got.StepBorder < 1 {
					t.Errorf("%d timeline steps with a %.0f px rule, want a rule beside each", got.Steps, got.StepBorder)
				}
				if p.name == "incident" {
					if got.Lists != 2 {
						t.Fatalf("%d list items in the updates, want the 2 of the identified update", got.Lists)
					}
					if got.ItemBorder != 0 || got.ItemPadding != 0 || got.ItemBullet == "none" || got.ListIndent == 0 {
						t.Errorf("a list item in an update has a %.0f px rule, %.0f px padding, %q bullets, a %.0f px indent: drawn as a timeline step, not a list",
							got.ItemBorder, got.ItemPadding, got.ItemBullet, got.ListIndent)
					}
				}
			})
		}
	}
}
