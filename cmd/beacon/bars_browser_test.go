package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/public"
)

// barsView is what TestBrowserBars reads of the status page's bars.
type barsView struct {
	Legend []struct {
		Label, Color              string
		KeyTop, KeyBottom, KeyEnd float64 // the swatch's box
		Top, Bottom, Start        float64 // its label's text
		Lines                     int     // lines the label's text takes
	}
	CardBG  string
	Figures []struct {
		Name    string // the component's
		Bars    []struct{ Color, Date, Status string }
		Visible []int // indexes of the bars on screen
		Axis    []string
		// The list's and the axis's boxes: the axis spans the bars, one
		// line, the uptime in the middle.
		ListLeft, ListRight         float64
		AxisTops, AxisLefts, AxisRs []float64
	}
}

// readBars reads the legend, every bar's colour and tooltip, and each
// axis as laid out at the current width.
const readBars = `(() => {
	const box = el => el.getBoundingClientRect();
	const shown = el => getComputedStyle(el).display !== "none";
	return {
		Legend: [...document.querySelectorAll(".legend .item")].map(item => {
			const key = item.querySelector(".key"), k = box(key);
			const r = document.createRange();
			r.setStartAfter(key);
			r.setEndAfter(item.lastChild);
			const lines = [...r.getClientRects()].filter(x => x.width > 0), t = r.getBoundingClientRect();
			return {Label: item.textContent.trim(), Color: getComputedStyle(key).backgroundColor,
				KeyTop: k.top, KeyBottom: k.bottom, KeyEnd: k.right, Top: t.top, Bottom: t.bottom, Start: t.left,
				Lines: new Set(lines.map(x => Math.round(x.top))).size};
		}),
		CardBG: getComputedStyle(document.querySelector("ul.components")).backgroundColor,
		Figures: [...document.querySelectorAll("figure.uptime")].map(f => {
			const lis = [...f.querySelectorAll("ol.bars li")], list = box(f.querySelector("ol.bars"));
			const axis = [...f.querySelectorAll(".axis > span")].filter(shown);
			return {
				Name: f.closest("li.component").querySelector(".row .name").textContent,
				Bars: lis.map(li => {
					const tip = li.querySelector(".tip");
					return {Color: getComputedStyle(li).backgroundColor, Date: tip.querySelector("b").textContent,
						Status: [...tip.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join("").trim()};
				}),
				Visible: lis.flatMap((li, i) => li.offsetParent !== null ? [i] : []),
				Axis: axis.map(s => s.textContent),
				ListLeft: list.left, ListRight: list.right,
				AxisTops: axis.map(s => box(s).top), AxisLefts: axis.map(s => box(s).left), AxisRs: axis.map(s => box(s).right),
			};
		}),
	};
})()`

// TestBrowserBars reads the uptime bars in Chromium at phone and desktop
// widths in both schemes. Every bar's computed colour is the legend
// swatch's whose label is the status its tooltip lists first (the seeded
// page has a day of each kind); the six colours differ, and the five
// statuses stand out from the card (3:1). A phone shows each component's
// last 30 days — to screen readers too, whose name for each chart says so —
// under an axis "30 days ago · uptime of those days · Today"; a desktop 90
// days and "90 days ago". Every legend swatch is on its label's line. axe-core
// finds nothing, of any impact, in the bars, the axes and the legend, with a
// tooltip open. A screenshot of the components is saved for each.
func TestBrowserBars(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	shots := screenshots(t)
	b.step(t, "enable accessibility", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, accessibility.Enable, cdp.Empty{})
		return err
	}))

	// The uptime each axis gives. API: 25 min of major outage and 70 of
	// partial on Feb 14 are 46 min of downtime, in the 892 h since it was
	// created (99.91 %) or the last 30 days' 708 h (99.89 %). Email
	// delivery: 35 min of partial outage today, 10.5 min. Degraded
	// performance and maintenance cost nothing.
	uptime := map[string][2]string{
		"API":            {"99.91 % uptime", "99.89 % uptime"},
		"Dashboard":      {"100.00 % uptime", "100.00 % uptime"},
		"Database":       {"100.00 % uptime", "100.00 % uptime"},
		"Email delivery": {"99.98 % uptime", "99.98 % uptime"},
	}
	for _, width := range []int64{375, 1280} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprintf("%d-%s", width, scheme), func(t *testing.T) {
				b.emulate(t, width)
				b.scheme(t, scheme)
				b.open(t, site.base, site.pages()[0])
				days, phone := public.UptimeDays, width < 600
				if phone {
					days = 30
				}
				got := browserEval[barsView](t, b, "read the bars", readBars)

				// The legend, in the tooltips' words: its colours tell the
				// kinds apart, each swatch on its label's line.
				legend := map[string]string{}
				colors := map[string]string{}
				for _, k := range got.Legend {
					legend[k.Label] = k.Color
					if other, ok := colors[k.Color]; ok {
						t.Errorf("legend: %q and %q have the same colour %s", other, k.Label, k.Color)
					}
					colors[k.Color] = k.Label
					if k.Label != "No data" {
						if c := contrast(t, k.Color, got.CardBG); c < 3 {
							t.Errorf("legend: %q is %s on the card's %s, contrast %.2f, want 3:1 at least", k.Label, k.Color, got.CardBG, c)
						}
					}
					if k.Lines != 1 || k.KeyTop < k.Top-1 || k.KeyBottom > k.Bottom+1 || k.Start < k.KeyEnd {
						t.Errorf("legend: the swatch of %q (%.0f..%.0f px high, ends at %.0f) is not on its label's line (%.0f..%.0f, from %.0f, %d lines)",
							k.Label, k.KeyTop, k.KeyBottom, k.KeyEnd, k.Top, k.Bottom, k.Start, k.Lines)
					}
				}
				labels := slices.Sorted(maps.Keys(legend))
				if want := []string{"Degraded performance", "Maintenance", "Major outage", "No data", "No downtime", "Partial outage"}; !slices.Equal(labels, want) {
					t.Fatalf("legend labels %q, want %q", labels, want)
				}

				// Every bar has its tooltip's first status's colour; the
				// page shows a day of each kind (no data only before the
				// components were created, off a phone's 30 days).
				seen := map[string]bool{}
				if len(got.Figures) != 4 {
					t.Fatalf("%d charts of bars, want 4", len(got.Figures))
				}
				for _, f := range got.Figures {
					if len(f.Bars) != public.UptimeDays {
						t.Errorf("%s: %d bars in the page, want %d", f.Name, len(f.Bars), public.UptimeDays)
						continue
					}
					for _, i := range f.Visible {
						bar := f.Bars[i]
						status := firstStatus(bar.Status, labels)
						seen[status] = true
						if want := legend[status]; bar.Color != want {
							t.Errorf("%s, %s: coloured %s, but its tooltip says %q, which the legend colours %s", f.Name, bar.Date, bar.Color, bar.Status, want)
						}
					}
					// The last days, today's included, are the ones shown.
					wantVisible := make([]int, days)
					for i := range wantVisible {
						wantVisible[i] = public.UptimeDays - days + i
					}
					if !slices.Equal(f.Visible, wantVisible) {
						t.Errorf("%s: %d bars visible (%v), want the last %d", f.Name, len(f.Visible), f.Visible, days)
					}

					// The axis: "N days ago", the uptime of those days,
					// "Today", on one line under the bars, spanning them.
					wantUptime := uptime[f.Name][0]
					if phone {
						wantUptime = uptime[f.Name][1]
					}
					if want := []string{fmt.Sprintf("%d days ago", days), wantUptime, "Today"}; !slices.Equal(f.Axis, want) {
						t.Errorf("%s: axis reads %q, want %q", f.Name, f.Axis, want)
						continue
					}
					centre, mid := (f.ListLeft+f.ListRight)/2, (f.AxisLefts[1]+f.AxisRs[1])/2
					if math.Abs(f.AxisLefts[0]-f.ListLeft) > 1 || math.Abs(f.AxisRs[2]-f.ListRight) > 1 || math.Abs(mid-centre) > 1 ||
						f.AxisTops[0] != f.AxisTops[1] || f.AxisTops[1] != f.AxisTops[2] {
						t.Errorf("%s: the axis's parts are at %v..%v (tops %v), the bars at %.0f..%.0f: want them on one line, at both ends and in the middle",
							f.Name, f.AxisLefts, f.AxisRs, f.AxisTops, f.ListLeft, f.ListRight)
					}
				}
				want := []string{"Degraded performance", "Maintenance", "Major outage", "No data", "No downtime", "Partial outage"}
				if phone {
					want = slices.DeleteFunc(want, func(s string) bool { return s == "No data" })
				}
				if kinds := slices.Sorted(maps.Keys(seen)); !slices.Equal(kinds, want) {
					t.Errorf("the visible bars show %q, want a day of each of %q", kinds, want)
				}

				// What a screen reader is given: each chart named with the
				// days it shows, and those days only.
				for _, c := range axCharts(t, b) {
					if want := fmt.Sprintf("uptime over the last %d days", days); !strings.HasSuffix(c.name, want) || c.items != days {
						t.Errorf("screen readers hear a chart %q with %d days, want %q with %d", c.name, c.items, want, days)
					}
				}

				// axe, every impact, on the parts the bars make up, with a
				// tooltip open.
				b.step(t, "focus a bar", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("ol.bars li[tabindex='0']")].find(li => li.offsetParent !== null).focus()`))
				auditParts(t, b, axe, "figure.uptime", ".legend")

				sctx, scancel := context.WithTimeout(b.ctx, 15*time.Second)
				shot, err := chromedp.Run(sctx, chromedp.Screenshot(chromedp.CSS("section[aria-labelledby=components]")))
				scancel()
				if err != nil {
					t.Fatalf("screenshot: %v", err)
				}
				file := filepath.Join(shots, fmt.Sprintf("bars-%d-%s.png", width, scheme))
				if err := os.WriteFile(file, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot %s (%d KB)", file, len(shot)/1024)
			})
		}
	}
}

// firstStatus is the label a tooltip's text starts with ("Major outage"
// of "Major outage 25 min, Partial outage 1 h 10 min"), or the text.
func firstStatus(text string, labels []string) string {
	for _, l := range labels {
		if text == l || strings.HasPrefix(text, l+" ") || strings.HasPrefix(text, l+",") {
			return l
		}
	}
	return text
}

// axChart is a chart of bars as the accessibility tree has it.
type axChart struct {
	name  string
	items int // list items a screen reader can reach
}

// axCharts reads each chart of bars from Chromium's accessibility tree:
// the figure's computed name and the list items not ignored.
func axCharts(t *testing.T, b *browser) []axChart {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("figure.uptime")))
	if err != nil {
		t.Fatalf("find the charts: %v", err)
	}
	var out []axChart
	for _, n := range nodes {
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
			tree, err := cdp.Call(ctx, tab, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{BackendNodeID: n.BackendNodeID})
			if err != nil {
				return err
			}
			c := axChart{}
			for _, ax := range tree.Nodes {
				role := axString(ax.Role)
				switch {
				case ax.BackendDOMNodeID == n.BackendNodeID:
					if role != "figure" {
						return fmt.Errorf("the chart's role is %q, want figure", role)
					}
					c.name = axString(ax.Name)
				case role == "listitem" && !ax.Ignored:
					c.items++
				}
			}
			out = append(out, c)
			return nil
		}))
		if err != nil {
			t.Fatalf("read the accessibility tree: %v", err)
		}
	}
	if len(out) == 0 {
		t.Fatal("no chart of bars in the page")
	}
	return out
}

// axString is an accessibility value as a string.
func axString(v *accessibility.Value) string {
	if v == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return s
}

// auditParts runs axe-core on the parts of the page the selectors match
// and fails on a violation of any impact.
func auditParts(t *testing.T, b *browser, axe []byte, selectors ...string) {
	t.Helper()
	if !browserEval[bool](t, b, "look for axe-core", `typeof axe === "object"`) {
		b.step(t, "inject axe-core", chromedp.Evaluate[chromedp.Void](string(axe)))
	}
	include, _ := json.Marshal(selectors)
	found := browserEval[[]axeViolation](t, b, "run axe", fmt.Sprintf(`axe.run({include: %s.map(s => [s])}, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		ID: v.id, Impact: v.impact ?? "", Help: v.help, HelpURL: v.helpUrl,
		Nodes: v.nodes.map(n => ({Target: JSON.stringify(n.target), HTML: n.html, Summary: n.failureSummary ?? ""})),
	})))`, include))
	for _, v := range found {
		var nodes strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&nodes, "\n\t%s %s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
		}
		t.Errorf("axe: %s (%s): %s <%s>%s", v.ID, v.Impact, v.Help, v.HelpURL, nodes.String())
	}
}

// rgb is a colour's three channels, 0 to 255.
type rgb [3]int

// parseRGB reads a computed colour, "rgb(r, g, b)".
func parseRGB(t *testing.T, css string) rgb {
	t.Helper()
	var c rgb
	if _, err := fmt.Sscanf(css, "rgb(%d, %d, %d)", &c[0], &c[1], &c[2]); err != nil {
		t.Fatalf("colour %q: %v", css, err)
	}
	return c
}

// contrast is the WCAG contrast ratio of two computed colours
// ("rgb(r, g, b)").
func contrast(t *testing.T, a, b string) float64 {
	t.Helper()
	lum := func(css string) float64 {
		c := parseRGB(t, css)
		lin := func(v int) float64 {
			x := float64(v) / 255
			if x <= 0.04045 {
				return x / 12.92
			}
			return math.Pow((x+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
