package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/subscribers"
)

// Subscriber tests that span the management API and the other surfaces;
// the API's own subscriber tests are in internal/api.

// TestEmailRefusedAlikeEverywhere checks that an address with a domain
// literal or an invalid host name is refused by the API, the public form
// (JSON and HTML), a CSV import through the API and through the console,
// each time with the same message (the HTML form names the field by its
// label), and that nothing is written.
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
				var e web.ErrorBody
				_ = json.Unmarshal(res.Body, &e)
				if res.Status != wantStatus || e.Message != wantMsg || e.Field != "email" {
					t.Errorf("%s: status %d %s, want %d {%q, field email}", where, res.Status, res.Body, wantStatus, wantMsg)
				}
			}
			check("API", n.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": tc.addr}}), 422, tc.msg)
			check("public JSON", n.do("POST", "/subscribe", map[string]any{"email": tc.addr}, "Content-Type", "application/json"), 422, tc.msg)
			// The form says the same, naming the field by its label.
			form := n.do("POST", "/subscribe", "mode=email&email="+url.QueryEscape(tc.addr), "Content-Type", "application/x-www-form-urlencoded")
			if want := "Email address " + strings.TrimPrefix(tc.msg, "email "); form.Status != 422 || !strings.Contains(html.UnescapeString(string(form.Body)), want) {
				t.Errorf("public form: status %d, want 422 showing %q", form.Status, want)
			}
			csvBody := "mode,address\nemail,ok@example.com\nemail," + tc.addr + "\n"
			check("API import", n.api("POST", "/subscribers/import", csvBody, "Content-Type", "text/csv"), 422, "line 3: "+tc.msg)

			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField(screen.CSRFField, admin.CSRF)
			fw, _ := w.CreateFormFile("file", "subs.csv")
			fw.Write([]byte(csvBody))
			w.Close()
			con := n.do("POST", "/console/subscribers/import", buf.String(), "Cookie", admin.Cookie(), "Content-Type", w.FormDataContentType())
			if con.Status != 422 || !strings.Contains(html.UnescapeString(string(con.Body)), "line 3: "+tc.msg) {
				t.Errorf("console import: status %d, want 422 showing %q", con.Status, "line 3: "+tc.msg)
			}
			if got, _ := n.app.subscribers.Count(context.Background(), subscribers.Filter{}); got != 0 {
				t.Errorf("%d subscribers after refusals, want 0", got)
			}
		})
	}
}

// TestConsoleShowsWebhookContact checks that a webhook subscriber created
// through the API with an email shows it as its contact in the console
// (the API's side: internal/api's TestAPIWebhookWithContactEmail).
func TestConsoleShowsWebhookContact(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.WebhookAllowPrivate = true })
	env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
		"endpoint": "http://127.0.0.1:9/hook", "email": "Ops@Example.com", "skip_confirmation_notification": true}})
	admin := env.newStaff(accounts.Admin)
	page := admin.Get("/console/subscribers?type=webhook")
	if !strings.Contains(string(page.Body), "contact: ops@example.com") {
		t.Errorf("the console does not show the contact")
	}
}
