package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/i18n/i18ntest"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/subscribers"
)

// allowed are the English words a console page may hold whatever its
// language: an integration's alert log keeps each alert's outcome as the
// integration wrote it when the alert came ("opened a draft incident for
// staff to publish"), stored text like an incident's; a maintenance's
// first update is the text the incidents service writes for staff ("We
// will be undergoing scheduled maintenance during this time."), stored as
// staff's own. (The catalogues no longer hold the word in an address,
// /maintenance.ics, which had let it pass.)
var allowed = []string{"incident", "maintenance"}

// flashOf is the message a redirect leaves for the next page.
func flashOf(t *testing.T, res response) string {
	t.Helper()
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "beacon_flash" {
			v, _ := url.QueryUnescape(c.Value)
			return v
		}
	}
	return ""
}

// TestConsoleLanguagePicker: the picker's form needs the session's CSRF
// token, sets the caller's language only, says so in the language
// chosen, and every page after it speaks that language; "" follows the
// page's language again, and a language Beacon lacks is refused.
func TestConsoleLanguagePicker(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	me := e.newStaff(accounts.Responder)
	other := e.newStaff(accounts.Admin)

	if res := me.Post("/console/language", url.Values{"language": {"de"}, "_csrf": {""}}); res.Status != 403 {
		t.Errorf("without the CSRF token: status %d, want 403", res.Status)
	}
	if u, _ := e.svc.Accounts.User(ctx, me.User.ID); u.Language != "" {
		t.Fatalf("a post without the CSRF token set the language to %q", u.Language)
	}

	res := me.MustPost(303, "/console/language", url.Values{"language": {"de"}, "next": {"/console/components"}})
	if loc := res.Header.Get("Location"); loc != "/console/components" {
		t.Errorf("redirect to %q, want back to /console/components", loc)
	}
	if got, want := flashOf(t, res), "Die Konsole verwendet jetzt Ihre Sprache."; got != want {
		t.Errorf("flash = %q, want %q", got, want)
	}
	if u, _ := e.svc.Accounts.User(ctx, me.User.ID); u.Language != "de" {
		t.Errorf("caller's language = %q, want de", u.Language)
	}
	if u, _ := e.svc.Accounts.User(ctx, other.User.ID); u.Language != "" {
		t.Errorf("another user's language = %q, want it untouched", u.Language)
	}
	page := string(me.Get("/console").Body)
	if !strings.Contains(page, `<html lang="de" dir="ltr">`) || !strings.Contains(page, ">Abmelden<") {
		t.Errorf("after choosing German the dashboard is not German: %s", page[:min(len(page), 600)])
	}
	if !strings.Contains(page, `<option value="de" lang="de" selected>Deutsch</option>`) {
		t.Error("the picker does not show German as chosen")
	}
	if page := string(other.Get("/console").Body); !strings.Contains(page, `<html lang="en" dir="ltr">`) {
		t.Error("another user's console changed language")
	}

	if res := me.Post("/console/language", url.Values{"language": {"xx"}}); res.Status != 422 {
		t.Errorf("an unknown language: status %d, want 422", res.Status)
	}
	if u, _ := e.svc.Accounts.User(ctx, me.User.ID); u.Language != "de" {
		t.Errorf("an unknown language changed it to %q", u.Language)
	}
	// The redirect stays inside the console.
	res = me.MustPost(303, "/console/language", url.Values{"language": {"ar"}, "next": {"//evil.example/"}})
	if loc := res.Header.Get("Location"); loc != "/console" {
		t.Errorf("redirect to %q, want /console", loc)
	}
	if page := string(me.Get("/console").Body); !strings.Contains(page, `<html lang="ar" dir="rtl">`) {
		t.Error("Arabic console is not right to left")
	}

	// "" follows the page's language, whatever it becomes.
	me.MustPost(303, "/console/language", url.Values{"language": {""}})
	if _, err := e.svc.InForce.SavePage(ctx, components.PageInput{Language: ptr("fr")}); err != nil {
		t.Fatal(err)
	}
	if page := string(me.Get("/console").Body); !strings.Contains(page, `<html lang="fr" dir="ltr">`) ||
		!strings.Contains(page, `<option value="" selected>Langue de la page (Français)</option>`) {
		t.Errorf("a user following the page's language does not get French: %s", page[:min(len(page), 900)])
	}
}

// TestSignInFollowsAcceptLanguage: before sign-in there is no user's
// choice, so the sign-in page speaks the browser's language, else the
// page's.
func TestSignInFollowsAcceptLanguage(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct {
		name, header, page, want string
	}{
		{"no header", "", "", "en"},
		{"German browser", "de-CH, en;q=0.5", "", "de"},
		{"Portuguese browser", "pt", "", "pt-BR"},
		{"unknown language, page in Japanese", "sv", "ja", "ja"},
		{"no header, page in Japanese", "", "ja", "ja"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.svc.InForce.SavePage(context.Background(), components.PageInput{Language: ptr(tt.page)}); err != nil {
				t.Fatal(err)
			}
			var h []string
			if tt.header != "" {
				h = []string{"Accept-Language", tt.header}
			}
			res := e.do("GET", "/console/signin", nil, h...)
			body := string(res.Body)
			lang := e.svc.Templates.Catalogue().Get(tt.want)
			if !strings.Contains(body, `<html lang="`+tt.want+`" dir="`+lang.Dir()+`">`) {
				t.Fatalf("sign-in page is not in %s: %s", tt.want, body[:min(len(body), 300)])
			}
			if got := res.Header.Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language = %q, want %q", got, tt.want)
			}
			i18ntest.NoLeak(t, lang, i18ntest.Console, i18ntest.Readable(t, res.Body), allowed...)
		})
	}
}

// consoleScreen is a screen's path and the role that sees it.
type consoleScreen struct {
	path string
	role accounts.Role
	// allow are English words the screen holds as form values (API
	// codes), not as text.
	allow []string
}

// consoleScreens are the console screens translated in full, with the
// role that sees them; each is rendered in every language.
func consoleScreens(f consoleFixture, integration string, m metricIDs) []consoleScreen {
	return []consoleScreen{
		{path: "/console/no-such-screen", role: accounts.Responder}, // the message screen
		{path: "/console", role: accounts.Admin},
		{path: "/console/components", role: accounts.Admin},
		{path: "/console/components", role: accounts.Responder},
		{path: "/console/components/" + f.api, role: accounts.Admin},
		{path: "/console/incidents", role: accounts.Responder},
		{path: "/console/maintenance", role: accounts.Responder},
		{path: "/console/templates", role: accounts.Admin},
		{path: "/console/templates?edit=" + f.template.ID, role: accounts.Admin},
		// The impact select's values are API codes ("critical").
		{path: "/console/incidents/new", role: accounts.Responder, allow: []string{"critical"}},
		{path: "/console/incidents/new?template=" + f.template.ID, role: accounts.Responder, allow: []string{"critical"}},
		{path: "/console/maintenance/new", role: accounts.Responder},
		{path: "/console/incidents/" + f.incident.ID, role: accounts.Responder},
		{path: "/console/incidents/" + f.resolved.ID, role: accounts.Admin},
		{path: "/console/incidents/" + f.maintenance.ID, role: accounts.Admin},
		{path: "/console/users", role: accounts.Admin},
		{path: "/console/keys", role: accounts.Admin},
		{path: "/console/audit", role: accounts.Admin},
		{path: "/console/settings", role: accounts.Admin},
		// A draft's title is the incident's name the integrations
		// package wrote, stored text like staff's: English.
		// The severities table holds the alerts' own codes ("critical").
		{path: "/console/integrations", role: accounts.Admin, allow: []string{"Degraded Performance", "critical"}},
		{path: "/console/integrations", role: accounts.Responder, allow: []string{"Degraded Performance"}},
		{path: "/console/integrations/" + integration, role: accounts.Admin, allow: []string{"critical"}},
		{path: "/console/metrics", role: accounts.Admin, allow: m.allow},
		{path: "/console/metrics/" + m.metric, role: accounts.Admin, allow: m.allow},
		{path: "/console/metrics/providers/" + m.self, role: accounts.Admin, allow: m.allow},
		{path: "/console/metrics/providers/" + m.other, role: accounts.Admin, allow: m.allow},
		{path: "/console/subscribers", role: accounts.Admin, allow: []string{"active", "unconfirmed", "quarantined", "unsubscribed"}},
	}
}

// TestConsoleScreensInEveryLanguage renders each translated screen for a
// user who chose each language: the page says its language, and holds
// no missing translation and no English the language writes otherwise.
func TestConsoleScreensInEveryLanguage(t *testing.T) {
	e := newTestEnv(t)
	f := newConsoleFixture(t, e)
	cat := e.svc.Templates.Catalogue()
	staff := map[accounts.Role]*staff{accounts.Admin: e.newStaff(accounts.Admin), accounts.Responder: e.newStaff(accounts.Responder)}
	integration := newIntegrationWithDraft(t, e, staff[accounts.Admin])
	metric := newMetrics(t, e, staff[accounts.Admin])
	for _, lang := range cat.Langs() {
		for _, s := range staff {
			if err := e.svc.Accounts.SetLanguage(context.Background(), s.User.ID, lang.Code()); err != nil {
				t.Fatal(err)
			}
		}
		for _, sc := range consoleScreens(f, integration, metric) {
			t.Run(lang.Code()+sc.path, func(t *testing.T) {
				res := staff[sc.role].Get(sc.path)
				checkLang(t, lang, res, sc.allow...)
			})
		}
	}
}

// checkLang checks a console page is in lang.
func checkLang(t *testing.T, lang *i18n.Lang, res testutil.Response, allow ...string) {
	t.Helper()
	body := string(res.Body)
	if res.Status >= 500 {
		t.Fatalf("status %d: %s", res.Status, body)
	}
	if !strings.Contains(body, `<html lang="`+lang.Code()+`" dir="`+lang.Dir()+`">`) {
		t.Errorf("not in %s: %s", lang.Code(), body[:min(len(body), 300)])
	}
	i18ntest.NoLeak(t, lang, i18ntest.Console, i18ntest.Readable(t, res.Body), append(allow, allowed...)...)
}

// TestSettingsSetThePageLanguage: the settings screen saves the page's
// language, which users who chose none then read the console in; a form
// posted without the field keeps it.
func TestSettingsSetThePageLanguage(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	admin := e.newStaff(accounts.Admin)
	form := func(lang ...string) url.Values {
		v := url.Values{"name": {"Acme"}, "time_zone": {"UTC"}}
		if len(lang) > 0 {
			v.Set("language", lang[0])
		}
		return v
	}
	admin.MustPost(303, "/console/settings", form("ja"))
	if p, _ := e.svc.Components.Page(ctx); p.Language != "ja" {
		t.Fatalf("page language = %q, want ja", p.Language)
	}
	page := string(admin.Get("/console/settings").Body)
	if !strings.Contains(page, `<html lang="ja" dir="ltr">`) || !strings.Contains(page, `<option value="ja" lang="ja" selected>日本語</option>`) {
		t.Errorf("settings after choosing Japanese: %s", page[:min(len(page), 600)])
	}
	admin.MustPost(303, "/console/settings", form())
	if p, _ := e.svc.Components.Page(ctx); p.Language != "ja" {
		t.Errorf("a form without the field changed the language to %q", p.Language)
	}
	if res := admin.Post("/console/settings", form("xx")); res.Status != 422 {
		t.Errorf("unknown language: status %d, want 422", res.Status)
	}
	if p, _ := e.svc.Components.Page(ctx); p.Language != "ja" {
		t.Errorf("an unknown language changed it to %q", p.Language)
	}
}

// newIntegrationWithDraft creates an integration through the console and
// has it receive a firing alert, which opens a draft; it returns the
// integration's id.
func newIntegrationWithDraft(t *testing.T, e *testEnv, admin *staff) string {
	t.Helper()
	ctx := context.Background()
	admin.MustPost(201, "/console/integrations", url.Values{"kind": {"alertmanager"}, "name": {"Prometheus"},
		"incident_mode": {"draft"}, "template_id": {""}, "auto_resolve": {"1"}, "component_label": {"service"},
		"components": {"frontend = Website\n"}, "severity_label": {"severity"}, "severities": {"warning = degraded_performance"},
		"default_status": {"partial_outage"}, "flap_window": {"120"}})
	list, err := e.svc.Integrations.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("integrations: %v, %v", list, err)
	}
	body := `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Slow","service":"frontend","severity":"warning"},"fingerprint":"f"}]}`
	if _, err := e.svc.Integrations.Receive(ctx, list[0], []byte(body)); err != nil {
		t.Fatal(err)
	}
	return list[0].ID
}

// metricIDs are a Self provider, a provider Beacon does not fetch, and a
// metric of the first, made through the console.
type metricIDs struct {
	self, other, metric string
	// allow are the staff-written names and the transform codes in the
	// form's values.
	allow []string
}

func newMetrics(t *testing.T, e *testEnv, admin *staff) metricIDs {
	t.Helper()
	ctx := context.Background()
	admin.MustPost(303, "/console/metrics/providers", url.Values{"type": {"Self"}})
	admin.MustPost(303, "/console/metrics/providers", url.Values{"type": {"Datadog"}, "api_key": {"k"}})
	providers, err := e.svc.Metrics.Providers(ctx)
	if err != nil || len(providers) != 2 {
		t.Fatalf("providers %+v, %v", providers, err)
	}
	var m metricIDs
	for _, p := range providers {
		if p.Type == "Self" {
			m.self = p.ID
		} else {
			m.other = p.ID
		}
	}
	admin.MustPost(303, "/console/metrics", url.Values{"metrics_provider_id": {m.self}, "name": {"Latency"}, "suffix": {"ms"},
		"decimal_places": {"1"}, "y_axis_min": {"0"}, "y_axis_max": {""}, "display": {"1"}, "transform": {"average"}})
	list, err := e.svc.Metrics.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("metrics %+v, %v", list, err)
	}
	m.metric = list[0].ID
	m.allow = []string{"average", "response_time", "uptime"}
	return m
}

// TestRefusedFormInUsersLanguage: a form the console itself refuses says
// why in the user's language, beside the field and above the form (after
// the field's API name, as web.Unprocessable writes it).
func TestRefusedFormInUsersLanguage(t *testing.T) {
	e := newTestEnv(t)
	me := e.newStaff(accounts.Responder)
	if err := e.svc.Accounts.SetLanguage(context.Background(), me.User.ID, "de"); err != nil {
		t.Fatal(err)
	}
	res := me.MustPost(422, "/console/maintenance", url.Values{"name": {"DB"}, "scheduled_for": {"soon"}, "scheduled_until": {"later"}})
	body := string(res.Body)
	for _, want := range []string{"Bitte korrigieren Sie das markierte Feld: scheduled_for muss ein Datum mit Uhrzeit sein, etwa 2026-05-01T14:30",
		`<p class="field-error">scheduled_for muss ein Datum mit Uhrzeit sein`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q: %s", want, consoletest.Body(res))
		}
	}
	checkLang(t, e.svc.Templates.Catalogue().Get("de"), res)
}

// TestDomainRefusalInUsersLanguage: a refusal a domain package writes in
// English (here accounts') is shown in the user's language when the
// console knows it, beside the field and above the form.
func TestDomainRefusalInUsersLanguage(t *testing.T) {
	e := newTestEnv(t)
	admin := e.newStaff(accounts.Admin)
	if err := e.svc.Accounts.SetLanguage(context.Background(), admin.User.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	res := admin.MustPost(422, "/console/users", url.Values{"email": {"not an address"}, "role": {"responder"}})
	want := "Saisissez une adresse e-mail valide, par exemple nom@example.com."
	if body := string(res.Body); !strings.Contains(body, `<p class="field-error">`+want) || !strings.Contains(body, `role="alert">`+want) {
		t.Errorf("refusal not in French: %s", consoletest.Body(res))
	}
	checkLang(t, e.svc.Templates.Catalogue().Get("fr"), res)
	res = admin.MustPost(201, "/console/users", url.Values{"email": {"new@example.com"}, "role": {"responder"}})
	res = admin.Post("/console/users", url.Values{"email": {"NEW@example.com"}, "role": {"admin"}})
	if !strings.Contains(string(res.Body), "un compte avec cette adresse e-mail existe déjà") {
		t.Errorf("status %d, conflict not in French: %s", res.Status, consoletest.Body(res))
	}
}

// TestSignedOutScreensInEveryLanguage: the sign-in and set-password
// screens, before any session, speak each language a browser asks for.
func TestSignedOutScreensInEveryLanguage(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, err := e.svc.Accounts.CreateUser(ctx, "new@example.com", accounts.Responder, "")
	if err != nil {
		t.Fatal(err)
	}
	token, err := e.svc.Accounts.PasswordLink(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range e.svc.Templates.Catalogue().Langs() {
		for _, path := range []string{"/console/signin", "/console/password?token=" + token, "/console/password?token=expired"} {
			t.Run(lang.Code()+path, func(t *testing.T) {
				checkLang(t, lang, e.do("GET", path, nil, "Accept-Language", lang.Code()))
			})
		}
	}
}

// TestSubscriberLanguage: the subscribers screen shows the language each
// subscriber reads (the page's while they chose none) and an admin
// changes it there; a language Beacon lacks is refused, in the admin's
// language, and changes nothing; "" follows the page's again.
func TestSubscriberLanguage(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	admin := e.newStaff(accounts.Admin)
	sub, err := e.svc.Subscribers.Subscribe(ctx, subscribers.Signup{Mode: "email", Address: "leser@example.com", SkipConfirmation: true})
	if err != nil {
		t.Fatal(err)
	}
	id := sub.Subscriber.ID
	selected := func() string {
		t.Helper()
		page := string(admin.Get("/console/subscribers").Body)
		_, row, ok := strings.Cut(page, `id="language-`+id+`"`)
		row, _, _ = strings.Cut(row, "</select>")
		if !ok || strings.Count(row, "<option") != 8 {
			t.Fatalf("no language select of eight choices in the subscriber's row:\n%s", page)
		}
		_, opt, _ := strings.Cut(row, " selected>")
		opt, _, _ = strings.Cut(opt, "<")
		return opt
	}
	if got := selected(); got != "Page language (English)" {
		t.Errorf("a new subscriber's language reads %q, want the page's", got)
	}

	res := admin.MustPost(303, "/console/subscribers/"+id+"/language", url.Values{"language": {"de"}})
	if got, _ := e.svc.Subscribers.Get(ctx, id); got.Language != "de" {
		t.Errorf("language %q, want de", got.Language)
	}
	if want := "Language of the notifications to leser@example.com: Deutsch."; flashOf(t, res) != want {
		t.Errorf("flash %q, want %q", flashOf(t, res), want)
	}
	if got := selected(); got != "Deutsch" {
		t.Errorf("after the change the row reads %q, want Deutsch", got)
	}

	admin.MustPost(303, "/console/language", url.Values{"language": {"fr"}})
	res = admin.MustPost(422, "/console/subscribers/"+id+"/language", url.Values{"language": {"xx"}})
	if body := string(res.Body); !strings.Contains(body, "La langue n’a pas été modifiée") {
		t.Errorf("an unknown language: no French refusal:\n%s", consoletest.Body(res))
	}
	if got, _ := e.svc.Subscribers.Get(ctx, id); got.Language != "de" {
		t.Errorf("a refused language changed it to %q", got.Language)
	}
	admin.MustPost(303, "/console/subscribers/"+id+"/language", url.Values{"language": {""}})
	if got, _ := e.svc.Subscribers.Get(ctx, id); got.Language != "" {
		t.Errorf("language %q, want \"\" (the page's)", got.Language)
	}
	if res := e.newStaff(accounts.Responder).Post("/console/subscribers/"+id+"/language", url.Values{"language": {"ja"}}); res.Status != 403 {
		t.Errorf("a responder changing a subscriber's language: status %d, want 403", res.Status)
	}
}

// TestDomainRefusalWithValues: a refusal that holds a value — here the
// control character a component's name holds, a language code — reads in
// the user's language with the value kept, beside the field and above the
// form.
func TestDomainRefusalWithValues(t *testing.T) {
	e := newTestEnv(t)
	admin := e.newStaff(accounts.Admin)
	admin.MustPost(303, "/console/language", url.Values{"language": {"de"}})
	res := admin.MustPost(422, "/console/components", url.Values{"name": {"API\a"}})
	want := "name darf keine Steuerzeichen enthalten (gefunden: U+0007)"
	if body := html.UnescapeString(string(res.Body)); !strings.Contains(body, `<p class="field-error">`+want) || !strings.Contains(body, want) {
		t.Errorf("a control character: no German refusal %q:\n%s", want, consoletest.Body(res))
	}
	checkLang(t, e.svc.Templates.Catalogue().Get("de"), res)

	sub, err := e.svc.Subscribers.Subscribe(context.Background(), subscribers.Signup{Mode: "email", Address: "leser@example.com", SkipConfirmation: true})
	if err != nil {
		t.Fatal(err)
	}
	res = admin.MustPost(422, "/console/subscribers/"+sub.Subscriber.ID+"/language", url.Values{"language": {"xx"}})
	want = "Die Sprache wurde nicht geändert: language muss einer der Codes en, ar, de, es, fr, ja, pt-BR sein, oder leer für die Sprache der Seite"
	if body := html.UnescapeString(string(res.Body)); !strings.Contains(body, want) {
		t.Errorf("an unknown language: no German refusal %q:\n%s", want, consoletest.Body(res))
	}
}
