package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/subscribers"
)

// subEnv is an app whose webhook subscribers may point at loopback, so
// tests can add them without any address outside this machine.
func subEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnv(t, func(c *Config) { c.WebhookAllowPrivate = true })
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

// TestEmailRefusedAlikeEverywhere checks that an address with a domain
// literal or an invalid host name is refused by the API, the public form
// (JSON and HTML), a CSV import through the API and through the console,
// each time with the same message, and that nothing is written.
func TestEmailRefusedAlikeEverywhere(t *testing.T) {
	n := ntNew(t)
	admin := n.newStaff(accounts.Admin)
	for _, tc := range []struct{ addr, msg string }{
		{"a@[127.0.0.1]", "email must name a domain after the @, not an IP address"},
		{"a@127.0.0.1", "email must name a domain after the @, not an IP address"},
		{"a@-b.com", "email has an invalid domain name after the @"},
		{"a@b_c.example.com", "email has an invalid domain name after the @"},
		{"a@localhost", "email must have a domain with a dot after the @, such as example.com"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			check := func(where string, res response, wantStatus int, wantMsg string) {
				t.Helper()
				var e errorJSON
				_ = json.Unmarshal(res.Body, &e)
				if res.Status != wantStatus || e.Message != wantMsg || e.Field != "email" {
					t.Errorf("%s: status %d %s, want %d {%q, field email}", where, res.Status, res.Body, wantStatus, wantMsg)
				}
			}
			check("API", n.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": tc.addr}}), 422, tc.msg)
			check("public JSON", n.do("POST", "/subscribe", map[string]any{"email": tc.addr}, "Content-Type", "application/json"), 422, tc.msg)
			form := n.do("POST", "/subscribe", "mode=email&email="+url.QueryEscape(tc.addr), "Content-Type", "application/x-www-form-urlencoded")
			if form.Status != 422 || !strings.Contains(html.UnescapeString(string(form.Body)), tc.msg) {
				t.Errorf("public form: status %d, want 422 showing %q", form.Status, tc.msg)
			}
			csvBody := "mode,address\nemail,ok@example.com\nemail," + tc.addr + "\n"
			check("API import", n.api("POST", "/subscribers/import", csvBody, "Content-Type", "text/csv"), 422, "line 3: "+tc.msg)

			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField(csrfField, admin.csrf)
			fw, _ := w.CreateFormFile("file", "subs.csv")
			fw.Write([]byte(csvBody))
			w.Close()
			con := n.do("POST", "/console/subscribers/import", buf.String(), "Cookie", admin.cookie(), "Content-Type", w.FormDataContentType())
			if con.Status != 422 || !strings.Contains(html.UnescapeString(string(con.Body)), "line 3: "+tc.msg) {
				t.Errorf("console import: status %d, want 422 showing %q", con.Status, "line 3: "+tc.msg)
			}
			if got, _ := n.app.subscribers.Count(context.Background(), subscribers.Filter{}); got != 0 {
				t.Errorf("%d subscribers after refusals, want 0", got)
			}
		})
	}
}

// TestAPIWebhookWithContactEmail is the reported defect: a subscriber
// created with endpoint and email became an email subscriber. It is a
// webhook whose JSON shows the email as its contact, in the list, the
// console and the export too.
func TestAPIWebhookWithContactEmail(t *testing.T) {
	env := subEnv(t)
	var created subscriberJSON
	env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
		"endpoint": "http://127.0.0.1:9/hook", "email": "Ops@Example.com", "skip_confirmation_notification": true}}).JSON(t, &created)
	if created.Mode != "webhook" || created.Endpoint == nil || *created.Endpoint != "http://127.0.0.1:9/hook" ||
		created.Email == nil || *created.Email != "ops@example.com" {
		t.Errorf("created %+v, want a webhook with email ops@example.com", created)
	}
	var got subscriberJSON
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
	if !strings.Contains(string(exp.Body), "http://127.0.0.1:9/hook,") || !strings.Contains(string(exp.Body), ",ops@example.com\n") {
		t.Errorf("export lacks the contact:\n%s", exp.Body)
	}
	admin := env.newStaff(accounts.Admin)
	page := admin.get("/console/subscribers?type=webhook")
	if !strings.Contains(string(page.Body), "contact: ops@example.com") {
		t.Errorf("the console does not show the contact")
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
		var got []subscriberJSON
		env.mustAPI(200, "GET", "/subscribers"+query, nil).JSON(t, &got)
		return ntAddresses(got)
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
			var e errorJSON
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != tc.field {
				t.Errorf("GET %s%s: status %d %+v, want 422 on %s", path, tc.query, res.Status, e, tc.field)
			}
		}
	}
}
