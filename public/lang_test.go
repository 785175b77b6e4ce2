package public

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/i18n/i18ntest"
	"github.com/beacon-status/beacon/public/frame"
)

// langAllow are the English words the showcase's pages may hold in any
// language: names of formats.
var langAllow = []string{"Atom", "RSS", "JSON", "CSV", "API", "SLA"}

// langStaffText is what staff wrote (or the incidents service wrote for
// them) in the showcase: it stays as written in every language.
var langStaffText = []string{"Scheduled maintenance is currently in progress. We will provide updates as necessary.",
	"The scheduled maintenance has been completed.", "We are currently verifying the maintenance.",
	"This incident has been resolved.", "Verification is currently underway for the maintenance items."}

// langVisible is what a visitor reads of a page: its text, and the
// attributes a browser shows or reads out (title, alt, aria-label, the
// meta description), less staff-written text. Class names and addresses
// are not read.
func langVisible(t *testing.T, body []byte) string {
	t.Helper()
	out := i18ntest.Readable(t, body)
	for _, staff := range langStaffText {
		out = strings.ReplaceAll(out, staff, "")
	}
	return out
}

// langEnglishDate is a date as English writes it: "Mar 10, 2026".
var langEnglishDate = regexp.MustCompile(`\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}`)

// langPaths are every public page of the showcase scene.
func langPaths(s *pgScene) []string {
	return []string{"/", "/incidents/" + s.id("Elevated API errors"), "/incidents/" + s.id("Database upgrade"),
		"/incidents/" + s.id("Database replication lag"), "/incidents/" + s.id("Website redesign rollout"),
		"/history", "/history?page=2", "/history?component=" + s.id("API"), "/uptime", "/uptime?month=2026-02"}
}

// withLang adds ?lang=code to path.
func withLang(path, code string) string {
	if strings.Contains(path, "?") {
		return path + "&lang=" + code
	}
	return path + "?lang=" + code
}

// TestPagesInEveryLanguage renders every public page in every language
// (?lang=): each says its language and direction, keeps no English and no
// missing message, and varies by what chooses the language.
func TestPagesInEveryLanguage(t *testing.T) {
	s := pgShowcase(t)
	cat := s.env.site.cache.templates.Catalogue()
	for _, lang := range cat.Langs() {
		t.Run(lang.Code(), func(t *testing.T) {
			for _, path := range langPaths(s) {
				res := s.get(withLang(path, lang.Code()))
				body := string(res.Body)
				want := `<html lang="` + lang.Code() + `"`
				if lang.RTL() {
					want += ` dir="rtl"`
				}
				if !strings.Contains(body, want+">") {
					t.Errorf("%s: no %s>", path, want)
				}
				if got := res.Header.Get("Content-Language"); got != lang.Code() {
					t.Errorf("%s: Content-Language %q, want %q", path, got, lang.Code())
				}
				if got := res.Header.Get("Vary"); got != string(frame.Vary) {
					t.Errorf("%s: Vary %q, want %q", path, got, frame.Vary)
				}
				visible := langVisible(t, res.Body)
				i18ntest.NoLeak(t, lang, i18ntest.Pages, visible, langAllow...)
				if m := langEnglishDate.FindString(visible); m != "" && lang.Code() != "en" {
					t.Errorf("%s: English date %q", path, m)
				}
			}
			// A refused report query is said in the visitor's language.
			for _, q := range []string{"/uptime?month=1999-01", "/uptime?format=pdf"} {
				res := s.env.do("GET", withLang(q, lang.Code()), "")
				if res.Status != 400 || !strings.Contains(string(res.Body), lang.T("report.bad_request")) {
					t.Errorf("%s: status %d, body without %q", q, res.Status, lang.T("report.bad_request"))
				}
				i18ntest.NoLeak(t, lang, i18ntest.Pages, langVisible(t, res.Body), langAllow...)
				if lang.Code() != "en" && strings.Contains(string(res.Body), " must be") {
					t.Errorf("%s: the refusal is in English: %s", q, langVisible(t, res.Body))
				}
			}
			res := s.env.do("GET", withLang("/incidents/zzzzzzzzzzzz", lang.Code()), "")
			if res.Status != 404 || !strings.Contains(string(res.Body), lang.T("page.not_found")) {
				t.Errorf("404: status %d, body without %q", res.Status, lang.T("page.not_found"))
			}
			i18ntest.NoLeak(t, lang, i18ntest.Pages, langVisible(t, res.Body), langAllow...)
		})
	}
}

// TestPagesLanguageETag checks that a page in each language has its own
// ETag, answered 304 only in that language.
func TestPagesLanguageETag(t *testing.T) {
	s := pgShowcase(t)
	for _, path := range []string{"/", "/history", "/incidents/" + s.id("Elevated API errors"), "/uptime"} {
		en := s.get(path)
		de := s.get(path, "Accept-Language", "de-DE,de;q=0.9")
		if !strings.Contains(string(de.Body), `<html lang="de">`) {
			t.Fatalf("%s with Accept-Language de: not German", path)
		}
		if en.Header.Get("ETag") == de.Header.Get("ETag") {
			t.Errorf("%s: the same ETag in English and German", path)
		}
		if res := s.env.do("GET", path, "", "Accept-Language", "de", "If-None-Match", de.Header.Get("ETag")); res.Status != 304 ||
			res.Header.Get("Content-Language") != "de" || res.Header.Get("Vary") != string(frame.Vary) {
			t.Errorf("%s: German ETag in German: %d, Content-Language %q, Vary %q, want 304, de, %s", path, res.Status,
				res.Header.Get("Content-Language"), res.Header.Get("Vary"), frame.Vary)
		}
		if res := s.env.do("GET", path, "", "Accept-Language", "de", "If-None-Match", en.Header.Get("ETag")); res.Status != 200 {
			t.Errorf("%s: English ETag in German: %d, want 200", path, res.Status)
		}
		if res := s.env.do("GET", path, "", "If-None-Match", de.Header.Get("ETag")); res.Status != 200 {
			t.Errorf("%s: German ETag in English: %d, want 200", path, res.Status)
		}
	}
}

// langOf reads the language a page is in.
func langOf(body []byte) string {
	_, after, _ := bytes.Cut(body, []byte(`<html lang="`))
	code, _, _ := bytes.Cut(after, []byte(`"`))
	return string(code)
}

// cookie returns the Set-Cookie of name in res, or "".
func cookie(res http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: res}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestPagesLanguageChoice checks the order a language is chosen in: ?lang=
// (remembered in a cookie), the cookie, Accept-Language, the page's
// default.
func TestPagesLanguageChoice(t *testing.T) {
	env := pgNewEnv(t)
	env.component(components.Input{Name: ptr("API"), Showcase: ptr(true)})
	tests := []struct {
		name    string
		path    string
		headers []string
		want    string
		// sets is the cookie the response sets, "" for none.
		sets string
	}{
		{"nothing", "/", nil, "en", ""},
		{"query", "/?lang=fr", nil, "fr", "fr"},
		{"query in another case", "/?lang=pt-br", nil, "pt-BR", "pt-BR"},
		{"query over cookie and header", "/?lang=ja", []string{"Cookie", "beacon_lang=de", "Accept-Language", "es"}, "ja", "ja"},
		{"query the cookie holds", "/?lang=de", []string{"Cookie", "beacon_lang=de"}, "de", ""},
		{"unknown query", "/?lang=xx", []string{"Accept-Language", "es"}, "es", ""},
		{"cookie", "/history", []string{"Cookie", "beacon_lang=ar"}, "ar", ""},
		{"cookie over header", "/", []string{"Cookie", "beacon_lang=ar", "Accept-Language", "de"}, "ar", ""},
		{"unknown cookie", "/", []string{"Cookie", "beacon_lang=tlh", "Accept-Language", "de"}, "de", ""},
		{"header", "/uptime", []string{"Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5"}, "fr", ""},
		{"header pt", "/", []string{"Accept-Language", "pt"}, "pt-BR", ""},
		{"header en-GB", "/", []string{"Accept-Language", "en-GB"}, "en", ""},
		{"header unmatched", "/", []string{"Accept-Language", "zu, tlh;q=0.5"}, "en", ""},
		{"header junk", "/", []string{"Accept-Language", ";;q=x,,"}, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := pgGet(env, tt.path, tt.headers...)
			if got := langOf(res.Body); got != tt.want {
				t.Errorf("language %q, want %q", got, tt.want)
			}
			c := cookie(res.Header, frame.LangCookie)
			switch {
			case tt.sets == "" && c != nil:
				t.Errorf("sets cookie %v, want none", c)
			case tt.sets != "" && (c == nil || c.Value != tt.sets || c.Path != "/" || c.MaxAge < 300*24*3600 || c.SameSite != http.SameSiteLaxMode):
				t.Errorf("cookie %v, want %s on / for a year, SameSite=Lax", c, tt.sets)
			}
			if cc := res.Header.Get("Cache-Control"); (tt.sets != "") != (cc == "private") {
				t.Errorf("Cache-Control %q with cookie %q", cc, tt.sets)
			}
		})
	}

	// The page's default language is what a visitor with no choice reads.
	env.savePage(components.PageInput{Language: ptr("de")})
	if got := langOf(pgGet(env, "/").Body); got != "de" {
		t.Errorf("default de: / in %q", got)
	}
	if got := langOf(pgGet(env, "/", "Accept-Language", "en-US").Body); got != "en" {
		t.Errorf("default de, Accept-Language en-US: / in %q", got)
	}
}

// TestPagesDefaultLanguageFastPath checks that "/" in the page's default
// language is the snapshot's own rendering, not one made on demand, and
// that another language is made once per snapshot.
func TestPagesDefaultLanguageFastPath(t *testing.T) {
	env := pgNewEnv(t)
	env.component(components.Input{Name: ptr("API"), Showcase: ptr(true)})
	for _, headers := range [][]string{nil, {"Accept-Encoding", "gzip"}, {"Accept-Language", "en-US,en;q=0.9"}, {"Cookie", "beacon_lang=en"}} {
		res := pgGet(env, "/", headers...)
		snap := env.site.cache.cur.Load()
		if res.Header.Get("ETag") != snap.index.ETag() {
			t.Errorf("%v: ETag %q, want the snapshot's index %q", headers, res.Header.Get("ETag"), snap.index.ETag())
		}
		if n := langLazyIndexes(snap); n != 0 {
			t.Errorf("%v: %d pages of / rendered on demand, want none", headers, n)
		}
	}
	pgGet(env, "/", "Accept-Language", "de")
	pgGet(env, "/?lang=de")
	if n := langLazyIndexes(env.site.cache.cur.Load()); n != 1 {
		t.Errorf("/ in German twice: %d renderings on demand, want 1", n)
	}
}

func langLazyIndexes(s *snapshot) int {
	s.lazyPages.mu.Lock()
	defer s.lazyPages.mu.Unlock()
	n := 0
	for key := range s.lazyPages.pages {
		if strings.HasPrefix(key, "index:") {
			n++
		}
	}
	return n
}

// TestAPIv2IgnoresLanguage checks that API v2 is the same bytes and
// headers whatever asks for a language: its texts are Statuspage's.
func TestAPIv2IgnoresLanguage(t *testing.T) {
	s := pgShowcase(t)
	for _, path := range []string{"summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
		"scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"} {
		plain := s.get("/api/v2/" + path)
		for _, ask := range []struct {
			path    string
			headers []string
		}{
			{"/api/v2/" + path + "?lang=ar", nil},
			{"/api/v2/" + path, []string{"Accept-Language", "ja"}},
			{"/api/v2/" + path, []string{"Cookie", "beacon_lang=de"}},
		} {
			res := s.get(ask.path, ask.headers...)
			if !bytes.Equal(res.Body, plain.Body) {
				t.Errorf("%s %v: body differs from the plain request's", ask.path, ask.headers)
			}
			if res.Header.Get("Content-Language") != "" || res.Header.Get("Vary") != "Accept-Encoding" ||
				res.Header.Get("ETag") != plain.Header.Get("ETag") || res.Header.Get("Set-Cookie") != "" {
				t.Errorf("%s %v: Content-Language %q, Vary %q, ETag %q (plain %q), Set-Cookie %q", ask.path, ask.headers,
					res.Header.Get("Content-Language"), res.Header.Get("Vary"), res.Header.Get("ETag"), plain.Header.Get("ETag"),
					res.Header.Get("Set-Cookie"))
			}
		}
	}
}

// TestFeedsAndBadgeLanguage checks that the feeds and the badge are in the
// page's language, or the one their address names: their clients send no
// Accept-Language, and a cookie does not change them.
func TestFeedsAndBadgeLanguage(t *testing.T) {
	s := pgShowcase(t)
	cat := s.env.site.cache.templates.Catalogue()
	for _, lang := range cat.Langs() {
		for _, path := range []string{"/history.atom", "/history.rss", "/history.atom?component=" + s.id("API")} {
			body := string(s.get(withLang(path, lang.Code())).Body)
			want := lang.F("feed.title", "Page", "Acme")
			if strings.Contains(path, "component") {
				want = lang.F("feed.title_component", "Page", "Acme", "Component", "API")
			}
			if !strings.Contains(body, html.EscapeString(want)) {
				t.Errorf("%s in %s: no title %q", path, lang.Code(), want)
			}
			if lang.Code() != "en" && strings.Contains(body, "<strong>Resolved</strong>") {
				t.Errorf("%s in %s: an English label", path, lang.Code())
			}
		}
		badge := string(s.get("/badge.svg?lang=" + lang.Code()).Body)
		want := lang.T("badge.label") + ": " + lang.Enum("indicator", "Partial System Outage")
		if !strings.Contains(badge, "<title>"+html.EscapeString(want)+"</title>") {
			t.Errorf("badge in %s: no title %q in %s", lang.Code(), want, badge)
		}
	}
	for _, path := range []string{"/history.atom", "/badge.svg"} {
		plain := s.get(path)
		if res := s.get(path, "Cookie", "beacon_lang=de", "Accept-Language", "ja"); !bytes.Equal(res.Body, plain.Body) {
			t.Errorf("%s: a cookie or Accept-Language changed it", path)
		}
	}
}

// TestCalendarLanguage checks that the maintenance calendars' texts are
// in the page's language or the one ?lang= names, and that the filtered
// calendars are kept per language.
func TestCalendarLanguage(t *testing.T) {
	s := pgShowcase(t)
	for _, lang := range s.env.site.cache.templates.Catalogue().Langs() {
		for _, path := range []string{"/maintenance.ics", "/maintenance.ics?component=" + s.id("DNS"), "/incidents/" + s.id("DNS provider migration") + ".ics"} {
			// Unfolded, and unescaped as RFC 5545 escapes TEXT.
			body := strings.NewReplacer("\r\n ", "", `\,`, ",", `\;`, ";").Replace(string(s.get(withLang(path, lang.Code())).Body))
			want := lang.F("calendar.summary", "Page", "Acme")
			if strings.Contains(path, "component") {
				want = lang.F("calendar.summary_scope", "Page", "Acme", "Components", "Edge - DNS")
			}
			if !strings.Contains(body, want) {
				t.Errorf("%s in %s: no %q", path, lang.Code(), want)
			}
			if !strings.Contains(body, lang.Enum("incident", "in_progress")+": ") && !strings.Contains(body, lang.Enum("incident", "in_progress")+"\u00a0: ") {
				t.Errorf("%s in %s: no status label %q", path, lang.Code(), lang.Enum("incident", "in_progress"))
			}
		}
	}
}

// TestChartsLanguage checks that the charts of system metrics are drawn in
// each language, for every period, kept apart from one another.
func TestChartsLanguage(t *testing.T) {
	env := pgNewEnv(t)
	m := mtMetric(t, env, "Latency", true)
	mtFill(t, env, m.ID, 3*24*time.Hour)
	for _, lang := range env.site.cache.templates.Catalogue().Langs() {
		for _, period := range []string{"", "week", "month"} {
			path := "/"
			if period != "" {
				path += "?metrics=" + period
			}
			res := pgGet(env, withLang(path, lang.Code()))
			visible := langVisible(t, res.Body)
			if p := period; p == "" {
				period = "day"
			}
			want := lang.T("chart.period_" + period)
			if !strings.Contains(visible, want) || !strings.Contains(string(res.Body), `<figure class="chart"`) {
				t.Errorf("%s in %s: no chart over %q", path, lang.Code(), want)
			}
			i18ntest.NoLeak(t, lang, i18ntest.Pages, visible, langAllow...)
			if m := langEnglishDate.FindString(visible); m != "" && lang.Code() != "en" {
				t.Errorf("%s in %s: English date %q", path, lang.Code(), m)
			}
		}
	}
}

// langFeedLink finds the links to feeds and calendars in a page: the
// head's alternates, the footer's, the subscribe screen's, an incident's
// and a filtered history's.
var langFeedLink = regexp.MustCompile(`href="([^"]*(?:\.atom|\.rss|\.ics)(?:\?[^"]*)?)"`)

// TestFeedLinksInReadersLanguage: a page read in a language other than
// the page's default links its feeds and calendars in that language, and
// following a link gives the feed in it; in the default language the
// addresses carry no ?lang=, as before.
func TestFeedLinksInReadersLanguage(t *testing.T) {
	s := pgShowcase(t)
	de := testLang(t, "de")
	paths := []string{"/", "/history?component=" + s.id("API"), "/incidents/" + s.id("DNS provider migration"), "/subscribe", "/uptime"}
	links := func(path string, headers ...string) []string {
		t.Helper()
		var out []string
		for _, m := range langFeedLink.FindAllStringSubmatch(string(s.get(path, headers...).Body), -1) {
			out = append(out, html.UnescapeString(m[1]))
		}
		if len(out) < 3 {
			t.Fatalf("%s: %d links to feeds (%v), want the head's three at least", path, len(out), out)
		}
		return out
	}
	for _, path := range paths {
		for _, l := range links(path, "Accept-Language", "de") {
			if !strings.Contains(l, "lang=de") {
				t.Errorf("%s in German links %s", path, l)
			}
		}
		for _, l := range links(withLang(path, "de")) {
			if !strings.Contains(l, "lang=de") {
				t.Errorf("%s?lang=de links %s", path, l)
			}
		}
		for _, l := range links(path) {
			if strings.Contains(l, "lang=") {
				t.Errorf("%s in the default language links %s", path, l)
			}
		}
	}
	// A filtered history keeps its component and adds the language.
	api := links("/history?component="+s.id("API"), "Accept-Language", "de")
	if want := "/history.atom?component=" + s.id("API") + "&lang=de"; !slices.Contains(api, want) {
		t.Errorf("filtered history in German links %v, want %s among them", api, want)
	}
	// What a German reader subscribes to is German.
	feed := string(s.get(links("/", "Accept-Language", "de")[0]).Body)
	if want := html.EscapeString(de.F("feed.title", "Page", "Acme")); !strings.Contains(feed, want) {
		t.Errorf("the German page's first feed lacks the German title %q", want)
	}

	// With German the default, German addresses are plain, and an English
	// reader's say English.
	s.env.savePage(components.PageInput{Language: ptr("de")})
	for _, l := range links("/") {
		if strings.Contains(l, "lang=") {
			t.Errorf("/ in German, the default, links %s", l)
		}
	}
	for _, l := range links("/", "Accept-Language", "en") {
		if !strings.Contains(l, "lang=en") {
			t.Errorf("/ in English, not the default, links %s", l)
		}
	}
}

// The picker's links keep what a page's address chose besides its
// language: the page of history and its component, the uptime report's
// month, the charts' period.
func TestPickerKeepsThePage(t *testing.T) {
	s := pgShowcase(t)
	month := regexp.MustCompile(`href="/uptime\?month=([0-9]{4}-[0-9]{2})"`).FindSubmatch(s.get("/uptime").Body)
	if month == nil {
		t.Fatal("the uptime report links no month")
	}
	for path, want := range map[string]string{
		"/history?page=2&lang=de":                               `href="?page=2&amp;lang=fr"`,
		"/history?page=2&component=" + s.id("API") + "&lang=de": `href="?component=` + s.id("API") + `&amp;page=2&amp;lang=fr"`,
		"/history?lang=de":                                      `href="?lang=fr"`,
		"/uptime?month=" + string(month[1]) + "&lang=de":        `href="?month=` + string(month[1]) + `&amp;lang=fr"`,
	} {
		res := s.get(path)
		if res.Status != 200 || !strings.Contains(string(res.Body), want) {
			t.Errorf("%s: status %d, no picker link %s", path, res.Status, want)
		}
	}
}
