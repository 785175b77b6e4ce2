package main

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
)

// consoleTone is what a coloured element of the console should be drawn
// in: a palette variable of beacon.css.
type consoleTone struct {
	what     string // for messages
	selector string // a CSS selector for the element
	palette  string // "--minor", …
}

// TestBrowserConsoleColours reads the computed colours of the console's
// status pills and of the dashboard's status box, in real Chromium, at 1280
// and 375 px in both colour schemes: each is drawn in its palette colour
// (the colour beacon.css gives --ok, --minor, --major, --critical, --maint)
// with an even edge, not the grey of --border.
func TestBrowserConsoleColours(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newConsoleSite(t)
	admin := site.env.newStaff(accounts.Admin)
	b := newBrowser(t, tools)
	b.signIn(t, site.base, admin)

	// The dashboard's box follows the page indicator as it rises: all well,
	// maintenance in progress, then incidents of rising impact.
	now := time.Now().UTC()
	incident := func(name string, fields map[string]any) string {
		fields["name"] = name
		var in struct{ ID string }
		site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": fields}).JSON(t, &in)
		return in.ID
	}
	box := func(palette string) consoleTone {
		return consoleTone{what: "the dashboard's status box (" + palette + ")", selector: "main .banner-box", palette: palette}
	}
	ids := map[string]string{}
	steps := []struct {
		name    string
		create  func()
		palette string
	}{
		{"all operational", func() {}, "--ok"},
		{"maintenance in progress", func() {
			ids["Database upgrade"] = incident("Database upgrade", map[string]any{"status": "in_progress",
				"scheduled_for": now.Add(-time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(time.Hour).Format(time.RFC3339)})
		}, "--maint"},
		{"minor incident", func() {
			ids["Slow search"] = incident("Slow search", map[string]any{"status": "investigating", "impact_override": "minor"})
		}, "--minor"},
		{"major incident", func() {
			ids["Login errors"] = incident("Login errors", map[string]any{"status": "identified", "impact_override": "major"})
		}, "--major"},
		{"critical incident", func() {
			ids["Checkout down"] = incident("Checkout down", map[string]any{"status": "investigating", "impact_override": "critical"})
		}, "--critical"},
	}
	b.step(t, "viewport", chromedp.EmulateViewport(1280, 900))
	b.scheme(t, "light")
	for _, s := range steps {
		s.create()
		b.step(t, s.name, chromedp.Navigate(site.base+"/console"))
		checkConsoleTones(t, b, s.name, []consoleTone{box(s.palette)})
	}

	// The rest of the states a pill shows: no impact, upcoming maintenance,
	// closed incidents, and components not operational.
	ids["Typo on the page"] = incident("Typo on the page", map[string]any{"status": "investigating", "impact_override": "none"})
	ids["Network work"] = incident("Network work", map[string]any{"status": "scheduled",
		"scheduled_for": now.Add(24 * time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(26 * time.Hour).Format(time.RFC3339)})
	ids["Old outage"] = incident("Old outage", map[string]any{"status": "resolved", "impact_override": "critical"})
	componentStatus := map[string]string{"Search": "degraded_performance", "Mail": "partial_outage", "Storage": "major_outage", "Docs": "under_maintenance"}
	for _, name := range []string{"Search", "Mail", "Storage", "Docs"} {
		var c struct{ ID string }
		site.env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name}}).JSON(t, &c)
		site.env.mustAPI(200, "PATCH", "/components/"+c.ID, map[string]any{"component": map[string]any{"status": componentStatus[name]}})
	}

	pill := func(list, name, palette string) consoleTone {
		return consoleTone{what: fmt.Sprintf("%s's pill in %s", name, list), palette: palette,
			selector: fmt.Sprintf(`main li:has(a[href="/console/incidents/%s"]) .pill`, ids[name])}
	}
	componentPill := func(name, palette string) consoleTone {
		return consoleTone{what: name + "'s status pill", palette: palette,
			selector: fmt.Sprintf(`section[aria-labelledby=deg-h] li:nth-child(%d) .pill`, map[string]int{"Search": 1, "Mail": 2, "Storage": 3, "Docs": 4}[name])}
	}
	incidentPalettes := map[string]string{
		"Slow search": "--minor", "Login errors": "--major", "Checkout down": "--critical",
		"Typo on the page": "--muted", "Old outage": "--ok",
		"Database upgrade": "--maint", "Network work": "--maint",
	}
	screens := []struct {
		name, path string
		tones      []consoleTone
	}{
		{"dashboard", "/console", []consoleTone{box("--critical"),
			pill("the dashboard", "Slow search", "--minor"), pill("the dashboard", "Login errors", "--major"),
			pill("the dashboard", "Checkout down", "--critical"), pill("the dashboard", "Typo on the page", "--muted"),
			pill("the dashboard", "Database upgrade", "--maint"), pill("the dashboard", "Network work", "--maint"),
			componentPill("Search", "--minor"), componentPill("Mail", "--major"),
			componentPill("Storage", "--critical"), componentPill("Docs", "--maint")}},
		{"incidents", "/console/incidents", []consoleTone{
			pill("the incidents", "Slow search", "--minor"), pill("the incidents", "Login errors", "--major"),
			pill("the incidents", "Checkout down", "--critical"), pill("the incidents", "Typo on the page", "--muted"),
			pill("the incidents", "Old outage", "--ok")}},
		{"maintenance", "/console/maintenance", []consoleTone{
			pill("the maintenance", "Database upgrade", "--maint"), pill("the maintenance", "Network work", "--maint")}},
	}
	for name, palette := range incidentPalettes {
		screens = append(screens, struct {
			name, path string
			tones      []consoleTone
		}{"incident " + name, "/console/incidents/" + ids[name], []consoleTone{{what: name + "'s screen's pill", selector: "main .meta .pill", palette: palette}}})
	}
	for _, width := range []int64{1280, 375} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprintf("%d-%s", width, scheme), func(t *testing.T) {
				b.step(t, "viewport", chromedp.EmulateViewport(width, 900))
				b.scheme(t, scheme)
				for _, s := range screens {
					b.step(t, "open "+s.name, chromedp.Navigate(site.base+s.path))
					checkConsoleTones(t, b, s.name, s.tones)
					if s.name == "dashboard" || s.name == "incidents" {
						b.screenshot(t, fmt.Sprintf("console-colours-%s-%d-%s", s.name, width, scheme))
					}
				}
			})
		}
	}
	b.step(t, "viewport", chromedp.EmulateViewport(1280, 900))
}

// checkConsoleTones reads each element's computed border and compares it
// with its palette colour, resolved in the page (so a palette change in
// beacon.css or a dark scheme moves the expectation with it).
func checkConsoleTones(t *testing.T, b *browser, screen string, tones []consoleTone) {
	t.Helper()
	type edge struct {
		Found                              bool
		Want, Grey                         string
		Top, Right, Bottom, Left           string
		TopW, RightW, BottomW, LeftW, Text string
	}
	for _, tone := range tones {
		got := browserEval[edge](t, b, tone.what, fmt.Sprintf(`((sel, palette) => {
			const resolve = v => { const p = document.createElement("span"); p.style.color = "var(" + v + ")";
				document.body.append(p); const c = getComputedStyle(p).color; p.remove(); return c; };
			const el = document.querySelector(sel);
			if (!el) return {Found: false};
			const s = getComputedStyle(el);
			return {Found: true, Want: resolve(palette), Grey: resolve("--border"), Text: el.textContent.trim(),
				Top: s.borderTopColor, Right: s.borderRightColor, Bottom: s.borderBottomColor, Left: s.borderLeftColor,
				TopW: s.borderTopWidth, RightW: s.borderRightWidth, BottomW: s.borderBottomWidth, LeftW: s.borderLeftWidth};
		})(%q, %q)`, tone.selector, tone.palette))
		if !got.Found {
			t.Errorf("%s: %s: no element matches %s", screen, tone.what, tone.selector)
			continue
		}
		if got.Want == got.Grey {
			t.Fatalf("%s: the palette's %s resolves to the grey of --border (%s)", screen, tone.palette, got.Grey)
		}
		for side, c := range map[string]string{"top": got.Top, "right": got.Right, "bottom": got.Bottom, "left": got.Left} {
			if c != got.Want {
				t.Errorf("%s: %s (%q): %s edge is %s, want %s (%s)", screen, tone.what, got.Text, side, c, tone.palette, got.Want)
			}
		}
		// A pill's edge is even all round; the box has a wider left edge.
		if tone.selector != "main .banner-box" && (got.TopW != got.LeftW || got.RightW != got.LeftW || got.BottomW != got.LeftW) {
			t.Errorf("%s: %s: uneven edge (top %s, right %s, bottom %s, left %s)", screen, tone.what, got.TopW, got.RightW, got.BottomW, got.LeftW)
		}
	}
}

// TestBrowserConsoleNavigation: at 1280 px an admin's whole console bar —
// the name, every section and the sign-out — sits on one row;
// at 375 px it may wrap, but does not overflow.
func TestBrowserConsoleNavigation(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newConsoleSite(t)
	admin := site.env.newStaff(accounts.Admin)
	b := newBrowser(t, tools)
	b.signIn(t, site.base, admin)
	type row struct {
		Items           int
		Tops            []float64
		BarHeight       float64
		ItemHeight      float64
		ScrollW, ClienW float64
	}
	measure := func() row {
		return browserEval[row](t, b, "measure the bar", `(() => {
			const bar = document.querySelector(".console-bar");
			const items = [bar.querySelector(".brand"), ...bar.querySelectorAll("nav li"), bar.querySelector(".signout button")];
			return {Items: items.length, Tops: items.map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2)),
				BarHeight: bar.getBoundingClientRect().height, ItemHeight: bar.querySelector("nav li").getBoundingClientRect().height,
				ScrollW: bar.scrollWidth, ClienW: bar.clientWidth};
		})()`)
	}
	for _, width := range []int64{1280, 375} {
		b.step(t, "viewport", chromedp.EmulateViewport(width, 900))
		b.step(t, "open the dashboard", chromedp.Navigate(site.base+"/console"))
		got := measure()
		if got.Items != 14 {
			t.Fatalf("%d px: %d items in the bar, want the name, 12 sections and sign-out", width, got.Items)
		}
		if got.ScrollW > got.ClienW {
			t.Errorf("%d px: the bar overflows sideways (%v > %v)", width, got.ScrollW, got.ClienW)
		}
		if width != 1280 {
			continue
		}
		for i, top := range got.Tops {
			if d := top - got.Tops[0]; d < -2 || d > 2 {
				t.Errorf("%d px: item %d of the bar is centred at %v, the name at %v: the bar wraps", width, i, top, got.Tops[0])
			}
		}
		if got.BarHeight > 3*got.ItemHeight {
			t.Errorf("%d px: the bar is %vpx high for items %vpx high", width, got.BarHeight, got.ItemHeight)
		}
		b.screenshot(t, "console-navigation-1280")
		// A long address does not push the sign-out to a second row.
		browserEval[string](t, b, "a long address", `document.querySelector(".signout .hint").textContent = "firstname.lastname@operations.example.com (admin)"`)
		got = measure()
		if last := got.Tops[len(got.Tops)-1]; last-got.Tops[0] > 2 || got.Tops[0]-last > 2 {
			t.Errorf("%d px: with a long address the sign-out is centred at %v, the name at %v", width, last, got.Tops[0])
		}
	}
}

// TestBrowserConsolePreview: with script turned off, Preview on the update
// form shows the Markdown rendered and who it will reach, keeps what was
// typed, and posts nothing; Post update then posts it.
func TestBrowserConsolePreview(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newConsoleSite(t)
	admin := site.env.newStaff(accounts.Admin)
	var in struct{ ID string }
	site.env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Queue stuck", "status": "investigating",
		"body": "Jobs wait.", "components": map[string]string{site.api: "partial_outage"}}}).JSON(t, &in)
	b := newBrowser(t, tools)
	b.signIn(t, site.base, admin)
	b.step(t, "turn script off", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	// The console's script shows a colour picker on the settings screen:
	// it stays hidden, so the script is off.
	b.step(t, "open the settings", chromedp.Navigate(site.base+"/console/settings"))
	if !browserEval[bool](t, b, "picker", `document.querySelector("[data-color-for]").hidden`) {
		t.Fatal("the console's script ran")
	}
	b.step(t, "open the incident", chromedp.Navigate(site.base+"/console/incidents/"+in.ID))
	if got, want := browserEval[string](t, b, "reach", `document.getElementById("reach").firstChild.textContent.trim()`),
		"Will reach 3 by email, 0 by sms, 0 by webhook."; got != want {
		t.Errorf("before posting the form says %q, want %q", got, want)
	}
	const text = "Jobs run again.\n\n- **orders** caught up\n- refunds next"
	b.step(t, "write an update", chromedp.SetValue(chromedp.CSS("#status"), "monitoring"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("body").value = `+strconv.Quote(text)))
	b.submit(t, "preview", "form[action$='/updates'] button[formaction$='/preview']", 200)
	type shown struct {
		Items, Strong, Label, Body, Status string
	}
	got := browserEval[shown](t, b, "the preview", `({
		Items: [...document.querySelectorAll(".preview li")].map(li => li.textContent).join("|"),
		Strong: document.querySelector(".preview strong")?.textContent ?? "",
		Label: document.querySelector(".preview h4")?.textContent ?? "",
		Body: document.getElementById("body").value,
		Status: document.getElementById("status").value})`)
	want := shown{Items: "orders caught up|refunds next", Strong: "orders", Label: "Monitoring",
		Body: text, Status: "monitoring"}
	if got != want {
		t.Errorf("after Preview: %+v, want %+v", got, want)
	}
	b.screenshot(t, "console-update-preview")
	// The preview screen passes axe, in both schemes (axe needs script).
	axe := readAxe(t, tools)
	b.step(t, "turn script on", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
		return err
	}))
	for _, scheme := range []string{"light", "dark"} {
		b.scheme(t, scheme)
		b.audit(t, axe)
	}
	if n := len(mustIncident(t, site, in.ID).Updates); n != 1 {
		t.Fatalf("Preview posted: %d updates", n)
	}
	b.submit(t, "post the update", "form[action$='/updates'] button:not([formaction])", 200)
	if n := len(mustIncident(t, site, in.ID).Updates); n != 2 {
		t.Errorf("after Post update: %d updates, want 2", n)
	}
}

// mustIncident reads an incident from the site's service.
func mustIncident(t *testing.T, site *consoleSite, id string) incidents.Incident {
	t.Helper()
	in, err := site.env.app.incidents.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}
