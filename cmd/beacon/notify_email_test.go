package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// Email notifications end to end: what subscribers receive, hostile incident
// text, and SMTP faults through the whole app.

var ntUpdate = flag.Bool("update", false, "rewrite the golden files under testdata/")

// ntEmail is a received message taken apart.
type ntEmail struct {
	Envelope    smtptest.Mail
	Header      mail.Header
	Subject     string
	ContentType string
	Text, HTML  string
	Raw         string
}

func ntParseEmail(t testing.TB, m smtptest.Mail) ntEmail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, m.Data)
	}
	e := ntEmail{Envelope: m, Header: msg.Header, Raw: string(m.Data)}
	dec := new(mime.WordDecoder)
	if e.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	e.ContentType = mt
	if !strings.HasPrefix(mt, "multipart/") {
		e.Text = ntDecodePart(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return e
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body := ntDecodePart(t, p.Header.Get("Content-Transfer-Encoding"), p)
		switch pt {
		case "text/plain":
			e.Text = body
		case "text/html":
			e.HTML = body
		default:
			t.Errorf("unexpected part %s", pt)
		}
	}
	return e
}

// ntDecodePart reads a part's body; multipart has already undone
// quoted-printable.
func ntDecodePart(t testing.TB, cte string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(cte, "base64") {
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// ntLink returns the first URL in s that starts with prefix.
func ntLink(t testing.TB, s, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[^\s"<>]*`)
	m := re.FindString(s)
	if m == "" {
		t.Fatalf("no link starting with %s in:\n%s", prefix, s)
	}
	return m
}

// ntGolden compares got with testdata/notify/name, rewriting it with
// -update.
func ntGolden(t testing.TB, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", "notify", name), got, *ntUpdate)
}

// TestNotifyEmailEndToEnd follows two email subscribers through sign-up,
// an incident's life and the links in their emails. Its steps run in order
// on one app, each reading what the steps before it left, and it stops at
// the first step that fails.
func TestNotifyEmailEndToEnd(t *testing.T) {
	n := ntNew(t)
	s := &ntEmailSteps{n: n, api: n.component("API"), web: n.component("Website")}
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"sign-ups", s.signUps},
		{"incident", s.incident},
		{"one email per change and recipient", s.messageIDs},
		{"email contents", s.contents},
		{"golden text", s.golden},
		{"second sign-up", s.secondSignUp},
		{"one-click unsubscribe", s.oneClickUnsubscribe},
	} {
		ok := t.Run(step.name, func(t *testing.T) {
			// The environment's helpers report to the step.
			parent := n.t
			n.t = t
			defer func() { n.t = parent }()
			step.run(t)
		})
		if !ok {
			return // the later steps read what this one left
		}
	}
}

// ntEmailSteps is what TestNotifyEmailEndToEnd's steps share.
type ntEmailSteps struct {
	n        *ntEnv
	api, web string         // components
	alice    map[string]any // added by staff
	bob      string         // the id of Bob, who signed up on the public form for the API
	// id is the incident on the API, other the one on the website.
	id, other string
	// by holds the emails about id, by recipient.
	by map[string]*ntIncidentEmails
}

// ntIncidentEmails are the three emails one recipient got about an
// incident.
type ntIncidentEmails struct{ created, updated, resolved ntEmail }

// signUps adds Alice through the API and signs Bob up on the public form
// for the API only; he confirms by the link he is sent.
func (s *ntEmailSteps) signUps(t *testing.T) {
	n, api := s.n, s.api
	s.alice = n.subscriber(map[string]any{"email": "alice@example.com"})
	if s.alice["state"] != "active" {
		t.Fatalf("alice: state %v, want active", s.alice["state"])
	}
	ntWant(t, "after a sign-up by staff", n.round(), nil)

	res := n.form("/subscribe", url.Values{"mode": {"email"}, "email": {"Bob@Example.com"}, "component_ids": {api}})
	if res.Status != 202 {
		t.Fatalf("POST /subscribe: status %d, want 202; body %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("POST /subscribe: Content-Type %q, want HTML", ct)
	}
	ntWant(t, "after a public sign-up", n.round(), map[string]int{"email:bob@example.com": 1})
	confirm := ntParseEmail(t, n.mailAt(0))
	if want := "Confirm your subscription to " + ntPageName; confirm.Subject != want {
		t.Errorf("confirmation subject %q, want %q", confirm.Subject, want)
	}
	if !strings.Contains(confirm.Text, "API") {
		t.Errorf("confirmation does not name the chosen component:\n%s", confirm.Text)
	}
	ntCheckAutomated(t, "confirmation", confirm)
	if strings.Contains(confirm.Text+confirm.HTML, "you subscribed") {
		t.Errorf("the confirmation says the address is subscribed before it is confirmed:\n%s", confirm.HTML)
	}
	link := ntLink(t, confirm.Text, ntBaseURL+"/subscriptions/confirm?token=")
	if !strings.Contains(confirm.HTML, link) && !strings.Contains(confirm.HTML, strings.ReplaceAll(link, "&", "&amp;")) {
		t.Errorf("the HTML part lacks the confirmation link %s", link)
	}
	list := n.mustAPI(200, "GET", "/subscribers?q=bob&state=unconfirmed", nil)
	var bobs []statuspage.Subscriber
	list.JSON(t, &bobs)
	if len(bobs) != 1 || bobs[0].State != "unconfirmed" || !slices.Equal(bobs[0].Components, []string{api}) {
		t.Fatalf("bob before confirming: %s", list.Body)
	}
	s.bob = bobs[0].ID
	if res := n.do("GET", strings.TrimPrefix(link, ntBaseURL), nil); res.Status != 200 || !strings.Contains(string(res.Body), "confirmed") {
		t.Fatalf("GET confirmation link: status %d, body %s", res.Status, res.Body)
	}
	if got := n.state(s.bob); got != "active" {
		t.Fatalf("bob after confirming: state %s, want active", got)
	}
	// Following the link again changes nothing.
	if res := n.do("GET", strings.TrimPrefix(link, ntBaseURL), nil); res.Status != 200 {
		t.Errorf("GET confirmation link twice: status %d", res.Status)
	}
}

// incident posts an incident on the API, an update and the resolution,
// then an incident on the website alone, which reaches Alice, not Bob.
func (s *ntEmailSteps) incident(t *testing.T) {
	n, api, web := s.n, s.api, s.web
	s.id = n.incident(map[string]any{
		"name": "Elevated API errors", "status": "investigating",
		"body":       "We are **investigating** elevated error rates.",
		"components": map[string]string{api: "partial_outage"},
	})
	created := n.round()
	ntWant(t, "incident created", created, map[string]int{"email:alice@example.com": 1, "email:bob@example.com": 1})
	n.clock.Advance(20 * time.Minute)
	n.patch(s.id, map[string]any{"status": "identified", "body": "A bad deploy. See [the changelog](https://example.com/changes) for details."})
	ntWant(t, "incident updated", n.round(), map[string]int{"email:alice@example.com": 1, "email:bob@example.com": 1})
	n.clock.Advance(40 * time.Minute)
	n.patch(s.id, map[string]any{"status": "resolved", "body": "Rolled back; error rates are normal.", "components": map[string]string{api: "operational"}})
	ntWant(t, "incident resolved", n.round(), map[string]int{"email:alice@example.com": 1, "email:bob@example.com": 1})

	s.other = n.incident(map[string]any{"name": "Slow pages", "body": "Looking", "component_ids": []string{web}})
	ntWant(t, "incident on another component", n.round(), map[string]int{"email:alice@example.com": 1})
}

// messageIDs sorts the emails about the incident by recipient and checks
// that every email has a Message-ID of its own.
func (s *ntEmailSteps) messageIDs(t *testing.T) {
	n := s.n
	mails := n.mail.Received(1) // after Bob's confirmation
	if len(mails) != 7 {
		t.Fatalf("%d emails after the confirmation, want 7", len(mails))
	}
	s.by = map[string]*ntIncidentEmails{}
	seenIDs := map[string]bool{}
	for i, m := range mails[:6] {
		e := ntParseEmail(t, m)
		rcpt := m.To[0]
		if s.by[rcpt] == nil {
			s.by[rcpt] = &ntIncidentEmails{}
		}
		switch i / 2 {
		case 0:
			s.by[rcpt].created = e
		case 1:
			s.by[rcpt].updated = e
		case 2:
			s.by[rcpt].resolved = e
		}
		mid := e.Header.Get("Message-Id")
		if mid == "" || seenIDs[mid] {
			t.Errorf("message %d to %s: Message-ID %q is missing or repeated", i, rcpt, mid)
		}
		seenIDs[mid] = true
	}
	if e := ntParseEmail(t, n.mail.Received(0)[len(n.mail.Received(0))-1]); seenIDs[e.Header.Get("Message-Id")] {
		t.Errorf("the email about %s repeats a Message-ID", s.other)
	}
}

// contents checks each recipient's three emails about the incident, and
// that following their links left both subscribed.
func (s *ntEmailSteps) contents(t *testing.T) {
	n := s.n
	for _, rcpt := range []string{"alice@example.com", "bob@example.com"} {
		e := s.by[rcpt]
		if e == nil {
			t.Fatalf("no emails to %s", rcpt)
		}
		s.checkThread(t, rcpt, e)
	}
	for _, rcpt := range []string{"alice@example.com", "bob@example.com"} {
		if got := n.state(map[string]string{"alice@example.com": s.alice["id"].(string), "bob@example.com": s.bob}[rcpt]); got != "active" {
			t.Errorf("%s after following the links: state %s, want active", rcpt, got)
		}
	}
}

// ntEmailWant is what one email about the incident must hold: its subject,
// the status it names, the update's text, and the update's Markdown
// rendered in the HTML part.
type ntEmailWant struct {
	name, subject, status, body, html string
	e                                 ntEmail
}

// checkThread checks rcpt's three emails about the incident, and that the
// later ones reply to the first.
func (s *ntEmailSteps) checkThread(t *testing.T, rcpt string, sent *ntIncidentEmails) {
	t.Helper()
	// One subject for the whole incident; the status leads the body.
	const subject = "[Acme Status] Elevated API errors"
	steps := []ntEmailWant{
		{"created", subject, "Investigating", "We are investigating elevated error rates.",
			"<strong>investigating</strong>", sent.created},
		{"updated", subject, "Identified", "A bad deploy. See the changelog (https://example.com/changes) for details.",
			`<a href="https://example.com/changes"`, sent.updated},
		{"resolved", subject, "Resolved", "Rolled back; error rates are normal.",
			"Rolled back; error rates are normal.", sent.resolved},
	}
	var root string
	for i, st := range steps {
		e := st.e
		what := rcpt + " " + st.name
		s.checkEmail(t, rcpt, what, st)
		s.checkLinks(t, rcpt, what, e)
		// The whole story, latest first: this update, then the ones
		// before it.
		last := -1
		for k := i; k >= 0; k-- {
			at := strings.Index(e.Text, steps[k].status+" – Mar 10, 2026")
			if at < 0 || at < last || !strings.Contains(e.Text[at:], steps[k].body) || !strings.Contains(e.HTML, steps[k].html) {
				t.Errorf("%s: the story lacks the %s update after the later ones:\n%s", what, steps[k].name, e.Text)
			}
			last = at
		}

		// Threading: the first message is the root; the others reply
		// to it.
		mid := e.Header.Get("Message-Id")
		if st.name == "created" {
			root = mid
			if e.Header.Get("In-Reply-To") != "" || e.Header.Get("References") != "" {
				t.Errorf("%s: the first message of the thread has In-Reply-To %q, References %q", what, e.Header.Get("In-Reply-To"), e.Header.Get("References"))
			}
			continue
		}
		if got := e.Header.Get("In-Reply-To"); got != root {
			t.Errorf("%s: In-Reply-To %q, want the first email's Message-ID %q", what, got, root)
		}
		if got := e.Header.Get("References"); got != root {
			t.Errorf("%s: References %q, want %q", what, got, root)
		}
	}
}

// checkEmail checks one email's envelope, headers and both parts.
func (s *ntEmailSteps) checkEmail(t *testing.T, rcpt, what string, st ntEmailWant) {
	t.Helper()
	e := st.e
	incidentURL := ntBaseURL + "/incidents/" + s.id
	if e.Envelope.From != ntFrom || !slices.Equal(e.Envelope.To, []string{rcpt}) {
		t.Errorf("%s: envelope from %s to %v", what, e.Envelope.From, e.Envelope.To)
	}
	if e.ContentType != "multipart/alternative" || e.Text == "" || e.HTML == "" {
		t.Errorf("%s: Content-Type %s with text %d bytes and HTML %d bytes, want multipart/alternative with both", what, e.ContentType, len(e.Text), len(e.HTML))
	}
	if e.Subject != st.subject {
		t.Errorf("%s: Subject %q, want %q", what, e.Subject, st.subject)
	}
	if from, err := mail.ParseAddress(e.Header.Get("From")); err != nil || from.Address != ntFrom || from.Name != ntPageName {
		t.Errorf("%s: From %q, want %q <%s>", what, e.Header.Get("From"), ntPageName, ntFrom)
	}
	if to := e.Header.Get("To"); !strings.Contains(to, rcpt) || strings.Contains(to, ",") {
		t.Errorf("%s: To %q, want only %s", what, to, rcpt)
	}
	for _, part := range []struct{ name, body string }{{"text", e.Text}, {"HTML", e.HTML}} {
		for _, want := range []string{"Elevated API errors", st.status, incidentURL, "API", ntPageName} {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s: the %s part lacks %q", what, part.name, want)
			}
		}
	}
	if !strings.Contains(e.Text, st.body) {
		t.Errorf("%s: the text part lacks the update text %q:\n%s", what, st.body, e.Text)
	}
	if !strings.Contains(e.HTML, st.html) {
		t.Errorf("%s: the HTML part lacks %q (the update's Markdown rendered)", what, st.html)
	}
	if strings.Contains(e.HTML, "**investigating**") || strings.Contains(e.Text, "**") || strings.Contains(e.Text, "](") {
		t.Errorf("%s: a part shows raw Markdown", what)
	}
	if lead := st.status + ": Elevated API errors\n"; !strings.HasPrefix(e.Text, lead) {
		t.Errorf("%s: the text part does not start with %q:\n%s", what, lead, e.Text)
	}
	if !strings.Contains(e.HTML, `overflow:hidden;mso-hide:all;">`+st.status+" – ") {
		t.Errorf("%s: the HTML part's preheader does not lead with %s", what, st.status)
	}
	if !strings.Contains(e.Text, "\n-- \n") {
		t.Errorf("%s: the text part lacks the signature separator \"-- \":\n%s", what, e.Text)
	}
	ntCheckAutomated(t, what, e)
	// The time is in the page's zone (Paris, CET in March).
	if st.name == "created" && !strings.Contains(e.Text, "Mar 10, 2026 - 13:00 CET") {
		t.Errorf("%s: the text part lacks the time in the page's zone (Mar 10, 2026 - 13:00 CET):\n%s", what, e.Text)
	}
	if st.name == "resolved" && !strings.Contains(e.Text, "14:00 CET") {
		t.Errorf("%s: the text part lacks the resolution time 14:00 CET:\n%s", what, e.Text)
	}
	if !strings.Contains(e.Text, "Partial Outage") && st.name == "created" {
		t.Errorf("%s: the affected component's status is missing:\n%s", what, e.Text)
	}
}

// ntCheckAutomated checks that e is marked as sent by a program, so that
// out-of-office replies stay away, and that its Message-ID is on the
// sender address's domain.
func ntCheckAutomated(t *testing.T, what string, e ntEmail) {
	t.Helper()
	if got := e.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("%s: Auto-Submitted %q, want auto-generated", what, got)
	}
	if got := e.Header.Get("X-Auto-Response-Suppress"); got != "All" {
		t.Errorf("%s: X-Auto-Response-Suppress %q, want All", what, got)
	}
	domain := ntFrom[strings.IndexByte(ntFrom, '@'):]
	for _, h := range []string{"Message-Id", "In-Reply-To", "References"} {
		if v := e.Header.Get(h); (v != "" || h == "Message-Id") && !strings.HasSuffix(v, domain+">") {
			t.Errorf("%s: %s %q is not on the sender's domain %s", what, h, v, domain)
		}
	}
}

// checkLinks checks an email's manage and unsubscribe links, and the
// List-Unsubscribe headers pointing at the same one-click link.
func (s *ntEmailSteps) checkLinks(t *testing.T, rcpt, what string, e ntEmail) {
	t.Helper()
	n := s.n
	manage := ntLink(t, e.Text, ntBaseURL+"/subscriptions/manage?token=")
	unsub := ntLink(t, e.Text, ntBaseURL+"/unsubscribe/")
	if !strings.Contains(e.HTML, unsub) || !strings.Contains(e.HTML, manage) {
		t.Errorf("%s: the HTML part lacks the manage or unsubscribe link", what)
	}
	if got, want := e.Header.Get("List-Unsubscribe"), "<"+unsub+">"; got != want {
		t.Errorf("%s: List-Unsubscribe %q, want %q", what, got, want)
	}
	if got := e.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("%s: List-Unsubscribe-Post %q, want List-Unsubscribe=One-Click", what, got)
	}
	if res := n.do("GET", strings.TrimPrefix(manage, ntBaseURL), nil); res.Status != 200 || !strings.Contains(string(res.Body), rcpt) {
		t.Errorf("%s: GET manage link: status %d", what, res.Status)
	}
	// GET on the unsubscribe link only asks (mail scanners follow
	// links).
	if res := n.do("GET", strings.TrimPrefix(unsub, ntBaseURL), nil); res.Status != 200 {
		t.Errorf("%s: GET unsubscribe link: status %d", what, res.Status)
	}
}

// golden compares the text of Alice's first and last emails about the
// incident, with their ids and tokens replaced, with the golden files.
func (s *ntEmailSteps) golden(t *testing.T) {
	for name, e := range map[string]ntEmail{"incident_created.txt": s.by["alice@example.com"].created, "incident_resolved.txt": s.by["alice@example.com"].resolved} {
		text := strings.ReplaceAll(e.Text, s.id, "{incident_id}")
		text = regexp.MustCompile(`manage\?token=\S+`).ReplaceAllString(text, "manage?token={manage_token}")
		text = regexp.MustCompile(`/unsubscribe/\S+`).ReplaceAllString(text, "/unsubscribe/{unsubscribe_token}")
		ntGolden(t, name, text)
	}
}

// secondSignUp signs Bob up again: he is sent a link to manage his
// subscription, and nothing changes until he uses it.
func (s *ntEmailSteps) secondSignUp(t *testing.T) {
	n, api, web, bob := s.n, s.api, s.web, s.bob
	mark := n.mail.Count()
	if res := n.form("/subscribe", url.Values{"email": {"bob@example.com"}, "component_ids": {web}}); res.Status != 202 {
		t.Fatalf("second sign-up: status %d", res.Status)
	}
	ntWant(t, "second sign-up", n.round(), map[string]int{"email:bob@example.com": 1})
	manageMail := ntParseEmail(t, n.mailAt(mark))
	if want := "Manage your subscription to " + ntPageName; manageMail.Subject != want {
		t.Errorf("second sign-up sent %q, want %q", manageMail.Subject, want)
	}
	if got := apitest.Object(t, n.mustAPI(200, "GET", "/subscribers/"+bob, nil)); got["state"] != "active" || fmt.Sprint(got["components"]) != fmt.Sprint([]any{api}) {
		t.Errorf("bob after signing up again: %v, want unchanged", got)
	}
	manageTok, _ := url.QueryUnescape(strings.TrimPrefix(ntLink(t, manageMail.Text, ntBaseURL+"/subscriptions/manage?token="), ntBaseURL+"/subscriptions/manage?token="))
	res := n.form("/subscriptions/manage", url.Values{"token": {manageTok}, "component_ids": {web}})
	if res.Status != 200 {
		t.Fatalf("save preferences: status %d body %s", res.Status, res.Body)
	}
	if got := apitest.Object(t, n.mustAPI(200, "GET", "/subscribers/"+bob, nil)); fmt.Sprint(got["components"]) != fmt.Sprint([]any{web}) {
		t.Errorf("bob after saving preferences: %v, want %s only", got["components"], web)
	}
	n.incident(map[string]any{"name": "API again", "body": "x", "component_ids": []string{api}})
	ntWant(t, "incident on the API after bob moved to the website", n.round(), map[string]int{"email:alice@example.com": 1})
}

// oneClickUnsubscribe posts Alice's List-Unsubscribe link as a mail
// client does (RFC 8058): she hears nothing more.
func (s *ntEmailSteps) oneClickUnsubscribe(t *testing.T) {
	n := s.n
	unsub := strings.TrimPrefix(s.by["alice@example.com"].updated.Header.Get("List-Unsubscribe"), "<")
	unsub = strings.TrimSuffix(strings.TrimPrefix(unsub, ntBaseURL), ">")
	res := n.do("POST", unsub, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != 200 {
		t.Fatalf("one-click unsubscribe: status %d, body %s", res.Status, res.Body)
	}
	if got := n.state(s.alice["id"].(string)); got != "unsubscribed" {
		t.Fatalf("alice after one-click unsubscribe: state %s", got)
	}
	n.patch(s.other, map[string]any{"status": "resolved", "body": "Fixed"})
	ntWant(t, "after alice unsubscribed", n.round(), map[string]int{"email:bob@example.com": 1})
}

// TestNotifyEmailHostileContent posts incident text written to break the
// email: markup, scripts, javascript: links and header injection.
func TestNotifyEmailHostileContent(t *testing.T) {
	n := ntNew(t)
	n.subscriber(map[string]any{"email": "alice@example.com"})
	name := `<img src=x onerror=alert(1)> "Quotes" & ünïcödé`
	body := "<script>alert(1)</script>\n\n[click](javascript:alert(2)) <a href=\"javascript:alert(3)\">x</a> <iframe src=\"https://evil.example\"></iframe>"
	n.incident(map[string]any{"name": name, "body": body})
	ntWant(t, "incident", n.round(), map[string]int{"email:alice@example.com": 1})
	e := ntParseEmail(t, n.mailAt(0))
	if want := "[Acme Status] " + name; e.Subject != want {
		t.Errorf("Subject %q, want %q", e.Subject, want)
	}
	lower := strings.ToLower(e.HTML)
	for _, bad := range []string{"<script", "javascript:", "<iframe", "<img"} {
		if strings.Contains(lower, bad) {
			t.Errorf("the HTML part contains %q", bad)
		}
	}
	if !strings.Contains(e.HTML, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the incident name is not shown escaped in the HTML part")
	}
	if !strings.Contains(e.Text, name) {
		t.Errorf("the text part lacks the incident name as written:\n%s", e.Text)
	}

	// A line break in the name must not make a header.
	res := n.api("POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Outage\r\nBcc: victim@example.com", "body": "x"}})
	if res.Status == 201 {
		ntWant(t, "incident with CR LF in its name", n.round(), map[string]int{"email:alice@example.com": 1})
		if got := n.mail.Received(1); len(got) == 1 {
			e := ntParseEmail(t, got[0])
			if len(e.Header["Bcc"]) > 0 || !slices.Equal(got[0].To, []string{"alice@example.com"}) || !strings.HasSuffix(e.Subject, "Outage\r\nBcc: victim@example.com") {
				t.Errorf("a CR LF in the name injected a header or a recipient: to %v, Subject %q, Bcc %q", got[0].To, e.Subject, e.Header["Bcc"])
			}
		}
	} else if res.Status != 422 {
		t.Errorf("incident name with CR LF: status %d, want 201 or 422; body %s", res.Status, res.Body)
	}
}

func TestNotifyEmailFaults(t *testing.T) {
	n := ntNew(t)
	sub := n.subscriber(map[string]any{"email": "ops@example.com"})
	subID := sub["id"].(string)
	const rcpt = "ops@example.com"

	for _, stage := range []string{"rcpt", "data"} {
		t.Run("451 at "+stage+" then success", func(t *testing.T) {
			n.mail.FailNext(1, stage, 451)
			tries := n.mail.Tries(rcpt)
			id := n.incident(map[string]any{"name": "Temp " + stage, "body": "x"})
			ntWant(t, "first attempt", n.round(), nil)
			counts, fails := n.channelStats(id, 0, notifier.Email)
			if counts.Pending != 1 || len(fails) != 1 || fails[0].Code != "451" || fails[0].Final || fails[0].SubscriberID != subID {
				t.Errorf("after a 451: counts %+v failures %+v, want one pending with a temporary 451", counts, fails)
			}
			n.clock.Advance(2 * time.Minute)
			ntWant(t, "retry", n.round(), map[string]int{"email:" + rcpt: 1})
			n.clock.Advance(2 * time.Hour)
			ntWant(t, "later", n.round(), nil)
			if got := n.mail.Tries(rcpt) - tries; got != 2 {
				t.Errorf("%d transactions for the message, want 2", got)
			}
			if counts, _ := n.channelStats(id, 0, notifier.Email); counts.Sent != 1 || counts.Pending != 0 || counts.Failed != 0 {
				t.Errorf("after the retry: counts %+v, want 1 sent", counts)
			}
		})
	}

	t.Run("550 fails at once and is not retried", func(t *testing.T) {
		n.mail.FailNext(1, "rcpt", 550)
		tries := n.mail.Tries(rcpt)
		id := n.incident(map[string]any{"name": "Perm", "body": "x"})
		ntWant(t, "attempt", n.round(), nil)
		n.clock.Advance(3 * time.Hour)
		ntWant(t, "later", n.round(), nil)
		if got := n.mail.Tries(rcpt) - tries; got != 1 {
			t.Errorf("%d transactions, want 1", got)
		}
		counts, fails := n.channelStats(id, 0, notifier.Email)
		if counts.Failed != 1 || counts.Pending != 0 || counts.Sent != 0 {
			t.Errorf("counts %+v, want 1 failed", counts)
		}
		if len(fails) != 1 || fails[0].Code != "550" || !fails[0].Final || !strings.Contains(fails[0].Error, "550") {
			t.Errorf("recent_failures %+v, want a final 550 with its reason", fails)
		}
		if strings.Contains(fails[0].Error, rcpt) {
			t.Errorf("the failure reason shows the address: %q", fails[0].Error)
		}
		// One bounce is not enough to quarantine.
		if got := n.state(subID); got != "active" {
			t.Errorf("state after one 550: %s, want active", got)
		}
	})

	t.Run("connection dropped mid-send", func(t *testing.T) {
		n.mail.DropNext(1)
		id := n.incident(map[string]any{"name": "Drop", "body": "x"})
		ntWant(t, "send", n.round(), map[string]int{"email:" + rcpt: 1})
		if counts, _ := n.channelStats(id, 0, notifier.Email); counts.Sent != 1 {
			t.Errorf("counts %+v, want 1 sent", counts)
		}
		// The next message goes out on the new connection.
		n.incident(map[string]any{"name": "After the drop", "body": "x"})
		ntWant(t, "next", n.round(), map[string]int{"email:" + rcpt: 1})
	})

	t.Run("three bounces in a row quarantine", func(t *testing.T) {
		// The delivery after the drop reset the count of the 550 above.
		for i := range 3 {
			if got := n.state(subID); got != "active" {
				t.Fatalf("state after %d bounces: %s, want active", i, got)
			}
			n.mail.FailNext(1, "rcpt", 550)
			n.incident(map[string]any{"name": fmt.Sprintf("Bounce %d", i), "body": "x"})
			ntWant(t, "bounce", n.round(), nil)
		}
		if got := n.state(subID); got != "quarantined" {
			t.Errorf("state after 3 bounces in a row: %s, want quarantined", got)
		}
		n.incident(map[string]any{"name": "After quarantine", "body": "x"})
		ntWant(t, "after quarantine", n.round(), nil)
		// Reactivating resumes delivery.
		n.mustAPI(201, "POST", "/subscribers/reactivate", map[string]any{"subscribers": []string{subID}})
		n.incident(map[string]any{"name": "Back", "body": "x"})
		ntWant(t, "after reactivation", n.round(), map[string]int{"email:" + rcpt: 1})
	})
}
