package api_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// subEnv is the API whose webhook subscribers may point at loopback, so
// tests can add them without any address outside this machine.
func subEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnv(t, envOptions{rate: 1000, burst: 1000, allowPrivate: true})
}

// subCreate adds an active subscriber through the API and returns its id.
func subCreate(t *testing.T, env *testEnv, fields map[string]any) string {
	t.Helper()
	body := map[string]any{"skip_confirmation_notification": true}
	for k, v := range fields {
		body[k] = v
	}
	var got struct{ ID string }
	env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": body}).JSON(t, &got)
	return got.ID
}

// subState returns a subscriber's state through the API.
func subState(t *testing.T, env *testEnv, id string) string {
	t.Helper()
	var got struct{ State string }
	env.mustAPI(200, "GET", "/subscribers/"+id, nil).JSON(t, &got)
	return got.State
}

// TestAPIBulkUnsubscribeByType is the reported defect: "all" with
// type=webhook unsubscribed every active email subscriber instead.
func TestAPIBulkUnsubscribeByType(t *testing.T) {
	env := subEnv(t)
	mail := subCreate(t, env, map[string]any{"email": "reader@example.com"})
	hook := subCreate(t, env, map[string]any{"endpoint": "http://127.0.0.1:9/hook"})

	res := env.api("POST", "/subscribers/unsubscribe", map[string]any{"subscribers": "all", "type": "webhook"})
	var got struct {
		Processed int `json:"processed"`
	}
	res.JSON(t, &got)
	if res.Status != 201 || got.Processed != 1 {
		t.Errorf("unsubscribe all webhooks: status %d %s, want 201 with processed 1", res.Status, res.Body)
	}
	if st := subState(t, env, mail); st != "active" {
		t.Errorf("the email subscriber is %s, want active", st)
	}
	if st := subState(t, env, hook); st != "unsubscribed" {
		t.Errorf("the webhook subscriber is %s, want unsubscribed", st)
	}

	// A type Beacon has no subscribers of is accepted and touches nobody.
	env.mustAPI(201, "POST", "/subscribers/unsubscribe", map[string]any{"subscribers": "all", "type": "slack"})
	if st := subState(t, env, mail); st != "active" {
		t.Errorf("after type=slack the email subscriber is %s, want active", st)
	}
}

// TestAPIWebhookWithContactEmail is the reported defect: a subscriber
// created with endpoint and email became an email subscriber. It is a
// webhook whose JSON shows the email as its contact, in the list and the
// export too (the console: cmd/beacon's TestConsoleShowsWebhookContact).
func TestAPIWebhookWithContactEmail(t *testing.T) {
	env := subEnv(t)
	var created statuspage.Subscriber
	env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
		"endpoint": "http://127.0.0.1:9/hook", "email": "Ops@Example.com", "skip_confirmation_notification": true}}).JSON(t, &created)
	if created.Mode != "webhook" || created.Endpoint == nil || *created.Endpoint != "http://127.0.0.1:9/hook" ||
		created.Email == nil || *created.Email != "ops@example.com" {
		t.Errorf("created %+v, want a webhook with email ops@example.com", created)
	}
	var got statuspage.Subscriber
	env.mustAPI(200, "GET", "/subscribers/"+created.ID, nil).JSON(t, &got)
	if got.Mode != "webhook" || got.Email == nil || *got.Email != "ops@example.com" {
		t.Errorf("GET: %+v", got)
	}
	// Without an email, a webhook's email is null; an email subscriber's
	// is its address.
	plain := subCreate(t, env, map[string]any{"endpoint": "http://127.0.0.1:9/plain"})
	var p map[string]any
	env.mustAPI(200, "GET", "/subscribers/"+plain, nil).JSON(t, &p)
	if v, ok := p["email"]; !ok || v != nil {
		t.Errorf("webhook without contact: email %v (present %v), want null", v, ok)
	}
	res := env.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"endpoint": "http://127.0.0.1:9/bad", "email": "a@[127.0.0.1]"}})
	if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"email"`) {
		t.Errorf("invalid contact: %d %s, want 422 on email", res.Status, res.Body)
	}
	exp := env.mustAPI(200, "GET", "/subscribers/export", nil)
	if !strings.Contains(string(exp.Body), "http://127.0.0.1:9/hook,") || !strings.Contains(string(exp.Body), ",ops@example.com,\n") {
		t.Errorf("export lacks the contact:\n%s", exp.Body)
	}
}

// TestAPISubscriberSorting checks sort_direction (asc or desc in any case;
// anything else was taken as ascending and is now 422) and every
// sort_field Statuspage lists.
func TestAPISubscriberSorting(t *testing.T) {
	env := subEnv(t)
	for _, addr := range []string{"b@example.com", "a@example.com", "c@example.org"} {
		env.clock.Advance(time.Minute)
		subCreate(t, env, map[string]any{"email": addr})
	}
	list := func(query string) []string {
		t.Helper()
		var got []statuspage.Subscriber
		env.mustAPI(200, "GET", "/subscribers"+query, nil).JSON(t, &got)
		return apitest.Addresses(got)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"b@example.com", "a@example.com", "c@example.org"}},
		{"?sort_direction=asc", []string{"b@example.com", "a@example.com", "c@example.org"}},
		{"?sort_direction=DESC", []string{"c@example.org", "a@example.com", "b@example.com"}},
		{"?sort_field=created_at&sort_direction=Desc", []string{"c@example.org", "a@example.com", "b@example.com"}},
		{"?sort_field=primary", []string{"a@example.com", "b@example.com", "c@example.org"}},
		{"?sort_field=primary&sort_direction=desc", []string{"c@example.org", "b@example.com", "a@example.com"}},
		{"?sort_field=quarantined_at", []string{"b@example.com", "a@example.com", "c@example.org"}},
		{"?sort_field=relevance&q=a@example", []string{"a@example.com"}},
		{"?sort_field=relevance&q=example.com", []string{"a@example.com", "b@example.com"}},
	} {
		if got := list(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("GET /subscribers%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"?sort_direction=sideways", "sort_direction"},
		{"?sort_direction=ascending", "sort_direction"},
		{"?sort_direction=desc%00", "sort_direction"},
		{"?sort_field=relevance", "sort_field"},
		{"?sort_field=secret", "sort_field"},
	} {
		for _, path := range []string{"/subscribers", "/subscribers/count"} {
			res := env.api("GET", path+tc.query, nil)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != tc.field {
				t.Errorf("GET %s%s: status %d %+v, want 422 on %s", path, tc.query, res.Status, e, tc.field)
			}
		}
	}
}

// TestAPISubscriberV1Endpoints covers the v1 subscriber operations Beacon
// lacked or answered differently from Statuspage's spec.
func TestAPISubscriberV1Endpoints(t *testing.T) {
	env := subEnv(t)
	var comp struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}).JSON(t, &comp)
	var comp2 struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Web"}}).JSON(t, &comp2)
	alice := subCreate(t, env, map[string]any{"email": "alice@example.com"})
	gone := subCreate(t, env, map[string]any{"email": "gone@example.com"})
	env.mustAPI(200, "DELETE", "/subscribers/"+gone, nil)
	var pending statuspage.Subscriber
	env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{"phone_number": "+14155550123"}}).JSON(t, &pending)
	if pending.State != "unconfirmed" {
		t.Fatalf("SMS subscriber without skip_confirmation_notification: %+v, want unconfirmed", pending)
	}

	t.Run("PATCH components", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body any
			want []string
		}{
			{"wrapped", map[string]any{"subscriber": map[string]any{"component_ids": []string{comp.ID}}}, []string{comp.ID}},
			{"unwrapped", map[string]any{"component_ids": []string{comp2.ID, comp.ID}}, apitest.Sorted(comp.ID, comp2.ID)},
			{"left out: every component", map[string]any{}, []string{}},
			{"null: every component", map[string]any{"component_ids": nil}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got statuspage.Subscriber
				env.mustAPI(200, "PATCH", "/subscribers/"+alice, tc.body).JSON(t, &got)
				if got.ID != alice || !slices.Equal(got.Components, tc.want) {
					t.Errorf("PATCH: %+v, want components %v", got, tc.want)
				}
				env.mustAPI(200, "GET", "/subscribers/"+alice, nil).JSON(t, &got)
				if !slices.Equal(got.Components, tc.want) {
					t.Errorf("GET after PATCH: components %v, want %v", got.Components, tc.want)
				}
			})
		}
		for _, tc := range []struct {
			name, path string
			body       any
			status     int
			field      string
		}{
			{"empty list", "/subscribers/" + alice, map[string]any{"component_ids": []string{}}, 422, "component_ids"},
			{"unknown component", "/subscribers/" + alice, map[string]any{"component_ids": []string{"zzzzzzzzzzzz"}}, 422, "component_ids"},
			{"not a list", "/subscribers/" + alice, map[string]any{"component_ids": 7}, 422, "component_ids"},
			{"unknown subscriber", "/subscribers/zzzzzzzzzzzz", map[string]any{"component_ids": []string{comp.ID}}, 404, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := env.api("PATCH", tc.path, tc.body)
				var e web.ErrorBody
				res.JSON(t, &e)
				if res.Status != tc.status || e.Field != tc.field {
					t.Errorf("status %d %+v, want %d on %q", res.Status, e, tc.status, tc.field)
				}
			})
		}
		var got statuspage.Subscriber
		env.mustAPI(200, "GET", "/subscribers/"+alice, nil).JSON(t, &got)
		if len(got.Components) != 0 {
			t.Errorf("refused PATCHes changed the components to %v", got.Components)
		}
	})

	t.Run("unsubscribed list", func(t *testing.T) {
		var got []statuspage.Subscriber
		res := env.mustAPI(200, "GET", "/subscribers/unsubscribed", nil)
		res.JSON(t, &got)
		if len(got) != 1 || got[0].ID != gone || got[0].State != "unsubscribed" || res.Header.Get("X-Total-Count") != "1" {
			t.Errorf("GET /subscribers/unsubscribed: %s (total %s), want gone@example.com alone", res.Body, res.Header.Get("X-Total-Count"))
		}
		env.mustAPI(200, "GET", "/subscribers/unsubscribed?type=sms", nil).JSON(t, &got)
		if len(got) != 0 {
			t.Errorf("unsubscribed SMS subscribers: %+v, want none", got)
		}
		if res := env.api("GET", "/subscribers/unsubscribed?state=active", nil); res.Status != 422 {
			t.Errorf("unsubscribed with state=active: %d, want 422", res.Status)
		}
	})

	t.Run("state defaults to active", func(t *testing.T) {
		var got []statuspage.Subscriber
		env.mustAPI(200, "GET", "/subscribers", nil).JSON(t, &got)
		if ids := apitest.Addresses(got); !slices.Equal(ids, []string{"alice@example.com"}) {
			t.Errorf("GET /subscribers: %v, want the active alice alone", ids)
		}
		env.mustAPI(200, "GET", "/subscribers?state=all", nil).JSON(t, &got)
		if len(got) < 2 {
			t.Errorf("GET /subscribers?state=all: %d, want every state", len(got))
		}
	})

	t.Run("count by type", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  map[string]int
		}{
			{"", map[string]int{"email": 1, "sms": 0, "webhook": 0, "integration_partner": 0, "slack": 0, "teams": 0, "discord": 0, "mattermost": 0, "google_chat": 0}},
			{"?state=unsubscribed", map[string]int{"email": 1, "sms": 0, "webhook": 0, "integration_partner": 0, "slack": 0, "teams": 0, "discord": 0, "mattermost": 0, "google_chat": 0}},
			{"?type=webhook&state=all", map[string]int{"email": 0, "sms": 0, "webhook": 0, "integration_partner": 0, "slack": 0, "teams": 0, "discord": 0, "mattermost": 0, "google_chat": 0}},
			{"?type=email&state=all", map[string]int{"email": 2, "sms": 0, "webhook": 0, "integration_partner": 0, "slack": 0, "teams": 0, "discord": 0, "mattermost": 0, "google_chat": 0}},
			{"?type=teams", map[string]int{"email": 0, "sms": 0, "webhook": 0, "integration_partner": 0, "slack": 0, "teams": 0, "discord": 0, "mattermost": 0, "google_chat": 0}},
		} {
			var got map[string]int
			env.mustAPI(200, "GET", "/subscribers/count"+tc.query, nil).JSON(t, &got)
			if !maps.Equal(got, tc.want) {
				t.Errorf("GET /subscribers/count%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		if res := env.api("GET", "/subscribers/count?type=fax", nil); res.Status != 422 {
			t.Errorf("count of type fax: %d, want 422", res.Status)
		}
	})

	t.Run("histogram has total", func(t *testing.T) {
		var got map[string]map[string]int
		env.mustAPI(200, "GET", "/subscribers/histogram_by_state", nil).JSON(t, &got)
		for _, typ := range []string{"email", "sms", "webhook", "integration_partner", "slack", "teams", "discord", "mattermost", "google_chat"} {
			row, ok := got[typ]
			if !ok {
				t.Errorf("histogram lacks %s: %v", typ, got)
				continue
			}
			if row["total"] != row["active"]+row["unconfirmed"]+row["quarantined"] {
				t.Errorf("%s: %v, want total = active + unconfirmed + quarantined", typ, row)
			}
		}
		if got["email"]["active"] != 1 || got["email"]["unsubscribed"] != 1 || got["email"]["total"] != 1 {
			t.Errorf("email row %v, want 1 active, 1 unsubscribed, total 1", got["email"])
		}
	})

	t.Run("resend_confirmation by id", func(t *testing.T) {
		var fresh statuspage.Subscriber
		env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": "new@example.com"}}).JSON(t, &fresh)
		var got statuspage.Subscriber
		env.mustAPI(201, "POST", "/subscribers/"+fresh.ID+"/resend_confirmation", nil).JSON(t, &got)
		if got.ID != fresh.ID || got.State != "unconfirmed" {
			t.Errorf("resend: %+v", got)
		}
		if res := env.api("POST", "/subscribers/zzzzzzzzzzzz/resend_confirmation", nil); res.Status != 404 {
			t.Errorf("resend to an unknown id: %d, want 404", res.Status)
		}
	})
}

// TestAPIChatSubscribers adds a chat channel of each platform by mode and
// endpoint: each is its own type, answers its URL as its endpoint and no
// signing key, and is counted under its type (Statuspage's slack and
// teams among them).
func TestAPIChatSubscribers(t *testing.T) {
	env := subEnv(t)
	var comp struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}).JSON(t, &comp)
	for _, mode := range []string{"slack", "teams", "discord", "mattermost", "google_chat"} {
		endpoint := "http://127.0.0.1:9/" + mode
		res := env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
			"mode": mode, "endpoint": endpoint, "component_ids": []string{comp.ID}}})
		body := apitest.Object(t, res)
		if body["mode"] != mode || body["endpoint"] != endpoint || body["state"] != "unconfirmed" || body["signing_secret"] != nil || body["email"] != nil {
			t.Errorf("%s: %v, want the mode, the endpoint, unconfirmed, no signing_secret nor email", mode, body)
		}
		if comps, _ := body["components"].([]any); len(comps) != 1 || comps[0] != comp.ID {
			t.Errorf("%s: components %v, want API", mode, body["components"])
		}
		var got map[string]int
		env.mustAPI(200, "GET", "/subscribers/count?type="+mode+"&state=unconfirmed", nil).JSON(t, &got)
		if got[mode] != 1 {
			t.Errorf("count of %s: %v, want 1", mode, got)
		}
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"mode": "slack"}, "endpoint"},
		{map[string]any{"mode": "slack", "endpoint": "ftp://example.com/x"}, "endpoint"},
		{map[string]any{"mode": "fax", "endpoint": "http://127.0.0.1:9/x"}, "mode"},
		{map[string]any{"mode": "discord", "endpoint": "http://127.0.0.1:9/y", "email": "ops@example.com"}, "contact_email"},
	} {
		res := env.api("POST", "/subscribers", map[string]any{"subscriber": tc.body})
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"`+tc.field+`"`) {
			t.Errorf("%v: %d %s, want 422 on %s", tc.body, res.Status, res.Body, tc.field)
		}
	}
}

// TestAPISubscriberSearchIgnoresCase: q matches addresses whatever the
// case of its ASCII letters, on both engines (SQLite's LIKE ignores case,
// PostgreSQL's does not: the search compares lower() on both sides), finds
// "%" and "_" as themselves, and relevance puts the exact match first
// however it is spelled. Webhook endpoints keep their case, so they are
// what tells the engines apart.
func TestAPISubscriberSearchIgnoresCase(t *testing.T) {
	env := subEnv(t)
	for _, addr := range []string{"http://127.0.0.1:9/Hooks/Deploy", "http://127.0.0.1:9/hooks/deploy/Extra", "http://127.0.0.1:9/a_b%25c"} {
		env.clock.Advance(time.Minute)
		subCreate(t, env, map[string]any{"endpoint": addr})
	}
	subCreate(t, env, map[string]any{"email": "deploy@example.com"})
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?q=hooks%2Fdeploy", []string{"http://127.0.0.1:9/Hooks/Deploy", "http://127.0.0.1:9/hooks/deploy/Extra"}},
		{"?q=HOOKS%2FDEPLOY%2FEXTRA", []string{"http://127.0.0.1:9/hooks/deploy/Extra"}},
		{"?q=DePlOy@EXAMPLE.com", []string{"deploy@example.com"}},
		{"?q=_b%2525", []string{"http://127.0.0.1:9/a_b%25c"}},
		{"?q=a_B", []string{"http://127.0.0.1:9/a_b%25c"}},
		{"?q=%25", []string{"http://127.0.0.1:9/a_b%25c"}},
		{"?q=s_d", []string{}},
		{"?sort_field=relevance&q=HTTP://127.0.0.1:9/HOOKS/DEPLOY", []string{"http://127.0.0.1:9/Hooks/Deploy", "http://127.0.0.1:9/hooks/deploy/Extra"}},
		{"?sort_field=relevance&q=Deploy", []string{"deploy@example.com", "http://127.0.0.1:9/Hooks/Deploy", "http://127.0.0.1:9/hooks/deploy/Extra"}},
	} {
		var got []statuspage.Subscriber
		env.mustAPI(200, "GET", "/subscribers"+tc.query, nil).JSON(t, &got)
		if addrs := apitest.Addresses(got); !slices.Equal(addrs, tc.want) {
			t.Errorf("GET /subscribers%s: %q, want %q", tc.query, addrs, tc.want)
		}
		var n map[string]int
		env.mustAPI(200, "GET", "/subscribers/count"+tc.query, nil).JSON(t, &n)
		if total := n["email"] + n["webhook"]; total != len(tc.want) {
			t.Errorf("GET /subscribers/count%s: %v, want %d in all", tc.query, n, len(tc.want))
		}
	}
}
