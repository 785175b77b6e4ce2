package public

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// The subscribe and manage screens: the ways the form offers and the one
// it shows, the component boxes it ticks, and how both handlers read the
// boxes a form sends.

// sbScene is a page with every channel configured, API and Dashboard on
// their own and a group Infrastructure of Database and Queue.
func sbScene(t *testing.T) *pgScene {
	t.Helper()
	env := newTestEnv(t)
	env.savePage(components.PageInput{Name: ptr("Acme"), TimeZone: ptr(pgZone)})
	s := &pgScene{env: env, ids: map[string]string{}}
	s.component("API", components.Input{Position: ptr(1)})
	s.component("Dashboard", components.Input{Position: ptr(2)})
	s.component("Database", components.Input{})
	s.component("Queue", components.Input{})
	s.group("Infrastructure", 3, "Database", "Queue")
	return s
}

// sbLeaves are the ids of the scene's components, groups left out: the
// boxes of the forms.
func sbLeaves(s *pgScene) []string {
	return sorted(s.named([]string{"API", "Dashboard", "Database", "Queue"})...)
}

// sbForm posts a form and returns the answer.
func sbForm(s *pgScene, path string, form url.Values) (int, []byte) {
	s.env.t.Helper()
	res := s.env.do("POST", path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	return res.Status, res.Body
}

// sbSubscriber returns the one subscriber of address, in any state.
func sbSubscriber(s *pgScene, address string) subscribers.Subscriber {
	s.env.t.Helper()
	list, err := s.env.svc.Subscribers.List(context.Background(), subscribers.Filter{Query: address})
	if err != nil || len(list) != 1 {
		s.env.t.Fatalf("subscribers of %s: %d, %v; want 1", address, len(list), err)
	}
	return list[0]
}

// sbActive makes an active email subscriber of the named components (none:
// all) and returns its manage token.
func sbActive(s *pgScene, address string, names ...string) string {
	s.env.t.Helper()
	res, err := s.env.svc.Subscribers.Subscribe(context.Background(), subscribers.Signup{Mode: notifier.Email, Address: address,
		ComponentIDs: s.named(names), SkipConfirmation: true})
	if err != nil {
		s.env.t.Fatal(err)
	}
	return s.env.svc.Subscribers.Link(subscribers.PurposeManage, res.Subscriber.ID)
}

// sbBoxes returns the component boxes of a page: each box's name and
// whether it is ticked, by component name.
func sbBoxes(t *testing.T, doc *html.Node) (names []string, ticked map[string]bool) {
	t.Helper()
	ticked = map[string]bool{}
	for _, in := range pgAll(doc, pgWithAttr("input", "type", "checkbox")) {
		name, _ := pgAttr(in, "name")
		names = append(names, name)
		_, on := pgAttr(in, "checked")
		ticked[pgText(in.Parent)] = on
	}
	return names, ticked
}

// sbForm's form as the subscribe screen shows it: the ways offered, the
// one chosen, and the fields there are.
type sbWays struct {
	Offered []string
	Chosen  string
	Fields  []string // ids of the text fields, in the order of the ways
}

func sbReadWays(t *testing.T, doc *html.Node) sbWays {
	t.Helper()
	var w sbWays
	for _, r := range pgAll(doc, pgWithAttr("input", "type", "radio")) {
		v, _ := pgAttr(r, "value")
		w.Offered = append(w.Offered, v)
		if _, on := pgAttr(r, "checked"); on {
			if w.Chosen != "" {
				t.Errorf("ways %q and %q are both chosen", w.Chosen, v)
			}
			w.Chosen = v
		}
	}
	for _, div := range pgAll(doc, pgSel("div", "way")) {
		for _, in := range pgAll(div, pgSel("input")) {
			id, _ := pgAttr(in, "id")
			w.Fields = append(w.Fields, id)
		}
	}
	return w
}

// TestSubscribeGolden renders the subscribe form, the form refusing a
// phone number, and the manage screen of a subscriber of one component,
// and compares them with testdata/pages (-update rewrites them).
func TestSubscribeGolden(t *testing.T) {
	s := sbScene(t)
	manage := sbActive(s, "reader@example.com", "API")
	sub := sbSubscriber(s, "reader@example.com")
	s.remember("manage-token", manage)
	s.remember("unsubscribe-token", s.env.svc.Subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID))
	s.remember("reader", sub.ID)
	_, invalid := sbForm(s, "/subscribe", url.Values{"mode": {"sms"}, "phone_number": {"12"}, "component_ids[]": {s.id("API")}})
	for _, tt := range []struct {
		file string
		body []byte
	}{
		{"subscribe.html", s.get("/subscribe").Body},
		{"subscribe-invalid.html", invalid},
		{"manage.html", s.get("/subscriptions/manage?token=" + url.QueryEscape(manage)).Body},
	} {
		t.Run(tt.file, func(t *testing.T) {
			pgGolden(t, filepath.Join("testdata", "pages", tt.file), s.normalise(tt.body))
		})
	}
}

// TestSubscribeWays reads the form: one radio per configured channel and
// one for the feeds, exactly one chosen, a field per channel and none
// required, the feeds' links, and every component box ticked.
func TestSubscribeWays(t *testing.T) {
	s := sbScene(t)
	doc := pgParse(t, s.get("/subscribe").Body)
	w := sbReadWays(t, doc)
	if want := []string{"email", "sms", "webhook", "chat", "feed"}; !slices.Equal(w.Offered, want) || w.Chosen != "email" {
		t.Errorf("ways %q, %q chosen; want %q, email chosen", w.Offered, w.Chosen, want)
	}
	if want := []string{"email", "phone_number", "endpoint", "chat_endpoint"}; !slices.Equal(w.Fields, want) {
		t.Errorf("fields %q, want %q, each in its way", w.Fields, want)
	}
	form := pgOne(t, doc, pgWithAttr("form", "action", "/subscribe"), "subscribe forms")
	if _, ok := pgAttr(form, "novalidate"); !ok {
		t.Error("the form validates fields in the browser: a hidden field could block the chosen one")
	}
	for _, in := range pgAll(form, pgSel("input")) {
		if _, ok := pgAttr(in, "required"); ok {
			t.Errorf("%s is required: hidden, it would block another channel's sign-up", pgRender(t, in))
		}
	}
	feed := pgOne(t, doc, pgSel("div", "way-feed"), "feed ways")
	var links []string
	for _, a := range pgAll(feed, pgSel("a")) {
		href, _ := pgAttr(a, "href")
		links = append(links, href)
	}
	if !slices.Contains(links, "/history.atom") || !slices.Contains(links, "/history.rss") {
		t.Errorf("the feed way links %q, want the Atom and RSS feeds", links)
	}
	names, ticked := sbBoxes(t, doc)
	if len(ticked) != 4 || slices.Contains(slices.Collect(maps.Values(ticked)), false) {
		t.Errorf("boxes %v, want the 4 components, all ticked", ticked)
	}
	for _, n := range names {
		if n != "component_ids[]" {
			t.Errorf("a box is named %q, want component_ids[]", n)
		}
	}

	// A link can choose the way.
	if w := sbReadWays(t, pgParse(t, s.get("/subscribe?mode=sms").Body)); w.Chosen != "sms" {
		t.Errorf("/subscribe?mode=sms chose %q", w.Chosen)
	}
	// A channel without settings is absent; the feeds are always offered.
	def := pgScene{env: newDefaultEnv(t), ids: map[string]string{}}
	if w := sbReadWays(t, pgParse(t, def.get("/subscribe").Body)); !slices.Equal(w.Offered, []string{"webhook", "chat", "feed"}) ||
		w.Chosen != "webhook" || !slices.Equal(w.Fields, []string{"endpoint", "chat_endpoint"}) {
		t.Errorf("webhooks and chat only: %+v, want webhook (chosen), chat and feed, the URL fields alone", w)
	}
}

// TestSubscribeRefusedForm posts refused sign-ups as a form: the form
// comes back with the way of the refused field chosen, the field marked
// invalid and described by its error, which sits in that way's part of the
// form (the part that shows).
func TestSubscribeRefusedForm(t *testing.T) {
	s := sbScene(t)
	api := s.id("API")
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		way    string
		field  string // "" when no field is marked
	}{
		{"invalid email", url.Values{"mode": {"email"}, "email": {"not an address"}}, 422, "email", "email"},
		{"invalid number", url.Values{"mode": {"sms"}, "phone_number": {"12"}}, 422, "sms", "phone_number"},
		{"number without a mode", url.Values{"phone_number": {"12"}, "email": {"typed@first.example"}}, 422, "sms", "phone_number"},
		{"invalid URL", url.Values{"mode": {"webhook"}, "endpoint": {"ftp://example.com/"}}, 422, "webhook", "endpoint"},
		{"invalid chat URL", url.Values{"mode": {"chat"}, "platform": {"slack"}, "chat_endpoint": {"ftp://example.com/"}}, 422, "chat", "chat_endpoint"},
		{"blank chat URL", url.Values{"mode": {"chat"}, "platform": {"teams"}, "endpoint": {"https://example.com/webhook-field"}}, 422, "chat", "chat_endpoint"},
		{"unknown chat app", url.Values{"mode": {"chat"}, "platform": {"icq"}, "chat_endpoint": {"https://example.com/x"}}, 422, "chat", "platform"},
		{"the platform as mode", url.Values{"mode": {"mattermost"}, "chat_endpoint": {"gopher://example.com/x"}}, 422, "chat", "chat_endpoint"},
		{"unknown way", url.Values{"mode": {"pigeon"}, "email": {"a@example.com"}}, 422, "email", ""},
		{"unknown component", url.Values{"mode": {"email"}, "email": {"ok@example.com"}, "component_ids[]": {"zzzzzzzzzzzz"}}, 422, "email", ""},
		{"the feeds, posted", url.Values{"mode": {"feed"}, "component_ids[]": {api}}, 200, "feed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := sbForm(s, "/subscribe", tc.form)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.500s", status, tc.status, body)
			}
			doc := pgParse(t, body)
			if w := sbReadWays(t, doc); w.Chosen != tc.way {
				t.Errorf("the form comes back with %q chosen, want %q", w.Chosen, tc.way)
			}
			var marked []string
			for _, in := range append(pgAll(doc, pgWithAttr("input", "aria-invalid", "true")), pgAll(doc, pgWithAttr("select", "aria-invalid", "true"))...) {
				id, _ := pgAttr(in, "id")
				marked = append(marked, id)
				desc, _ := pgAttr(in, "aria-describedby")
				errs := pgAll(doc, pgWithAttr("p", "id", desc))
				if len(errs) != 1 || pgText(errs[0]) == "" {
					t.Errorf("%s is described by %q: %d such errors", id, desc, len(errs))
					continue
				}
				if way := pgSel("div", "way-"+tc.way); errs[0].Parent == nil || !way(errs[0].Parent) || !way(in.Parent) {
					t.Errorf("%s and its error are not in the %s way's part of the form", id, tc.way)
				}
			}
			if want := []string{tc.field}; tc.field == "" && len(marked) > 0 || tc.field != "" && !slices.Equal(marked, want) {
				t.Errorf("fields marked invalid %q, want %q", marked, tc.field)
			}
			// The error at the top links to the field it is about.
			if tc.status != 200 {
				alert := pgOne(t, doc, pgWithAttr("p", "role", "alert"), "alerts")
				var href string
				if a := pgAll(alert, pgSel("a")); len(a) == 1 {
					href, _ = pgAttr(a[0], "href")
				}
				if want := "#" + tc.field; tc.field != "" && href != want || tc.field == "" && href != "" {
					t.Errorf("the alert links to %q, want %q", href, strings.TrimPrefix(want, "#"))
				}
			}
		})
	}
	// A refused component list is described beside the boxes, which keep
	// what was posted.
	_, body := sbForm(s, "/subscribe", url.Values{"email": {"a@example.com"}, "component_ids[]": {api, "zzzzzzzzzzzz"}})
	doc := pgParse(t, body)
	set := pgOne(t, doc, pgSel("fieldset", "components"), "component fieldsets")
	if desc, _ := pgAttr(set, "aria-describedby"); desc != "components-error" || len(pgAll(set, pgWithAttr("p", "id", desc))) != 1 {
		t.Errorf("the boxes are described by %q, want their error inside the fieldset", desc)
	}
	if _, ticked := sbBoxes(t, doc); !ticked["API"] || ticked["Dashboard"] {
		t.Errorf("boxes %v, want API alone ticked, as posted", ticked)
	}
}

// TestSubscribeComponentNames posts the subscribe and manage forms with
// the boxes named component_ids[] (as the forms name them) and
// component_ids (as older forms did): both choose the components, every
// box ticked means every component (also those added later, as none
// does), and a JSON body keeps the list it names.
func TestSubscribeComponentNames(t *testing.T) {
	s := sbScene(t)
	api, dash := s.id("API"), s.id("Dashboard")
	type want struct {
		all bool
		ids []string
	}
	cases := []struct {
		name string
		ids  []string
		want want
	}{
		{"two", []string{api, dash}, want{ids: sorted(api, dash)}},
		{"a group", []string{s.id("Infrastructure")}, want{ids: sorted(s.named([]string{"Database", "Queue"})...)}},
		{"every box", sbLeaves(s), want{all: true}},
		{"no box", nil, want{all: true}},
	}
	check := func(t *testing.T, sub subscribers.Subscriber, w want) {
		t.Helper()
		if sub.AllComponents != w.all || !slices.Equal(sorted(sub.ComponentIDs...), sorted(w.ids...)) {
			t.Errorf("all %v, components %q; want all %v, %q", sub.AllComponents, sub.ComponentIDs, w.all, w.ids)
		}
	}
	n := 0
	for _, field := range []string{"component_ids[]", "component_ids"} {
		for _, tc := range cases {
			t.Run("subscribe/"+field+"/"+tc.name, func(t *testing.T) {
				n++
				address := "sub" + strings.Repeat("x", n) + "@example.com"
				status, body := sbForm(s, "/subscribe", url.Values{"mode": {"email"}, "email": {address}, field: tc.ids})
				if status != 202 {
					t.Fatalf("status %d: %.300s", status, body)
				}
				check(t, sbSubscriber(s, address), tc.want)
			})
			t.Run("manage/"+field+"/"+tc.name, func(t *testing.T) {
				n++
				address := "manage" + strings.Repeat("x", n) + "@example.com"
				token := sbActive(s, address, "Queue")
				status, body := sbForm(s, "/subscriptions/manage", url.Values{"token": {token}, field: tc.ids})
				if status != 200 || !strings.Contains(string(body), "Your preferences are saved.") {
					t.Fatalf("status %d: %.300s", status, body)
				}
				sub := sbSubscriber(s, address)
				check(t, sub, tc.want)
				// The screen shows what was saved.
				_, ticked := sbBoxes(t, pgParse(t, body))
				for _, id := range sbLeaves(s) {
					c, err := s.env.components.Get(context.Background(), id)
					if err != nil {
						t.Fatal(err)
					}
					if want := sub.AllComponents || slices.Contains(sub.ComponentIDs, id); ticked[c.Name] != want {
						t.Errorf("%s ticked %v after saving, want %v", c.Name, ticked[c.Name], want)
					}
				}
			})
		}
	}

	// The JSON API keeps the list it names, every component included.
	body, err := json.Marshal(map[string]any{"email": "json@example.com", "component_ids": sbLeaves(s)})
	if err != nil {
		t.Fatal(err)
	}
	res := s.env.do("POST", "/subscribe", string(body), "Content-Type", "application/json")
	if res.Status != 202 {
		t.Fatalf("JSON sign-up: status %d: %s", res.Status, res.Body)
	}
	check(t, sbSubscriber(s, "json@example.com"), want{ids: sbLeaves(s)})
}

// TestManageShowsChoice opens the manage screen of a subscriber of every
// component and of one of two components: the boxes show their own
// choice.
func TestManageShowsChoice(t *testing.T) {
	s := sbScene(t)
	for _, tc := range []struct {
		address string
		names   []string
		want    map[string]bool
	}{
		{"all@example.com", nil, map[string]bool{"API": true, "Dashboard": true, "Database": true, "Queue": true}},
		{"some@example.com", []string{"Dashboard", "Queue"}, map[string]bool{"API": false, "Dashboard": true, "Database": false, "Queue": true}},
	} {
		token := sbActive(s, tc.address, tc.names...)
		names, ticked := sbBoxes(t, pgParse(t, s.get("/subscriptions/manage?token="+url.QueryEscape(token)).Body))
		if !maps.Equal(ticked, tc.want) {
			t.Errorf("%s: boxes %v, want %v", tc.address, ticked, tc.want)
		}
		for _, n := range names {
			if n != "component_ids[]" {
				t.Errorf("%s: a box is named %q, want component_ids[]", tc.address, n)
			}
		}
	}
}

// TestSubscribeChat signs a chat channel up through the form's chat way
// and as JSON naming the platform: each waits for its test message on its
// own channel with the components chosen, and the screens reached from
// its messages name the channel's host, never the URL, which is the key
// that posts to the channel. The hosts are IP literals, judged without a
// lookup (and nothing is sent here).
func TestSubscribeChat(t *testing.T) {
	s := sbScene(t)
	api := s.id("API")
	const hook = "https://162.159.128.233/api/webhooks/123/secret-token"
	status, body := sbForm(s, "/subscribe", url.Values{"mode": {"chat"}, "platform": {"discord"}, "chat_endpoint": {hook},
		"endpoint": {"https://example.com/webhook-field"}, "component_ids[]": {api}})
	if status != 202 || !strings.Contains(string(body), "test message to your Discord channel") {
		t.Fatalf("form sign-up: %d %s", status, pgText(pgOne(t, pgParse(t, body), pgWithAttr("p", "role", "alert"), "alerts")))
	}
	sub := sbSubscriber(s, hook)
	if sub.Mode != notifier.Discord || sub.State != subscribers.Unconfirmed || !slices.Equal(sub.ComponentIDs, []string{api}) {
		t.Errorf("subscriber %+v, want discord, unconfirmed, API alone", sub)
	}
	res := s.env.do("POST", "/subscribe", `{"mode":"google_chat","endpoint":"https://142.250.0.1/v1/spaces/S/messages?key=k&token=t"}`,
		"Content-Type", "application/json")
	if res.Status != 202 {
		t.Fatalf("JSON sign-up: %d %s", res.Status, res.Body)
	}
	if g := sbSubscriber(s, "142.250.0.1"); g.Mode != notifier.GoogleChat || !g.AllComponents {
		t.Errorf("JSON subscriber %+v, want google_chat of every component", g)
	}

	manage := s.env.svc.Subscribers.Link(subscribers.PurposeManage, sub.ID)
	unsub := s.env.svc.Subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID)
	for _, path := range []string{"/subscriptions/manage?token=" + url.QueryEscape(manage), "/unsubscribe/" + unsub} {
		page := string(s.get(path).Body)
		if strings.Contains(page, "secret-token") || !strings.Contains(page, "a channel at 162.159.128.233") {
			t.Errorf("%s shows %q, want the host alone", path, pgText(pgOne(t, pgParse(t, []byte(page)), pgSel("main"), "mains")))
		}
	}
}
