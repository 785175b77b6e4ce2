package public

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/i18n/i18ntest"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/subscribers"
)

// The sign-up flows in every language: each screen and answer a visitor
// reads (subscribe, its refusals, verify, confirm, manage, unsubscribe,
// follow) has no English left and no missing text, and the language the
// visitor saw is the one the subscriber is written to in.
func TestSignupLanguages(t *testing.T) {
	cat := testLang(t, "en").Catalogue()
	allow := []string{"Acme", "API", "Dashboard", "Database", "Queue", "Infrastructure", "Slow API", "Looking into it", "Webhook", "Statuspage", "Workflows",
		// The shared header's link (the layout's): German says "Updates
		// abonnieren"; and the proper name Statuspage.
		"Update", "Status"}
	for _, l := range cat.Langs() {
		allow = append(allow, l.Name())
	}
	for _, lang := range cat.Langs() {
		t.Run(lang.Code(), func(t *testing.T) {
			// A site each: the sign-ups of all seven would reach the
			// per-IP limit.
			s := sbScene(t)
			s.env.svc.Subscribers.SetSMSCountries([]string{"US"})
			s.incident("Slow API", incidents.NewIncident{Body: "Looking into it", ComponentIDs: []string{"API"}})
			code := lang.Code()
			q := "?lang=" + url.QueryEscape(code)
			cookie := []string{"Cookie", "beacon_lang=" + code}
			read := func(what string, status, want int, body []byte) string {
				t.Helper()
				if status != want {
					t.Errorf("%s: status %d, want %d", what, status, want)
				}
				page := string(body)
				if !strings.Contains(page, `<html lang="`+code+`"`) {
					t.Errorf("%s: not a page in %s: %.200s", what, code, page)
				}
				if !strings.Contains(page, `hreflang="`+code+`" lang="`+code+`" aria-current="true"`) {
					t.Errorf("%s: the language picker does not mark %s as the page's", what, code)
				}
				i18ntest.NoLeak(t, lang, i18ntest.Pages, i18ntest.Readable(t, body), allow...)
				return page
			}
			post := func(path string, form url.Values) (int, []byte) {
				t.Helper()
				res := s.env.do("POST", path, form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, cookie...)...)
				return res.Status, res.Body
			}
			get := func(path string) testutil.Response {
				t.Helper()
				return s.env.do("GET", path, "", cookie...)
			}
			res := s.env.do("GET", "/subscribe"+q, "")
			read("subscribe", res.Status, 200, res.Body)
			for _, tc := range []struct {
				name string
				form url.Values
			}{
				{"blank email", url.Values{"mode": {"email"}, "email": {""}}},
				{"bad email", url.Values{"mode": {"email"}, "email": {"a@localhost"}}},
				{"bad phone", url.Values{"mode": {"sms"}, "phone_number": {"12"}}},
				{"phone elsewhere", url.Values{"mode": {"sms"}, "phone_number": {"+447400123456"}}},
				{"private webhook", url.Values{"mode": {"webhook"}, "endpoint": {"ftp://example.com/x"}}},
				{"unknown component", url.Values{"mode": {"email"}, "email": {"x@example.com"}, "component_ids[]": {"zzzzzzzzzzzz"}}},
			} {
				status, body := post("/subscribe", tc.form)
				read("subscribe refused: "+tc.name, status, 422, body)
			}

			address := "reader-" + strings.ToLower(code) + "@example.com"
			status, body := post("/subscribe", url.Values{"mode": {"email"}, "email": {address}})
			read("subscribed", status, 202, body)
			sub := sbSubscriber(s, address)
			if sub.Language != code {
				t.Errorf("language of a subscriber who signed up on the %s page = %q", code, sub.Language)
			}
			status, body = post("/subscribe", url.Values{"mode": {"sms"}, "phone_number": {"+1415555" + map[string]string{
				"en": "0101", "ar": "0102", "de": "0103", "es": "0104", "fr": "0105", "ja": "0106", "pt-BR": "0107"}[code]}})
			read("verify", status, 200, body)
			status, body = post("/subscriptions/verify", url.Values{"token": {"bad"}, "code": {"123456"}})
			read("verify with a bad token", status, 400, body)
			res = get("/subscriptions/confirm?token=bad")
			read("confirm with a bad token", res.Status, 400, res.Body)

			manage := s.env.svc.Subscribers.Link(subscribers.PurposeManage, sub.ID)
			res = get("/subscriptions/manage?token=" + url.QueryEscape(manage))
			read("manage", res.Status, 200, res.Body)
			// The picker's links keep the screen's token.
			if want := `href="?token=` + url.QueryEscape(manage) + `&amp;lang=de"`; !strings.Contains(string(res.Body), want) {
				t.Errorf("manage: no picker link %s", want)
			}
			status, body = post("/subscriptions/manage", url.Values{"token": {manage}, "language": {"ja"}})
			read("manage saved", status, 200, body)
			if got := sbSubscriber(s, address).Language; got != "ja" {
				t.Errorf("language after choosing ja on the manage screen = %q", got)
			}
			status, body = post("/subscriptions/manage", url.Values{"token": {manage}, "language": {""}})
			read("manage saved", status, 200, body)
			if got := sbSubscriber(s, address).Language; got != "" {
				t.Errorf("language after choosing the page's on the manage screen = %q, want \"\"", got)
			}
			status, body = post("/subscriptions/manage", url.Values{"token": {manage}, "language": {"tlh"}})
			read("manage refused", status, 422, body)
			res = get("/subscriptions/manage?token=bad")
			read("manage with a bad token", res.Status, 400, res.Body)

			unsubscribe := "/unsubscribe/" + s.env.svc.Subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID)
			res = get(unsubscribe)
			read("unsubscribe", res.Status, 200, res.Body)
			status, body = post(unsubscribe, nil)
			read("unsubscribed", status, 200, body)

			follow := "/incidents/" + s.id("Slow API") + "/subscribe"
			follower := "follower-" + strings.ToLower(code) + "@example.com"
			status, body = post(follow, url.Values{"email": {follower}})
			read("follow", status, 202, body)
			if got := sbSubscriber2(t, s, follower).Language; got != code {
				t.Errorf("language of a follower on the %s page = %q", code, got)
			}
			status, body = post(follow, url.Values{"email": {"nobody@localhost"}})
			read("follow refused", status, 422, body)
		})
	}
}

// sbSubscriber2 returns address's subscriber, page-wide or following.
func sbSubscriber2(t *testing.T, s *pgScene, address string) subscribers.Subscriber {
	t.Helper()
	var id string
	if err := s.env.svc.DB.Read.QueryRowContext(context.Background(), `SELECT id FROM subscribers WHERE address = ?`, address).Scan(&id); err != nil {
		t.Fatal(err)
	}
	sub, err := s.env.svc.Subscribers.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// A script managing its subscription reads and sets the language as JSON:
// null for the page's, and an unknown one refused.
func TestManageLanguageJSON(t *testing.T) {
	s := sbScene(t)
	manage := sbActive(s, "reader@example.com")
	get := func() map[string]any {
		t.Helper()
		res := s.get("/subscriptions/manage?token="+url.QueryEscape(manage), "Accept", "application/json")
		var m map[string]any
		if err := json.Unmarshal(res.Body, &m); err != nil {
			t.Fatalf("%d %s: %v", res.Status, res.Body, err)
		}
		return m
	}
	if v, ok := get()["language"]; !ok || v != nil {
		t.Errorf("language of a subscriber following the page's = %v (present %v), want null", v, ok)
	}
	post := func(body string) int {
		t.Helper()
		return s.env.do("POST", "/subscriptions/manage", body, "Content-Type", "application/json").Status
	}
	tok, _ := json.Marshal(manage)
	if st := post(`{"token":` + string(tok) + `,"language":"pt-br"}`); st != 200 {
		t.Errorf("setting pt-br: status %d", st)
	}
	if v := get()["language"]; v != "pt-BR" {
		t.Errorf("language = %v, want pt-BR", v)
	}
	if st := post(`{"token":` + string(tok) + `}`); st != 200 {
		t.Errorf("saving without a language: status %d", st)
	}
	if v := get()["language"]; v != "pt-BR" {
		t.Errorf("language after a save naming none = %v, want pt-BR kept", v)
	}
	if st := post(`{"token":` + string(tok) + `,"language":"xx"}`); st != 422 {
		t.Errorf("setting xx: status %d, want 422", st)
	}
}

// A visitor who asked for no language (no ?lang=, no cookie, no
// Accept-Language of the catalogue's) keeps none: their messages follow
// the page's default, wherever it goes. One who asked keeps theirs, the
// default included.
func TestSignupKeepsOnlyALanguageAsked(t *testing.T) {
	s := sbScene(t)
	tests := []struct {
		address string
		headers []string
		want    string
	}{
		{"none@example.com", nil, ""},
		{"dutch@example.com", []string{"Accept-Language", "nl-NL,nl;q=0.9"}, ""},
		{"browser@example.com", []string{"Accept-Language", "de-AT,de;q=0.9"}, "de"},
		{"default@example.com", []string{"Accept-Language", "en-GB"}, "en"},
		{"cookie@example.com", []string{"Cookie", "beacon_lang=fr"}, "fr"},
	}
	for _, tt := range tests {
		form := url.Values{"mode": {"email"}, "email": {tt.address}}
		res := s.env.do("POST", "/subscribe", form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, tt.headers...)...)
		if res.Status != 202 {
			t.Fatalf("%s: status %d: %s", tt.address, res.Status, res.Body)
		}
		if got := sbSubscriber(s, tt.address).Language; got != tt.want {
			t.Errorf("%s (%q): language kept %q, want %q", tt.address, tt.headers, got, tt.want)
		}
	}
	res := s.env.do("POST", "/subscribe?lang=ja", url.Values{"mode": {"email"}, "email": {"query@example.com"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	if got := sbSubscriber(s, "query@example.com").Language; res.Status != 202 || got != "ja" {
		t.Errorf("sign-up at ?lang=ja: status %d, language kept %q, want ja", res.Status, got)
	}
}
