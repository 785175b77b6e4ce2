package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/twiliotest"
)

// Control characters and their kin (issue 10, defect 5): refused in names,
// removed from Markdown bodies, and never written into a feed, a page or a
// message, whatever the database holds.

// hostileBody holds what a Markdown body must not carry into any output,
// and text that merely looks dangerous to XML and must come through.
const hostileBody = "Start\u0001 \u001b[31mred\u001b[0m nul\u0000 del\u007f nel\u0085 non\ufffe\uffff " +
	"]]> <![CDATA[ x &#1; &#x1b; \u202eevil\u202c end\r\nnext line"

// hostileBodyStored is hostileBody as the API stores it.
const hostileBodyStored = "Start [31mred[0m nul del nel non " +
	"]]> <![CDATA[ x &#1; &#x1b; \u202eevil\u202c end\nnext line"

// trickyName is a valid name that only looks dangerous to XML and HTML.
const trickyName = `Database ]]> <![CDATA[ &#1; &#x1b; <b>&amp;</b>`

// strictXML reads every token of doc with encoding/xml in strict mode.
func strictXML(t *testing.T, what string, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", what, err)
		}
	}
}

// cleanOutput fails the test when out holds a character internal/chars
// removes (a control character, a noncharacter, a stray byte).
func cleanOutput(t *testing.T, what string, out string) {
	t.Helper()
	if clean := chars.Clean(strings.ReplaceAll(out, "\r\n", "\n")); clean != strings.ReplaceAll(out, "\r\n", "\n") {
		for i, r := range out {
			if !strings.ContainsRune(clean, r) {
				t.Errorf("%s holds %U at byte %d", what, r, i)
				return
			}
		}
		t.Errorf("%s holds characters it must not", what)
	}
}

// checkFeeds fetches both feeds, parses them strictly and with gofeed, and
// returns the gofeed items by title of each.
func checkFeeds(t *testing.T, e *testEnv) map[string][]*gofeed.Item {
	t.Helper()
	out := map[string][]*gofeed.Item{}
	for _, path := range []string{"/history.rss", "/history.atom"} {
		res := e.do("GET", path, nil)
		if res.Status != 200 {
			t.Fatalf("GET %s: status %d", path, res.Status)
		}
		strictXML(t, path, res.Body)
		cleanOutput(t, path, string(res.Body))
		feed, err := gofeed.NewParser().ParseString(string(res.Body))
		if err != nil {
			t.Fatalf("gofeed %s: %v", path, err)
		}
		out[path] = feed.Items
	}
	return out
}

// TestHostileTextConsoleRefusesNames posts the console's forms with a
// control character in a name: 422, the field marked, nothing written.
func TestHostileTextConsoleRefusesNames(t *testing.T) {
	e := ntNew(t).testEnv // email configured, for the sender name's field
	web, err := e.app.components.Create(context.Background(), components.Input{Name: ptr("Website")})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.newStaff(accounts.Admin)
	tests := []struct {
		name, path, field string
		form              url.Values
	}{
		{"new incident", "/console/incidents", "name", url.Values{"name": {"Login \u001b[31mfailures"}, "status": {"investigating"}, "body": {"x"}}},
		{"new maintenance", "/console/maintenance", "name", url.Values{"name": {"Network\u0000work"},
			"scheduled_for": {"2026-03-20T02:00"}, "scheduled_until": {"2026-03-20T04:00"}}},
		{"new component", "/console/components", "new_name", url.Values{"kind": {"component"}, "name": {"Search\u0001"}}},
		{"edit component", "/console/components/" + web.ID, "name", url.Values{"name": {"Web\u0085app"}}},
		{"invalid UTF-8 name", "/console/components/" + web.ID, "name", url.Values{"name": {"Web \xff"}}},
		{"page settings", "/console/settings", "name", url.Values{"name": {"Acme\u007f"}, "url": {"https://status.example.com"},
			"time_zone": {"Etc/UTC"}}},
		{"email sender name", "/console/settings/notifications", "email_from_name", url.Values{"email_from_name": {"Acme\u001b[0m"}}},
	}
	before := e.client().State()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := admin.Post(tc.path, tc.form)
			if res.Status != 422 {
				t.Fatalf("status %d, want 422: %s", res.Status, consoletest.Body(res))
			}
			if !ntFieldMarked(res.Body, tc.field) {
				t.Errorf("field %s is not marked invalid: %s", tc.field, consoletest.Body(res))
			}
			if !strings.Contains(string(res.Body), "control characters") && !strings.Contains(string(res.Body), "UTF-8") {
				t.Errorf("the error does not say what is wrong: %s", consoletest.Body(res))
			}
			cleanOutput(t, "the form shown again", string(res.Body))
		})
	}
	if after := e.client().State(); after != before {
		t.Errorf("refused forms changed the data")
	}
	if saved, err := e.app.settings.Notifications(context.Background()); err != nil || saved.EmailFromName != nil {
		t.Errorf("notification settings after a refused form: %+v, %v; want none saved", saved, err)
	}
}

// TestHostileTextBodiesThroughAPI posts hostile bodies through the API and
// reads them back from the API, both feeds, the pages, an email and an SMS.
func TestHostileTextBodiesThroughAPI(t *testing.T) {
	n := ntNew(t)
	n.subscriber(map[string]any{"email": "alice@example.com"})
	n.subscriber(map[string]any{"phone_number": ntPhone1})
	api := n.component("API")
	res := n.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": trickyName, "body": hostileBody, "components": map[string]string{api: "major_outage"}}})
	id := apitest.String(t, res, "id")
	if got := apitest.Updates(t, res)[0]["body"]; got != hostileBodyStored {
		t.Errorf("stored body:\n got %q\nwant %q", got, hostileBodyStored)
	}
	upd := n.mustAPI(200, "PATCH", "/incidents/"+id, map[string]any{"incident": map[string]any{"status": "resolved", "body": "Fixed \u0007" + hostileBody}})
	if got := apitest.Updates(t, upd)[0]["body"]; got != "Fixed "+hostileBodyStored {
		t.Errorf("stored update body:\n got %q\nwant %q", got, "Fixed "+hostileBodyStored)
	}

	items := checkFeeds(t, n.testEnv)
	for path, list := range items {
		if len(list) != 1 {
			t.Fatalf("%s: %d items, want 1", path, len(list))
		}
		it := list[0]
		if it.Title != trickyName {
			t.Errorf("%s title: got %q, want %q", path, it.Title, trickyName)
		}
		content := it.Content
		if content == "" {
			content = it.Description
		}
		// The Markdown as HTML: the text as stored, with "]]>" and "<"
		// escaped and the character references to controls gone.
		for _, want := range []string{"Start [31mred[0m nul del nel non ]]&gt; &lt;![CDATA[ x   \u202eevil\u202c end\nnext line",
			"Fixed Start"} {
			if !strings.Contains(content, want) {
				t.Errorf("%s content lacks %q:\n%s", path, want, content)
			}
		}
	}

	for _, path := range []string{"/", "/incidents/" + id, "/history"} {
		page := n.do("GET", path, nil)
		cleanOutput(t, path, string(page.Body))
		if !strings.Contains(string(page.Body), "Database ]]&gt; &lt;![CDATA[ &amp;#1; &amp;#x1b;") {
			t.Errorf("%s does not show the incident's name escaped", path)
		}
	}

	n.drain()
	mails := n.mail.Received(0)
	if len(mails) != 2 {
		t.Fatalf("%d emails, want 2", len(mails))
	}
	for _, m := range mails {
		e := ntParseEmail(t, m)
		cleanOutput(t, "the email", e.Raw)
		cleanOutput(t, "the text part", e.Text)
		cleanOutput(t, "the HTML part", e.HTML)
		if want := "[Acme Status] " + trickyName; e.Subject != want {
			t.Errorf("subject %q, want %q", e.Subject, want)
		}
		if !strings.Contains(e.Text, "[31mred[0m nul del") {
			t.Errorf("the text part lacks the cleaned body:\n%s", e.Text)
		}
	}
	sms := n.tw.Received(0)
	if len(sms) == 0 {
		t.Fatal("no SMS")
	}
	for _, s := range sms {
		cleanOutput(t, "an SMS", s.Body)
	}
}

// TestHostileTextOldRows writes control characters straight into the
// database, as a database from before these checks (or an edit by hand)
// holds them: the feeds, the pages, the API's JSON and the messages are
// still valid, and show the text without them.
func TestHostileTextOldRows(t *testing.T) {
	n := ntNew(t)
	n.subscriber(map[string]any{"email": "alice@example.com"})
	n.subscriber(map[string]any{"phone_number": ntPhone1})
	api := n.component("API")
	id := n.incident(map[string]any{"name": "Outage", "body": "clean", "components": map[string]string{api: "major_outage"}})

	// Before the notifications go out, the rows are spoiled.
	ctx := context.Background()
	const badName = "Out\u0001age\u001b[31m\r\nBcc: victim@example.com\u202e"
	const badPage = "Acme\u0000 Status\u0085"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE incidents SET name = ? WHERE id = ?`, []any{badName, id}},
		{`UPDATE incident_updates SET body = ? WHERE incident_id = ?`, []any{hostileBody + " \xff\xfe bad bytes", id}},
		{`UPDATE components SET name = ? WHERE id = ?`, []any{"A\u0002PI\ufffe", api}},
		{`UPDATE pages SET name = ?`, []any{badPage}},
	} {
		if n.app.db.Engine() == store.Postgres {
			// PostgreSQL's text holds neither NUL nor bytes that are not
			// UTF-8, so no database there has them, old or not: old rows
			// there hold everything else.
			v := q.args[0].(string)
			q.args[0] = strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", ""), "")
		}
		if _, err := n.app.db.Write.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	n.app.public.Changed()
	const cleanName = "Outage[31m Bcc: victim@example.com"

	items := checkFeeds(t, n.testEnv)
	for path, list := range items {
		if len(list) != 1 || list[0].Title != cleanName {
			t.Errorf("%s: %d items, first titled %q, want one titled %q", path, len(list), list[0].Title, cleanName)
			continue
		}
		content := list[0].Content
		if content == "" {
			content = list[0].Description
		}
		if !strings.Contains(content, "Start [31mred[0m nul del nel non ]]&gt;") || !strings.Contains(content, " bad bytes") {
			t.Errorf("%s content lacks the cleaned body:\n%s", path, content)
		}
	}
	for _, path := range []string{"/", "/incidents/" + id, "/history", "/console/incidents/" + id} {
		var page response
		if strings.HasPrefix(path, "/console") {
			page = n.newStaff(accounts.Admin).Get(path)
		} else {
			page = n.do("GET", path, nil)
		}
		if page.Status != 200 {
			t.Fatalf("GET %s: status %d", path, page.Status)
		}
		cleanOutput(t, path, string(page.Body))
		if !strings.Contains(string(page.Body), "Out") {
			t.Errorf("%s lacks the incident", path)
		}
	}
	// The JSON APIs escape what they hold: still valid JSON, the stored
	// text intact.
	for _, path := range []string{"/api/v2/summary.json", "/api/v2/incidents.json"} {
		res := n.do("GET", path, nil)
		var v map[string]any
		if err := json.Unmarshal(res.Body, &v); err != nil {
			t.Errorf("%s is not valid JSON: %v", path, err)
		}
		if bytes.ContainsFunc(res.Body, func(r rune) bool { return r < 0x20 && r != '\n' }) {
			t.Errorf("%s holds a raw control character", path)
		}
	}

	n.drain()
	mails := n.mail.Received(0)
	if len(mails) != 1 {
		t.Fatalf("%d emails, want 1", len(mails))
	}
	e := ntParseEmail(t, mails[0])
	cleanOutput(t, "the email", e.Raw)
	cleanOutput(t, "the text part", e.Text)
	cleanOutput(t, "the HTML part", e.HTML)
	if want := "[Acme Status] " + cleanName; e.Subject != want {
		t.Errorf("subject: got %q, want %q", e.Subject, want)
	}
	if len(e.Header["Bcc"]) > 0 || !slices.Equal(mails[0].To, []string{"alice@example.com"}) {
		t.Errorf("the name injected a header or a recipient: to %v, Bcc %q", mails[0].To, e.Header["Bcc"])
	}
	from, _ := e.Header.AddressList("From")
	if len(from) != 1 || from[0].Name != "Acme Status" {
		t.Errorf("From: got %v, want the page's name cleaned", from)
	}
	if !strings.Contains(e.Text, "[31mred[0m nul del") || !strings.Contains(e.Text, "API") {
		t.Errorf("the text part lacks the cleaned body or component:\n%s", e.Text)
	}
	sms := n.tw.Received(0)
	if len(sms) != 1 {
		t.Fatalf("%d SMS, want 1", len(sms))
	}
	cleanOutput(t, "the SMS", sms[0].Body)
	if strings.ContainsAny(sms[0].Body, "\u202e") {
		t.Errorf("the SMS holds the bidi override of the name: %q", sms[0].Body)
	}

	// The HELP reply names the page: TwiML, valid, without the characters.
	const path = "/webhooks/twilio/inbound"
	p := url.Values{"From": {ntPhone1}, "To": {ntTwilioFrom}, "Body": {"HELP"}, "MessageSid": {"SM" + strings.Repeat("1", 32)}, "AccountSid": {ntTwilioSID}}
	help := n.twilio(path, p, twiliotest.Sign(ntTwilioTok, ntBaseURL+path, p))
	strictXML(t, "the HELP reply", help.Body)
	cleanOutput(t, "the HELP reply", string(help.Body))
	if !strings.Contains(string(help.Body), "<Message>Acme Status status alerts") {
		t.Errorf("HELP reply: got %s, want the page's name cleaned", help.Body)
	}
}
