package public

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/testutil"
)

// calScene is a page at 2026-03-10 12:00 UTC with three components (the
// Database in the Backend group) and a maintenance in every state the
// calendar tells apart: completed long ago, completed recently, in
// progress, upcoming on one component, upcoming on none, and one to be
// cancelled; and an incident.
type calScene struct {
	env           *testEnv
	api, db, web  string
	backend       string
	ids           map[string]string // maintenance or incident name → id
	cacheControl  string
	wantCalendar  []string // the calendar's events, soonest first
	wantAPI       []string // those of ?component=API
	wantDB        []string // those of ?component=DB
	wantAPIandDB  []string // those of ?component=API,DB
	wantWebFilter []string // those of ?component=Web
}

func newCalScene(t *testing.T) *calScene {
	env := pgNewEnv(t)
	s := &calScene{env: env, ids: map[string]string{}, cacheControl: "public, max-age=0, must-revalidate"}
	s.api = env.component(components.Input{Name: ptr("API")})
	s.db = env.component(components.Input{Name: ptr("Database")})
	s.web = env.component(components.Input{Name: ptr("Web")})
	s.backend = env.group(components.GroupInput{Name: ptr("Backend"), Members: &[]string{s.db}})
	maint := func(name string, from time.Time, hours int, status incidents.Status, comps ...string) string {
		t.Helper()
		until := from.Add(time.Duration(hours) * time.Hour)
		in := env.incident(incidents.NewIncident{Name: name, Status: status, ScheduledFor: &from, ScheduledUntil: &until, ComponentIDs: comps,
			Body: "Work on " + name + "."})
		s.ids[name] = in.ID
		return in.ID
	}
	complete := func(name string, at time.Time) {
		env.clock.Set(at)
		env.change(s.ids[name], incidents.Change{Status: ptr(incidents.Completed)})
	}
	env.clock.Set(time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC))
	maint("Old upgrade", time.Date(2026, 1, 21, 10, 0, 0, 0, time.UTC), 2, "", s.api)
	complete("Old upgrade", time.Date(2026, 1, 21, 12, 0, 0, 0, time.UTC))
	env.clock.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	maint("Recent patch", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), 1, "", s.db)
	complete("Recent patch", time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC))
	env.clock.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	maint("Web cache flush", time.Date(2026, 3, 20, 1, 0, 0, 0, time.UTC), 1, "", s.web)
	maint("Network work", time.Date(2026, 3, 15, 22, 0, 0, 0, time.UTC), 3, "")
	maint("API upgrade", time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC), 2, "", s.api)
	maint("DB migration", time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC), 3, incidents.InProgress, s.db)
	s.ids["API errors"] = env.incident(incidents.NewIncident{Name: "API errors", ComponentIDs: []string{s.api}}).ID
	s.wantCalendar = []string{"Recent patch", "DB migration", "API upgrade", "Network work", "Web cache flush"}
	s.wantAPI = []string{"API upgrade", "Network work"}
	s.wantDB = []string{"Recent patch", "DB migration", "Network work"}
	s.wantAPIandDB = []string{"Recent patch", "DB migration", "API upgrade", "Network work"}
	s.wantWebFilter = []string{"Network work", "Web cache flush"}
	return s
}

// fetch gets a calendar, checks its headers and lines, and parses it.
func (s *calScene) fetch(t *testing.T, path string) (*ical.Calendar, testutil.Response) {
	t.Helper()
	res := pgGet(s.env, path)
	if ct := res.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != s.cacheControl {
		t.Errorf("%s: Cache-Control %q, want %q", path, cc, s.cacheControl)
	}
	if res.Header.Get("ETag") == "" {
		t.Errorf("%s: no ETag", path)
	}
	return testutil.ParseICalendar(t, res.Body), res
}

// calEvent is what a test reads of an event.
type calEvent struct {
	Summary, UID, Sequence, Status, Start, End, URL string
}

func calEvents(t *testing.T, cal *ical.Calendar) []calEvent {
	t.Helper()
	var out []calEvent
	for _, ev := range cal.Events() {
		raw := func(name string) string {
			if p := ev.Props.Get(name); p != nil {
				return p.Value
			}
			return ""
		}
		out = append(out, calEvent{Summary: testutil.ICalText(t, ev.Props, "SUMMARY"), UID: raw("UID"), Sequence: raw("SEQUENCE"),
			Status: raw("STATUS"), Start: raw("DTSTART"), End: raw("DTEND"), URL: raw("URL")})
	}
	return out
}

func calSummaries(events []calEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Summary)
	}
	return out
}

func calFind(t *testing.T, events []calEvent, summary string) calEvent {
	t.Helper()
	for _, e := range events {
		if e.Summary == summary {
			return e
		}
	}
	t.Fatalf("no event %q in %q", summary, calSummaries(events))
	return calEvent{}
}

// TestCalendar checks /maintenance.ics and /incidents/{id}.ics through the
// site's routes: which maintenances it lists, each event's properties,
// ETag/304 and gzip, and what a reschedule, a rename and a cancellation do
// to the events.
func TestCalendar(t *testing.T) {
	s := newCalScene(t)
	env := s.env
	cal, first := s.fetch(t, "/maintenance.ics")
	if got := testutil.ICalText(t, cal.Props, "X-WR-CALNAME"); got != "Acme maintenance" {
		t.Errorf("X-WR-CALNAME %q", got)
	}
	events := calEvents(t, cal)
	if got := calSummaries(events); !slices.Equal(got, s.wantCalendar) {
		t.Fatalf("calendar lists %q, want %q", got, s.wantCalendar)
	}
	for _, e := range events {
		id := s.ids[e.Summary]
		want := calEvent{Summary: e.Summary, UID: id + "@localhost", Sequence: "0", Status: "CONFIRMED", Start: e.Start, End: e.End,
			URL: "http://localhost:8080/incidents/" + id}
		if e != want {
			t.Errorf("event %+v, want %+v", e, want)
		}
	}
	if e := calFind(t, events, "API upgrade"); e.Start != "20260312T100000Z" || e.End != "20260312T120000Z" {
		t.Errorf("API upgrade from %s to %s", e.Start, e.End)
	}

	t.Run("validators and gzip", func(t *testing.T) {
		etag := first.Header.Get("ETag")
		if res := env.do("GET", "/maintenance.ics", "", "If-None-Match", etag); res.Status != 304 || len(res.Body) != 0 {
			t.Errorf("If-None-Match: status %d with %d bytes, want 304 and none", res.Status, len(res.Body))
		}
		gz := pgGet(env, "/maintenance.ics", "Accept-Encoding", "gzip")
		if gz.Header.Get("Content-Encoding") != "gzip" || string(pgGunzip(t, gz.Body)) != string(first.Body) {
			t.Errorf("gzip: Content-Encoding %q, or the body differs", gz.Header.Get("Content-Encoding"))
		}
		if res := env.do("HEAD", "/maintenance.ics", ""); res.Status != 200 || len(res.Body) != 0 || res.Header.Get("ETag") != etag {
			t.Errorf("HEAD: status %d, %d bytes, ETag %q", res.Status, len(res.Body), res.Header.Get("ETag"))
		}
		// A change that touches no maintenance keeps the bytes, and the
		// ETag, of the calendar.
		env.change(s.ids["API errors"], incidents.Change{Body: ptr("Still looking.")})
		if res := env.do("GET", "/maintenance.ics", "", "If-None-Match", etag); res.Status != 304 {
			t.Errorf("after an incident's update: status %d for the calendar's ETag, want 304", res.Status)
		}
	})

	t.Run("one maintenance", func(t *testing.T) {
		for _, name := range []string{"API upgrade", "Old upgrade"} {
			path := "/incidents/" + s.ids[name] + ".ics"
			cal, res := s.fetch(t, path)
			one := calEvents(t, cal)
			if len(one) != 1 || one[0].Summary != name || one[0].UID != s.ids[name]+"@localhost" {
				t.Fatalf("%s: events %+v", path, one)
			}
			if r := env.do("GET", path, "", "If-None-Match", res.Header.Get("ETag")); r.Status != 304 {
				t.Errorf("%s: status %d for its ETag, want 304", path, r.Status)
			}
		}
		for _, path := range []string{"/incidents/" + s.ids["API errors"] + ".ics", "/incidents/nosuchid.ics", "/incidents/.ics"} {
			if res := env.do("GET", path, ""); res.Status != 404 {
				t.Errorf("%s: status %d, want 404", path, res.Status)
			}
		}
		// The incident pages are where they were, and a maintenance's
		// links to its calendar.
		for name, wantLink := range map[string]bool{"API upgrade": true, "API errors": false} {
			doc := pgParse(t, pgGet(env, "/incidents/"+s.ids[name]).Body)
			link := pgAll(doc, pgWithAttr("a", "href", "/incidents/"+s.ids[name]+".ics"))
			if (len(link) == 1) != wantLink {
				t.Errorf("%s: %d links to its calendar, want one: %v", name, len(link), wantLink)
			}
		}
	})

	t.Run("reschedule, rename, cancel", func(t *testing.T) {
		id := s.ids["API upgrade"]
		env.change(id, incidents.Change{ScheduledFor: pgUTC(2026, 3, 13, 10, 0), ScheduledUntil: pgUTC(2026, 3, 13, 12, 0)})
		cal, res := s.fetch(t, "/maintenance.ics")
		if res.Header.Get("ETag") == first.Header.Get("ETag") {
			t.Error("the calendar kept its ETag after a reschedule")
		}
		want := calEvent{Summary: "API upgrade", UID: id + "@localhost", Sequence: "1", Status: "CONFIRMED",
			Start: "20260313T100000Z", End: "20260313T120000Z", URL: "http://localhost:8080/incidents/" + id}
		if got := calFind(t, calEvents(t, cal), "API upgrade"); got != want {
			t.Errorf("rescheduled: %+v, want %+v", got, want)
		}
		one, _ := s.fetch(t, "/incidents/"+id+".ics")
		if got := calEvents(t, one)[0]; got != want {
			t.Errorf("its own calendar: %+v, want %+v", got, want)
		}

		env.change(id, incidents.Change{Name: ptr("API upgrade to v2")})
		cal, _ = s.fetch(t, "/maintenance.ics")
		want.Summary = "API upgrade to v2"
		if got := calFind(t, calEvents(t, cal), want.Summary); got != want {
			t.Errorf("renamed: %+v, want %+v (the same sequence)", got, want)
		}

		flush := s.ids["Web cache flush"]
		env.change(flush, incidents.Change{Status: ptr(incidents.Completed), Body: ptr("This scheduled maintenance has been cancelled.")})
		cal, _ = s.fetch(t, "/maintenance.ics")
		got := calFind(t, calEvents(t, cal), "Web cache flush")
		if got.Status != "CANCELLED" || got.Sequence != "1" || got.UID != flush+"@localhost" {
			t.Errorf("cancelled: %+v, want STATUS CANCELLED, SEQUENCE 1, the same UID", got)
		}
		// The maintenance completed in its window took place.
		if got := calFind(t, calEvents(t, cal), "Recent patch"); got.Status != "CONFIRMED" {
			t.Errorf("completed: status %s, want CONFIRMED", got.Status)
		}
	})
}

// TestCalendarComponentFilter checks ?component=ID,…: the maintenances of
// any of the components and those of the whole page, one calendar (and
// cache entry) per set of components whatever the order or repeats, and
// unknown ids, a group's, or an empty one not found.
func TestCalendarComponentFilter(t *testing.T) {
	s := newCalScene(t)
	env := s.env
	etags := map[string]string{}
	for _, tt := range []struct {
		query, name string
		want        []string
	}{
		{s.api, "Acme maintenance: API", s.wantAPI},
		{s.db, "Acme maintenance: Backend - Database", s.wantDB},
		{s.api + "," + s.db, "", s.wantAPIandDB},
		{s.db + "," + s.api + "," + s.db, "", s.wantAPIandDB},
		{"%20" + s.db + "%20,%20" + s.api, "", s.wantAPIandDB},
		{s.web, "Acme maintenance: Web", s.wantWebFilter},
	} {
		path := "/maintenance.ics?component=" + tt.query
		cal, res := s.fetch(t, path)
		if got := calSummaries(calEvents(t, cal)); !slices.Equal(got, tt.want) {
			t.Errorf("%s lists %q, want %q", path, got, tt.want)
		}
		if name := testutil.ICalText(t, cal.Props, "X-WR-CALNAME"); tt.name != "" && name != tt.name {
			t.Errorf("%s is named %q, want %q", path, name, tt.name)
		}
		key := strings.Join(tt.want, "|")
		if prev, ok := etags[key]; ok && prev != res.Header.Get("ETag") {
			t.Errorf("%s: ETag %s, want the same calendar's %s", path, res.Header.Get("ETag"), prev)
		}
		etags[key] = res.Header.Get("ETag")
	}
	for _, bad := range []string{"nosuchcomponent", s.backend, s.api + ",nosuch", s.api + ",", ",", "%00", strings.Repeat("x,", 500)} {
		if res := env.do("GET", "/maintenance.ics?component="+bad, ""); res.Status != 404 {
			t.Errorf("?component=%.30s: status %d, want 404", bad, res.Status)
		}
	}
	snap := env.site.cache.cur.Load()
	if n := snap.filtered.Len(); n != 4 {
		t.Errorf("%d filtered calendars kept, want 4 (API; Database; API and Database; Web)", n)
	}
	// Past the bound, a calendar is still served, and not kept.
	snap.filtered.Max = snap.filtered.Len()
	cal, _ := s.fetch(t, "/maintenance.ics?component="+s.web+","+s.api)
	if got, want := calSummaries(calEvents(t, cal)), []string{"API upgrade", "Network work", "Web cache flush"}; !slices.Equal(got, want) {
		t.Errorf("past the bound: %q, want %q", got, want)
	}
	if n := snap.filtered.Len(); n != 4 {
		t.Errorf("past the bound: %d calendars kept, want still 4", n)
	}
	// The filtered history announces its component's calendar.
	doc := pgParse(t, pgGet(env, "/history?component="+s.api).Body)
	pgOne(t, doc, pgWithAttr("link", "href", "/maintenance.ics?component="+s.api), "the calendar announced in the head")
	pgOne(t, doc, pgWithAttr("a", "href", "/maintenance.ics?component="+s.api), "links to the component's calendar")
}

// TestCalendarHostileNames puts names and text written to break a calendar
// in every field it shows: the page's name, a component's, a
// maintenance's (through the service, which refuses line breaks, and
// written straight into the database, as rows from before that rule may
// be) and an update's body. Each reads back as the page shows it, one
// event per maintenance, with every line within the rules.
func TestCalendarHostileNames(t *testing.T) {
	env := pgNewEnv(t)
	page := `Acme; "Ops", \ Team 🛠️`
	env.savePage(components.PageInput{Name: ptr(page)})
	comp := `Edge, cache; \ "CDN" ` + strings.Repeat("節点", 30)
	id := env.component(components.Input{Name: ptr(comp)})
	long := strings.Repeat("维护;,\\🛠", 42)
	names := []string{long, `Commas, semicolons; backslashes \ and \n`, strings.Repeat("é", 255)}
	from := time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC)
	for i, name := range names {
		start, until := from.Add(time.Duration(i)*time.Hour), from.Add(time.Duration(i+1)*time.Hour)
		env.incident(incidents.NewIncident{Name: name, ScheduledFor: &start, ScheduledUntil: &until, ComponentIDs: []string{id},
			Body: "Line one;\r\nline two, \\ **three**\r\n\r\n" + name})
	}
	raw := "Injected\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\u0001\u0085\ufffe\x1b[31m\x7f"
	m := env.incident(incidents.NewIncident{Name: "placeholder", ScheduledFor: pgUTC(2026, 3, 20, 0, 0), ScheduledUntil: pgUTC(2026, 3, 20, 1, 0)})
	if _, err := env.svc.DB.Write.ExecContext(context.Background(), `UPDATE incidents SET name = ? WHERE id = ?`, raw, m.ID); err != nil {
		t.Fatal(err)
	}
	env.site.Changed()
	names = append(names, chars.CleanLine(raw))

	for _, path := range []string{"/maintenance.ics", "/maintenance.ics?component=" + id, "/incidents/" + m.ID + ".ics"} {
		res := pgGet(env, path)
		cal := testutil.ParseICalendar(t, res.Body)
		wantName := page + " maintenance"
		switch {
		case strings.Contains(path, "component"):
			wantName += ": " + comp
		case strings.HasPrefix(path, "/incidents/"):
			wantName = names[3]
		}
		if got := testutil.ICalText(t, cal.Props, "X-WR-CALNAME"); got != wantName {
			t.Errorf("%s: X-WR-CALNAME %q, want %q", path, got, wantName)
		}
		got := calSummaries(calEvents(t, cal))
		want := names
		if strings.HasPrefix(path, "/incidents/") {
			want = names[3:]
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: events %q, want %q", path, got, want)
		}
		// The first three carry a body and a component.
		for i, ev := range cal.Events() {
			if i >= 3 || strings.HasPrefix(path, "/incidents/") {
				break
			}
			desc := testutil.ICalText(t, ev.Props, "DESCRIPTION")
			wantDesc := fmt.Sprintf("Scheduled: Line one;\nline two, \\ three\n\n%s\n\nAffected components: %s.\n\n", names[i], comp)
			if !strings.HasPrefix(desc, wantDesc) {
				t.Errorf("%s: event %d's DESCRIPTION\n%q, want it to start with\n%q", path, i, desc, wantDesc)
			}
		}
	}
}
