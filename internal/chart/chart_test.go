package chart

import (
	"flag"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// newYork is the page's zone in the tests: times on the axis and in the
// tooltips are its, not UTC's.
func newYork(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// start is the first bucket of the tests' series: 2026-03-10 12:00 UTC,
// 08:00 in New York.
var start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// short is a series of 24 half-hour buckets (12 hours) with the values
// given for some of them; each bucket spans value ± spread.
func short(t testing.TB, values map[int]float64, spread float64) Series {
	s := Series{ID: "m1", Name: "API response time", Suffix: "ms", Period: "day", From: start, To: start.Add(12 * time.Hour),
		Step: 30 * time.Minute, Loc: newYork(t)}
	for _, i := range slices.Sorted(func(yield func(int) bool) {
		for i := range values {
			if !yield(i) {
				return
			}
		}
	}) {
		v := values[i]
		s.Points = append(s.Points, Point{Time: start.Add(time.Duration(i) * 30 * time.Minute), Avg: v, Min: v - spread, Max: v + spread, Count: 60})
	}
	return s
}

// full returns every one of n buckets' values from f.
func full(n int, f func(i int) float64) map[int]float64 {
	out := make(map[int]float64, n)
	for i := range n {
		out[i] = f(i)
	}
	return out
}

// day is a full day of 5-minute buckets, a response time that rises in
// the afternoon.
func day(t testing.TB) Series {
	s := Series{ID: "m1", Name: "API response time", Description: "Median time to first byte", Suffix: "ms", Period: "day",
		From: start, To: start.Add(24 * time.Hour), Step: 5 * time.Minute, Loc: newYork(t)}
	for i := range 288 {
		v := 120 + 40*math.Sin(float64(i)/288*2*math.Pi) + float64(i%7)
		s.Points = append(s.Points, Point{Time: start.Add(time.Duration(i) * 5 * time.Minute), Avg: v, Min: v - 15 - float64(i%5), Max: v + 30 + float64(i%11), Count: 10})
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// TestGolden compares the charts of typical and awkward series with the
// files under testdata (go test ./internal/chart -update rewrites them).
func TestGolden(t *testing.T) {
	gaps := short(t, map[int]float64{3: 80, 4: 95, 5: 90, 9: 120, 14: 100, 15: 110, 16: 105, 17: 98}, 10)
	forced := short(t, full(24, func(i int) float64 { return 40 + float64(i*7) }), 5)
	forced.YMin, forced.YMax = ptr(50.0), ptr(150.0)
	hidden := short(t, full(24, func(i int) float64 { return 0.5 + float64(i%4)/10 }), 0.05)
	hidden.Name, hidden.Suffix, hidden.Decimals, hidden.YHidden = "Error rate", "%", 2, true
	negative := short(t, full(24, func(i int) float64 { return -20 + float64(i)*1.5 }), 2)
	negative.Name, negative.Suffix, negative.Decimals = "Freezer temperature", "°C", 1
	flat := short(t, full(24, func(int) float64 { return 0 }), 0)
	flat.Name, flat.Suffix = "Queue depth", ""
	empty := short(t, nil, 0)
	empty.Period = "week"
	hostile := short(t, map[int]float64{0: 1, 1: 2}, 0)
	hostile.ID = `x" onmouseover="alert(1)`
	hostile.Name = "<script>alert(1)</script> & \"quotes\"\x00\u202e"
	hostile.Suffix = `"><img src=x onerror=alert(1)>`
	hostile.Description = "Line one\nline <b>two</b>"
	hostile.Period = "<i>day</i>"

	for _, tt := range []struct {
		name string
		s    Series
	}{
		{"normal", day(t)},
		{"gaps", gaps},
		{"flat", flat},
		{"negative", negative},
		{"forced", forced},
		{"hidden", hidden},
		{"empty", empty},
		{"hostile", hostile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testutil.Golden(t, filepath.Join("testdata", tt.name+".html"), HTML(tt.s)+"\n", *update)
		})
	}
}

// parse returns the chart's elements.
func parse(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return b.String()
}

// TestHostileText: a name, suffix, description, period and id made of
// markup stay text; no element or attribute comes of them, and control
// and bidirectional characters are dropped.
func TestHostileText(t *testing.T) {
	s := short(t, map[int]float64{0: 1, 1: 2}, 0)
	s.ID = `x" onmouseover="alert(1)`
	s.Name = "<script>alert(1)</script>\x00\u202e"
	s.Suffix = `"><img src=x onerror=alert(1)>`
	s.Description = "<b>bold</b>"
	s.Period = "<i>day</i>"
	out := HTML(s)
	walk(parse(t, out), func(n *html.Node) {
		switch n.Data {
		case "script", "img", "b", "i":
			t.Errorf("the chart has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "src" {
				t.Errorf("<%s> has the attribute %s=%q", n.Data, a.Key, a.Val)
			}
		}
	})
	if strings.ContainsAny(out, "\x00\u202e") {
		t.Error("the chart keeps a control or bidirectional character")
	}
	if !strings.Contains(out, `<span class="name">&lt;script&gt;alert(1)&lt;/script&gt;</span>`) {
		t.Errorf("the name is not written as text:\n%s", out)
	}
}

// points reads the tooltips of the chart's points, "" for an empty
// bucket, and which take the focus.
func points(t *testing.T, out string) (tips []string, focus []int) {
	t.Helper()
	walk(parse(t, out), func(n *html.Node) {
		if n.Data != "li" {
			return
		}
		if _, ok := attr(n, "tabindex"); ok {
			focus = append(focus, len(tips))
		}
		if v, _ := attr(n, "aria-hidden"); v == "true" {
			if text(n) != "" {
				t.Errorf("hidden item %d has text %q", len(tips), text(n))
			}
			tips = append(tips, "")
			return
		}
		tips = append(tips, text(n))
	})
	return tips, focus
}

// TestPoints: one item per bucket in order, each with data saying its
// time in the page's zone and its average with the decimals and suffix;
// empty buckets are hidden items; the latest point and the highest take
// the focus.
func TestPoints(t *testing.T) {
	s := short(t, map[int]float64{1: 12.345, 2: 99.5, 5: -0.001}, 1)
	s.Decimals = 2
	tips, focus := points(t, HTML(s))
	if len(tips) != 24 {
		t.Fatalf("%d items, want one per bucket (24)", len(tips))
	}
	want := map[int]string{1: "Mar 10 08:30 · 12.35 ms", 2: "Mar 10 09:00 · 99.50 ms", 5: "Mar 10 10:30 · 0.00 ms"}
	for i, tip := range tips {
		if tip != want[i] {
			t.Errorf("item %d reads %q, want %q", i, tip, want[i])
		}
	}
	if !slices.Equal(focus, []int{2, 5}) {
		t.Errorf("items %v take the focus, want the highest (2) and the latest (5)", focus)
	}
}

// TestCaption: the caption names the metric and sums the period up: the
// latest average, the average weighted by each bucket's count, and the
// highest value any bucket saw.
func TestCaption(t *testing.T) {
	s := short(t, nil, 0)
	s.Points = []Point{
		{Time: start, Avg: 10, Min: 5, Max: 20, Count: 3},
		{Time: start.Add(time.Hour), Avg: 30, Min: 25, Max: 90, Count: 1},
		{Time: start.Add(2 * time.Hour), Avg: 20, Min: 20, Max: 20, Count: 0}, // counts as 1
	}
	var caption string
	walk(parse(t, HTML(s)), func(n *html.Node) {
		if n.Data == "figcaption" {
			caption = text(n)
		}
	})
	// (10×3 + 30 + 20) / 5 = 16.
	if want := "API response time Latest 20 ms, average 16 ms, highest 90 ms over the last day"; caption != want {
		t.Errorf("caption %q, want %q", caption, want)
	}
}

// TestTimeAxis: the labels fall at round times in the page's zone — every
// 3 hours over a day (the ones between 6-hourly labels marked for phones
// to hide), each midnight over a week, each Monday over a month — none at
// the very ends; across the switch to daylight time too.
func TestTimeAxis(t *testing.T) {
	loc := newYork(t)
	labels := func(from, to time.Time) (all, odd []string) {
		var b strings.Builder
		timeAxis(&b, from, to, loc, nil)
		walk(parse(t, b.String()), func(n *html.Node) {
			if n.Data == "text" {
				all = append(all, text(n))
				if c, _ := attr(n, "class"); c == "odd" {
					odd = append(odd, text(n))
				}
			}
		})
		return all, odd
	}
	for _, tt := range []struct {
		name     string
		from     time.Time
		span     time.Duration
		all, odd []string
	}{
		// 2026-03-08 02:00 New York does not exist: the clocks went from
		// 02:00 EST to 03:00 EDT.
		{"day across the switch", time.Date(2026, 3, 7, 22, 5, 0, 0, loc), 24 * time.Hour,
			[]string{"00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"}, []string{"03:00", "09:00", "15:00", "21:00"}},
		{"day", start, 24 * time.Hour,
			[]string{"09:00", "12:00", "15:00", "18:00", "21:00", "00:00", "03:00", "06:00"}, []string{"09:00", "15:00", "21:00", "03:00"}},
		{"week", start, 7 * 24 * time.Hour,
			[]string{"Wed 11", "Thu 12", "Fri 13", "Sat 14", "Sun 15", "Mon 16", "Tue 17"}, []string{"Wed 11", "Fri 13", "Sun 15", "Tue 17"}},
		{"month", start.AddDate(0, 0, -30), 30 * 24 * time.Hour,
			[]string{"Feb 16", "Feb 23", "Mar 2", "Mar 9"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			all, odd := labels(tt.from, tt.from.Add(tt.span))
			if !slices.Equal(all, tt.all) || !slices.Equal(odd, tt.odd) {
				t.Errorf("labels %q (hidden on phones %q), want %q (%q)", all, odd, tt.all, tt.odd)
			}
		})
	}
}

// TestScale: the value axis includes zero unless forced, widens to round
// steps, and its ticks are written with the places the step needs.
func TestScale(t *testing.T) {
	for _, tt := range []struct {
		name      string
		lo, hi    float64
		fLo, fHi  *float64
		wantTicks []float64
		decimals  int
	}{
		{"response time", 80, 173, nil, nil, []float64{0, 50, 100, 150, 200}, 0},
		{"fractions", 0.12, 0.61, nil, nil, []float64{0, 0.2, 0.4, 0.6, 0.8}, 1},
		{"negative", -21, 15, nil, nil, []float64{-30, -20, -10, 0, 10, 20}, 0},
		{"flat at zero", 0, 0, nil, nil, []float64{0, 0.5, 1}, 1},
		{"forced", 10, 300, ptr(50.0), ptr(150.0), []float64{50, 100, 150}, 0},
		{"forced the wrong way round", 10, 30, ptr(20.0), ptr(10.0), []float64{20, 20.5, 21}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc, ok := fit([]*Point{{Avg: tt.lo, Min: tt.lo, Max: tt.lo}, nil, {Avg: tt.hi, Min: tt.hi, Max: tt.hi}}, tt.fLo, tt.fHi)
			if !ok {
				t.Fatal("no scale")
			}
			if !slices.EqualFunc(sc.ticks, tt.wantTicks, func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }) || sc.decimals != tt.decimals {
				t.Errorf("ticks %v with %d places, want %v with %d", sc.ticks, sc.decimals, tt.wantTicks, tt.decimals)
			}
		})
	}
	if _, ok := fit([]*Point{nil, nil}, nil, nil); ok {
		t.Error("a scale without data")
	}
}

// TestExtremes: values at the ends of float64's range, and a series whose
// step or span makes no buckets, still make a chart, with whole
// coordinates.
// exponent matches a number written with an exponent (1e+15, 2.5E-07).
var exponent = regexp.MustCompile(`[0-9][eE][+-]?[0-9]`)

func TestExtremes(t *testing.T) {
	// metrics refuses values past ±1e15 (metrics.MaxValue): within them,
	// every label and coordinate is a plain number.
	for _, c := range []struct {
		values   map[int]float64
		spread   float64
		decimals int
	}{
		{map[int]float64{0: -1e15, 1: 1e15, 2: 999999999999999.9}, 0, 6},
		{map[int]float64{0: 1e15, 1: 1e15 - 1, 2: 1e15}, 0, 6},
		{map[int]float64{0: -1e15, 1: -1e15}, 0, 0},
		{map[int]float64{0: 5e14, 1: -5e14, 2: 1e-9}, 5e14, 3},
		{map[int]float64{0: 1e15, 1: 1e15 - 0.001, 2: math.NaN()}, 0, 6},
	} {
		s := short(t, c.values, c.spread)
		s.Decimals = c.decimals
		out := HTML(s)
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") || exponent.MatchString(out) ||
			strings.Contains(out, "-9223372036854775808") {
			t.Errorf("%v: labels or coordinates that are not plain numbers:\n%s", c.values, out)
		}
	}
	s := short(t, map[int]float64{0: 1}, 0)
	s.Step = 0
	if out := HTML(s); !strings.Contains(out, "No data") {
		t.Errorf("a series without a step shows data:\n%s", out)
	}
}

// Value is the one way a metric's value is written, on the page and in the
// console.
func TestValue(t *testing.T) {
	for _, c := range []struct {
		v        float64
		decimals int
		suffix   string
		want     string
	}{
		{120, 0, "ms", "120 ms"},
		{120, 0, " ms", "120 ms"},
		{-0.04, 1, "ms", "0.0 ms"},
		{-0.4, 0, "", "0"},
		{1.23456789, 9, "%", "1.234568 %"},
		{2.5, -1, "", "2"},
		{-1e15, 2, "", "-1000000000000000.00"},
	} {
		if got := Value(c.v, c.decimals, c.suffix); got != c.want {
			t.Errorf("Value(%v, %d, %q) = %q, want %q", c.v, c.decimals, c.suffix, got, c.want)
		}
	}
}

// TestTimeAxisMidnightSwitch: where daylight time begins at midnight (in
// America/Santiago, 2026-09-06 begins at 01:00), the week's day labels go
// on past that day (time.Date answers 23:00 the day before for the missing
// midnight: a next day counted from it was the same day, for ever).
func TestTimeAxisMidnightSwitch(t *testing.T) {
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 9, 3, 12, 0, 0, 0, loc)
	for _, tt := range []struct {
		span time.Duration
		want []string
	}{
		{7 * 24 * time.Hour, []string{"Fri 4", "Sat 5", "Sun 6", "Mon 7", "Tue 8", "Wed 9", "Thu 10"}},
		{30 * 24 * time.Hour, []string{"Sep 7", "Sep 14", "Sep 21", "Sep 28"}},
	} {
		var b strings.Builder
		timeAxis(&b, from, from.Add(tt.span), loc, nil)
		var all []string
		walk(parse(t, b.String()), func(n *html.Node) {
			if n.Data == "text" {
				all = append(all, text(n))
			}
		})
		if !slices.Equal(all, tt.want) {
			t.Errorf("%v from %v: labels %q, want %q", tt.span, from, all, tt.want)
		}
	}
}
