package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/internal/i18n"
)

// The public pages in German and Arabic: every page of site.pages(), read
// in the language as a visitor's browser asks for it, audited by axe-core
// and html-validate, Arabic at phone and desktop widths in both schemes
// like the English pages, German at the phone's width in the light scheme;
// and the Arabic status page's screenshot read pixel by pixel to prove
// that its bars and its text are mirrored.

// browserLang is a language the public pages are audited in besides
// English, how the visitor's browser asks for it, and the widths and
// schemes of its audits.
type browserLang struct {
	code string
	how  string // for the log
	// pick makes the tab ask for the language on every page it loads.
	pick    func(t *testing.T, b *browser, base string)
	widths  []int64
	schemes []string
}

// browserLangs are German, asked for by the browser's Accept-Language,
// and Arabic, picked once with ?lang= and remembered in the beacon_lang
// cookie: the two ways a visitor's pages follow the visitor.
//
// Arabic is audited at both widths in both schemes: right to left, its
// layout is a page of its own. German is laid out as English is, left to
// right with the same styles and colours, which English's audits check at
// every width and in every scheme: only its words differ, longer ones,
// so it is audited where they have the least room, the phone's 375 px,
// in one scheme (contrast is the colours', the same in every language).
var browserLangs = []browserLang{
	{code: "de", how: "Accept-Language", widths: []int64{375}, schemes: []string{"light"}, pick: func(t *testing.T, b *browser, base string) {
		b.step(t, "ask for German", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
			_, err := cdp.Call(ctx, tab, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}})
			return err
		}))
	}},
	{code: "ar", how: "?lang= and its cookie", widths: browserWidths, schemes: browserSchemes, pick: func(t *testing.T, b *browser, base string) {
		b.step(t, "pick Arabic", chromedp.Navigate(base+"/?lang=ar"))
	}},
}

// browserTitles give the <h1>s of site.pages() and of the mirror scene,
// written there in English, in any language. A title not here is a name
// staff wrote, the same in every language.
var browserTitles = map[string]func(l *i18n.Lang) string{
	browserBanner:              titleMessage("status.indicator.partial_system_outage"),
	"Major System Outage":      titleMessage("status.indicator.major_system_outage"),
	"Incident history":         titleMessage("page.incident_history"),
	"Uptime report":            titleMessage("report.title"),
	"Get notified":             titleMessage("signup.heading"),
	"Check your inbox":         titleMessage("signup.check_inbox"),
	"Almost done":              titleMessage("signup.almost_done"),
	"Enter your code":          titleMessage("signup.code_title"),
	"Link expired":             titleMessage("signup.link_expired"),
	"Not found":                titleMessage("page.not_found_title"),
	"Manage your subscription": titleMessage("signup.manage_heading"),
	"Unsubscribe":              titleMessage("signup.unsubscribe_title"),
	"Unsubscribed":             titleMessage("signup.unsubscribed"),
	"Uptime in February 2026": func(l *i18n.Lang) string {
		return l.F("report.uptime_in", "Month", l.Date(i18n.MonthYear, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)))
	},
}

// titleMessage is a title that is message id, which takes no data.
func titleMessage(id string) func(l *i18n.Lang) string {
	return func(l *i18n.Lang) string { return l.T(id) }
}

// browserTitle is the <h1> english says in lang. It fails the test when
// browserTitles does not give english back in English, so that the table
// cannot drift from the catalogue.
func browserTitle(t *testing.T, lang *i18n.Lang, english string) string {
	t.Helper()
	tr, ok := browserTitles[english]
	if !ok {
		switch english {
		case browserActive, browserResolved, browserMaint:
			return english
		}
		t.Fatalf("no message for the heading %q: add it to browserTitles", english)
	}
	if got := tr(lang.Catalogue().Default()); got != english {
		t.Fatalf("browserTitles[%q] says %q in English", english, got)
	}
	return tr(lang)
}

// browserCatalogue loads the languages.
func browserCatalogue(t *testing.T) *i18n.Catalogue {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// pagesIn is site.pages() with each heading in lang's words; with query
// set, each page asks for lang with ?lang= (as a link of the language
// picker does), for a client that sends no header and keeps no cookie.
func (s *browserSite) pagesIn(t *testing.T, lang *i18n.Lang, query bool) []browserPage {
	t.Helper()
	pages := s.pages()
	for i, p := range pages {
		pages[i].title = browserTitle(t, lang, p.title)
		if query {
			sep := "?"
			if strings.Contains(p.path, "?") {
				sep = "&"
			}
			pages[i].path += sep + "lang=" + url.QueryEscape(lang.Code())
		}
	}
	return pages
}

// checkLang checks that the page in the tab says it is in lang and is
// laid out in lang's direction.
func (b *browser) checkLang(t *testing.T, lang *i18n.Lang) {
	t.Helper()
	type root struct{ Lang, Direction string }
	got := browserEval[root](t, b, "read the language", `({Lang: document.documentElement.lang, Direction: getComputedStyle(document.body).direction})`)
	if got.Lang != lang.Code() || got.Direction != lang.Dir() {
		t.Errorf("<html lang=%q>, laid out %s; want %q, %s", got.Lang, got.Direction, lang.Code(), lang.Dir())
	}
}

// TestBrowserLanguagesAccessibility runs TestBrowserAccessibility's audits
// on every public page in German and in Arabic, each as a visitor's
// browser asks for it (browserLangs): every page is in the language
// (<html lang>, its direction, its heading in the catalogue's words), and
// axe-core finds no violation, of any impact, and nothing is wider than
// the screen, at the language's widths and schemes (Arabic's 375 and
// 1280 px in both, German's 375 px light). Screenshots are saved as
// public-LANG-page-width-scheme.png.
func TestBrowserLanguagesAccessibility(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	cat := browserCatalogue(t)
	shots := screenshots(t)
	for _, bl := range browserLangs {
		t.Run(bl.code, func(t *testing.T) {
			// A site and a browser per language: the pages end a
			// subscription, and German must not find Arabic's cookie.
			lang := cat.Get(bl.code)
			site := newBrowserSite(t)
			b := newBrowser(t, tools)
			bl.pick(t, b, site.base)
			pages := site.pagesIn(t, lang, false)
			audits, violations := 0, 0
			for _, p := range pages {
				t.Run(p.name, func(t *testing.T) {
					b.open(t, site.base, p)
					b.checkLang(t, lang)
					a, v := b.auditAt(t, axe, shots, "public-"+bl.code+"-"+p.name, bl.widths, bl.schemes, nil)
					audits, violations = audits+a, violations+v
				})
			}
			t.Logf("public pages in %s (by %s): axe %d violations in %d audits (%d pages at %v px, %v)",
				bl.code, bl.how, violations, audits, len(pages), bl.widths, bl.schemes)
		})
	}
}

// TestBrowserLanguagesHTMLValidate checks the markup of every public page
// in German and in Arabic, each asked for with ?lang=, with html-validate
// as TestBrowserHTMLValidate does the English pages'.
func TestBrowserLanguagesHTMLValidate(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, false)
	cat := browserCatalogue(t)
	dir := t.TempDir()
	var files []string
	for _, bl := range browserLangs {
		site := newBrowserSite(t)
		for _, f := range fetchPages(t, site.base, site.pagesIn(t, cat.Get(bl.code), true), dir, bl.code+"-") {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`<html lang="%s"`, bl.code); !strings.Contains(string(body), want) {
				t.Errorf("%s: no %s", filepath.Base(f), want)
			}
			files = append(files, f)
		}
	}
	errs := 0
	for _, n := range htmlValidate(t, tools, dir, files) {
		errs += n
	}
	t.Logf("public pages in %d languages: html-validate %d errors or warnings on %d pages", len(browserLangs), errs, len(files))
}

// newMirrorSite seeds the mirror's scene: a component, API, created long
// enough ago that each of its 90 bars has data, all of them "no downtime"
// but today's, in major outage: green bars and one red at today's end of
// the row; its incident's update is written in English. A group,
// Infrastructure, all operational, stays closed under its arrow.
// It returns the site's address and the incident's id.
func newMirrorSite(t *testing.T) (base, incident string) {
	t.Helper()
	env := newTestEnv(t, browserConfig)
	env.clock.Set(browserSeedNow.AddDate(0, 0, -100))
	var api struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}).JSON(t, &api)
	var db struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Database"}}).JSON(t, &db)
	env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{
		"name": "Infrastructure", "components": []string{db.ID}}})
	env.clock.Set(browserSeedNow.Add(-2 * time.Hour))
	var inc struct{ ID string }
	env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": browserActive, "status": "investigating", "body": "Requests to the API fail.",
		"components": map[string]string{api.ID: "major_outage"}, "deliver_notifications": false}}).JSON(t, &inc)
	env.clock.Set(browserSeedNow)
	return serveOnLoopback(t, env), inc.ID
}

// pageBox is an element's border box in page pixels.
type pageBox struct{ Left, Right, Top, Bottom float64 }

// mirrorDOM is what the mirror test asks the DOM: where the parts it
// looks for are, and their colours. Where they are drawn is read from
// the screenshot.
type mirrorDOM struct {
	Width                    float64 // of the page, as the screenshot takes it
	Header, Heading, Bars    pageBox // the header's row, "Components", API's bars
	Group                    pageBox // the closed group's arrow and name
	CardBG                   string
	HeaderBG, PageBG, Button string
	Today, Oldest, LegendRed string // the last and first bars', the legend's major outage
}

const readMirror = `(() => {
	const at = sel => { const r = document.querySelector(sel).getBoundingClientRect();
		return {Left: r.left + scrollX, Right: r.right + scrollX, Top: r.top + scrollY, Bottom: r.bottom + scrollY}; };
	const bg = sel => getComputedStyle(document.querySelector(sel)).backgroundColor;
	return {
		Width: document.documentElement.scrollWidth,
		Header: at(".site-header .header-row"), Heading: at("h2#components"), Bars: at("figure.uptime ol.bars"),
		Group: at("li.group details:not([open]) summary .name"), CardBG: bg("ul.components"),
		HeaderBG: bg(".site-header"), PageBG: bg("body"), Button: bg(".site-header .subscribe-link"),
		Today: bg("ol.bars li:last-child"), Oldest: bg("ol.bars li:first-child"), LegendRed: bg(".legend .key.major"),
	};
})()`

// staffText is how a paragraph staff wrote (in English) is laid out: its
// full stop after its last word, and its text's distance from its box's
// left and right edges.
type staffText struct {
	DotAfter    bool
	Left, Right float64
}

// readStaffText reads the staffText of the paragraph a selector finds.
const readStaffText = `(sel => {
	const p = document.querySelector(sel), t = p.firstChild, r = document.createRange(), box = p.getBoundingClientRect();
	r.selectNodeContents(p);
	const text = r.getBoundingClientRect();
	r.setStart(t, t.length - 1); r.setEnd(t, t.length);
	const dot = r.getBoundingClientRect();
	r.setStart(t, t.length - 2); r.setEnd(t, t.length - 1);
	return {DotAfter: dot.left >= r.getBoundingClientRect().right - 0.5, Left: text.left - box.left, Right: box.right - text.right};
})`

// mirrorSides is where a page draws what the mirror test looks for, read
// from its screenshot: "left", "right", or what was found instead.
type mirrorSides struct {
	Today   string // the red bar: at which end of the row
	Brand   string // the page's name in the header: which half
	Button  string // "Subscribe to updates": which half of the header
	Heading string // the text of "Components": at which edge of its box
	Arrow   string // the closed group's: "left at the right" is ◂ Infrastructure
}

// TestBrowserArabicMirror proves from the screenshots' pixels that the
// Arabic status page is mirrored, at 1280 px: today's uptime bar (red, in
// a row of green) is at the row's left end, the page's name at the
// header's right and "Subscribe to updates" at its left, the heading
// "Components" starts at the right edge of its box, and a closed group's
// arrow points left, at the right of its name; the English page, the same
// scene, shows each the other way. The DOM says only where the row, the
// header, the heading and the group are and what colours to look for.
// Screenshots are saved as mirror-LANG-1280-light.png. And the update
// staff wrote in English reads left to right on both pages, its full stop
// after its last word, aligned as the page's text is: at the right of the
// Arabic incident page.
func TestBrowserArabicMirror(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	cat := browserCatalogue(t)
	base, incident := newMirrorSite(t)
	b := newBrowser(t, tools)
	shots := screenshots(t)
	b.emulate(t, 1280)
	b.scheme(t, "light")
	// A full-page screenshot is laid out without the scroll bar, which the
	// page in the window has: hidden, the DOM's boxes are where the
	// screenshot draws them.
	b.step(t, "hide the scroll bars", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true})
		return err
	}))
	want := map[string]mirrorSides{
		"en": {Today: "right", Brand: "left", Button: "right", Heading: "left", Arrow: "right at the left"},
		"ar": {Today: "left", Brand: "right", Button: "left", Heading: "right", Arrow: "left at the right"},
	}
	for _, code := range []string{"en", "ar"} {
		t.Run(code, func(t *testing.T) {
			lang := cat.Get(code)
			b.open(t, base, browserPage{name: "mirror-" + code, path: "/?lang=" + code, status: 200, title: browserTitle(t, lang, "Major System Outage")})
			b.checkLang(t, lang)
			dom := browserEval[mirrorDOM](t, b, "find the parts", readMirror)
			if dom.Width != 1280 {
				t.Errorf("the page is %.0f px wide in a 1280 px window", dom.Width)
			}
			if dom.Today != dom.LegendRed || dom.Oldest == dom.Today {
				t.Fatalf("today's bar is %s and the oldest %s, want the legend's major outage %s and another colour", dom.Today, dom.Oldest, dom.LegendRed)
			}
			name := "mirror-" + code + "-1280-light"
			b.shoot(t, shots, name)
			shot := readScreenshot(t, filepath.Join(shots, name+".png"), dom.Width)
			if got := shot.sides(t, dom); got != want[code] {
				t.Errorf("the %s page draws %+v, want %+v", code, got, want[code])
			}

			card := browserEval[staffText](t, b, "read the card's update", readStaffText+`(".card .update > p")`)
			b.open(t, base, browserPage{name: "incident-" + code, path: "/incidents/" + incident + "?lang=" + code, status: 200, title: browserActive})
			body := browserEval[staffText](t, b, "read the timeline's update", readStaffText+`(".timeline .body p")`)
			if !card.DotAfter || !body.DotAfter {
				t.Errorf("the English update's full stop precedes its last word: on the status page %v, on the incident's %v", !card.DotAfter, !body.DotAfter)
			}
			if gap := map[string]float64{"en": body.Left, "ar": body.Right}[code]; gap > 1 {
				t.Errorf("the English update is %.0f px from its box's left, %.0f from its right: want it against the %s page's start", body.Left, body.Right, code)
			}
		})
	}
}

// screenshot is a saved screenshot, in page pixels scaled by scale.
type screenshot struct {
	img   image.Image
	scale float64
}

// readScreenshot decodes a PNG of a page width page pixels wide.
func readScreenshot(t *testing.T, file string, width float64) screenshot {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return screenshot{img: img, scale: float64(img.Bounds().Dx()) / width}
}

// at is the colour of the pixel at page coordinates x, y.
func (s screenshot) at(x, y float64) rgb {
	r, g, b, _ := s.img.At(int(x*s.scale), int(y*s.scale)).RGBA()
	return rgb{int(r >> 8), int(g >> 8), int(b >> 8)}
}

// diff is the largest difference of two colours' channels.
func (c rgb) diff(o rgb) int {
	d := 0
	for i := range c {
		d = max(d, c[i]-o[i], o[i]-c[i])
	}
	return d
}

// span is the extent of the pixels found along a line, in page pixels.
type span struct {
	from, to float64
	found    bool
}

func (s *span) add(x float64) {
	if !s.found {
		s.from, s.found = x, true
	}
	s.from, s.to = min(s.from, x), max(s.to, x+1)
}

// scan walks the pixels of box, column by column on each row, and adds to
// each span the columns where its test holds.
func (s screenshot) scan(box pageBox, spans map[*span]func(rgb) bool) {
	step := 1 / s.scale
	for y := box.Top; y < box.Bottom; y += step {
		for x := box.Left; x < box.Right; x += step {
			c := s.at(x, y)
			for sp, match := range spans {
				if match(c) {
					sp.add(x)
				}
			}
		}
	}
}

// half says in which half of box a span lies.
func half(box pageBox, s span) string {
	mid := (box.Left + box.Right) / 2
	switch {
	case !s.found:
		return "nothing"
	case s.to <= mid:
		return "left"
	case s.from >= mid:
		return "right"
	}
	return fmt.Sprintf("across the middle (%.0f..%.0f of %.0f..%.0f)", s.from, s.to, box.Left, box.Right)
}

// edge says at which edge of box a span starts: within a few pixels of
// one, and in the other half.
func edge(box pageBox, s span) string {
	const near = 4
	switch {
	case !s.found:
		return "nothing"
	case s.from-box.Left <= near && s.to < (box.Left+box.Right)/2:
		return "left"
	case box.Right-s.to <= near && s.from > (box.Left+box.Right)/2:
		return "right"
	}
	return fmt.Sprintf("%.0f..%.0f in %.0f..%.0f", s.from, s.to, box.Left, box.Right)
}

// sides reads where the screenshot draws the parts dom locates.
func (s screenshot) sides(t *testing.T, dom mirrorDOM) mirrorSides {
	t.Helper()
	var got mirrorSides
	// Ink is what differs clearly from its background: text and its
	// antialiasing, the button.
	const same, ink = 12, 60

	// The bars: along the row's middle line, the red bar's pixels take one
	// bar's width at one end, the green ones the rest.
	red, green := parseRGB(t, dom.Today), parseRGB(t, dom.Oldest)
	mid := (dom.Bars.Top + dom.Bars.Bottom) / 2
	row := pageBox{Left: dom.Bars.Left, Right: dom.Bars.Right, Top: mid, Bottom: mid + 1/s.scale}
	var reds, greens span
	s.scan(row, map[*span]func(rgb) bool{
		&reds:   func(c rgb) bool { return c.diff(red) <= same },
		&greens: func(c rgb) bool { return c.diff(green) <= same },
	})
	bar := (dom.Bars.Right - dom.Bars.Left) / 90
	switch {
	case !reds.found || !greens.found:
		got.Today = fmt.Sprintf("red %v, green %v", reds.found, greens.found)
	case reds.to-reds.from > bar+1:
		got.Today = fmt.Sprintf("red over %.0f px, more than a bar's %.1f", reds.to-reds.from, bar)
	case reds.to <= greens.from || greens.to <= reds.from:
		got.Today = edge(row, reds)
	default:
		got.Today = fmt.Sprintf("red at %.0f..%.0f among green at %.0f..%.0f", reds.from, reds.to, greens.from, greens.to)
	}

	// The header: the button is the pixels of its colour; the page's name
	// the ink beside it.
	headerBG, button := parseRGB(t, dom.HeaderBG), parseRGB(t, dom.Button)
	var buttons span
	s.scan(dom.Header, map[*span]func(rgb) bool{&buttons: func(c rgb) bool { return c.diff(button) <= same }})
	var brand span
	if buttons.found {
		for _, side := range []pageBox{
			{Left: dom.Header.Left, Right: buttons.from - 2, Top: dom.Header.Top, Bottom: dom.Header.Bottom},
			{Left: buttons.to + 2, Right: dom.Header.Right, Top: dom.Header.Top, Bottom: dom.Header.Bottom},
		} {
			s.scan(side, map[*span]func(rgb) bool{&brand: func(c rgb) bool { return c.diff(headerBG) > ink }})
		}
	}
	got.Button, got.Brand = half(dom.Header, buttons), half(dom.Header, brand)

	// The heading: its text's ink inside its box.
	var text span
	pageBG := parseRGB(t, dom.PageBG)
	s.scan(dom.Heading, map[*span]func(rgb) bool{&text: func(c rgb) bool { return c.diff(pageBG) > ink }})
	got.Heading = edge(dom.Heading, text)
	got.Arrow = s.arrow(dom.Group, parseRGB(t, dom.CardBG), ink)
	return got
}

// arrow finds a triangle at either end of the ink in box: a run of
// columns whose ink, tall at its base, halves towards its tip; a letter's
// is about as tall on both halves. It says where the triangle points and
// at which end it is.
func (s screenshot) arrow(box pageBox, bg rgb, ink int) string {
	// The ink in each column, and the runs of columns with ink.
	var cols []int
	for x := box.Left; x < box.Right; x += 1 / s.scale {
		n := 0
		for y := box.Top; y < box.Bottom; y += 1 / s.scale {
			if s.at(x, y).diff(bg) > ink {
				n++
			}
		}
		cols = append(cols, n)
	}
	var runs [][]int
	for i := 0; i < len(cols); {
		if cols[i] == 0 {
			i++
			continue
		}
		j := i
		for j < len(cols) && cols[j] > 0 {
			j++
		}
		runs = append(runs, cols[i:j])
		i = j
	}
	if len(runs) < 2 {
		return fmt.Sprintf("%d runs of ink", len(runs))
	}
	points := func(run []int) string {
		if len(run) < 4 { // a stroke, not a triangle
			return ""
		}
		left, right := 0, 0
		for i, n := range run {
			if i < len(run)/2 {
				left += n
			} else if i >= (len(run)+1)/2 {
				right += n
			}
		}
		switch {
		case left >= 2*right:
			return "right"
		case right >= 2*left:
			return "left"
		}
		return ""
	}
	if p := points(runs[0]); p != "" {
		return p + " at the left"
	}
	if p := points(runs[len(runs)-1]); p != "" {
		return p + " at the right"
	}
	return fmt.Sprintf("no triangle at either end: %v … %v", runs[0], runs[len(runs)-1])
}
