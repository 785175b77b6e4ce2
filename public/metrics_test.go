package public

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/metrics"
)

// mtMetric creates a metric of a new Self provider, displayed or not.
func mtMetric(t testing.TB, env *testEnv, name string, display bool) metrics.Metric {
	t.Helper()
	ctx := context.Background()
	prov, err := env.svc.Metrics.CreateProvider(ctx, metrics.ProviderInput{Type: ptr(metrics.Self)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := env.svc.Metrics.Create(ctx, prov.ID, metrics.MetricInput{Name: &name, Suffix: ptr("ms"), Display: &display})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mtPush stores a value of metric id at the clock's time.
func mtPush(t testing.TB, env *testEnv, id string, v float64) {
	t.Helper()
	if _, err := env.svc.Metrics.AddPoint(context.Background(), id, metrics.Point{Time: env.clock.Now(), Value: v}); err != nil {
		t.Fatal(err)
	}
}

// mtFill stores a value every 30 s over the last span of metric id: a
// noisy response time (noise compresses as real data does).
func mtFill(t testing.TB, env *testEnv, id string, span time.Duration) {
	t.Helper()
	now := env.clock.Now()
	r := rand.New(rand.NewPCG(1, 2))
	var points []metrics.Point
	for at := now.Add(-span).Add(metrics.Slot); !at.After(now); at = at.Add(metrics.Slot) {
		points = append(points, metrics.Point{Time: at, Value: math.Round(120 + 20*r.NormFloat64())})
	}
	if _, err := env.svc.Metrics.AddPoints(context.Background(), map[string][]metrics.Point{id: points}); err != nil {
		t.Fatal(err)
	}
}

// mtCharts reads the "System metrics" section of a page: nil when the
// page has none.
type mtSection struct {
	node *html.Node
	// captions are the charts' captions; links the period links' targets
	// by label, current the label marked as the current period.
	captions []string
	links    map[string]string
	current  string
	// items counts each chart's points (one list item per bucket) and
	// tips the points with data.
	items []int
	tips  [][]string
}

func mtRead(t testing.TB, body []byte) *mtSection {
	t.Helper()
	doc := pgParse(t, body)
	found := pgAll(doc, pgWithAttr("section", "aria-labelledby", "metrics"))
	if len(found) == 0 {
		return nil
	}
	s := &mtSection{node: found[0], links: map[string]string{}}
	for _, a := range pgAll(s.node, pgSel("a")) {
		href, _ := pgAttr(a, "href")
		s.links[pgText(a)] = href
		if v, _ := pgAttr(a, "aria-current"); v == "page" {
			s.current = pgText(a)
		}
	}
	for _, f := range pgAll(s.node, pgSel("figure", "chart")) {
		s.captions = append(s.captions, pgText(pgOne(t, f, pgSel("figcaption"), "caption")))
		lis := pgAll(f, pgSel("li"))
		s.items = append(s.items, len(lis))
		var tips []string
		for _, li := range lis {
			if v, _ := pgAttr(li, "aria-hidden"); v != "true" {
				tips = append(tips, pgText(li))
			}
		}
		s.tips = append(s.tips, tips)
	}
	return s
}

// TestMetricsSection: "/" has a "System metrics" section only while a
// metric is displayed, below the components, with a chart per displayed
// metric; showing or hiding a metric shows at once.
func TestMetricsSection(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	s.component("API", components.Input{Showcase: ptr(true)})
	if got := mtRead(t, s.get("/").Body); got != nil {
		t.Fatalf("a page without metrics has a metrics section: %q", got.captions)
	}
	hidden := mtMetric(t, env, "Hidden metric", false)
	mtPush(t, env, hidden.ID, 5)
	if got := mtRead(t, s.get("/").Body); got != nil {
		t.Fatalf("a page without displayed metrics has a metrics section: %q", got.captions)
	}

	shown := mtMetric(t, env, "API response time", true)
	got := mtRead(t, s.get("/").Body)
	if got == nil {
		t.Fatal("no metrics section with a displayed metric")
	}
	if len(got.captions) != 1 || !strings.HasPrefix(got.captions[0], "API response time ") {
		t.Errorf("charts %q, want the displayed metric's alone", got.captions)
	}
	// Below the components, above the past incidents.
	doc := pgParse(t, s.get("/").Body)
	var order []string
	for _, sec := range pgAll(doc, pgSel("section")) {
		id, _ := pgAttr(sec, "aria-labelledby")
		order = append(order, id)
	}
	if want := "page-status components metrics past-incidents"; strings.Join(order, " ") != want {
		t.Errorf("sections %q, want %q", order, want)
	}

	if _, err := env.svc.Metrics.Update(context.Background(), shown.ID, metrics.MetricInput{Display: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if got := mtRead(t, s.get("/").Body); got != nil {
		t.Errorf("the section stays once the metric is hidden: %q", got.captions)
	}
}

// TestMetricsPeriods: the section's links choose the period without
// script — "/" shows a day, "/?metrics=week" a week and "/?metrics=month" a
// month, each marked as current, each chart with its period's buckets —
// and each period's page is kept with its ETag; another value is not
// found.
func TestMetricsPeriods(t *testing.T) {
	env := pgNewEnv(t)
	m := mtMetric(t, env, "API response time", true)
	mtFill(t, env, m.ID, 2*time.Hour)
	first := mtRead(t, pgGet(env, "/").Body)
	if first == nil {
		t.Fatal("no metrics section")
	}
	want := map[string]string{"Day": "/#metrics", "Week": "/?metrics=week#metrics", "Month": "/?metrics=month#metrics"}
	if len(first.links) != len(want) {
		t.Errorf("links %q, want %q", first.links, want)
	}
	for _, tt := range []struct {
		label   string
		buckets int
		period  string
	}{
		{"Day", 288, "day"},
		{"Week", 168, "week"},
		{"Month", 180, "month"},
	} {
		t.Run(tt.label, func(t *testing.T) {
			href := first.links[tt.label]
			if href != want[tt.label] {
				t.Fatalf("the %s link goes to %q, want %q", tt.label, href, want[tt.label])
			}
			path, _, _ := strings.Cut(href, "#")
			res := pgGet(env, path)
			got := mtRead(t, res.Body)
			if got == nil || got.current != tt.label {
				t.Fatalf("GET %s: current period %v, want %s", path, got, tt.label)
			}
			if len(got.items) != 1 || got.items[0] != tt.buckets || len(got.tips[0]) == 0 {
				t.Errorf("GET %s: charts with %v points (%d with data), want one with %d", path, got.items, len(got.tips[0]), tt.buckets)
			}
			if !strings.HasSuffix(got.captions[0], "over the last "+tt.period) {
				t.Errorf("GET %s: caption %q, want it to say the last %s", path, got.captions[0], tt.period)
			}
			etag := res.Header.Get("ETag")
			if again := env.do("GET", path, "", "If-None-Match", etag); etag == "" || again.Status != 304 {
				t.Errorf("GET %s again with its ETag %q: status %d, want 304", path, etag, again.Status)
			}
		})
	}
	for _, q := range []string{"year", "Week", "week%00"} {
		if res := env.do("GET", "/?metrics="+q, ""); res.Status != 404 {
			t.Errorf("GET /?metrics=%s: status %d, want 404", q, res.Status)
		}
	}
}

// TestMetricsFollowData: data pushed shows on the charts a minute after
// they were drawn, not before — nor when a change elsewhere rebuilds the
// page in between, which keeps the charts as drawn (the same bytes) — and
// on every period's page; a change to a metric shows at once.
func TestMetricsFollowData(t *testing.T) {
	env := pgNewEnv(t)
	m := mtMetric(t, env, "API response time", true)
	caption := func(path string) (string, string) {
		t.Helper()
		res := pgGet(env, path)
		got := mtRead(t, res.Body)
		if got == nil || len(got.captions) != 1 {
			t.Fatalf("GET %s: no chart", path)
		}
		_, sum, _ := strings.Cut(got.captions[0], "API response time ")
		return sum, res.Header.Get("ETag")
	}
	const empty = "No data over the last day"
	before, etag := caption("/")
	if before != empty {
		t.Fatalf("caption %q, want %q", before, empty)
	}
	if week, _ := caption("/?metrics=week"); week != "No data over the last week" {
		t.Fatalf("the week's caption %q", week)
	}
	drawn := env.clock.Now()

	env.clock.Advance(20 * time.Second)
	mtPush(t, env, m.ID, 123)
	if got, tag := caption("/"); got != empty || tag != etag {
		t.Errorf("20 s after drawing, a point pushed shows at once: %q (ETag %s, was %s)", got, tag, etag)
	}
	// A change elsewhere rebuilds the page, not the charts.
	env.clock.Advance(20 * time.Second)
	env.component(components.Input{Name: ptr("Dashboard")})
	if got, _ := caption("/"); got != empty {
		t.Errorf("a component added 40 s after drawing redraws the charts: %q", got)
	}
	if got, _ := caption("/?metrics=week"); got != "No data over the last week" {
		t.Errorf("the week's page rendered again 40 s after its charts were drawn shows the point before their minute: %q", got)
	}

	env.clock.Set(drawn.Add(chartsTTL - time.Second))
	if got, _ := caption("/"); got != empty {
		t.Errorf("a second before the minute: %q", got)
	}
	env.clock.Set(drawn.Add(chartsTTL))
	if got, _ := caption("/"); got != "Latest 123 ms, average 123 ms, highest 123 ms over the last day" {
		t.Errorf("a minute after drawing, the chart says %q, want the point pushed", got)
	}
	env.clock.Advance(chartsTTL)
	if got, _ := caption("/?metrics=week"); !strings.HasPrefix(got, "Latest 123 ms") {
		t.Errorf("the week's chart a minute later: %q", got)
	}

	// Renaming a metric is a change: it shows at once.
	if _, err := env.svc.Metrics.Update(context.Background(), m.ID, metrics.MetricInput{Name: ptr("Latency"), Suffix: ptr("s")}); err != nil {
		t.Fatal(err)
	}
	got := mtRead(t, pgGet(env, "/").Body)
	if !strings.HasPrefix(got.captions[0], "Latency Latest 123 s") {
		t.Errorf("after renaming, the caption reads %q", got.captions[0])
	}
}

// TestMetricsPointTooltips: each point's tooltip gives its bucket's time
// in the page's zone and its average, with the metric's decimals and
// suffix.
func TestMetricsPointTooltips(t *testing.T) {
	env := pgNewEnv(t) // America/New_York; the clock at 2026-03-10 12:00 UTC
	m := mtMetric(t, env, "API response time", true)
	if _, err := env.svc.Metrics.Update(context.Background(), m.ID, metrics.MetricInput{DecimalPlaces: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(-10 * time.Minute)
	mtPush(t, env, m.ID, 100)
	env.clock.Advance(30 * time.Second)
	mtPush(t, env, m.ID, 120)
	env.clock.Advance(10 * time.Minute)
	got := mtRead(t, pgGet(env, "/").Body)
	// 11:50 and 11:50:30 UTC are one 5-minute bucket, 07:50 in New York.
	if len(got.tips[0]) != 1 || got.tips[0][0] != "Mar 10 07:50 · 110.0 ms" {
		t.Errorf("tooltips %q, want one: %q", got.tips[0], "Mar 10 07:50 · 110.0 ms")
	}
	if got.items[0] != 288 {
		t.Errorf("%d points, want 288", got.items[0])
	}
}

// TestMetricsWindowMoves: with no new data, the charts still move on with
// the clock once their window passes a bucket: a point slides left.
func TestMetricsWindowMoves(t *testing.T) {
	env := pgNewEnv(t)
	m := mtMetric(t, env, "API response time", true)
	mtPush(t, env, m.ID, 100)
	at := func() int {
		t.Helper()
		doc := pgParse(t, pgGet(env, "/").Body)
		points := pgOne(t, doc, pgSel("ol", "points"), "the chart's points")
		for i, li := range pgAll(points, pgSel("li")) {
			if strings.HasSuffix(pgText(li), " · 100 ms") {
				return i
			}
		}
		t.Fatal("the point is not on the chart")
		return 0
	}
	if got := at(); got != 287 {
		t.Fatalf("the point just pushed is bucket %d of the day, want the last (287)", got)
	}
	env.clock.Advance(10 * time.Minute)
	if got := at(); got != 285 {
		t.Errorf("10 minutes later, with no new data, the point is bucket %d, want 285", got)
	}
}

// BenchmarkCharts measures drawing the charts of three metrics with every
// bucket full, for each period, as a snapshot rebuild does once they are
// stale: the series read from SQLite and drawn. Recorded in
// docs/BENCHMARKS.md, never asserted.
//
//	go test ./public -run '^$' -bench Charts -benchtime 50x
func BenchmarkCharts(b *testing.B) {
	env := newTestEnv(b)
	ctx := context.Background()
	for _, name := range []string{"API response time", "Error rate", "Queue depth"} {
		id := mtMetric(b, env, name, true).ID
		// A month: a day at a time (a request takes 10,000 points at
		// most), the clock moved so that every point is recent.
		end := env.clock.Now()
		for d := 29; d >= 0; d-- {
			env.clock.Set(end.AddDate(0, 0, -d))
			mtFill(b, env, id, 24*time.Hour)
		}
	}
	s, err := env.site.cache.get(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range metrics.Periods {
		b.Run(string(p), func(b *testing.B) {
			for b.Loop() {
				env.site.cache.chartSets.sets = nil
				cs, err := env.site.cache.charts(ctx, s, p, s.lang)
				if err != nil || cs == nil || !strings.Contains(string(cs.html), "Latest") {
					b.Fatalf("charts: %v", err)
				}
			}
		})
	}
}
