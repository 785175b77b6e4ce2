package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/metrics"
)

// newChartsSite seeds a page with three displayed metrics — a response
// time with a day of data every 30 s and an hour's gap, an error rate
// without its value axis, a queue depth without data — and a hidden one,
// and serves it on loopback.
func newChartsSite(t *testing.T) string {
	t.Helper()
	env := newTestEnv(t, browserConfig)
	ctx := context.Background()
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API", "showcase": true}})
	svc := env.app.systemMetrics
	prov, err := svc.CreateProvider(ctx, metrics.ProviderInput{Type: ptrTo(metrics.Self)})
	if err != nil {
		t.Fatal(err)
	}
	metric := func(name, suffix string, decimals int, hidden, display bool, desc string) string {
		m, err := svc.Create(ctx, prov.ID, metrics.MetricInput{Name: &name, Suffix: &suffix, DecimalPlaces: &decimals,
			YAxisHidden: &hidden, Display: &display, TooltipDescription: &desc})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	latency := metric("API response time", "ms", 0, false, true, "Median time to the first byte")
	errorRate := metric("Error rate", "%", 2, true, true, "")
	metric("Queue depth", "", 0, false, true, "")
	hidden := metric("Internal metric", "", 0, false, false, "")

	now := env.clock.Now()
	points := map[string][]metrics.Point{}
	for i := range 2880 {
		at := now.Add(-time.Duration(2879-i) * metrics.Slot)
		if i < 2000 || i > 2120 { // an hour without data, 9 hours ago
			points[latency] = append(points[latency], metrics.Point{Time: at, Value: 120 + float64(i%40) + 30*float64(i/480%3)})
		}
		points[errorRate] = append(points[errorRate], metrics.Point{Time: at, Value: 0.2 + float64(i%13)/50})
		if i%60 == 0 {
			points[hidden] = append(points[hidden], metrics.Point{Time: at, Value: 1})
		}
	}
	if _, err := svc.AddPoints(ctx, points); err != nil {
		t.Fatal(err)
	}
	return serveOnLoopback(t, env)
}

func ptrTo[T any](v T) *T { return &v }

// chartsView is what TestBrowserCharts reads of the charts.
type chartsView struct {
	Current string   // the period link marked current
	Names   []string // the charts' names, in order
	Charts  []struct {
		Caption             string
		Items, Tips         int     // points, and those with text
		Line, Card          string  // the line's and the card's computed colours
		PlotLeft, PlotRight float64 // the plot's box
		AxisLeft, AxisRight float64 // the time axis's box
		Labels              []string
	}
	// The focused point: its tooltip's text and box, shown on focus.
	Focused  string
	TipShown bool
	TipBox   struct{ Left, Right, Top float64 }
	Width    float64
}

const readCharts = `(() => {
	const box = el => el.getBoundingClientRect();
	const shown = el => getComputedStyle(el).display !== "none";
	const sec = document.querySelector("section[aria-labelledby=metrics]");
	const out = {Current: sec.querySelector("[aria-current=page]")?.textContent ?? "", Names: [], Charts: [], Width: window.innerWidth};
	for (const f of sec.querySelectorAll("figure.chart")) {
		out.Names.push(f.querySelector("figcaption .name").textContent);
		const plot = f.querySelector(".area"), axis = f.querySelector("svg.xlab"), line = f.querySelector("path.line");
		out.Charts.push({
			Caption: f.querySelector("figcaption").textContent,
			Items: f.querySelectorAll("ol.points li").length, Tips: [...f.querySelectorAll("ol.points li")].filter(li => li.textContent !== "").length,
			Line: line ? getComputedStyle(line).stroke : "", Card: getComputedStyle(sec.querySelector(".charts")).backgroundColor,
			PlotLeft: box(plot).left, PlotRight: box(plot).right, AxisLeft: box(axis).left, AxisRight: box(axis).right,
			Labels: [...axis.querySelectorAll("text")].filter(shown).map(t => t.textContent),
		});
	}
	const li = document.activeElement;
	if (li && li.matches("ol.points li")) {
		const tip = li.querySelector("span"), b = box(tip);
		out.Focused = tip.textContent;
		out.TipShown = b.width > 20 && b.height > 10 && getComputedStyle(tip).clipPath === "none";
		out.TipBox = {Left: b.left, Right: b.right, Top: b.top};
	}
	return out;
})()`

// TestBrowserCharts loads "/" with system metrics in Chromium at 375 and
// 1280 px in both schemes, for each period, and reads the charts: one per
// displayed metric in order, each with a point per bucket (288 for a day,
// 168 for a week, 180 for a month); the time axis spans the plot and a
// phone shows fewer labels; the line stands out from the card (3:1). The
// latest point takes the focus and its tooltip shows on screen, inside the
// window; screen readers reach it by its text ("Mar 10 11:55 · 123 ms").
// axe-core finds nothing of any impact; screenshots of the page and of the
// section are saved. With JavaScript off, the Week link shows the week.
func TestBrowserCharts(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	axe := readAxe(t, tools)
	base := newChartsSite(t)
	b := newBrowser(t, tools)
	shots := screenshots(t)
	b.step(t, "enable accessibility", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, accessibility.Enable, cdp.Empty{})
		return err
	}))

	wantNames := []string{"API response time", "Error rate", "Queue depth"}
	for _, p := range []struct {
		label, path string
		buckets     int
	}{
		{"Day", "/", 288},
		{"Week", "/?metrics=week", 168},
		{"Month", "/?metrics=month", 180},
	} {
		t.Run(p.label, func(t *testing.T) {
			b.open(t, base, browserPage{name: "charts-" + p.label, path: p.path, status: 200, title: "All Systems Operational"})
			labels := map[int64]int{}
			b.auditEverywhere(t, axe, shots, "charts-"+strings.ToLower(p.label), func(t *testing.T, width int64, scheme string) {
				b.step(t, "focus the latest point", chromedp.Evaluate[chromedp.Void](`document.querySelector("ol.points li[tabindex='0']").focus()`))
				got := browserEval[chartsView](t, b, "read the charts", readCharts)
				if got.Current != p.label || !slices.Equal(got.Names, wantNames) {
					t.Fatalf("period %q and charts %q, want %q and %q", got.Current, got.Names, p.label, wantNames)
				}
				for i, c := range got.Charts {
					if c.Items != p.buckets && !(i == 2 && c.Items == 0) {
						t.Errorf("%s: %d points, want %d", got.Names[i], c.Items, p.buckets)
					}
					if c.AxisLeft < c.PlotLeft-0.5 || c.AxisRight > c.PlotRight+0.5 || c.PlotRight > float64(width) {
						t.Errorf("%s: the time axis spans %.0f..%.0f, the plot %.0f..%.0f in a %d px window", got.Names[i], c.AxisLeft, c.AxisRight, c.PlotLeft, c.PlotRight, width)
					}
					if i < 2 {
						if k := contrast(t, c.Line, c.Card); k < 3 {
							t.Errorf("%s: the line %s on the card %s has contrast %.2f, want 3:1 at least", got.Names[i], c.Line, c.Card, k)
						}
					}
					labels[width] = len(c.Labels)
				}
				if !strings.HasSuffix(got.Charts[2].Caption, "No data over the last "+strings.ToLower(p.label)) {
					t.Errorf("the chart without data says %q", got.Charts[2].Caption)
				}
				// The latest point of the response time: over a day, the
				// current 5-minute bucket (12:00 in UTC, the page's zone).
				if !strings.Contains(got.Focused, " · ") || !strings.HasSuffix(got.Focused, " ms") || !got.TipShown ||
					got.TipBox.Left < 0 || got.TipBox.Right > float64(width) {
					t.Errorf("focused point's tooltip %q shown %v at %+v in a %d px window", got.Focused, got.TipShown, got.TipBox, width)
				}
				if p.label == "Day" && got.Focused != "Mar 10 12:00 · "+strings.Fields(strings.TrimPrefix(got.Charts[0].Caption, "API response time Latest "))[0]+" ms" {
					t.Errorf("the latest point reads %q; caption %q", got.Focused, got.Charts[0].Caption)
				}
				// Screen readers reach the points with data, and only those.
				for i, n := range axListItems(t, b, "figure.chart") {
					if n != got.Charts[i].Tips {
						t.Errorf("%s: screen readers reach %d points, want the %d with data", got.Names[i], n, got.Charts[i].Tips)
					}
				}
				if heard := axFocusedText(t, b); heard != got.Focused {
					t.Errorf("screen readers hear the focused point as %q, want %q", heard, got.Focused)
				}
				shootSection(t, b, filepath.Join(shots, fmt.Sprintf("charts-section-%s-%d-%s.png", strings.ToLower(p.label), width, scheme)))
			})
			if p.label != "Month" && labels[375] >= labels[1280] {
				t.Errorf("a phone shows %d time labels, a desktop %d: want fewer on the phone", labels[375], labels[1280])
			}
		})
	}

	// Without script, the Week link shows the week.
	b.noScript(t)
	b.open(t, base, browserPage{name: "charts", path: "/", status: 200, title: "All Systems Operational"})
	cctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	res, err := chromedp.RunResponse(cctx, chromedp.Click(chromedp.CSS(`nav.periods a[href*="week"]`)))
	cancel()
	if err != nil || res.Status != 200 {
		t.Fatalf("follow the Week link: %v (%v)", err, res)
	}
	if got := browserEval[string](t, b, "the current period", `document.querySelector("nav.periods [aria-current=page]").textContent`); got != "Week" {
		t.Errorf("after following the Week link, the current period is %q", got)
	}
	if got := browserEval[string](t, b, "the address", `location.pathname + location.search + location.hash`); got != "/?metrics=week#metrics" {
		t.Errorf("the Week link leads to %q", got)
	}
}

// axFocusedText is what the accessibility tree gives screen readers of
// the focused element: the text of its descendants not ignored.
func axFocusedText(t *testing.T, b *browser) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("ol.points li:focus")))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("find the focused point: %v (%d)", err, len(nodes))
	}
	var text []string
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		tree, err := cdp.Call(ctx, tab, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{BackendNodeID: nodes[0].BackendNodeID})
		if err != nil {
			return err
		}
		for _, ax := range tree.Nodes {
			if role := axString(ax.Role); role == "StaticText" && !ax.Ignored {
				text = append(text, axString(ax.Name))
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatalf("read the accessibility tree: %v", err)
	}
	return strings.Join(text, "")
}

// axListItems counts, in each element matching selector, the list items
// the accessibility tree does not ignore.
func axListItems(t *testing.T, b *browser, selector string) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(selector)))
	if err != nil {
		t.Fatalf("find %s: %v", selector, err)
	}
	var out []int
	for _, n := range nodes {
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
			tree, err := cdp.Call(ctx, tab, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{BackendNodeID: n.BackendNodeID})
			if err != nil {
				return err
			}
			items := 0
			for _, ax := range tree.Nodes {
				if axString(ax.Role) == "listitem" && !ax.Ignored {
					items++
				}
			}
			out = append(out, items)
			return nil
		}))
		if err != nil {
			t.Fatalf("read the accessibility tree: %v", err)
		}
	}
	return out
}

// shootSection saves a screenshot of the metrics section as file.
func shootSection(t *testing.T, b *browser, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("section[aria-labelledby=metrics]")))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserChartsHTMLValidate checks the markup of "/" for each period
// with html-validate's recommended preset.
func TestBrowserChartsHTMLValidate(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, false)
	base := newChartsSite(t)
	dir := t.TempDir()
	var files []string
	for _, p := range []string{"/", "/?metrics=week", "/?metrics=month"} {
		res, body := browserFetch(t, base, http.MethodGet, p, nil, "", "")
		if res.StatusCode != 200 || !strings.Contains(string(body), `<figure class="chart"`) {
			t.Fatalf("GET %s: status %d, charts %v", p, res.StatusCode, strings.Contains(string(body), `<figure class="chart"`))
		}
		file := filepath.Join(dir, fmt.Sprintf("charts-%d.html", len(files)))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	htmlValidate(t, tools, dir, files)
}
