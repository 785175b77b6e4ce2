package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The state matrix: the public pages in every state a visitor can meet —
// each of the five indicators, each component status, maintenance in
// progress and upcoming — at phone and desktop widths in both colour
// schemes, audited by axe-core (any violation fails) and html-validate,
// with the computed styles that prove each state is drawn as itself, and a
// screenshot of each. The helpers that audit a page at every width and
// scheme serve the public pages' and the console's audits too.

// browserWidths are the widths every audit runs at: a phone and a desktop.
var browserWidths = []int64{375, 1280}

// browserSchemes are the colour schemes every audit runs in.
var browserSchemes = []string{"light", "dark"}

// emulate emulates a phone (below 600 px: a mobile, touch, portrait
// screen) or a desktop window of width, for the pages loaded next.
func (b *browser) emulate(t *testing.T, width int64) {
	t.Helper()
	var opts []chromedp.EmulateViewportOption
	if width < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	b.step(t, fmt.Sprintf("viewport %d px", width), chromedp.EmulateViewport(width, 800, opts...))
}

// viewport emulates a phone (below 600 px: a mobile, touch, portrait
// screen) or a desktop window of width. The page in the tab is laid out
// again at once: no reload is needed for its media queries. It checks that
// nothing of the loaded page is wider than the screen.
func (b *browser) viewport(t *testing.T, width int64) {
	t.Helper()
	b.emulate(t, width)
	// Nothing is wider than the screen: on a phone the browser would zoom
	// out (the window grows), on a desktop the page would scroll sideways.
	// Say what is too wide.
	type wide struct {
		Width, ScrollWidth, ClientWidth int64
		Overflow                        []string
	}
	got := browserEval[wide](t, b, "the window's width", fmt.Sprintf(`(() => {
		const scrolled = e => { for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== "visible") return true; return false; };
		const out = [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > %d + 0.5 &&
			![...e.children].some(c => c.getBoundingClientRect().right > %[1]d + 0.5) && !scrolled(e));
		const html = document.documentElement;
		return {Width: window.innerWidth, ScrollWidth: html.scrollWidth, ClientWidth: html.clientWidth,
			Overflow: out.slice(0, 8).map(e => e.outerHTML.slice(0, 160) + " (" + Math.round(e.getBoundingClientRect().right) + " px)")};
	})()`, width))
	if got.Width != width || got.ScrollWidth > got.ClientWidth {
		t.Errorf("in a %d px viewport the window is %d px wide and the page %d px in %d: too wide:\n%s",
			width, got.Width, got.ScrollWidth, got.ClientWidth, strings.Join(got.Overflow, "\n"))
	}
}

// screenshots returns where screenshots go: $BEACON_SCREENSHOTS when set
// (to look at them), else a temporary directory.
func screenshots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BEACON_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shoot saves a full-page screenshot as dir/name.png.
func (b *browser) shoot(t *testing.T, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	// Quality 100 makes a PNG; less, a JPEG.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// auditEverywhere audits the page loaded in the tab at both widths in both
// schemes, calling check (when set) and saving a screenshot named
// prefix-width-scheme.png in dir before each audit. It returns the
// number of audits and of violations they found.
func (b *browser) auditEverywhere(t *testing.T, axe []byte, dir, prefix string, check func(t *testing.T, width int64, scheme string)) (audits, violations int) {
	t.Helper()
	return b.auditAt(t, axe, dir, prefix, browserWidths, browserSchemes, check)
}

// auditAt is auditEverywhere at the given widths and schemes only.
func (b *browser) auditAt(t *testing.T, axe []byte, dir, prefix string, widths []int64, schemes []string, check func(t *testing.T, width int64, scheme string)) (audits, violations int) {
	t.Helper()
	for _, width := range widths {
		b.viewport(t, width)
		for _, scheme := range schemes {
			t.Run(fmt.Sprintf("%d-%s", width, scheme), func(t *testing.T) {
				b.scheme(t, scheme)
				if check != nil {
					check(t, width, scheme)
				}
				b.shoot(t, dir, fmt.Sprintf("%s-%d-%s", prefix, width, scheme))
				violations += b.audit(t, axe)
				audits++
			})
		}
	}
	return audits, violations
}

// browserStateSite is a seeded page in one state.
type browserStateSite struct {
	base       string
	incidentID string // the incident or maintenance the state is about, or a resolved one
}

// browserState is one state of the page and what it must show.
type browserState struct {
	name      string
	indicator string   // the summary indicator
	banner    string   // the summary's description, the page's <h1>
	palette   string   // the banner's colour: a variable of beacon.css
	statuses  []string // component statuses the page must show (besides operational)
	incident  string   // the <h1> of the state's incident page
	// seed makes the state's events and returns the id of its incident or
	// maintenance ("" when it has none).
	seed func(s *browserStateSeed) string
}

// browserStateSeed seeds a state through the management API.
type browserStateSeed struct {
	t   *testing.T
	env *testEnv
	// The seeded components: API and Dashboard alone, Database and Email
	// delivery in the Infrastructure group.
	api, web, db, mail string
}

func (s *browserStateSeed) id(res response) string {
	s.t.Helper()
	var v struct{ ID string }
	res.JSON(s.t, &v)
	if v.ID == "" {
		s.t.Fatalf("no id in %s", res.Body)
	}
	return v.ID
}

// incident opens an incident that sets comps' statuses.
func (s *browserStateSeed) incident(name, status, body string, comps map[string]string) string {
	s.t.Helper()
	return s.id(s.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": name, "status": status, "body": body, "components": comps, "deliver_notifications": false}}))
}

// maintenance schedules a maintenance of the database from start for two
// hours, in status.
func (s *browserStateSeed) maintenance(status string, start time.Time, comps map[string]string) string {
	s.t.Helper()
	return s.id(s.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": browserMaint, "status": status, "body": "The primary database moves to new hardware. Writes pause for up to 5 minutes.",
		"component_ids": []string{s.db}, "components": comps, "deliver_notifications": false,
		"scheduled_for":   start.Format(time.RFC3339),
		"scheduled_until": start.Add(2 * time.Hour).Format(time.RFC3339),
	}}))
}

// browserStates are the states a visitor can meet. Together they show
// every indicator and every component status; the indicators follow
// Statuspage's rules (components.Rollup): an incident's impact is its
// components' worst, and the page rises to it.
var browserStates = []browserState{
	{name: "none", indicator: "none", banner: "All Systems Operational", palette: "--ok", incident: browserMonitoring,
		seed: func(s *browserStateSeed) string { return "" }},
	{name: "minor", indicator: "minor", banner: "Partially Degraded Service", palette: "--minor", incident: "Dashboard pages slow",
		statuses: []string{"degraded_performance"},
		seed: func(s *browserStateSeed) string {
			return s.incident("Dashboard pages slow", "identified", "Dashboard pages take several seconds to load.", map[string]string{s.web: "degraded_performance"})
		}},
	{name: "major", indicator: "major", banner: "Partial System Outage", palette: "--major", incident: browserActive,
		statuses: []string{"partial_outage"},
		seed: func(s *browserStateSeed) string {
			return s.incident(browserActive, "investigating", "Notification emails are delayed by up to 20 minutes.", map[string]string{s.mail: "partial_outage"})
		}},
	{name: "critical", indicator: "critical", banner: "Major System Outage", palette: "--critical", incident: "API unavailable",
		statuses: []string{"major_outage"},
		seed: func(s *browserStateSeed) string {
			return s.incident("API unavailable", "identified", "Every API request fails. We are failing over to the standby region.", map[string]string{s.api: "major_outage"})
		}},
	{name: "maintenance", indicator: "maintenance", banner: "Service Under Maintenance", palette: "--maint", incident: browserMaint,
		statuses: []string{"under_maintenance"},
		seed: func(s *browserStateSeed) string {
			return s.maintenance("in_progress", browserSeedNow.Add(-35*time.Minute), map[string]string{s.db: "under_maintenance"})
		}},
	{name: "upcoming", indicator: "none", banner: "All Systems Operational", palette: "--ok", incident: browserMaint,
		seed: func(s *browserStateSeed) string {
			return s.maintenance("scheduled", browserSeedNow.Add(38*time.Hour), nil)
		}},
}

// newBrowserStateSite seeds a page in state: four components (two in a
// group) with 90 days of history holding an incident, a resolved incident
// two days ago among the past incidents, then the state's own events.
func newBrowserStateSite(t *testing.T, state browserState) *browserStateSite {
	t.Helper()
	env := newTestEnv(t, browserConfig)
	s := &browserStateSeed{t: t, env: env}
	component := func(name, desc string) string {
		return s.id(env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name, "description": desc}}))
	}
	update := func(inc, status, body string, comps map[string]string) {
		env.mustAPI(200, "PATCH", "/incidents/"+inc, map[string]any{"incident": map[string]any{
			"status": status, "body": body, "components": comps, "deliver_notifications": false}})
	}
	env.clock.Set(time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC))
	s.api, s.web = component("API", "REST and GraphQL endpoints"), component("Dashboard", "")
	s.db, s.mail = component("Database", ""), component("Email delivery", "")
	env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{
		"name": "Infrastructure", "components": []string{s.db, s.mail}}})

	env.clock.Set(time.Date(2026, 2, 14, 10, 5, 0, 0, time.UTC))
	old := s.incident(browserResolved, "investigating", "We are investigating **elevated error rates** on the API.", map[string]string{s.api: "major_outage"})
	env.clock.Advance(25 * time.Minute)
	update(old, "identified", "A bad deploy is being rolled back.\n\n- Roll back the deploy\n- Drain the retry queue", map[string]string{s.api: "partial_outage"})
	env.clock.Advance(70 * time.Minute)
	update(old, "resolved", "Error rates are back to normal.", map[string]string{s.api: "operational"})

	env.clock.Set(browserSeedNow.Add(-46 * time.Hour))
	recent := s.incident(browserMonitoring, "investigating", "Dashboard pages take several seconds to load.", map[string]string{s.web: "degraded_performance"})
	env.clock.Advance(30 * time.Minute)
	update(recent, "monitoring", "A fix is deployed; we are watching load times.", nil)
	env.clock.Advance(40 * time.Minute)
	update(recent, "resolved", "Load times are normal again.", map[string]string{s.web: "operational"})

	env.clock.Set(browserSeedNow.Add(-35 * time.Minute))
	site := &browserStateSite{incidentID: recent}
	if id := state.seed(s); id != "" {
		site.incidentID = id
	}
	env.clock.Set(browserSeedNow)
	site.base = serveOnLoopback(t, env)
	return site
}

// pages are the pages a visitor meets in the state: the status page, the
// state's incident (or the last resolved one), the history and the
// subscribe screen.
func (s *browserStateSite) pages(state browserState) []browserPage {
	return []browserPage{
		{name: "index", path: "/", status: 200, title: state.banner},
		{name: "incident", path: "/incidents/" + s.incidentID, status: 200, title: state.incident},
		{name: "history", path: "/history", status: 200, title: "Incident history"},
		{name: "subscribe", path: "/subscribe", status: 200, title: "Get notified"},
	}
}

// browserContrastJS defines, in the page, rgba(colour) (any CSS colour, as
// the canvas draws it) and contrast(el): the WCAG contrast ratio of el's
// text against what is behind it (the backgrounds of el and its ancestors
// composited, with their opacity).
const browserContrastJS = `
const rgba = c => {
	const g = document.createElement("canvas").getContext("2d", {willReadFrequently: true});
	g.fillStyle = c; g.fillRect(0, 0, 1, 1);
	const [r, gr, b, a] = g.getImageData(0, 0, 1, 1).data;
	return [r, gr, b, a / 255];
};
const over = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat(1); };
const backdrop = el => {
	const layers = [];
	for (let e = el; e; e = e.parentElement) {
		const c = rgba(getComputedStyle(e).backgroundColor);
		if (c[3] > 0) layers.push(c);
		if (c[3] >= 1) break;
	}
	let bg = [255, 255, 255, 1];
	for (const l of layers.reverse()) bg = over(l, bg);
	return bg;
};
const luminance = c => {
	const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
	return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = el => {
	let fg = rgba(getComputedStyle(el).color), opacity = 1;
	for (let e = el; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
	const bg = backdrop(el);
	fg = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
	const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
	return (hi + 0.05) / (lo + 0.05);
};
const palette = v => { const p = document.createElement("span"); p.style.color = "var(" + v + ")";
	document.body.append(p); const c = getComputedStyle(p).color; p.remove(); return c; };
`

// TestBrowserStates loads the pages a visitor meets in each state of the
// page (browserStates) at 375 and 1280 px in both schemes. On each: axe-core
// with its default rules finds nothing, of any impact, and a screenshot is
// saved as state-page-width-scheme.png. On the status page the computed
// styles prove the state: the favicon names its indicator, the banner has
// the indicator's palette colour and readable text, every component's status text has at least 4.5:1 contrast
// against what is behind it, and the state's component statuses are shown.
// html-validate checks each page's markup as the server sends it. A line
// per state counts what was checked.
func TestBrowserStates(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	// The sites first: they stop after the browser, which holds
	// connections to them.
	sites := map[string]*browserStateSite{}
	for _, state := range browserStates {
		sites[state.name] = newBrowserStateSite(t, state)
	}
	b := newBrowser(t, tools)
	shots := screenshots(t)
	markup := t.TempDir()

	type stateCount struct {
		audits, violations, pages int
		lowest                    float64 // the lowest contrast of a component's status
	}
	counts := map[string]*stateCount{}
	files := map[string][]string{}            // state → its pages' markup
	banners := map[string]map[string]string{} // scheme → indicator → banner colour
	for _, state := range browserStates {
		count := &stateCount{lowest: math.Inf(1)}
		counts[state.name] = count
		t.Run(state.name, func(t *testing.T) {
			site := sites[state.name]
			for _, p := range site.pages(state) {
				// The server's markup, for html-validate.
				res, body := browserFetch(t, site.base, http.MethodGet, p.path, nil, "", "")
				if res.StatusCode != p.status {
					t.Errorf("GET %s: status %d, want %d", p.path, res.StatusCode, p.status)
				}
				file := filepath.Join(markup, state.name+"-"+p.name+".html")
				if err := os.WriteFile(file, body, 0o644); err != nil {
					t.Fatal(err)
				}
				files[state.name] = append(files[state.name], file)
				count.pages++

				t.Run(p.name, func(t *testing.T) {
					b.open(t, site.base, p)
					var check func(t *testing.T, width int64, scheme string)
					if p.name == "index" {
						check = func(t *testing.T, width int64, scheme string) {
							bg, lowest := checkStateStyles(t, b, state)
							count.lowest = min(count.lowest, lowest)
							if banners[scheme] == nil {
								banners[scheme] = map[string]string{}
							}
							if prev, ok := banners[scheme][state.indicator]; ok && prev != bg {
								t.Errorf("indicator %s: banner %s here, %s in another state", state.indicator, bg, prev)
							}
							banners[scheme][state.indicator] = bg
						}
					}
					a, v := b.auditEverywhere(t, axe, shots, state.name+"-"+p.name, check)
					count.audits += a
					count.violations += v
				})
			}
		})
	}

	// Five indicators, five banner colours in each scheme.
	if len(banners) != len(browserSchemes) {
		t.Errorf("banners read in %d schemes, want %d", len(banners), len(browserSchemes))
	}
	for scheme, byIndicator := range banners {
		seen := map[string]string{}
		for indicator, bg := range byIndicator {
			if other, ok := seen[bg]; ok {
				t.Errorf("%s: indicators %s and %s have the same banner colour %s", scheme, indicator, other, bg)
			}
			seen[bg] = indicator
		}
		if len(byIndicator) != 5 {
			t.Errorf("%s: banners of %d indicators, want 5", scheme, len(byIndicator))
		}
	}

	var all []string
	for _, state := range browserStates {
		all = append(all, files[state.name]...)
	}
	perFile := htmlValidate(t, tools, markup, all)
	for _, state := range browserStates {
		errs := 0
		for _, f := range files[state.name] {
			errs += perFile[filepath.Base(f)]
		}
		c := counts[state.name]
		t.Logf("state %s: axe %d violations in %d audits (%d pages at 375 and 1280 px, light and dark), html-validate %d errors or warnings on %d pages; lowest status text contrast %.2f:1",
			state.name, c.violations, c.audits, c.pages, errs, c.pages, c.lowest)
	}
	t.Logf("screenshots in %s", shots)
}

// checkStateStyles reads the status page in state: its indicator is the
// state's (the favicon says it), the banner is drawn in its indicator's
// palette colour with readable text, every component status is readable
// (4.5:1) on its background, and the state's statuses are on the page. It
// returns the banner's colour and the lowest contrast of a status.
func checkStateStyles(t *testing.T, b *browser, state browserState) (banner string, lowest float64) {
	t.Helper()
	type status struct {
		Class, Text, Colour string
		Contrast            float64
	}
	type styles struct {
		Icon, BannerBG, Want    string
		BannerTitle, BannerText float64
		Statuses                []status
	}
	got := browserEval[styles](t, b, "read the styles", `(() => {`+browserContrastJS+`
		const banner = document.querySelector("section.banner");
		return {
			Icon: new URL(document.querySelector("link[rel=icon]").href).searchParams.get("s"),
			BannerBG: getComputedStyle(banner).backgroundColor, Want: palette(`+fmt.Sprintf("%q", state.palette)+`),
			BannerTitle: contrast(banner.querySelector("h1")), BannerText: contrast(banner.querySelector("p")),
			Statuses: [...document.querySelectorAll(".components .status")].map(s => ({
				Class: [...s.classList].find(c => c.startsWith("s-"))?.slice(2) ?? "", Text: s.textContent.trim(),
				Colour: getComputedStyle(s).color, Contrast: contrast(s)})),
		};
	})()`)
	if got.Icon != state.indicator {
		t.Errorf("the favicon is drawn for indicator %q, want %q", got.Icon, state.indicator)
	}
	if got.BannerBG != got.Want {
		t.Errorf("banner background %s, want %s's %s", got.BannerBG, state.palette, got.Want)
	}
	if got.BannerTitle < 4.5 || got.BannerText < 4.5 {
		t.Errorf("banner text contrast: title %.2f:1, line %.2f:1, want at least 4.5:1", got.BannerTitle, got.BannerText)
	}
	shown, lowest := map[string]string{}, math.Inf(1)
	for _, s := range got.Statuses {
		lowest = min(lowest, s.Contrast)
		if s.Contrast < 4.5 {
			t.Errorf("status %q (%s) is %s at %.2f:1 against its background, want at least 4.5:1", s.Text, s.Class, s.Colour, s.Contrast)
		}
		shown[s.Class] = s.Colour
	}
	for _, want := range append([]string{"operational"}, state.statuses...) {
		colour, ok := shown[want]
		switch {
		case !ok:
			t.Errorf("no component shows %s; statuses shown: %v", want, shown)
		case want != "operational" && colour == shown["operational"]:
			t.Errorf("%s is drawn in the colour of operational (%s)", want, colour)
		}
	}
	return got.BannerBG, lowest
}
