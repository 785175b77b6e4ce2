package messages

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// fixture is a Renderer on the real services over a fresh SQLite file.
type fixture struct {
	db    *store.DB
	r     *Renderer
	comps *components.Service
	incs  *incidents.Service
	subs  *subscribers.Service
	now   time.Time
	// report is whether the services' change hook reaches the renderer,
	// as app.changed does; off, a test can see what the renderer keeps.
	report bool
}

// newFixture builds the services on a migrated database in a temporary
// directory and a Renderer for base on them, with a page named Acme.
func newFixture(tb testing.TB, base string) *fixture {
	tb.Helper()
	ctx := context.Background()
	db := testutil.OpenDB(tb, notifier.Migrations(), components.Migrations(), subscribers.Migrations(), incidents.Migrations())
	set, err := templates.Load()
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{db: db, now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), report: true}
	now := func() time.Time { return f.now }
	changed := func() {
		if f.report {
			f.r.Changed()
		}
	}
	outbox := notifier.NewOutbox(db)
	f.comps = components.NewService(db, outbox, now, changed)
	f.incs = incidents.NewService(db, f.comps, outbox, now, changed)
	f.subs, err = subscribers.NewService(ctx, db, f.comps, outbox, now, subscribers.Config{
		SMSCountries: []string{"US"},
		Languages:    i18n.Codes(),
		ValidateURL:  func(context.Context, string) error { return nil },
	})
	if err != nil {
		tb.Fatal(err)
	}
	f.r = NewRenderer(Config{BaseURL: base, SMSStatusPath: "/webhooks/twilio/status"}, set, f.comps, f.incs, f.subs)
	name, zone := "Acme", "UTC"
	if _, err := f.comps.EnsurePage(ctx, components.PageInput{Name: &name, URL: &base, TimeZone: &zone}); err != nil {
		tb.Fatal(err)
	}
	return f
}

// subscribe imports active subscribers from csv (a header and rows) and
// returns them by address.
func (f *fixture) subscribe(tb testing.TB, csv string, confirm bool) map[string]subscribers.Subscriber {
	tb.Helper()
	ctx := context.Background()
	if _, err := f.subs.Import(ctx, strings.NewReader(csv), confirm); err != nil {
		tb.Fatal(err)
	}
	list, err := f.subs.List(ctx, subscribers.Filter{Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]subscribers.Subscriber{}
	for _, s := range list {
		out[s.Address] = s
	}
	return out
}

// incident opens an incident on a new component API (partial outage).
func (f *fixture) incident(tb testing.TB, name string) incidents.Incident {
	tb.Helper()
	ctx := context.Background()
	c, err := f.comps.Create(ctx, components.Input{Name: ptr("API")})
	if err != nil {
		tb.Fatal(err)
	}
	in, err := f.incs.Create(ctx, incidents.NewIncident{Name: name, Body: "We are **investigating**.",
		Components: map[string]components.Status{c.ID: components.PartialOutage}})
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// render renders one delivery and fails the test on an error.
func (f *fixture) render(tb testing.TB, d notifier.Delivery) notifier.Message {
	tb.Helper()
	out := f.r.Render(context.Background(), []notifier.Delivery{d})
	if out[0].Err != nil {
		tb.Fatalf("render %s %s: %v", d.Purpose, d.Channel, out[0].Err)
	}
	return out[0].Message
}

func ptr[T any](v T) *T { return &v }

// created is the delivery of in's creation to sub.
func created(in incidents.Incident, sub subscribers.Subscriber, id int64) notifier.Delivery {
	ev := &notifier.Event{ID: id, Kind: notifier.IncidentCreated, IncidentID: in.ID, UpdateID: in.Updates[0].ID}
	return notifier.Delivery{ID: id, EventID: id, Event: ev, SubscriberID: sub.ID, Channel: sub.Mode, Purpose: notifier.PurposeEvent}
}

// TestEmailLayoutMatchesFullRendering checks that an email filled into the
// once-per-event layout is the email the templates give for the same
// links, including content that html/template escapes.
func TestEmailLayoutMatchesFullRendering(t *testing.T) {
	for _, base := range []string{"https://status.example.com", "https://example.com/status?x=1&y=<2>"} {
		r := newFixture(t, base).r
		v := mailView{
			Subject: "[Acme] Investigating: <b>API</b> & more", PageName: `Acme "Status"`, PageURL: base,
			Lead: "Investigating", Preheader: "Investigating – We are investigating.", Color: palette.Critical, Reason: "You subscribed.", IncidentName: "API <errors> & 'quotes'",
			IncidentURL: base + "/incidents/abc", StatusLabel: "Investigating", Time: "Mar 10, 2026 - 13:00 CET",
			Body:       "We are **investigating**.\n\n<script>alert(1)</script> [link](https://example.com/?a=1&b=2)",
			Components: []componentLine{{"API", "Partial Outage"}, {"Web & <CDN>", ""}},
			Updates: []updateLine{{Label: "Investigating", Time: "Mar 10", Body: "We are **investigating**. <b>x</b>", Text: "We are investigating."},
				{Label: "Update", Time: "Mar 9", Body: "[a](https://example.com/?a=1&b=2)", Text: "a (https://example.com/?a=1&b=2)"}},
			Earlier: 3, LogoURL: base + "/logo.png?a=1&b=<2>", Accent: "#ffd700", Link: "#756200",
			Footer: "Acme <Inc.>\n1 Main St & Co", FooterLines: []string{"Acme <Inc.>", "1 Main St & Co"},
		}
		l := r.layout(v, "email/incident")
		if l == nil {
			t.Fatalf("base %s: no layout", base)
		}
		for _, tok := range [][2]string{
			{url.QueryEscape("manage.sub_1.0.mac-_AbC"), url.PathEscape("unsubscribe.sub_1.0.mac~x")},
			{url.QueryEscape("manage.a/b+c=d"), url.PathEscape("unsubscribe.a b")},
		} {
			full := v
			full.ManageURL = base + manageLinkPath + tok[0]
			full.UnsubscribeURL = base + unsubscribeLinkPath + tok[1]
			want, err := r.email(full, "email/incident")
			if err != nil {
				t.Fatal(err)
			}
			if !l.fits(tok[0], tok[1]) {
				// Such tokens are rendered whole; Beacon's never are.
				if !strings.ContainsAny(tok[0]+tok[1], "+=/ ") {
					t.Errorf("tokens %q do not fit", tok)
				}
				continue
			}
			got := l.fill(tok[0], tok[1])
			if got.TextBody() != want.Text || got.HTMLBody() != want.HTML || got.Subject != want.Subject {
				t.Errorf("base %s, tokens %q: layout differs from the full rendering:\n--- got\n%s\n--- want\n%s", base, tok, got.HTMLBody(), want.HTML)
			}
			for _, link := range []string{full.ManageURL, full.UnsubscribeURL} {
				if !strings.Contains(got.TextBody(), link) {
					t.Errorf("text lacks %s", link)
				}
			}
		}
	}
}

// TestViewsFollowChanges checks that what an event's messages share is
// kept until a change is reported and read again after it: a renamed page
// or incident is never served from an old view, and a deleted incident's
// deliveries are skipped.
func TestViewsFollowChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API errors")
	d := created(in, alice, 1)
	subject := func() string { return f.render(t, d).Subject }

	if got, want := subject(), "[Acme] API errors"; got != want {
		t.Fatalf("subject %q, want %q", got, want)
	}

	// Unreported, a change is not seen: the view is kept.
	f.report = false
	if _, err := f.comps.UpdatePage(ctx, components.PageInput{Name: ptr("Acme Cloud")}); err != nil {
		t.Fatal(err)
	}
	if got, want := subject(), "[Acme] API errors"; got != want {
		t.Errorf("before Changed: subject %q, want the kept %q", got, want)
	}
	f.r.Changed()
	if got, want := subject(), "[Acme Cloud] API errors"; got != want {
		t.Errorf("after Changed: subject %q, want %q", got, want)
	}

	// Reported by the services' hook, as in Beacon.
	f.report = true
	if _, err := f.incs.Update(ctx, in.ID, incidents.Change{Name: ptr("API and web errors")}); err != nil {
		t.Fatal(err)
	}
	if got, want := subject(), "[Acme Cloud] API and web errors"; got != want {
		t.Errorf("after a rename: subject %q, want %q", got, want)
	}
	if _, err := f.incs.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.r.Render(ctx, []notifier.Delivery{d})[0].Err; !errors.Is(err, notifier.ErrSkip) {
		t.Errorf("deleted incident: error %v, want ErrSkip", err)
	}
}

// changeDuringLoad reports a change on its first read of the page, as a
// commit landing while the renderer loads.
type changeDuringLoad struct {
	Components
	r     *Renderer
	reads int
}

func (c *changeDuringLoad) Page(ctx context.Context) (components.Page, error) {
	c.reads++
	if c.reads == 1 {
		c.r.Changed()
	}
	return c.Components.Page(ctx)
}

// TestChangeDuringLoad checks that a change reported while the page is
// being read leaves what was read stale: the next batch reads again.
func TestChangeDuringLoad(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	d := created(f.incident(t, "API errors"), alice, 1)
	spy := &changeDuringLoad{Components: f.comps, r: f.r}
	f.r.components = spy
	for range 3 {
		f.render(t, d)
	}
	if spy.reads != 2 {
		t.Errorf("the page was read %d times over 3 batches, want 2 (again after the change during the first load)", spy.reads)
	}
}

// sortedJSON reports whether the JSON object b is byte for byte what
// encoding a map of its members gives: its keys in sorted order, as
// Beacon's webhook payloads have always had them.
func sortedJSON(t *testing.T, what string, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b)
	}
	again, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("%s differs from its map encoding:\n got %s\nwant %s", what, b, again)
	}
	return m
}

// TestWebhookPayloads checks the shape of the three webhook payloads (an
// incident, a component's change, the test delivery) and the page status
// they carry.
func TestWebhookPayloads(t *testing.T) {
	const base = "https://status.example.com"
	f := newFixture(t, base)
	hooks := f.subscribe(t, "mode,address\nwebhook,https://hooks.example.com/a\n", false)
	hook := hooks["https://hooks.example.com/a"]
	in := f.incident(t, "API <errors> & more")
	comp := in.ComponentIDs[0]

	compEvent := &notifier.Event{ID: 7, Kind: notifier.ComponentStatusChanged, ComponentID: comp,
		OldStatus: "operational", NewStatus: "partial_outage", CreatedAt: f.now}
	unconfirmed := f.subscribe(t, "mode,address\nwebhook,https://hooks.example.com/b\n", true)["https://hooks.example.com/b"]
	for _, c := range []struct {
		name string
		d    notifier.Delivery
		keys string
	}{
		{"incident", created(in, hook, 1), "incident meta page"},
		{"component", notifier.Delivery{ID: 2, EventID: 7, Event: compEvent, SubscriberID: hook.ID, Channel: notifier.Webhook, Purpose: notifier.PurposeEvent},
			"component component_update meta page"},
		{"test delivery", notifier.Delivery{ID: 3, SubscriberID: unconfirmed.ID, Channel: notifier.Webhook, Purpose: notifier.PurposeConfirm}, "meta page"},
	} {
		msg := f.render(t, c.d)
		top := sortedJSON(t, c.name, msg.Body)
		if got := strings.Join(slices.Sorted(maps.Keys(top)), " "); got != c.keys {
			t.Errorf("%s: keys %q, want %q", c.name, got, c.keys)
		}
		meta := sortedJSON(t, c.name+" meta", top["meta"])
		if got, want := string(meta["documentation"]), `"`+base+`/api/v2/summary.json"`; got != want {
			t.Errorf("%s: documentation %s, want %s", c.name, got, want)
		}
		if got := string(meta["unsubscribe"]); !strings.HasPrefix(got, `"`+base+`/unsubscribe/`) {
			t.Errorf("%s: unsubscribe %s", c.name, got)
		}
		page := sortedJSON(t, c.name+" page", top["page"])
		// One component in partial outage, under a minor incident.
		if got, want := string(page["status_indicator"])+" "+string(page["status_description"]), `"major" "Partial System Outage"`; got != want {
			t.Errorf("%s: page status %s, want %s", c.name, got, want)
		}
		if c.name == "component" {
			cu := sortedJSON(t, "component_update", top["component_update"])
			if got, want := string(cu["id"]), `"`+comp+`-7"`; got != want {
				t.Errorf("component_update id %s, want %s", got, want)
			}
		}
		if msg.Secret == "" {
			t.Errorf("%s: no signing secret", c.name)
		}
	}
}

// TestEmailAndSMS checks an event's email headers and SMS callback.
func TestEmailAndSMS(t *testing.T) {
	const base = "https://status.example.com:8443"
	f := newFixture(t, base)
	subs := f.subscribe(t, "mode,address\nemail,alice@example.com\nsms,+14155550100\n", false)
	in := f.incident(t, "API errors")
	alice, phone := subs["alice@example.com"], subs["+14155550100"]

	mail := f.render(t, created(in, alice, 1))
	if got, want := mail.Headers["Message-ID"], "<incident-"+in.ID+"."+alice.ID+">"; got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if got := mail.Headers["List-Unsubscribe"]; !strings.HasPrefix(got, "<"+base+"/unsubscribe/") {
		t.Errorf("List-Unsubscribe %q", got)
	}
	if mail.TextLayout == nil {
		t.Error("the email was not filled into the event's layout")
	}
	text := f.render(t, created(in, phone, 2))
	if got, want := text.StatusCallback, base+"/webhooks/twilio/status"; got != want {
		t.Errorf("StatusCallback %q, want %q", got, want)
	}
	if !strings.Contains(text.Text, "API errors") || text.To != phone.Address {
		t.Errorf("SMS to %s: %q", text.To, text.Text)
	}
	// The update's Markdown reaches a phone as plain text.
	if !strings.Contains(text.Text, "We are investigating.") || strings.Contains(text.Text, "*") {
		t.Errorf("SMS %q: want the update as plain text, without Markdown", text.Text)
	}
}

// TestIncidentEmailTellsTheStory follows one incident through three
// updates: every email keeps the incident's subject (mail clients that
// thread by subject keep them together), leads with the status in its
// body and preheader, tells the updates latest first up to the event's,
// and has a plain text part with Markdown rendered and a "-- " separator.
func TestIncidentEmailTellsTheStory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API errors")
	identified, monitoring := incidents.Identified, incidents.Monitoring
	for _, c := range []incidents.Change{
		{Status: &identified, Body: ptr("A bad deploy. See [the changelog](https://example.com/changes).")},
		{Status: &identified, Body: ptr("Rolling back **now**.")},
		{Status: &monitoring, Body: ptr("Error rates are _falling_.")},
	} {
		f.now = f.now.Add(10 * time.Minute)
		var err error
		if in, err = f.incs.Update(ctx, in.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if len(in.Updates) != 4 {
		t.Fatalf("%d updates, want 4", len(in.Updates))
	}
	// The email about the third update (the second "Identified"), as a
	// delivery delayed past the fourth would render it.
	u := in.Updates[1]
	ev := &notifier.Event{ID: 3, Kind: notifier.IncidentUpdated, IncidentID: in.ID, UpdateID: u.ID}
	msg := f.render(t, notifier.Delivery{ID: 3, EventID: 3, Event: ev, SubscriberID: alice.ID, Channel: notifier.Email, Purpose: notifier.PurposeEvent})
	text, html := msg.TextBody(), msg.HTMLBody()

	if got, want := msg.Subject, "[Acme] API errors"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if !strings.HasPrefix(text, "Identified: API errors\n") {
		t.Errorf("the text part does not lead with the status:\n%s", text)
	}
	if !strings.Contains(html, ">Identified – Rolling back now.</div>") {
		t.Errorf("the HTML part lacks the preheader leading with the status:\n%s", html)
	}
	// Latest first, from the event's update down; the later one is not
	// told yet.
	order := []string{"Update – Mar 10, 2026 - 12:20 UTC\nRolling back now.",
		"Identified – Mar 10, 2026 - 12:10 UTC\nA bad deploy. See the changelog (https://example.com/changes).",
		"Investigating – Mar 10, 2026 - 12:00 UTC\nWe are investigating."}
	last := -1
	for _, want := range order {
		i := strings.Index(text, want)
		if i < 0 || i < last {
			t.Errorf("the text part lacks %q after the later updates:\n%s", want, text)
		}
		last = i
	}
	if strings.Contains(text, "falling") || strings.Contains(html, "falling") {
		t.Errorf("the email tells an update posted after its own")
	}
	if strings.Contains(text, "**") || strings.Contains(text, "](") {
		t.Errorf("the text part shows raw Markdown:\n%s", text)
	}
	for _, want := range []string{"<strong>now</strong>", `href="https://example.com/changes"`, "<strong>Update</strong>", "<strong>Investigating</strong>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML part lacks %q", want)
		}
	}
	if !strings.Contains(text, "\n-- \nYou receive this because you subscribed to updates from Acme.") {
		t.Errorf("the text part lacks the signature separator \"-- \" and the reason:\n%s", text)
	}
	// The SMS still says "Update" for an update that kept its status.
	if got := f.r.Render(ctx, []notifier.Delivery{{ID: 4, EventID: 3, Event: ev, SubscriberID: alice.ID, Channel: notifier.SMS, Purpose: notifier.PurposeEvent}})[0]; got.Err != nil || !strings.Contains(got.Message.Text, "API errors - Update.") {
		t.Errorf("SMS %q (%v)", got.Message.Text, got.Err)
	}
}

// TestConfirmationDoesNotClaimASubscription checks that the emails asking
// to confirm say the address is not subscribed yet, and never that the
// person subscribed.
func TestConfirmationDoesNotClaimASubscription(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	bob := f.subscribe(t, "mode,address\nemail,bob@example.com\n", true)["bob@example.com"]
	msg := f.render(t, notifier.Delivery{ID: 1, SubscriberID: bob.ID, Channel: notifier.Email, Purpose: notifier.PurposeConfirm})
	for _, part := range []string{msg.TextBody(), msg.HTMLBody()} {
		if strings.Contains(part, "you subscribed") {
			t.Errorf("the confirmation claims a subscription:\n%s", part)
		}
	}
	if !strings.Contains(msg.HTMLBody(), "It is not subscribed unless you confirm.") {
		t.Errorf("the confirmation's footer does not say the address is not subscribed yet:\n%s", msg.HTMLBody())
	}
}

// TestPostmortemEmailAndLongStory checks a postmortem's email: it leads
// with the postmortem, then tells the updates latest first, at most
// maxStory entries in all, and says how many more the incident page has.
func TestPostmortemEmailAndLongStory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API errors")
	resolved := incidents.Resolved
	for i := range 15 {
		f.now = f.now.Add(time.Minute)
		c := incidents.Change{Body: ptr(fmt.Sprintf("Progress note %d.", i+1))}
		if i == 14 {
			c.Status, c.Body = &resolved, ptr("All fixed.")
		}
		var err error
		if in, err = f.incs.Update(ctx, in.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.incs.SetPostmortem(ctx, in.ID, "## What happened\n\nA **bad** deploy."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.incs.PublishPostmortem(ctx, in.ID, incidents.Publication{NotifySubscribers: true}); err != nil {
		t.Fatal(err)
	}
	ev := &notifier.Event{ID: 9, Kind: notifier.PostmortemPublished, IncidentID: in.ID, CreatedAt: f.now}
	msg := f.render(t, notifier.Delivery{ID: 9, EventID: 9, Event: ev, SubscriberID: alice.ID, Channel: notifier.Email, Purpose: notifier.PurposeEvent})
	text := msg.TextBody()
	if got, want := msg.Subject, "[Acme] API errors"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if !strings.HasPrefix(text, "Postmortem: API errors\n\nPostmortem – ") || !strings.Contains(text, "What happened\n\nA bad deploy.\n\nResolved – ") {
		t.Errorf("the postmortem does not lead, followed by the resolution:\n%s", text)
	}
	// The postmortem, the resolution and notes 14 down to 5: 12 entries.
	if !strings.Contains(text, "Progress note 5.") || strings.Contains(text, "Progress note 4.") {
		t.Errorf("the story is not cut after %d entries:\n%s", maxStory, text)
	}
	if !strings.Contains(text, "\n5 earlier updates on the incident page.\n") {
		t.Errorf("the email does not count the updates left out:\n%s", text)
	}
	if html := msg.HTMLBody(); !strings.Contains(html, "<h2>What happened</h2>") || !strings.Contains(html, ">5 earlier updates on the <a href=\"https://status.example.com/incidents/"+in.ID) {
		t.Errorf("the HTML part lacks the postmortem or the count of updates left out")
	}
}
