package public

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
)

// TestBarClass colours one day of each kind and reads its bar back: the
// class is the worst status the day saw, the tooltip lists that status
// first, and the legend gives that class the tooltip's words. A day with
// less than a minute of major outage is as red as a day with hours of it.
func TestBarClass(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		name  string
		day   components.Day
		class string
		first string // the tooltip's first status, after the date
	}{
		{"no data", components.Day{NoData: true}, "nodata", "No data"},
		{"nothing happened", components.Day{Tracked: 24 * h}, "ok", "No downtime"},
		{"seconds of major outage", components.Day{Tracked: 24 * h, MajorOutage: 20 * time.Second}, "major", "Major outage less than a minute"},
		{"major then partial outage", components.Day{Tracked: 24 * h, MajorOutage: 39 * time.Minute, PartialOut: 5 * h}, "major", "Major outage 39 min"},
		{"a minute of partial outage", components.Day{Tracked: 24 * h, PartialOut: time.Minute}, "partial", "Partial outage 1 min"},
		{"partial outage and degraded", components.Day{Tracked: 24 * h, PartialOut: 10 * time.Minute, Degraded: 20 * h}, "partial", "Partial outage 10 min"},
		{"degraded during maintenance", components.Day{Tracked: 24 * h, Degraded: 2 * h, Maintenance: 3 * h}, "degraded", "Degraded performance 2 h"},
		{"maintenance only", components.Day{Tracked: 24 * h, Maintenance: 90 * time.Minute}, "maint", "Maintenance 1 h 30 min"},
		{"today, an hour in, degraded", components.Day{Tracked: h, Degraded: time.Minute}, "degraded", "Degraded performance 1 min"},
	}
	words := map[string]string{}
	en := testLang(t, "en")
	for _, k := range legend(en) {
		words[k.Class] = k.Label
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.day.Date = "2026-03-10"
			if got := barClass(tt.day); got != tt.class {
				t.Errorf("barClass = %q, want %q", got, tt.class)
			}
			bd := newBarDays([]components.Day{tt.day}, time.UTC, en)
			var b strings.Builder
			bd.barsHTML(&b, "c1", "API", components.Uptime{Days: []components.Day{tt.day}}, nil)
			doc := pgParse(t, []byte(b.String()))
			li := pgOne(t, doc, pgSel("li"), "bars")
			if cls, _ := pgAttr(li, "class"); cls != tt.class {
				t.Errorf("bar class %q, want %q", cls, tt.class)
			}
			tip := strings.TrimPrefix(pgText(pgOne(t, li, pgSel("span", "tip"), "tooltips")), "Mar 10, 2026 ")
			if !strings.HasPrefix(tip, tt.first) {
				t.Errorf("tooltip %q, want it to start with %q", tip, tt.first)
			}
			if label := words[tt.class]; label == "" || !strings.HasPrefix(tt.first, label) {
				t.Errorf("the legend calls %q %q; the tooltip says %q", tt.class, label, tt.first)
			}
		})
	}
}

// TestBarsPhoneRule checks that beacon.css hides as many bars on a phone
// as the page shows beyond phoneDays: the axis's 30-day figure is about
// the bars left visible. (TestBrowserBars counts them in Chromium.)
func TestBarsPhoneRule(t *testing.T) {
	css, err := fs.ReadFile(static, "static/beacon.css")
	if err != nil {
		t.Fatal(err)
	}
	rule := "ol.bars li:nth-child(-n+" + strconv.Itoa(UptimeDays-phoneDays) + ") { display: none; }"
	if !strings.Contains(string(css), rule) {
		t.Errorf("beacon.css has no %q", rule)
	}
}
