package public

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// pgHistoryScene is a page with two components: an incident on API that
// lasted 1 h 25 min, one on the Database still open, and one on both.
func pgHistoryScene(t *testing.T) (env *testEnv, api, db string) {
	env = pgNewEnv(t)
	api = env.component(components.Input{Name: ptr("API")})
	db = env.component(components.Input{Name: ptr("Database")})
	env.clock.Set(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC))
	in := env.incident(incidents.NewIncident{Name: "API errors", ComponentIDs: []string{api}})
	env.clock.Advance(85 * time.Minute)
	env.change(in.ID, incidents.Change{Status: ptr(incidents.Resolved)})
	env.clock.Set(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
	env.incident(incidents.NewIncident{Name: "Slow queries", ComponentIDs: []string{db}})
	env.clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	both := env.incident(incidents.NewIncident{Name: "Network blip", ComponentIDs: []string{api, db}})
	env.clock.Advance(10 * time.Minute)
	env.change(both.ID, incidents.Change{Status: ptr(incidents.Resolved)})
	env.clock.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	return env, api, db
}

// TestPagesHistoryDuration checks that each incident in the history says
// when it was resolved and how long it lasted, or that it is ongoing.
func TestPagesHistoryDuration(t *testing.T) {
	env, _, _ := pgHistoryScene(t)
	doc := pgParse(t, pgGet(env, "/history").Body)
	want := map[string]string{
		"API errors":   "Mar 2, 2026 - 09:00 EST – Mar 2, 2026 - 10:25 EST Resolved after 1 h 25 min",
		"Slow queries": "Mar 4, 2026 - 04:00 EST Ongoing",
		"Network blip": "Mar 5, 2026 - 04:00 EST – Mar 5, 2026 - 04:10 EST Resolved after 10 min",
	}
	arts := pgAll(doc, pgSel("article", "past"))
	if len(arts) != len(want) {
		t.Fatalf("%d incidents in the history, want %d", len(arts), len(want))
	}
	for _, a := range arts {
		name := pgText(pgOne(t, a, pgSel("h3"), "headings"))
		got := strings.Join(strings.Fields(pgText(pgOne(t, a, pgSel("p", "posted"), "times"))), " ")
		if got != want[name] {
			t.Errorf("%s: %q, want %q", name, got, want[name])
		}
		ongoing := pgAll(a, pgSel("span", "ongoing"))
		if (len(ongoing) == 1) != (name == "Slow queries") {
			t.Errorf("%s: %d ongoing tags", name, len(ongoing))
		}
		times := pgAll(a, pgSel("time"))
		if n := map[bool]int{true: 1, false: 2}[name == "Slow queries"]; len(times) != n {
			t.Errorf("%s: %d <time>s, want %d", name, len(times), n)
		}
	}
}

// TestPagesHistoryFilter checks /history?component=ID and the feeds'
// ?component=ID: only the incidents that affected the component, the pager
// and feed links keeping the filter, the filtered pages cached with ETags,
// and unknown ids (or a group's) not found.
func TestPagesHistoryFilter(t *testing.T) {
	env, api, db := pgHistoryScene(t)
	group := env.group(components.GroupInput{Name: ptr("Backend"), Members: &[]string{db}})
	listed := func(path string) []string {
		t.Helper()
		res := pgGet(env, path)
		if res.Header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", path)
		}
		return pgTexts(pgAll(pgParse(t, res.Body), pgSel("h3")))
	}
	for _, tt := range []struct {
		id   string
		want []string
	}{{"", []string{"Network blip", "Slow queries", "API errors"}}, {api, []string{"Network blip", "API errors"}}, {db, []string{"Network blip", "Slow queries"}}} {
		path := "/history"
		if tt.id != "" {
			path += "?component=" + tt.id
		}
		if got := listed(path); !slices.Equal(got, tt.want) {
			t.Errorf("%s lists %q, want %q", path, got, tt.want)
		}
		if tt.id == "" {
			continue
		}
		doc := pgParse(t, pgGet(env, path).Body)
		sel := pgOne(t, doc, pgWithAttr("option", "selected", ""), "selected options")
		if v, _ := pgAttr(sel, "value"); v != tt.id {
			t.Errorf("%s: option %q selected, want %q", path, v, tt.id)
		}
		for _, feed := range []string{"/history.atom?component=" + tt.id, "/history.rss?component=" + tt.id} {
			// Feed readers find the feed of the page they are pointed at
			// in the head.
			pgOne(t, doc, pgWithAttr("link", "href", feed), path+": announces "+feed+" in its head")
			if pgOne(t, doc, pgWithAttr("a", "href", feed), path+": links to "+feed) == nil {
				continue
			}
			res := pgGet(env, feed)
			var f struct {
				Titles  []string `xml:"entry>title"`
				Items   []string `xml:"channel>item>title"`
				Title   string   `xml:"title"`
				Channel string   `xml:"channel>title"`
			}
			if err := xml.Unmarshal(res.Body, &f); err != nil {
				t.Fatalf("%s: %v", feed, err)
			}
			got, title := append(f.Titles, f.Items...), f.Title+f.Channel
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s lists %q, want %q", feed, got, tt.want)
			}
			if name := env.site.cache.cur.Load().byID[tt.id].Name; !strings.Contains(title, name) {
				t.Errorf("%s is titled %q, want it to name %s", feed, title, name)
			}
			if res.Header.Get("ETag") == "" {
				t.Errorf("%s: no ETag", feed)
			}
		}
	}
	// The whole feeds are unchanged by the filter's existence.
	for _, feed := range []string{"/history.atom", "/history.rss"} {
		if body := string(pgGet(env, feed).Body); !strings.Contains(body, "Slow queries") || !strings.Contains(body, "API errors") {
			t.Errorf("%s lacks an incident", feed)
		}
	}
	for _, bad := range []string{"nosuchcomponent", group, "%00", strings.Repeat("x", 500)} {
		for _, path := range []string{"/history", "/history.atom", "/history.rss"} {
			if res := env.do("GET", path+"?component="+bad, ""); res.Status != 404 {
				t.Errorf("%s?component=%.20s: status %d, want 404", path, bad, res.Status)
			}
		}
	}
	// However many ids are tried, the cache holds pages only for real
	// components.
	s := env.site.cache.cur.Load()
	s.lazyPages.mu.Lock()
	defer s.lazyPages.mu.Unlock()
	for key := range s.lazyPages.pages {
		if strings.Contains(key, "nosuch") || strings.Contains(key, group) {
			t.Errorf("lazy cache holds %q", key)
		}
	}
}
