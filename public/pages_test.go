package public

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/testutil"
)

// Public page tests: the scenes are built through the domain services with
// the test clock, so every time on the rendered pages is fixed; ids are
// random and are replaced by stable placeholders before comparing with the
// golden files under testdata/pages (refreshed with -update).

// pgUpdate rewrites the golden files under testdata/pages.
var pgUpdate = flag.Bool("update", false, "rewrite the golden files under testdata/pages")

// pgZone is the page time zone of the scenes: the US switched to daylight
// time on 2026-03-08, so the scene shows both EST and EDT.
const pgZone = "America/New_York"

// pgScene is a page built through the services, with the ids it made by
// name.
type pgScene struct {
	env   *testEnv
	ids   map[string]string // name → id
	order []string          // names in creation order
}

// with returns the scene seen from test t (a subtest), so that failures
// stop t and not the test that built the scene.
func (s *pgScene) with(t *testing.T) *pgScene {
	env := *s.env
	env.t = t
	c := *s
	c.env = &env
	return &c
}

func (s *pgScene) id(name string) string {
	s.env.t.Helper()
	id, ok := s.ids[name]
	if !ok {
		s.env.t.Fatalf("scene has no %q", name)
	}
	return id
}

func (s *pgScene) remember(name, id string) string {
	s.env.t.Helper()
	if _, dup := s.ids[name]; dup {
		s.env.t.Fatalf("scene already has %q", name)
	}
	s.ids[name] = id
	s.order = append(s.order, name)
	return id
}

// at moves the clock to a UTC time.
func (s *pgScene) at(year int, month time.Month, day, hour, min int) {
	s.env.clock.Set(time.Date(year, month, day, hour, min, 0, 0, time.UTC))
}

// component creates component name from in and remembers its id.
func (s *pgScene) component(name string, in components.Input) string {
	s.env.t.Helper()
	in.Name = &name
	return s.remember(name, s.env.component(in))
}

// group creates a group of the named members at a top-level position.
func (s *pgScene) group(name string, position int, members ...string) string {
	s.env.t.Helper()
	var list []string
	for _, m := range members {
		list = append(list, s.id(m))
	}
	return s.remember(name, s.env.group(components.GroupInput{Name: &name, Position: &position, Members: &list}))
}

// incident creates incident or maintenance name from n, whose ComponentIDs
// and Components name components by name.
func (s *pgScene) incident(name string, n incidents.NewIncident) string {
	s.env.t.Helper()
	n.Name = name
	n.ComponentIDs, n.Components = s.named(n.ComponentIDs), s.statuses(n.Components)
	return s.remember(name, s.env.incident(n).ID)
}

// patch changes an incident (by name) the same way.
func (s *pgScene) patch(name string, c incidents.Change) {
	s.env.t.Helper()
	if c.ComponentIDs != nil {
		list := s.named(*c.ComponentIDs)
		c.ComponentIDs = &list
	}
	c.Components = s.statuses(c.Components)
	s.env.change(s.id(name), c)
}

// update changes a component (by name).
func (s *pgScene) update(name string, in components.Input) {
	s.env.t.Helper()
	if _, err := s.env.components.Update(context.Background(), s.id(name), in); err != nil {
		s.env.t.Fatal(err)
	}
}

// postmortem sets the postmortem of an incident (by name) to draft and
// publishes it without notifying anyone.
func (s *pgScene) postmortem(name, draft string) {
	s.env.t.Helper()
	ctx := context.Background()
	if _, err := s.env.incidents.SetPostmortem(ctx, s.id(name), draft); err != nil {
		s.env.t.Fatal(err)
	}
	if _, err := s.env.incidents.PublishPostmortem(ctx, s.id(name), incidents.Publication{}); err != nil {
		s.env.t.Fatal(err)
	}
}

// named returns the ids of the named components.
func (s *pgScene) named(names []string) []string {
	s.env.t.Helper()
	var out []string
	for _, n := range names {
		out = append(out, s.id(n))
	}
	return out
}

// statuses returns the statuses of the named components by id.
func (s *pgScene) statuses(byName map[string]components.Status) map[string]components.Status {
	s.env.t.Helper()
	if byName == nil {
		return nil
	}
	out := map[string]components.Status{}
	for n, st := range byName {
		out[s.id(n)] = st
	}
	return out
}

// normalise replaces every id the scene made with a placeholder naming it.
func (s *pgScene) normalise(b []byte) []byte {
	out := string(b)
	pairs := []string{s.env.pageID, "{page}"}
	for _, n := range s.order {
		pairs = append(pairs, s.ids[n], "{"+n+"}")
	}
	return []byte(strings.NewReplacer(pairs...).Replace(out))
}

// get fetches a public path and fails unless it answers 200.
func (s *pgScene) get(path string, headers ...string) testutil.Response {
	s.env.t.Helper()
	return pgGet(s.env, path, headers...)
}

func pgGet(env *testEnv, path string, headers ...string) testutil.Response {
	env.t.Helper()
	res := env.do("GET", path, "", headers...)
	if res.Status != 200 {
		env.t.Fatalf("GET %s: status %d, want 200; body %.300s", path, res.Status, res.Body)
	}
	return res
}

// pgNewEnv is a test environment whose page is "Acme" in pgZone.
// cacheControl, when given, is the Cache-Control of the cached responses.
func pgNewEnv(t *testing.T, cacheControl ...string) *testEnv {
	t.Helper()
	env := newDefaultEnv(t, cacheControl...)
	env.savePage(components.PageInput{Name: ptr("Acme"), TimeZone: ptr(pgZone), SupportURL: ptr("https://support.example.com")})
	return env
}

// pgUTC returns a UTC time, for the services' optional times.
func pgUTC(year int, month time.Month, day, hour, min int) *time.Time {
	t := time.Date(year, month, day, hour, min, 0, 0, time.UTC)
	return &t
}

// pgStatuses is a component statuses map by name, for pgScene.
type pgStatuses = map[string]components.Status

// pgShowcase builds the scene most page tests read (times UTC; the page is
// in New York):
//
//   - API (showcase, exists from the start); group Platform with Database
//     (showcase) and Queue; group Edge with CDN and DNS (showcase); group
//     Internal with Wiki and CI, all operational; Billing and Legacy FTP
//     shown only when degraded; group Archive whose one member is shown
//     only when degraded; Website (showcase) created on 2026-01-20.
//   - 2025-12-20 a backfilled incident; 2026-01-10 ten minutes of API major
//     outage; 2026-01-25 03:00–07:00 (22:00–02:00 in New York) API partial
//     outage across midnight; 2026-02-03 14:00–15:00 API major outage with a
//     five-update timeline and a published postmortem; 2026-02-15
//     09:00–11:00 a completed maintenance on API and Database; 2026-02-20
//     15:00–18:00 Database partial outage; 2026-03-05 13:00–17:00 API major
//     outage; 2026-03-08 Website degraded for an hour.
//   - Now, 2026-03-10 16:00 (12:00 EDT): DNS under an in-progress
//     maintenance, an active incident on Database and Billing, and a
//     maintenance upcoming on 2026-03-12.
func pgShowcase(t *testing.T) *pgScene {
	t.Helper()
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}

	s.at(2025, 11, 20, 15, 0)
	s.component("API", components.Input{Position: ptr(1), Showcase: ptr(true), Description: ptr("Public REST API")})
	s.component("Database", components.Input{Showcase: ptr(true)})
	s.component("Queue", components.Input{Showcase: ptr(false)})
	s.group("Platform", 2, "Database", "Queue")
	s.component("CDN", components.Input{Showcase: ptr(false)})
	s.component("DNS", components.Input{Showcase: ptr(true)})
	s.group("Edge", 3, "CDN", "DNS")
	s.component("Wiki", components.Input{Showcase: ptr(false)})
	s.component("CI", components.Input{Showcase: ptr(false)})
	s.group("Internal", 4, "Wiki", "CI")
	s.component("Billing", components.Input{Position: ptr(5), Showcase: ptr(false), OnlyShowIfDegraded: ptr(true)})
	s.component("Legacy FTP", components.Input{Position: ptr(6), Showcase: ptr(false), OnlyShowIfDegraded: ptr(true)})
	s.component("Old Mailer", components.Input{Showcase: ptr(false), OnlyShowIfDegraded: ptr(true)})
	s.group("Archive", 7, "Old Mailer")

	s.at(2025, 12, 28, 12, 0)
	s.incident("Billing emails delayed", incidents.NewIncident{Backfilled: true, BackfillDate: pgUTC(2025, 12, 20, 14, 0),
		ComponentIDs: []string{"Billing"}, Body: "Invoices were sent late."})

	s.at(2026, 1, 10, 15, 0)
	s.incident("Brief API blip", incidents.NewIncident{Components: pgStatuses{"API": components.MajorOutage}})
	s.at(2026, 1, 10, 15, 10)
	s.patch("Brief API blip", incidents.Change{Status: ptr(incidents.Resolved)})

	s.at(2026, 1, 20, 15, 0)
	s.component("Website", components.Input{Position: ptr(8), Showcase: ptr(true)})

	s.at(2026, 1, 25, 3, 0)
	s.incident("Overnight API slowness", incidents.NewIncident{Components: pgStatuses{"API": components.PartialOutage},
		Body: "Some API requests are failing."})
	s.at(2026, 1, 25, 7, 0)
	s.patch("Overnight API slowness", incidents.Change{Status: ptr(incidents.Resolved)})

	s.at(2026, 2, 3, 14, 0)
	s.incident("Elevated API errors", incidents.NewIncident{Components: pgStatuses{"API": components.MajorOutage},
		ComponentIDs: []string{"API", "Database", "CDN"},
		Body:         "We are investigating elevated error rates on the API."})
	s.at(2026, 2, 3, 14, 30)
	s.patch("Elevated API errors", incidents.Change{Status: ptr(incidents.Identified), Body: ptr("A bad deploy is the cause; rolling it back.")})
	s.at(2026, 2, 3, 15, 0)
	s.patch("Elevated API errors", incidents.Change{Status: ptr(incidents.Monitoring), Components: pgStatuses{"API": components.Operational},
		Body: ptr("The rollback is complete; we are **monitoring** error rates.")})
	s.at(2026, 2, 3, 15, 20)
	s.patch("Elevated API errors", incidents.Change{Body: ptr("Error rates are back to normal levels.")})
	s.at(2026, 2, 3, 16, 0)
	s.patch("Elevated API errors", incidents.Change{Status: ptr(incidents.Resolved)})
	s.at(2026, 2, 5, 12, 0)
	s.postmortem("Elevated API errors",
		"## What happened\n\nA configuration change reached every API node at once.\n\n- We now deploy in stages.")

	s.at(2026, 2, 14, 15, 0)
	s.incident("Database upgrade", incidents.NewIncident{ScheduledFor: pgUTC(2026, 2, 15, 9, 0), ScheduledUntil: pgUTC(2026, 2, 15, 11, 0),
		ComponentIDs: []string{"API", "Database"}, Body: "We will upgrade the primary database."})
	s.at(2026, 2, 15, 9, 0)
	s.patch("Database upgrade", incidents.Change{Status: ptr(incidents.InProgress)})
	s.at(2026, 2, 15, 10, 0)
	s.patch("Database upgrade", incidents.Change{Body: ptr("The upgrade is halfway done.")})
	s.at(2026, 2, 15, 10, 30)
	s.patch("Database upgrade", incidents.Change{Status: ptr(incidents.Verifying)})
	s.at(2026, 2, 15, 11, 0)
	s.patch("Database upgrade", incidents.Change{Status: ptr(incidents.Completed)})

	s.at(2026, 2, 20, 15, 0)
	s.incident("Database latency", incidents.NewIncident{Components: pgStatuses{"Database": components.PartialOutage}})
	s.at(2026, 2, 20, 18, 0)
	s.patch("Database latency", incidents.Change{Status: ptr(incidents.Resolved)})

	s.at(2026, 3, 5, 13, 0)
	s.incident("API outage", incidents.NewIncident{Components: pgStatuses{"API": components.MajorOutage}})
	s.at(2026, 3, 5, 17, 0)
	s.patch("API outage", incidents.Change{Status: ptr(incidents.Resolved), Body: ptr("Service is restored.")})

	s.at(2026, 3, 8, 15, 0)
	s.incident("Slow dashboard", incidents.NewIncident{Components: pgStatuses{"Website": components.DegradedPerformance}})
	s.at(2026, 3, 8, 16, 0)
	s.patch("Slow dashboard", incidents.Change{Status: ptr(incidents.Resolved)})

	s.at(2026, 3, 10, 13, 0)
	s.incident("DNS provider migration", incidents.NewIncident{ScheduledFor: pgUTC(2026, 3, 10, 14, 0), ScheduledUntil: pgUTC(2026, 3, 10, 18, 0),
		ComponentIDs: []string{"DNS"}, Body: "We are moving DNS to a new provider."})
	s.at(2026, 3, 10, 14, 0)
	s.patch("DNS provider migration", incidents.Change{Status: ptr(incidents.InProgress)})
	s.at(2026, 3, 10, 14, 30)
	s.incident("Database replication lag", incidents.NewIncident{Components: pgStatuses{"Database": components.PartialOutage, "Billing": components.DegradedPerformance},
		Body: "Replication lag is delaying writes."})
	s.at(2026, 3, 10, 15, 0)
	s.patch("Database replication lag", incidents.Change{Status: ptr(incidents.Identified), Body: ptr("A slow replica was found; failing over.")})
	// The last change is made at the scene's "now", which is when the page
	// is rendered.
	s.at(2026, 3, 10, 16, 0)
	s.incident("Website redesign rollout", incidents.NewIncident{ScheduledFor: pgUTC(2026, 3, 12, 6, 0), ScheduledUntil: pgUTC(2026, 3, 12, 8, 0),
		ComponentIDs: []string{"Website", "CDN"}, Body: "We will roll out the new website."})
	return s
}

// TestPagesShowcase renders the showcase scene once and reads every page
// of it: golden files, then the content of each page.
func TestPagesShowcase(t *testing.T) {
	s := pgShowcase(t)
	t.Run("golden", func(t *testing.T) { pgCheckGolden(t, s.with(t)) })
	t.Run("index", func(t *testing.T) { pgCheckIndex(t, s.with(t)) })
	t.Run("incident", func(t *testing.T) { pgCheckIncident(t, s.with(t)) })
	t.Run("history", func(t *testing.T) { pgCheckHistory(t, s.with(t)) })
	t.Run("times", func(t *testing.T) { pgCheckTimes(t, s.with(t)) })
	t.Run("feeds", func(t *testing.T) { pgCheckFeeds(t, s.with(t)) })
}

// --- golden files ---

// pgCheckGolden renders every public page of the showcase scene and
// compares it byte for byte, ids replaced, with testdata/pages.
func pgCheckGolden(t *testing.T, s *pgScene) {
	tests := []struct {
		file, path string
	}{
		{"index.html", "/"},
		{"incident.html", "/incidents/" + s.id("Elevated API errors")},
		{"maintenance.html", "/incidents/" + s.id("Database upgrade")},
		{"history.html", "/history"},
		{"history-2.html", "/history?page=2"},
		{"history.atom", "/history.atom"},
		{"history.rss", "/history.rss"},
		{"badge.svg", "/badge.svg"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := s.with(t)
			got := s.normalise(s.get(tt.path).Body)
			pgGolden(t, filepath.Join("testdata", "pages", tt.file), got)
		})
	}
}

// pgGolden compares got with the golden file, rewriting it under -update.
func pgGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *pgUpdate {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./public -run TestPages -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", file, pgDiff(string(want), string(got)))
	}
}

// pgDiff shows the first line where want and got differ.
func pgDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + w + "\n  got: " + g
		}
	}
	return "(no line differs)"
}

// --- reading HTML ---

func pgParse(t testing.TB, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

// pgAll returns the elements at or below n that match, in document order.
func pgAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// pgOne returns the one element at or below n that matches, failing the
// test when there is none or several.
func pgOne(t testing.TB, n *html.Node, match func(*html.Node) bool, what string) *html.Node {
	t.Helper()
	all := pgAll(n, match)
	if len(all) != 1 {
		t.Fatalf("found %d %s, want 1", len(all), what)
	}
	return all[0]
}

// pgSel matches elements by tag ("" for any) and classes.
func pgSel(tag string, classes ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if tag != "" && n.Data != tag {
			return false
		}
		for _, c := range classes {
			if !pgHasClass(n, c) {
				return false
			}
		}
		return true
	}
}

// pgWithAttr matches elements of tag whose attribute key is value.
func pgWithAttr(tag, key, value string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, ok := pgAttr(n, key)
		return n.Data == tag && ok && v == value
	}
}

func pgAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func pgHasClass(n *html.Node, class string) bool {
	v, _ := pgAttr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// pgText is the text of n with whitespace collapsed.
func pgText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// pgTexts is pgText of each node.
func pgTexts(nodes []*html.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, pgText(n))
	}
	return out
}

// pgComponent finds the component row named name on "/", or nil.
func pgComponent(doc *html.Node, name string) *html.Node {
	for _, li := range pgAll(doc, pgSel("li", "component")) {
		for _, n := range pgAll(li, pgSel("span", "name")) {
			if pgText(n) == name {
				return li
			}
		}
	}
	return nil
}

// pgGroup finds the <details> of the group named name on "/", or nil.
func pgGroup(doc *html.Node, name string) *html.Node {
	for _, d := range pgAll(doc, pgSel("details")) {
		s := pgAll(d, pgSel("summary"))
		if len(s) > 0 && len(pgAll(s[0], pgSel("span", "name"))) > 0 && pgText(pgAll(s[0], pgSel("span", "name"))[0]) == name {
			return d
		}
	}
	return nil
}

// pgSection finds the <section> labelled by the heading with id.
func pgSection(t testing.TB, doc *html.Node, id string) *html.Node {
	t.Helper()
	return pgOne(t, doc, pgWithAttr("section", "aria-labelledby", id), "section "+id)
}

// --- the page's content ---

// TestPagesBanner checks the summary banner's colour class and exact
// description, and the badge's colour and text, for every indicator.
func TestPagesBanner(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []string
		incident  string // impact_override of an open incident, if any
		indicator string
		desc      string
		colour    string
	}{
		{"operational", []string{"operational"}, "", "none", "All Systems Operational", "#1a7f37"},
		{"one degraded", []string{"degraded_performance"}, "", "minor", "Partially Degraded Service", "#9a6700"},
		{"one partial", []string{"partial_outage"}, "", "major", "Partial System Outage", "#bc4c00"},
		{"one major", []string{"major_outage"}, "", "critical", "Major System Outage", "#cf222e"},
		{"one in maintenance", []string{"under_maintenance"}, "", "maintenance", "Service Under Maintenance", "#0969da"},
		{"all major", []string{"major_outage", "major_outage"}, "", "critical", "Major System Outage", "#cf222e"},
		{"some major", []string{"major_outage", "operational"}, "", "major", "Partial System Outage", "#bc4c00"},
		{"all partial", []string{"partial_outage", "partial_outage"}, "", "major", "Partial System Outage", "#bc4c00"},
		{"some partial", []string{"partial_outage", "operational"}, "", "minor", "Minor Service Outage", "#9a6700"},
		{"all degraded", []string{"degraded_performance", "degraded_performance"}, "", "minor", "Degraded System Service", "#9a6700"},
		{"some degraded", []string{"degraded_performance", "operational"}, "", "minor", "Partially Degraded Service", "#9a6700"},
		{"some maintenance", []string{"under_maintenance", "operational"}, "", "maintenance", "Service Under Maintenance", "#0969da"},
		{"incident worse than components", []string{"operational", "operational"}, "critical", "critical", "Major System Outage", "#cf222e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pgNewEnv(t)
			for i, st := range tt.statuses {
				env.component(components.Input{Name: ptr("C" + strconv.Itoa(i)), Status: ptr(components.Status(st))})
			}
			if tt.incident != "" {
				env.incident(incidents.NewIncident{Name: "Something is wrong", ImpactOverride: components.Impact(tt.incident)})
			}
			doc := pgParse(t, pgGet(env, "/").Body)
			banner := pgOne(t, doc, pgSel("section", "banner"), "banners")
			if !pgHasClass(banner, "status-"+tt.indicator) {
				cls, _ := pgAttr(banner, "class")
				t.Errorf("banner class %q, want status-%s", cls, tt.indicator)
			}
			if got := pgText(pgOne(t, banner, pgSel("h1"), "banner headings")); got != tt.desc {
				t.Errorf("banner says %q, want %q", got, tt.desc)
			}
			meta := pgOne(t, doc, pgWithAttr("meta", "name", "description"), "meta descriptions")
			if got, _ := pgAttr(meta, "content"); got != "Acme status: "+tt.desc {
				t.Errorf("meta description %q, want %q", got, "Acme status: "+tt.desc)
			}

			svg := pgBadge(t, pgGet(env, "/badge.svg"))
			if svg.title != "status: "+tt.desc {
				t.Errorf("badge title %q, want %q", svg.title, "status: "+tt.desc)
			}
			if !slices.Contains(svg.texts, tt.desc) {
				t.Errorf("badge texts %q, want %q among them", svg.texts, tt.desc)
			}
			if !slices.Contains(svg.fills, tt.colour) {
				t.Errorf("badge fills %q, want %s among them", svg.fills, tt.colour)
			}
		})
	}
}

// pgSVG is what a badge says.
type pgSVG struct {
	title string
	texts []string
	fills []string
}

// pgBadge parses a badge as XML, failing the test unless it is an SVG.
func pgBadge(t testing.TB, res testutil.Response) pgSVG {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
		t.Errorf("badge Content-Type %q, want image/svg+xml", ct)
	}
	var out pgSVG
	dec := xml.NewDecoder(bytes.NewReader(res.Body))
	var stack []string
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("badge is not XML: %v\n%s", err, res.Body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
				if tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("badge namespace %q, want SVG's", tok.Name.Space)
				}
			}
			stack = append(stack, tok.Name.Local)
			for _, a := range tok.Attr {
				if a.Name.Local == "fill" {
					out.fills = append(out.fills, a.Value)
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "title":
				out.title += string(tok)
			case "text":
				out.texts = append(out.texts, string(tok))
			}
		}
	}
	if root != "svg" {
		t.Errorf("badge root <%s>, want <svg>", root)
	}
	return out
}

// pgCheckIndex reads "/" of the showcase scene, one part of the page at
// a time.
func pgCheckIndex(t *testing.T, s *pgScene) {
	doc := pgParse(t, s.get("/").Body)
	t.Run("head", func(t *testing.T) { pgCheckIndexHead(t, doc) })
	t.Run("active incident", func(t *testing.T) { pgCheckIndexActive(t, s.with(t), doc) })
	t.Run("maintenance", func(t *testing.T) { pgCheckIndexMaintenance(t, doc) })
	t.Run("components and groups", func(t *testing.T) { pgCheckIndexComponents(t, doc) })
	t.Run("uptime bars", func(t *testing.T) { pgCheckIndexBars(t, doc) })
	t.Run("tooltips", func(t *testing.T) { pgCheckIndexTooltips(t, doc) })
	t.Run("past incidents", func(t *testing.T) { pgCheckIndexPast(t, doc) })
}

// pgCheckIndexHead reads the head: the feeds' alternate links, the title
// and the links every page carries.
func pgCheckIndexHead(t *testing.T, doc *html.Node) {
	for _, tt := range []struct{ typ, file, title string }{
		{"application/atom+xml", "/history.atom", "Acme Status History - Atom Feed"},
		{"application/rss+xml", "/history.rss", "Acme Status History - RSS Feed"},
	} {
		link := pgOne(t, doc, func(n *html.Node) bool {
			rel, _ := pgAttr(n, "rel")
			typ, _ := pgAttr(n, "type")
			return n.Data == "link" && rel == "alternate" && typ == tt.typ
		}, "alternate links of type "+tt.typ)
		if href, _ := pgAttr(link, "href"); !strings.HasSuffix(href, tt.file) {
			t.Errorf("%s link href %q, want one ending in %s", tt.typ, href, tt.file)
		}
		if title, _ := pgAttr(link, "title"); title != tt.title {
			t.Errorf("%s link title %q, want %q", tt.typ, title, tt.title)
		}
	}
	if got := pgText(pgOne(t, doc, pgSel("title"), "titles")); got != "Acme Status" {
		t.Errorf("title %q, want %q", got, "Acme Status")
	}
	hrefs := map[string]bool{}
	for _, a := range pgAll(doc, pgSel("a")) {
		h, _ := pgAttr(a, "href")
		hrefs[h] = true
	}
	for _, want := range []string{"/subscribe", "/history", "/history.atom", "/history.rss", "https://support.example.com"} {
		if !hrefs[want] {
			t.Errorf("no link to %s", want)
		}
	}
}

// pgCheckIndexActive reads the card of the open incident: its link, impact,
// latest update and affected components.
func pgCheckIndexActive(t *testing.T, s *pgScene, doc *html.Node) {
	sec := pgSection(t, doc, "active-incidents")
	card := pgOne(t, sec, pgSel("article", "card"), "active incident cards")
	a := pgOne(t, card, pgSel("a"), "links in the card")
	if href, _ := pgAttr(a, "href"); href != "/incidents/"+s.id("Database replication lag") {
		t.Errorf("card links to %q, want the incident page", href)
	}
	if got := pgText(a); got != "Database replication lag" {
		t.Errorf("card names %q", got)
	}
	if !pgHasClass(card, "impact-major") {
		t.Errorf("card is not marked impact-major")
	}
	upd := pgOne(t, card, pgSel("div", "update"), "updates in the card")
	if got, want := pgText(upd), "Identified – A slow replica was found; failing over. Posted Mar 10, 2026 - 11:00 EDT"; got != want {
		t.Errorf("latest update reads %q, want %q", got, want)
	}
	if got, want := pgText(pgOne(t, card, pgSel("p", "affected"), "affected lines")), "This incident affects: Platform - Database and Billing."; got != want {
		t.Errorf("affected line %q, want %q", got, want)
	}
}

// pgCheckIndexMaintenance reads the maintenance cards: their order, windows
// and affected components.
func pgCheckIndexMaintenance(t *testing.T, doc *html.Node) {
	sec := pgSection(t, doc, "maintenance")
	cards := pgAll(sec, pgSel("article", "card"))
	var names []string
	for _, c := range cards {
		names = append(names, pgText(pgAll(c, pgSel("h3"))[0]))
	}
	if want := []string{"DNS provider migration", "Website redesign rollout"}; !slices.Equal(names, want) {
		t.Fatalf("maintenance cards %q, want %q", names, want)
	}
	tests := []struct {
		window string
		times  []string
	}{
		{"In progress, scheduled until Mar 10, 2026 - 14:00 EDT", []string{"2026-03-10T18:00:00Z"}},
		{"Scheduled for Mar 12, 2026 - 02:00 EDT – Mar 12, 2026 - 04:00 EDT", []string{"2026-03-12T06:00:00Z", "2026-03-12T08:00:00Z"}},
	}
	for i, tt := range tests {
		w := pgOne(t, cards[i], pgSel("p", "window"), "windows")
		if got := pgText(w); got != tt.window {
			t.Errorf("%s: window %q, want %q", names[i], got, tt.window)
		}
		var got []string
		for _, tm := range pgAll(w, pgSel("time")) {
			v, _ := pgAttr(tm, "datetime")
			got = append(got, v)
		}
		if !slices.Equal(got, tt.times) {
			t.Errorf("%s: window datetimes %q, want %q", names[i], got, tt.times)
		}
	}
	if got, want := pgText(pgOne(t, cards[1], pgSel("p", "affected"), "affected lines")), "This scheduled maintenance affects: Edge - CDN and Website."; got != want {
		t.Errorf("affected line %q, want %q", got, want)
	}
}

// pgCheckIndexComponents reads the component list: the rows shown, each
// group's members and whether it is open, and the components hidden while
// operational.
func pgCheckIndexComponents(t *testing.T, doc *html.Node) {
	list := pgOne(t, doc, pgSel("ul", "components"), "component lists")
	var top []string
	for c := list.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		top = append(top, pgText(pgAll(c, pgSel("span", "name"))[0]))
	}
	if want := []string{"API", "Platform", "Edge", "Internal", "Billing", "Website"}; !slices.Equal(top, want) {
		t.Errorf("top-level rows %q, want %q (Legacy FTP and the Archive group hidden while operational)", top, want)
	}
	for _, tt := range []struct {
		group   string
		open    bool
		members []string
	}{
		{"Platform", true, []string{"Database", "Queue"}},
		{"Edge", true, []string{"CDN", "DNS"}},
		{"Internal", false, []string{"Wiki", "CI"}},
	} {
		d := pgGroup(doc, tt.group)
		if d == nil {
			t.Errorf("group %s not shown", tt.group)
			continue
		}
		if _, open := pgAttr(d, "open"); open != tt.open {
			t.Errorf("group %s open = %v, want %v", tt.group, open, tt.open)
		}
		var members []string
		for _, li := range pgAll(d, pgSel("li", "component")) {
			members = append(members, pgText(pgAll(li, pgSel("span", "name"))[0]))
		}
		if !slices.Equal(members, tt.members) {
			t.Errorf("group %s members %q, want %q", tt.group, members, tt.members)
		}
	}
	billing := pgComponent(doc, "Billing")
	if billing == nil {
		t.Fatal("Billing (degraded, only shown if degraded) is hidden")
	}
	if got := pgText(pgOne(t, billing, pgSel("span", "status"), "statuses")); got != "Degraded Performance" {
		t.Errorf("Billing status %q, want Degraded Performance", got)
	}
	for _, name := range []string{"Legacy FTP", "Old Mailer"} {
		if pgComponent(doc, name) != nil {
			t.Errorf("%s is shown while operational with only_show_if_degraded", name)
		}
	}
}

// pgCheckIndexBars reads the 90 daily bars of each showcase component:
// class, date and focus of every bar; the list's caption, which names it;
// and the axis under it, for all 90 days and for a phone's last 30.
func pgCheckIndexBars(t *testing.T, doc *html.Node) {
	first := time.Date(2025, 12, 11, 0, 0, 0, 0, time.UTC) // 90 days ending 2026-03-10
	// Website was created on 2026-01-20: no data before.
	websiteNoData := map[string]string{}
	for d := first; d.Before(time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		websiteNoData[d.Format(time.DateOnly)] = "nodata"
	}
	tests := []struct {
		name             string
		classes          map[string]string // day → class (its worst status); the others "ok"
		uptime, uptime30 string
	}{
		// API: 10 min + 0.3 × 4 h + 1 h + 4 h = 382 min of downtime over
		// 89 days 11 hours (Dec 11 00:00 EST to now) = 99.70 %; in the
		// last 30 days (Feb 9 00:00 EST to now, 29 days 11 hours) the 4 h
		// of Mar 5 alone: 99.43 %.
		{"API", map[string]string{
			"2026-01-10": "major",   // 10 min major outage: a sliver of the day, still red
			"2026-01-24": "partial", // 2 h partial outage
			"2026-01-25": "partial", // the same outage after midnight
			"2026-02-03": "major",   // 1 h major
			"2026-02-15": "maint",   // 2 h maintenance
			"2026-03-05": "major",   // 4 h major
		}, "99.70 % uptime", "99.43 % uptime"},
		// Database: 0.3 × (3 h + 1.5 h) = 81 min: 99.94 %; both outages
		// are in the last 30 days: 81 min of 707 h, 99.81 %.
		{"Database", map[string]string{"2026-02-15": "maint", "2026-02-20": "partial", "2026-03-10": "partial"}, "99.94 % uptime", "99.81 % uptime"},
		{"DNS", map[string]string{"2026-03-10": "maint"}, "100.00 % uptime", "100.00 % uptime"},
		// Degraded performance is yellow and costs no uptime.
		{"Website", func() map[string]string {
			m := maps.Clone(websiteNoData)
			m["2026-03-08"] = "degraded"
			return m
		}(), "100.00 % uptime", "100.00 % uptime"},
	}
	ids := map[string]bool{}
	for _, n := range pgAll(doc, func(n *html.Node) bool { _, ok := pgAttr(n, "id"); return ok }) {
		id, _ := pgAttr(n, "id")
		if ids[id] {
			t.Errorf("id %q is on the page twice", id)
		}
		ids[id] = true
	}
	for _, tt := range tests {
		row := pgComponent(doc, tt.name)
		if row == nil {
			t.Errorf("%s not shown", tt.name)
			continue
		}
		// The list is in a figure named by its caption (through
		// aria-labelledby: Chromium does not name a figure after its
		// figcaption); a name on the <ol> is one html-validate refuses.
		figure := pgOne(t, row, pgSel("figure", "uptime"), "figures")
		list := pgOne(t, figure, pgSel("ol", "bars"), "lists of bars")
		for _, attr := range []string{"aria-label", "aria-labelledby"} {
			if _, ok := pgAttr(list, attr); ok {
				t.Errorf("%s: the list of bars has an %s, which html-validate refuses on <ol>", tt.name, attr)
			}
		}
		caption := pgOne(t, figure, pgSel("figcaption", "vh"), "visually hidden captions")
		by, _ := pgAttr(figure, "aria-labelledby")
		if id, _ := pgAttr(caption, "id"); by == "" || id != by {
			t.Errorf("%s: the figure is labelled by %q, its caption's id is %q", tt.name, by, id)
		}
		if got, want := pgText(caption), tt.name+" uptime over the last 90 days 30 days"; got != want {
			t.Errorf("%s: caption %q, want %q", tt.name, got, want)
		}
		if got := pgTexts(pgAll(caption, pgSel("span", "on-wide"))); !slices.Equal(got, []string{"90 days"}) {
			t.Errorf("%s: caption's days on a wide screen %q, want [90 days]", tt.name, got)
		}
		if got := pgTexts(pgAll(caption, pgSel("span", "on-phone"))); !slices.Equal(got, []string{"30 days"}) {
			t.Errorf("%s: caption's days on a phone %q, want [30 days]", tt.name, got)
		}
		axis := pgOne(t, figure, pgSel("p", "axis"), "axes")
		if got, want := pgTexts(pgAll(axis, pgSel("span", "on-wide"))), []string{"90 days ago", tt.uptime}; !slices.Equal(got, want) {
			t.Errorf("%s: axis on a wide screen %q, want %q", tt.name, got, want)
		}
		if got, want := pgTexts(pgAll(axis, pgSel("span", "on-phone"))), []string{"30 days ago", tt.uptime30}; !slices.Equal(got, want) {
			t.Errorf("%s: axis on a phone %q, want %q", tt.name, got, want)
		}
		if last := axis.LastChild; last == nil || pgText(last) != "Today" || last.Data != "span" {
			t.Errorf("%s: the axis does not end with \"Today\": %q", tt.name, pgText(axis))
		}
		bars := pgAll(row, func(n *html.Node) bool { return n.Data == "li" && n.Parent != nil && pgHasClass(n.Parent, "bars") })
		if len(bars) != 90 {
			t.Errorf("%s has %d bars, want 90", tt.name, len(bars))
			continue
		}
		for i, b := range bars {
			day := first.AddDate(0, 0, i)
			want := tt.classes[day.Format(time.DateOnly)]
			if want == "" {
				want = "ok"
			}
			if cls, _ := pgAttr(b, "class"); cls != want {
				t.Errorf("%s bar %d (%s): class %q, want %q", tt.name, i, day.Format(time.DateOnly), cls, want)
			}
			if got := pgText(pgOne(t, b, pgSel("b"), "dates in a tooltip")); got != day.Format("Jan 2, 2006") {
				t.Errorf("%s bar %d: date %q, want %q", tt.name, i, got, day.Format("Jan 2, 2006"))
			}
			_, focus := pgAttr(b, "tabindex")
			related := strings.Contains(pgText(b), "Related:")
			if wantFocus := want != "ok" && want != "nodata" || related; focus != wantFocus {
				t.Errorf("%s bar %s: focusable = %v, want %v", tt.name, day.Format(time.DateOnly), focus, wantFocus)
			}
		}
	}
	for _, name := range []string{"Queue", "CDN", "Billing", "Wiki"} {
		if row := pgComponent(doc, name); row != nil && len(pgAll(row, pgSel("ol", "bars"))) > 0 {
			t.Errorf("%s (not showcase) has uptime bars", name)
		}
	}

	// The legend: each colour's swatch and label in one item, the label
	// the words a tooltip uses for that status.
	var legend []string
	for _, item := range pgAll(doc, pgSel("span", "item")) {
		key := pgOne(t, item, pgSel("span", "key"), "swatches in a legend item")
		cls, _ := pgAttr(key, "class")
		legend = append(legend, strings.TrimPrefix(cls, "key ")+": "+pgText(item))
	}
	if want := []string{"ok: No downtime", "degraded: Degraded performance", "partial: Partial outage", "major: Major outage",
		"maint: Maintenance", "nodata: No data"}; !slices.Equal(legend, want) {
		t.Errorf("legend %q, want %q", legend, want)
	}
}

// pgCheckIndexTooltips reads the tooltip of chosen bars: the day's downtime
// and related incidents.
func pgCheckIndexTooltips(t *testing.T, doc *html.Node) {
	tests := []struct {
		component, date, want string
	}{
		{"API", "Jan 10, 2026", "Jan 10, 2026 Major outage 10 min Related: Brief API blip"},
		{"API", "Jan 24, 2026", "Jan 24, 2026 Partial outage 2 h Related: Overnight API slowness"},
		{"API", "Jan 25, 2026", "Jan 25, 2026 Partial outage 2 h Related: Overnight API slowness"},
		{"API", "Feb 3, 2026", "Feb 3, 2026 Major outage 1 h Related: Elevated API errors"},
		{"API", "Feb 15, 2026", "Feb 15, 2026 Maintenance 2 h Related: Database upgrade"},
		{"API", "Mar 5, 2026", "Mar 5, 2026 Major outage 4 h Related: API outage"},
		{"API", "Mar 10, 2026", "Mar 10, 2026 No downtime"},
		{"Database", "Feb 3, 2026", "Feb 3, 2026 No downtime Related: Elevated API errors"},
		{"Database", "Mar 10, 2026", "Mar 10, 2026 Partial outage 1 h 30 min Related: Database replication lag"},
		{"DNS", "Mar 10, 2026", "Mar 10, 2026 Maintenance 2 h Related: DNS provider migration"},
		{"Website", "Dec 11, 2025", "Dec 11, 2025 No data"},
		{"Website", "Mar 8, 2026", "Mar 8, 2026 Degraded performance 1 h Related: Slow dashboard"},
		// The maintenance upcoming on Website has not happened yet.
		{"Website", "Mar 10, 2026", "Mar 10, 2026 No downtime"},
	}
	for _, tt := range tests {
		row := pgComponent(doc, tt.component)
		if row == nil {
			t.Fatalf("%s not shown", tt.component)
		}
		found := false
		for _, tip := range pgAll(row, pgSel("span", "tip")) {
			if pgText(pgAll(tip, pgSel("b"))[0]) == tt.date {
				found = true
				if got := pgText(tip); got != tt.want {
					t.Errorf("%s %s tooltip %q, want %q", tt.component, tt.date, got, tt.want)
				}
			}
		}
		if !found {
			t.Errorf("%s has no bar for %s", tt.component, tt.date)
		}
	}
}

// pgCheckIndexPast reads the last seven days of past incidents, quiet days
// included.
func pgCheckIndexPast(t *testing.T, doc *html.Node) {
	sec := pgSection(t, doc, "past-incidents")
	days := pgAll(sec, pgSel("div", "day"))
	want := []struct {
		date      string
		incidents []string
	}{
		{"Mar 10, 2026", []string{"Database replication lag", "DNS provider migration"}},
		{"Mar 9, 2026", nil},
		{"Mar 8, 2026", []string{"Slow dashboard"}},
		{"Mar 7, 2026", nil},
		{"Mar 6, 2026", nil},
		{"Mar 5, 2026", []string{"API outage"}},
		{"Mar 4, 2026", nil},
	}
	if len(days) != len(want) {
		t.Fatalf("%d days of past incidents, want %d", len(days), len(want))
	}
	for i, w := range want {
		if got := pgText(pgOne(t, days[i], pgSel("h3"), "day headings")); got != w.date {
			t.Errorf("day %d is %q, want %q", i, got, w.date)
		}
		got := pgTexts(pgAll(days[i], pgSel("h4")))
		if !slices.Equal(got, w.incidents) && !(len(got) == 0 && len(w.incidents) == 0) {
			t.Errorf("%s lists %q, want %q", w.date, got, w.incidents)
		}
		quiet := pgAll(days[i], pgSel("p", "quiet"))
		if w.incidents == nil && (len(quiet) != 1 || pgText(quiet[0]) != "No incidents reported.") {
			t.Errorf("%s: quiet day without \"No incidents reported.\"", w.date)
		}
		if w.incidents != nil && len(quiet) != 0 {
			t.Errorf("%s: says it is quiet but has incidents", w.date)
		}
	}
}

// TestPagesGroups checks when a group is open and which members show.
func TestPagesGroups(t *testing.T) {
	tests := []struct {
		name    string
		a, b    string // statuses of members A and B
		bHidden bool   // B is only shown if degraded
		shown   bool   // the group is shown at all
		open    bool
		members []string
	}{
		{"all operational", "operational", "operational", false, true, false, []string{"A", "B"}},
		{"one degraded", "degraded_performance", "operational", false, true, true, []string{"A", "B"}},
		{"one major outage", "operational", "major_outage", false, true, true, []string{"A", "B"}},
		{"one in maintenance", "under_maintenance", "operational", false, true, true, []string{"A", "B"}},
		{"hidden member operational", "operational", "operational", true, true, false, []string{"A"}},
		{"hidden member degraded", "operational", "partial_outage", true, true, true, []string{"A", "B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pgNewEnv(t)
			s := &pgScene{env: env, ids: map[string]string{}}
			s.component("A", components.Input{Status: ptr(components.Status(tt.a))})
			s.component("B", components.Input{Status: ptr(components.Status(tt.b)), OnlyShowIfDegraded: ptr(tt.bHidden)})
			s.group("G", 1, "A", "B")
			doc := pgParse(t, s.get("/").Body)
			d := pgGroup(doc, "G")
			if d == nil {
				t.Fatal("group not shown")
			}
			if _, open := pgAttr(d, "open"); open != tt.open {
				t.Errorf("open = %v, want %v", open, tt.open)
			}
			var members []string
			for _, li := range pgAll(d, pgSel("li", "component")) {
				members = append(members, pgText(pgAll(li, pgSel("span", "name"))[0]))
			}
			if !slices.Equal(members, tt.members) {
				t.Errorf("members %q, want %q", members, tt.members)
			}
		})
	}
	t.Run("every member hidden", func(t *testing.T) {
		env := pgNewEnv(t)
		s := &pgScene{env: env, ids: map[string]string{}}
		s.component("A", components.Input{OnlyShowIfDegraded: ptr(true)})
		s.component("Visible", components.Input{})
		s.group("G", 1, "A")
		doc := pgParse(t, s.get("/").Body)
		if pgGroup(doc, "G") != nil {
			t.Error("a group whose members are all hidden is shown")
		}
		if pgComponent(doc, "Visible") == nil {
			t.Error("the visible component is not shown")
		}
	})
}

// pgTimeline reads an incident page's updates as label, body, posted
// datetime.
func pgTimeline(t testing.TB, doc *html.Node) [][3]string {
	t.Helper()
	var out [][3]string
	for _, li := range pgAll(pgOne(t, doc, pgSel("ol", "timeline"), "timelines"), pgSel("li")) {
		tm := pgOne(t, li, pgSel("time"), "posted times")
		iso, _ := pgAttr(tm, "datetime")
		out = append(out, [3]string{
			pgText(pgOne(t, li, pgSel("h2"), "labels")),
			pgText(pgOne(t, li, pgSel("div", "body"), "bodies")),
			iso,
		})
	}
	return out
}

// pgCheckIncident reads the incident and maintenance pages.
func pgCheckIncident(t *testing.T, s *pgScene) {
	tests := []struct {
		name     string
		status   string
		timeline [][3]string
		window   string
		affected string
		pm       bool
	}{
		{"Elevated API errors", "Postmortem", [][3]string{
			{"Resolved", "This incident has been resolved.", "2026-02-03T16:00:00Z"},
			{"Update", "Error rates are back to normal levels.", "2026-02-03T15:20:00Z"},
			{"Monitoring", "The rollback is complete; we are monitoring error rates.", "2026-02-03T15:00:00Z"},
			{"Identified", "A bad deploy is the cause; rolling it back.", "2026-02-03T14:30:00Z"},
			{"Investigating", "We are investigating elevated error rates on the API.", "2026-02-03T14:00:00Z"},
		}, "", "This incident affected: API, Platform - Database, and Edge - CDN.", true},
		{"Database upgrade", "Completed", [][3]string{
			{"Completed", "The scheduled maintenance has been completed.", "2026-02-15T11:00:00Z"},
			{"Verifying", "Verification is currently underway for the maintenance items.", "2026-02-15T10:30:00Z"},
			{"Update", "The upgrade is halfway done.", "2026-02-15T10:00:00Z"},
			{"In progress", "Scheduled maintenance is currently in progress. We will provide updates as necessary.", "2026-02-15T09:00:00Z"},
			{"Scheduled", "We will upgrade the primary database.", "2026-02-14T15:00:00Z"},
		}, "Scheduled for Feb 15, 2026 - 04:00 EST – Feb 15, 2026 - 06:00 EST", "This scheduled maintenance affected: API and Platform - Database.", false},
		{"Database replication lag", "Identified", [][3]string{
			{"Identified", "A slow replica was found; failing over.", "2026-03-10T15:00:00Z"},
			{"Investigating", "Replication lag is delaying writes.", "2026-03-10T14:30:00Z"},
		}, "", "This incident affected: Platform - Database and Billing.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s.with(t)
			res := s.get("/incidents/" + s.id(tt.name))
			doc := pgParse(t, res.Body)
			if got := pgText(pgOne(t, doc, pgSel("h1"), "headings")); got != tt.name {
				t.Errorf("heading %q, want %q", got, tt.name)
			}
			if got := pgText(pgOne(t, doc, pgSel("span", "status-label"), "status labels")); got != tt.status {
				t.Errorf("status %q, want %q", got, tt.status)
			}
			got := pgTimeline(t, doc)
			if !slices.Equal(got, tt.timeline) {
				t.Errorf("timeline:\n got %q\nwant %q", got, tt.timeline)
			}
			windows := pgTexts(pgAll(doc, pgSel("p", "window")))
			if tt.window == "" && len(windows) != 0 || tt.window != "" && !slices.Equal(windows, []string{tt.window}) {
				t.Errorf("window %q, want %q", windows, tt.window)
			}
			if got := pgText(pgOne(t, doc, pgSel("p", "affected"), "affected lines")); got != tt.affected {
				t.Errorf("affected %q, want %q", got, tt.affected)
			}
			pm := pgAll(doc, pgSel("section", "postmortem"))
			if len(pm) != map[bool]int{true: 1, false: 0}[tt.pm] {
				t.Fatalf("%d postmortem sections, want %v", len(pm), tt.pm)
			}
			if tt.pm {
				text := pgText(pm[0])
				for _, want := range []string{"What happened", "A configuration change reached every API node at once.", "We now deploy in stages.", "Published Feb 5, 2026 - 07:00 EST"} {
					if !strings.Contains(text, want) {
						t.Errorf("postmortem %q lacks %q", text, want)
					}
				}
				if len(pgAll(pm[0], pgSel("li"))) != 1 {
					t.Errorf("postmortem Markdown list not rendered as a list")
				}
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		s := s.with(t)
		for _, path := range []string{"/incidents/zzzzzzzzzzzz", "/incidents/nope", "/incidents/" + strings.Repeat("a", 300)} {
			res := s.env.do("GET", path, "")
			if res.Status != 404 {
				t.Errorf("GET %s: status %d, want 404", path, res.Status)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("GET %s: Content-Type %q, want an HTML page", path, ct)
			}
			if !strings.Contains(pgText(pgParse(t, res.Body)), "Not found") {
				t.Errorf("GET %s: page does not say Not found", path)
			}
		}
	})
}

// pgCheckHistory reads the history pages.
func pgCheckHistory(t *testing.T, s *pgScene) {
	type month struct {
		name      string
		incidents []string
	}
	tests := []struct {
		path         string
		months       []month
		newer, older string
	}{
		{"/history", []month{
			{"March 2026", []string{"Database replication lag", "DNS provider migration", "Slow dashboard", "API outage"}},
			{"February 2026", []string{"Database latency", "Database upgrade", "Elevated API errors"}},
			{"January 2026", []string{"Overnight API slowness", "Brief API blip"}},
		}, "", "/history?page=2"},
		{"/history?page=2", []month{
			{"December 2025", []string{"Billing emails delayed"}},
			{"November 2025", nil},
			{"October 2025", nil},
		}, "/history?page=1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			s := s.with(t)
			doc := pgParse(t, s.get(tt.path).Body)
			secs := pgAll(doc, pgSel("section", "month"))
			if len(secs) != len(tt.months) {
				t.Fatalf("%d months, want %d", len(secs), len(tt.months))
			}
			for i, m := range tt.months {
				if got := pgText(pgOne(t, secs[i], pgSel("h2"), "month headings")); got != m.name {
					t.Errorf("month %d is %q, want %q", i, got, m.name)
				}
				var names []string
				for _, a := range pgAll(secs[i], pgSel("a")) {
					names = append(names, pgText(a))
					if href, _ := pgAttr(a, "href"); href != "/incidents/"+s.ids[pgText(a)] {
						t.Errorf("%s links to %q", pgText(a), href)
					}
				}
				if !slices.Equal(names, m.incidents) {
					t.Errorf("%s lists %q, want %q", m.name, names, m.incidents)
				}
				if quiet := pgAll(secs[i], pgSel("p", "quiet")); (len(quiet) == 1) != (m.incidents == nil) {
					t.Errorf("%s: %d quiet notes with %d incidents", m.name, len(quiet), len(m.incidents))
				}
			}
			pager := pgOne(t, doc, pgSel("nav", "pager"), "pagers")
			for _, rel := range []struct{ rel, want string }{{"prev", tt.newer}, {"next", tt.older}} {
				links := pgAll(pager, pgWithAttr("a", "rel", rel.rel))
				switch {
				case rel.want == "" && len(links) != 0:
					t.Errorf("has a %s link, want none", rel.rel)
				case rel.want != "" && len(links) != 1:
					t.Errorf("has %d %s links, want 1", len(links), rel.rel)
				case rel.want != "":
					if href, _ := pgAttr(links[0], "href"); href != rel.want {
						t.Errorf("%s link %q, want %q", rel.rel, href, rel.want)
					}
				}
			}
		})
	}
	t.Run("bad page numbers", func(t *testing.T) {
		s := s.with(t)
		for _, q := range []string{"0", "-1", "x", "1001"} {
			if res := s.env.do("GET", "/history?page="+q, ""); res.Status != 404 {
				t.Errorf("page=%s: status %d, want 404", q, res.Status)
			}
		}
	})
}

// pgCheckTimes checks that every time on every page has a machine
// datetime and reads, in the page's zone, with the zone's abbreviation.
func pgCheckTimes(t *testing.T, s *pgScene) {
	loc, err := time.LoadLocation(pgZone)
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]bool{}
	for _, path := range []string{"/", "/incidents/" + s.id("Elevated API errors"), "/incidents/" + s.id("DNS provider migration"),
		"/incidents/" + s.id("Website redesign rollout"), "/history", "/history?page=2"} {
		doc := pgParse(t, s.get(path).Body)
		times := pgAll(doc, pgSel("time"))
		if len(times) == 0 {
			t.Errorf("%s shows no times", path)
		}
		for _, tm := range times {
			iso, ok := pgAttr(tm, "datetime")
			if !ok {
				t.Errorf("%s: <time>%s</time> has no datetime", path, pgText(tm))
				continue
			}
			at, err := time.Parse(time.RFC3339, iso)
			if err != nil {
				t.Errorf("%s: datetime %q: %v", path, iso, err)
				continue
			}
			want := at.In(loc).Format("Jan 2, 2006 - 15:04 MST")
			if got := pgText(tm); got != want {
				t.Errorf("%s: <time datetime=%q> reads %q, want %q", path, iso, got, want)
			}
			zones[at.In(loc).Format("MST")] = true
		}
	}
	if !zones["EST"] || !zones["EDT"] {
		t.Errorf("zones shown %v, want both EST and EDT", zones)
	}
}

// --- content safety ---

// pgHostile are update bodies written to break out of Markdown: none may
// leave a script, an event handler or a javascript: link on any page.
var pgHostile = []string{
	`<script>alert("script")</script>`,
	`<img src=x onerror=alert("img")>`,
	`<img src="javascript:alert('src')">`,
	`[click me](javascript:alert("link"))`,
	`[click me](JaVaScRiPt:alert("case"))`,
	`[click me](  javascript:alert("spaces"))`,
	"[click me](java\tscript:alert(\"tab\"))",
	`[click me](java&#x09;script:alert("entity tab"))`,
	`[click me](&#106;avascript:alert("entity j"))`,
	`[click me](javascript&colon;alert("colon"))`,
	`<javascript:alert("autolink")>`,
	`<a href="javascript:alert('raw a')">raw link</a>`,
	`<a href="&#x6A;avascript:alert('raw entity')">raw entity link</a>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<div onmouseover="alert('div')">hover me</div>`,
	`<svg onload=alert("svg")><circle r=5 /></svg>`,
	`<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">`,
	`<form action="javascript:alert('form')"><button formaction="javascript:alert('button')">go</button></form>`,
	`<style>body{background:url("javascript:alert('css')")}</style>`,
	`<p style="background:url(javascript:alert('style'))">styled</p>`,
	`![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`[data link](data:text/html,<script>alert("data")</script>)`,
	`[vb](vbscript:msgbox("vb"))`,
	`&lt;script&gt;alert("entities")&lt;/script&gt;`,
	"```\n</code></pre><script>alert(\"fence\")</script>\n```",
	`<meta http-equiv="refresh" content="0;url=javascript:alert('meta')">`,
	`<base href="javascript:alert('base')//">`,
	`[ok link](https://example.com/status "title\" onmouseover=\"alert('title')")`,
}

// pgUnsafe lists what in doc could run script. allowedScripts are the
// src of scripts the page may load.
func pgUnsafe(doc *html.Node, allowedScripts ...string) []string {
	var out []string
	dangerous := func(v string) bool {
		// Browsers ignore whitespace and control characters in schemes.
		v = strings.Map(func(r rune) rune {
			if r <= ' ' {
				return -1
			}
			return r
		}, strings.ToLower(v))
		return strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")
	}
	for _, n := range pgAll(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script":
			if src, _ := pgAttr(n, "src"); !slices.Contains(allowedScripts, src) || pgText(n) != "" {
				out = append(out, "script element "+src+pgText(n))
			}
		case "iframe", "frame", "frameset", "object", "embed", "form", "base", "svg", "math", "style":
			out = append(out, "<"+n.Data+"> element")
		case "meta":
			if _, ok := pgAttr(n, "http-equiv"); ok {
				out = append(out, "meta http-equiv")
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				out = append(out, "<"+n.Data+"> attribute "+a.Key+"="+a.Val)
			case key == "style" && strings.Contains(strings.ToLower(a.Val), "url("):
				out = append(out, "<"+n.Data+"> style "+a.Val)
			case slices.Contains([]string{"href", "src", "action", "formaction", "xlink:href", "srcset", "background", "poster", "data", "content"}, key) && dangerous(a.Val):
				out = append(out, "<"+n.Data+"> "+a.Key+"="+a.Val)
			}
		}
	}
	return out
}

// TestPagesUnsafeDetector checks pgUnsafe itself: a detector that finds
// nothing would make TestPagesHostileContent pass whatever the pages hold.
func TestPagesUnsafeDetector(t *testing.T) {
	tests := []struct {
		html   string
		unsafe bool
	}{
		{`<p>fine <a href="https://example.com" rel="nofollow">link</a> <img src="/logo.png" alt=""></p>`, false},
		{`<script src="/static/beacon.js"></script>`, false},
		{`<script>alert(1)</script>`, true},
		{`<script src="https://evil.example/x.js"></script>`, true},
		{`<img src=x onerror=alert(1)>`, true},
		{`<a href="javascript:alert(1)">x</a>`, true},
		{`<a href=" JAVA&#x09;SCRIPT:alert(1)">x</a>`, true},
		{`<a href="data:text/html,x">x</a>`, true},
		{`<iframe src="https://example.com"></iframe>`, true},
		{`<p style="background:url(x)">x</p>`, true},
		{`<meta http-equiv="refresh" content="0;url=https://example.com">`, true},
	}
	for _, tt := range tests {
		got := pgUnsafe(pgParse(t, []byte(tt.html)), "/static/beacon.js")
		if (len(got) > 0) != tt.unsafe {
			t.Errorf("pgUnsafe(%s) = %q, want unsafe %v", tt.html, got, tt.unsafe)
		}
	}
}

// TestPagesHostileContent posts hostile Markdown and HTML as update bodies,
// a maintenance body, a postmortem and an incident name, and checks every
// page and feed that shows them.
func TestPagesHostileContent(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	s.component("API", components.Input{Showcase: ptr(true)})
	const name = `<script>alert("name")</script><img src=x onerror=alert(1)> Hostile`
	s.incident(name, incidents.NewIncident{Components: pgStatuses{"API": components.MajorOutage}, Body: pgHostile[0]})
	for _, body := range pgHostile[1:] {
		env.clock.Advance(time.Minute)
		s.patch(name, incidents.Change{Body: ptr(body)})
	}
	env.clock.Advance(time.Minute)
	s.patch(name, incidents.Change{Status: ptr(incidents.Resolved), Body: ptr(strings.Join(pgHostile, "\n\n"))})
	s.postmortem(name, strings.Join(pgHostile, "\n\n"))
	env.clock.Advance(time.Minute)
	s.incident("Hostile maintenance", incidents.NewIncident{ScheduledFor: pgUTC(2026, 3, 11, 0, 0), ScheduledUntil: pgUTC(2026, 3, 11, 1, 0),
		ComponentIDs: []string{"API"}, Body: strings.Join(pgHostile, "\n\n")})
	env.clock.Advance(time.Minute)
	s.incident("Hostile and open", incidents.NewIncident{Components: pgStatuses{"API": components.PartialOutage}, Body: strings.Join(pgHostile, "\n\n")})

	tests := []struct {
		path     string
		showName bool // the page shows the hostile incident's name
	}{
		{"/", true},
		{"/incidents/" + s.id(name), true},
		{"/incidents/" + s.id("Hostile maintenance"), false},
		{"/incidents/" + s.id("Hostile and open"), false},
		{"/history", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			s := s.with(t)
			doc := pgParse(t, s.get(tt.path).Body)
			// The history's own filter form (a child of <main>, outside
			// any update) is the page's; a form anywhere else is not.
			for _, f := range pgAll(doc, pgSel("form", "history-filter")) {
				if action, _ := pgAttr(f, "action"); action == "/history" && f.Parent.Data == "main" {
					f.Parent.RemoveChild(f)
				}
			}
			for _, p := range pgUnsafe(doc, "/static/beacon.js") {
				t.Errorf("unsafe: %s", p)
			}
			if tt.showName && !strings.Contains(pgText(doc), `<script>alert("name")</script>`) {
				t.Errorf("the incident name is not shown as text")
			}
		})
	}
	t.Run("escaped entities stay text", func(t *testing.T) {
		s := s.with(t)
		text := pgText(pgParse(t, s.get("/incidents/"+s.id(name)).Body))
		// Raw HTML is dropped (inline tags keep their text); escaped
		// entities are shown as the characters they stand for.
		for _, want := range []string{`<script>alert("entities")</script>`, "raw link", "click me", "</code></pre><script>"} {
			if !strings.Contains(text, want) {
				t.Errorf("incident page lacks the text %q", want)
			}
		}
	})
	t.Run("safe Markdown still renders", func(t *testing.T) {
		s := s.with(t)
		doc := pgParse(t, s.get("/incidents/"+s.id(name)).Body)
		found := false
		for _, a := range pgAll(doc, pgSel("a")) {
			if href, _ := pgAttr(a, "href"); href == "https://example.com/status" {
				found = true
				if rel, _ := pgAttr(a, "rel"); !strings.Contains(rel, "nofollow") {
					t.Errorf("staff link rel %q, want nofollow", rel)
				}
			}
		}
		if !found {
			t.Error("an ordinary https link was dropped")
		}
	})
	for _, path := range []string{"/history.atom", "/history.rss"} {
		t.Run(path, func(t *testing.T) {
			s := s.with(t)
			feed, err := gofeed.NewParser().ParseString(string(s.get(path).Body))
			if err != nil {
				t.Fatalf("parse feed: %v", err)
			}
			if len(feed.Items) != 3 {
				t.Errorf("%d items, want 3", len(feed.Items))
			}
			for _, it := range feed.Items {
				for field, content := range map[string]string{"content": it.Content, "description": it.Description} {
					if content == "" {
						continue
					}
					for _, p := range pgUnsafe(pgParse(t, []byte(content))) {
						t.Errorf("%s %s: unsafe: %s", it.Title, field, p)
					}
				}
			}
		})
	}
}

// --- feeds ---

// pgCheckFeeds parses the Atom and RSS feeds of the showcase scene.
func pgCheckFeeds(t *testing.T, s *pgScene) {
	// Newest first by creation.
	names := []string{"Website redesign rollout", "Database replication lag", "DNS provider migration", "Slow dashboard",
		"API outage", "Database latency", "Database upgrade", "Elevated API errors", "Overnight API slowness",
		"Brief API blip", "Billing emails delayed"}
	tests := []struct {
		path, contentType, feedType string
	}{
		{"/history.atom", "application/atom+xml", "atom"},
		{"/history.rss", "application/rss+xml", "rss"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			s := s.with(t)
			res := s.get(tt.path)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tt.contentType)
			}
			feed, err := gofeed.NewParser().ParseString(string(res.Body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if feed.FeedType != tt.feedType {
				t.Errorf("feed type %q, want %q", feed.FeedType, tt.feedType)
			}
			if want := "Acme Status - Incident History"; feed.Title != want {
				t.Errorf("title %q, want %q", feed.Title, want)
			}
			var titles []string
			items := map[string]*gofeed.Item{}
			for _, it := range feed.Items {
				titles = append(titles, it.Title)
				items[it.Title] = it
				if want := "http://localhost:8080/incidents/" + s.ids[it.Title]; it.Link != want {
					t.Errorf("%s links to %q, want %q", it.Title, it.Link, want)
				}
				if it.UpdatedParsed == nil && it.PublishedParsed == nil {
					t.Errorf("%s has no date", it.Title)
				}
			}
			if !slices.Equal(titles, names) {
				t.Errorf("items %q, want %q", titles, names)
			}
			for _, tc := range []struct {
				name   string
				labels []string
				texts  []string
			}{
				{"Elevated API errors", []string{"Resolved", "Update", "Monitoring", "Identified", "Investigating"}, []string{
					"Feb 3, 2026 - 11:00 EST", "This incident has been resolved.", "Error rates are back to normal levels.",
					"The rollback is complete; we are monitoring error rates.", "A bad deploy is the cause; rolling it back.",
					"We are investigating elevated error rates on the API."}},
				{"Database upgrade", []string{"Completed", "Verifying", "Update", "In progress", "Scheduled"}, []string{
					"The upgrade is halfway done.", "We will upgrade the primary database."}},
			} {
				it := items[tc.name]
				if it == nil {
					continue // reported above
				}
				content := it.Content
				if content == "" {
					content = it.Description
				}
				doc := pgParse(t, []byte(content))
				labels := pgTexts(pgAll(doc, pgSel("strong")))
				labels = slices.DeleteFunc(labels, func(l string) bool { return l == "monitoring" }) // bold in a body
				if !slices.Equal(labels, tc.labels) {
					t.Errorf("%s update labels %q, want %q", tc.name, labels, tc.labels)
				}
				text := pgText(doc)
				for _, want := range tc.texts {
					if !strings.Contains(text, want) {
						t.Errorf("%s content lacks %q: %s", tc.name, want, text)
					}
				}
			}
		})
	}
}

// --- speed plumbing ---

// TestPagesCaching checks the validators, compression, HEAD and
// Cache-Control of every public page, and that a change shows on the next
// request.
func TestPagesCaching(t *testing.T) {
	tests := []struct {
		name         string
		cacheControl []string // the configured Cache-Control, if any
		want         string
	}{
		{"default", nil, "public, max-age=0, must-revalidate"},
		{"configured", []string{"public, max-age=30"}, "public, max-age=30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pgNewEnv(t, tt.cacheControl...)
			s := &pgScene{env: env, ids: map[string]string{}}
			s.component("API", components.Input{Showcase: ptr(true)})
			s.incident("Slow API", incidents.NewIncident{Components: pgStatuses{"API": components.DegradedPerformance}})
			pages := []struct{ path, contentType string }{
				{"/", "text/html"},
				{"/incidents/" + s.id("Slow API"), "text/html"},
				{"/history", "text/html"},
				{"/history?page=2", "text/html"},
				{"/history.atom", "application/atom+xml"},
				{"/history.rss", "application/rss+xml"},
				{"/badge.svg", "image/svg+xml"},
			}
			etags := map[string]string{}
			for _, p := range pages {
				res := s.get(p.path)
				etag := res.Header.Get("ETag")
				etags[p.path] = etag
				if !regexp.MustCompile(`^"[^"]+"$`).MatchString(etag) {
					t.Errorf("%s: ETag %q, want a quoted entity tag", p.path, etag)
				}
				if got := res.Header.Get("Cache-Control"); got != tt.want {
					t.Errorf("%s: Cache-Control %q, want %q", p.path, got, tt.want)
				}
				if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, p.contentType) {
					t.Errorf("%s: Content-Type %q, want %s", p.path, got, p.contentType)
				}
				if got := res.Header.Get("Vary"); !strings.Contains(got, "Accept-Encoding") {
					t.Errorf("%s: Vary %q, want Accept-Encoding", p.path, got)
				}
				if got := res.Header.Get("Content-Encoding"); got != "" {
					t.Errorf("%s: Content-Encoding %q without Accept-Encoding", p.path, got)
				}

				for _, inm := range []string{etag, "W/" + etag, `"nope", ` + etag, "*"} {
					res := env.do("GET", p.path, "", "If-None-Match", inm)
					if res.Status != 304 || len(res.Body) != 0 {
						t.Errorf("%s If-None-Match %s: status %d with %d bytes, want 304 and none", p.path, inm, res.Status, len(res.Body))
					}
					if got := res.Header.Get("ETag"); got != etag {
						t.Errorf("%s: 304 ETag %q, want %q", p.path, got, etag)
					}
				}
				if res := env.do("GET", p.path, "", "If-None-Match", `"nope"`); res.Status != 200 {
					t.Errorf("%s: a stale If-None-Match answered %d, want 200", p.path, res.Status)
				}

				gz := env.do("GET", p.path, "", "Accept-Encoding", "gzip, deflate, br")
				if got := gz.Header.Get("Content-Encoding"); got != "gzip" {
					t.Errorf("%s: Content-Encoding %q, want gzip", p.path, got)
				} else if plain := pgGunzip(t, gz.Body); !bytes.Equal(plain, res.Body) {
					t.Errorf("%s: gzip body differs from the plain one", p.path)
				}

				head := env.do("HEAD", p.path, "")
				if head.Status != 200 || len(head.Body) != 0 {
					t.Errorf("%s HEAD: status %d with %d bytes, want 200 and none", p.path, head.Status, len(head.Body))
				}
				if got := head.Header.Get("ETag"); got != etag {
					t.Errorf("%s HEAD: ETag %q, want %q", p.path, got, etag)
				}
				if got := head.Header.Get("Content-Type"); !strings.HasPrefix(got, p.contentType) {
					t.Errorf("%s HEAD: Content-Type %q", p.path, got)
				}
			}

			// A change is visible on the very next request.
			env.clock.Advance(time.Minute)
			s.update("API", components.Input{Status: ptr(components.MajorOutage)})
			s.patch("Slow API", incidents.Change{Status: ptr(incidents.Identified), Body: ptr("Found the slow query.")})
			s.incident("Second incident", incidents.NewIncident{})
			for _, c := range []struct{ path, want string }{
				{"/", "Major System Outage"},
				{"/", "Found the slow query."},
				{"/incidents/" + s.id("Slow API"), "Found the slow query."},
				{"/history", "Second incident"},
				{"/history.atom", "Second incident"},
				{"/history.rss", "Found the slow query."},
				{"/badge.svg", "Major System Outage"},
			} {
				res := env.do("GET", c.path, "", "If-None-Match", etags[c.path])
				if res.Status != 200 {
					t.Errorf("%s after a change: status %d for the old ETag, want 200", c.path, res.Status)
					continue
				}
				if !bytes.Contains(res.Body, []byte(c.want)) {
					t.Errorf("%s after a change lacks %q", c.path, c.want)
				}
				if got := res.Header.Get("ETag"); got == etags[c.path] || got == "" {
					t.Errorf("%s after a change: ETag %q, want a new one", c.path, got)
				}
			}
			// A change that leaves a page as it was keeps its ETag, so
			// browsers still get 304.
			old := s.get("/history?page=2")
			env.clock.Advance(time.Minute)
			s.update("API", components.Input{Description: ptr("Public REST API")})
			if !bytes.Contains(s.get("/").Body, []byte("Public REST API")) {
				t.Error("/ does not show the new description")
			}
			if res := env.do("GET", "/history?page=2", "", "If-None-Match", old.Header.Get("ETag")); res.Status != 304 {
				t.Errorf("/history?page=2 unchanged by the edit: status %d for its ETag, want 304", res.Status)
			}
		})
	}
}

func pgGunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func pgGzip(t testing.TB, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// TestPagesWeight checks that "/" with 20 showcase components, 20 past
// incidents and the charts of three metrics with a full day of data, with
// its stylesheet and script, weighs under 50 KB compressed.
func TestPagesWeight(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	const n = 20
	name := func(i int) string { return "Service " + strconv.Itoa(i+1) }
	s.at(2025, 11, 1, 12, 0)
	for i := range n {
		s.component(name(i), components.Input{Showcase: ptr(true), Description: ptr("The " + strings.ToLower(name(i)) + " of the platform")})
	}
	// One incident every four days, oldest first, each with a three-update
	// timeline and outages on two components (resolving it returns them to
	// operational).
	for i := n - 1; i >= 0; i-- {
		start := time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC).AddDate(0, 0, -4*i)
		env.clock.Set(start)
		in := "Errors and slowness on " + name(i)
		s.incident(in, incidents.NewIncident{Components: pgStatuses{name(i): components.MajorOutage, name((i + 1) % n): components.PartialOutage},
			Body: "We are investigating reports of errors on " + name(i) + " and slow responses on " + name((i+1)%n) + "."})
		env.clock.Advance(30 * time.Minute)
		s.patch(in, incidents.Change{Status: ptr(incidents.Identified), Body: ptr("A faulty **configuration change** was identified; we are rolling it back.")})
		env.clock.Advance(90 * time.Minute)
		s.patch(in, incidents.Change{Status: ptr(incidents.Resolved), Body: ptr("The rollback is complete and error rates are back to normal. We will publish a postmortem.")})
	}

	for _, name := range []string{"API response time", "Error rate", "Queue depth"} {
		mtFill(t, env, mtMetric(t, env, name, true).ID, 24*time.Hour)
	}

	page := pgGet(env, "/", "Accept-Encoding", "gzip")
	if page.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("/ was not sent compressed")
	}
	plain := pgGunzip(t, page.Body)
	doc := pgParse(t, plain)
	if got := len(pgAll(doc, pgSel("ol", "bars"))); got != n {
		t.Fatalf("%d components with bars, want %d", got, n)
	}
	if got := mtRead(t, plain); got == nil || len(got.tips) != 3 || len(got.tips[0]) != 288 {
		t.Fatal("/ does not show three charts with a full day")
	}
	css := pgGet(env, "/static/beacon.css").Body
	js := pgGet(env, "/static/beacon.js").Body
	cssGz, jsGz := pgGzip(t, css), pgGzip(t, js)
	total := len(page.Body) + cssGz + jsGz
	t.Logf("page weight: / %d bytes (%d gzip), beacon.css %d (%d gzip), beacon.js %d (%d gzip): %d bytes compressed in all",
		len(plain), len(page.Body), len(css), cssGz, len(js), jsGz, total)
	if total >= 50_000 {
		t.Errorf("compressed weight %d bytes, want under 50 KB", total)
	}
}

// TestPagesFollowTheClock checks that "/" moves on with time when nothing
// changes: after midnight the bars and the past days start a new day.
func TestPagesFollowTheClock(t *testing.T) {
	env := pgNewEnv(t)
	s := &pgScene{env: env, ids: map[string]string{}}
	s.component("API", components.Input{Showcase: ptr(true)})
	before := pgParse(t, s.get("/").Body)
	stale := pgText(pgAll(pgSection(t, before, "past-incidents"), pgSel("h3"))[0])

	env.clock.Advance(36 * time.Hour) // 2026-03-12 00:00 UTC, Mar 11 20:00 in New York
	doc := pgParse(t, s.get("/").Body)
	days := pgTexts(pgAll(pgSection(t, doc, "past-incidents"), pgSel("h3")))
	bars := pgAll(pgComponent(doc, "API"), pgSel("span", "tip"))
	last := pgText(pgAll(bars[len(bars)-1], pgSel("b"))[0])
	const want = "Mar 11, 2026"
	if days[0] == stale {
		t.Errorf("\"/\" still shows %s as the newest day a day and a half later", stale)
	}
	if days[0] != want || last != want {
		t.Errorf("newest day %q and last bar %q, want %q", days[0], last, want)
	}
}
