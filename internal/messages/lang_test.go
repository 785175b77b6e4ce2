package messages

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chattest"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/i18n/i18ntest"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/subscribers"
)

// speak gives subscribers the languages of langs, by id; the others follow
// the page's.
func (f *fixture) speak(tb testing.TB, langs map[string]string) {
	tb.Helper()
	for id, code := range langs {
		if _, err := f.subs.Update(context.Background(), id, subscribers.Change{Language: &code}); err != nil {
			tb.Fatal(err)
		}
	}
}

// speakAll gives every subscriber the language code.
func (f *fixture) speakAll(tb testing.TB, code string) {
	tb.Helper()
	list, err := f.subs.List(context.Background(), subscribers.Filter{Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	langs := map[string]string{}
	for _, s := range list {
		langs[s.ID] = code
	}
	f.speak(tb, langs)
}

// setPageLanguage makes code the page's language.
func (f *fixture) setPageLanguage(tb testing.TB, code string) {
	tb.Helper()
	if _, err := f.comps.UpdatePage(context.Background(), components.PageInput{Language: &code}); err != nil {
		tb.Fatal(err)
	}
}

// story is an incident and a maintenance with an event of every kind that
// reaches email, SMS and chat subscribers.
type story struct {
	incident, maintenance incidents.Incident
	events                []*notifier.Event
}

// newStory opens an incident through its updates to a published
// postmortem, and a maintenance from scheduled to completed, in staff
// text that no catalogue holds ("Zeta"): what is English in a message
// then comes from the catalogue.
func (f *fixture) newStory(tb testing.TB) story {
	tb.Helper()
	ctx := context.Background()
	c, err := f.comps.Create(ctx, components.Input{Name: ptr("Zeta")})
	if err != nil {
		tb.Fatal(err)
	}
	var s story
	id := int64(0)
	event := func(kind notifier.EventKind, in incidents.Incident, u int) {
		id++
		e := &notifier.Event{ID: id, Kind: kind, IncidentID: in.ID, CreatedAt: f.now}
		if u >= 0 {
			e.UpdateID = in.Updates[u].ID
		}
		s.events = append(s.events, e)
	}
	in, err := f.incs.Create(ctx, incidents.NewIncident{Name: "Zeta 502", Body: "**502** zeta.",
		Components: map[string]components.Status{c.ID: components.MajorOutage}})
	if err != nil {
		tb.Fatal(err)
	}
	event(notifier.IncidentCreated, in, 0)
	identified, resolved := incidents.Identified, incidents.Resolved
	for _, ch := range []incidents.Change{{Status: &identified, Body: ptr("Zeta 1.")}, {Status: &identified, Body: ptr("Zeta 2.")},
		{Status: &resolved, Body: ptr("Zeta 3."), Components: map[string]components.Status{c.ID: components.Operational}}} {
		f.now = f.now.Add(10 * time.Minute)
		if in, err = f.incs.Update(ctx, in.ID, ch); err != nil {
			tb.Fatal(err)
		}
	}
	event(notifier.IncidentUpdated, in, 2)  // changed the status
	event(notifier.IncidentUpdated, in, 1)  // kept it: "Update"
	event(notifier.IncidentResolved, in, 0) // the latest
	if _, err := f.incs.SetPostmortem(ctx, in.ID, "## Zeta\n\nZeta."); err != nil {
		tb.Fatal(err)
	}
	if in, err = f.incs.PublishPostmortem(ctx, in.ID, incidents.Publication{NotifySubscribers: true}); err != nil {
		tb.Fatal(err)
	}
	event(notifier.PostmortemPublished, in, -1)
	s.incident = in

	from, until := f.now.Add(24*time.Hour), f.now.Add(26*time.Hour)
	m, err := f.incs.Create(ctx, incidents.NewIncident{Name: "Zeta upgrade", Body: "Zeta 4.", ComponentIDs: []string{c.ID},
		ScheduledFor: &from, ScheduledUntil: &until})
	if err != nil {
		tb.Fatal(err)
	}
	event(notifier.MaintenanceScheduled, m, 0)
	event(notifier.MaintenanceReminder, m, 0)
	inProgress, completed := incidents.InProgress, incidents.Completed
	for _, ch := range []incidents.Change{{Status: &inProgress, Body: ptr("Zeta 5.")}, {Status: &inProgress, Body: ptr("Zeta 6.")},
		{Status: &completed, Body: ptr("Zeta 7.")}} {
		f.now = f.now.Add(10 * time.Minute)
		if m, err = f.incs.Update(ctx, m.ID, ch); err != nil {
			tb.Fatal(err)
		}
	}
	event(notifier.MaintenanceStarted, m, 2)
	event(notifier.MaintenanceUpdated, m, 1)
	event(notifier.MaintenanceCompleted, m, 0)
	s.maintenance = m
	return s
}

// readText is what a person reads of a message: its subject, the text
// of its HTML body, its plain text and its chat payload's strings.
func readText(t *testing.T, m notifier.Message) string {
	t.Helper()
	parts := []string{m.Subject, m.TextBody(), m.Text}
	if h := m.HTMLBody(); h != "" {
		parts = append(parts, i18ntest.Readable(t, []byte(h)))
	}
	if len(m.Body) > 0 {
		parts = append(parts, i18ntest.JSONText(t, m.Body))
	}
	return strings.Join(parts, "\n")
}

// messageText is everything a message holds, markup included.
func messageText(m notifier.Message) string {
	return strings.Join([]string{m.Subject, m.HTMLBody(), m.TextBody(), m.Text, string(m.Body)}, "\n")
}

// eventChannels are the channels an incident's event reaches with words
// (webhooks carry Statuspage's English values: TestWebhooksInEveryLanguage).
var eventChannels = []notifier.Channel{notifier.Email, notifier.SMS, notifier.Slack, notifier.Teams, notifier.Discord,
	notifier.Mattermost, notifier.GoogleChat}

// TestEveryMessageInEveryLanguage renders every message kind — each event
// kind on email, SMS and each chat platform, the confirmations by email,
// SMS and chat, the manage email, the follow confirmations by email and
// SMS — in every language: no missing translation, no template hole, no
// English left (i18ntest.NoLeak), and in every language but English a
// message that differs from English's; chat messages valid on their
// platform and SMS within two segments.
func TestEveryMessageInEveryLanguage(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	f.subscribe(t, "mode,address\nemail,a@example.com\nsms,+14155550100\n"+chatCSV(""), false)
	subs := f.subscribe(t, "mode,address\nemail,p@example.com\nsms,+14155550101\n"+chatCSV("/pending"), true)
	active := func(ch notifier.Channel) subscribers.Subscriber { return byChannel(t, subs, ch, subscribers.Active) }
	pending := func(ch notifier.Channel) subscribers.Subscriber {
		return byChannel(t, subs, ch, subscribers.Unconfirmed)
	}
	s := f.newStory(t)

	type delivery struct {
		name string
		d    notifier.Delivery
	}
	var ds []delivery
	add := func(name string, purpose notifier.Purpose, sub subscribers.Subscriber, e *notifier.Event, data string) {
		d := notifier.Delivery{ID: int64(len(ds) + 1), SubscriberID: sub.ID, Channel: sub.Mode, Purpose: purpose, Data: data}
		if e != nil {
			d.EventID, d.Event = e.ID, e
		}
		ds = append(ds, delivery{name, d})
	}
	for _, e := range s.events {
		for _, ch := range eventChannels {
			add(fmt.Sprintf("%s %d %s", e.Kind, e.ID, ch), notifier.PurposeEvent, active(ch), e, "")
		}
	}
	for _, ch := range eventChannels {
		add("confirm "+string(ch), notifier.PurposeConfirm, pending(ch), nil, "123456")
	}
	add("manage email", notifier.PurposeManage, active(notifier.Email), nil, "")
	add("follow email", notifier.PurposeFollow, active(notifier.Email), nil, s.incident.ID)
	add("follow email maintenance", notifier.PurposeFollow, active(notifier.Email), nil, s.maintenance.ID)
	add("follow sms", notifier.PurposeFollow, active(notifier.SMS), nil, "123456")

	batch := make([]notifier.Delivery, len(ds))
	for i, d := range ds {
		batch[i] = d.d
	}
	cat := f.r.catalogue
	english := map[string]string{}
	for _, lang := range cat.Langs() {
		f.speakAll(t, lang.Code())
		out := f.r.Render(context.Background(), batch)
		for i, d := range ds {
			if out[i].Err != nil {
				t.Errorf("%s %s: %v", lang.Code(), d.name, out[i].Err)
				continue
			}
			msg := out[i].Message
			text := messageText(msg)
			i18ntest.NoLeak(t, lang, i18ntest.Messages, readText(t, msg))
			if lang.Code() == i18n.Source {
				english[d.name] = text
			} else if text == english[d.name] {
				t.Errorf("%s %s: the message is English's:\n%s", lang.Code(), d.name, text)
			}
			switch {
			case d.d.Channel == notifier.SMS:
				if _, n := sms.Segments(msg.Text); n > smsSegments {
					t.Errorf("%s %s: %d segments, want at most %d: %s", lang.Code(), d.name, n, smsSegments, msg.Text)
				}
			case d.d.Channel.Chat():
				if problems := chattest.Validate(d.d.Channel, msg.Body); len(problems) > 0 {
					t.Errorf("%s %s: %v", lang.Code(), d.name, problems)
				}
			case d.d.Channel == notifier.Email:
				if want := `<html lang="` + lang.Code() + `"`; !strings.Contains(msg.HTMLBody(), want) {
					t.Errorf("%s %s: the HTML part lacks %s", lang.Code(), d.name, want)
				}
				if got := strings.Contains(msg.HTMLBody(), ` dir="rtl"`); got != lang.RTL() {
					t.Errorf("%s %s: dir=\"rtl\" in the HTML part: %v, want %v", lang.Code(), d.name, got, lang.RTL())
				}
				if d.name == "follow email" {
					// The name in bold inside the request, quoted in the text.
					before, after := cutAt(lang.F("email.follow_body_incident", "Incident", hole, "Page", "Acme"))
					html, quoted := strings.ReplaceAll(msg.HTMLBody(), "&#39;", "'"), lang.F("email.quoted", "Text", "Zeta 502")
					if !strings.Contains(html, before+"<strong") || !strings.Contains(html, ">Zeta 502</strong>"+after) ||
						!strings.Contains(msg.TextBody(), lang.F("email.follow_body_incident", "Incident", quoted, "Page", "Acme")) {
						t.Errorf("%s %s: the request does not name the incident in bold and quoted:\n%s\n%s", lang.Code(), d.name, html, msg.TextBody())
					}
				}
			}
		}
	}
}

// chatCSV is one chat subscriber per platform, their addresses ending
// with suffix.
func chatCSV(suffix string) string {
	var b strings.Builder
	for _, ch := range eventChannels[2:] {
		fmt.Fprintf(&b, "%s,\"%s\"\n", ch, strings.Replace(chatHooks[ch], "?", suffix+"?", 1)+suffixIfNoQuery(chatHooks[ch], suffix))
	}
	return b.String()
}

func suffixIfNoQuery(u, suffix string) string {
	if strings.Contains(u, "?") {
		return ""
	}
	return suffix
}

// byChannel is the one subscriber of subs on channel ch in state st.
func byChannel(tb testing.TB, subs map[string]subscribers.Subscriber, ch notifier.Channel, st subscribers.State) subscribers.Subscriber {
	tb.Helper()
	var found []subscribers.Subscriber
	for _, s := range subs {
		if s.Mode == ch && s.State == st {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("%d subscribers on %s, want 1", len(found), ch)
	}
	return found[0]
}

// TestFanOutRendersEachLanguageOnce renders two events to a batch of
// subscribers spread over the seven languages on email, SMS and chat: the
// renderer makes one view per event and language (14), whatever the
// number of subscribers, keeps them for the next batch, and each
// subscriber reads its own language; the subscribers of one language share
// the event's email layout.
func TestFanOutRendersEachLanguageOnce(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	var csv strings.Builder
	csv.WriteString("mode,address\n")
	for i := range 42 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&csv, "email,s%d@example.com\n", i)
		case 1:
			fmt.Fprintf(&csv, "sms,+1415555%04d\n", i)
		default:
			fmt.Fprintf(&csv, "slack,https://hooks.slack.com/services/T0/B0/s%d\n", i)
		}
	}
	subs := f.subscribe(t, csv.String(), false)
	codes := f.r.catalogue.Codes()
	langs := map[string]string{}
	var ids []string
	for _, s := range subs {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	seen := map[notifier.Channel]int{}
	for _, id := range ids {
		ch := subsByID(subs)[id].Mode
		langs[id] = codes[seen[ch]%len(codes)] // 6 a language, 2 on each channel
		seen[ch]++
	}
	f.speak(t, langs)
	s := f.newStory(t)
	var batch []notifier.Delivery
	for _, e := range s.events[:2] {
		for _, id := range ids {
			sub := subsByID(subs)[id]
			batch = append(batch, notifier.Delivery{ID: int64(len(batch) + 1), EventID: e.ID, Event: e, SubscriberID: id,
				Channel: sub.Mode, Purpose: notifier.PurposeEvent})
		}
	}

	out := f.r.Render(context.Background(), batch)
	if got, want := f.r.viewsMade.Load(), int64(2*len(codes)); got != want {
		t.Errorf("%d views made for 2 events to %d subscribers in %d languages, want %d", got, len(ids), len(codes), want)
	}
	layouts := map[*notifier.Layout]string{}
	for i, d := range batch {
		if out[i].Err != nil {
			t.Fatal(out[i].Err)
		}
		lang := f.r.catalogue.Get(langs[d.SubscriberID])
		msg := out[i].Message
		var want string
		switch d.Channel {
		case notifier.Email:
			want = lang.T("email.manage_your_subscription")
			if other, ok := layouts[msg.TextLayout]; ok && other != lang.Code() {
				t.Errorf("%s and %s share an email layout", other, lang.Code())
			}
			layouts[msg.TextLayout] = lang.Code()
		case notifier.SMS:
			want = lang.T("sms.status." + string(incidents.Investigating))
			if d.EventID != s.events[0].ID {
				want = lang.T("sms.status." + string(incidents.Identified))
			}
		default:
			want = lang.T("chat.view_incident")
		}
		if !strings.Contains(messageText(msg), want) {
			t.Errorf("subscriber in %s on %s: the message lacks %q:\n%s", lang.Code(), d.Channel, want, messageText(msg))
		}
	}
	if len(layouts) != 2*len(codes) {
		t.Errorf("%d email layouts, want one per event and language (%d)", len(layouts), 2*len(codes))
	}

	// The next batch of the same events reuses the views.
	f.r.Render(context.Background(), batch[:len(batch)/2])
	if got, want := f.r.viewsMade.Load(), int64(2*len(codes)); got != want {
		t.Errorf("after a second batch: %d views made, want still %d", got, want)
	}
}

func subsByID(subs map[string]subscribers.Subscriber) map[string]subscribers.Subscriber {
	out := map[string]subscribers.Subscriber{}
	for _, s := range subs {
		out[s.ID] = s
	}
	return out
}

// TestPageLanguageIsTheDefault checks that a subscriber who chose no
// language reads the page's, and one who chose reads its own.
func TestPageLanguageIsTheDefault(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	subs := f.subscribe(t, "mode,address\nemail,a@example.com\nemail,b@example.com\n", false)
	a, b := subs["a@example.com"], subs["b@example.com"]
	f.speak(t, map[string]string{b.ID: "ja"})
	in := f.incident(t, "Zeta 502")
	cat := f.r.catalogue
	for _, page := range []string{"en", "de", "ar"} {
		f.setPageLanguage(t, page)
		for _, c := range []struct {
			sub  subscribers.Subscriber
			want string
		}{{a, page}, {b, "ja"}} {
			msg := f.render(t, created(in, c.sub, 1))
			if want := cat.Get(c.want).T("email.manage_your_subscription"); !strings.Contains(msg.HTMLBody(), want) {
				t.Errorf("page in %s, subscriber %s: the email lacks %q", page, c.sub.Address, want)
			}
		}
	}
}

// TestWebhooksInEveryLanguage checks that a webhook's payload is the same
// bytes whatever the subscriber's language and the page's: Statuspage's
// English values, which receivers parse.
func TestWebhooksInEveryLanguage(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	hook := f.subscribe(t, "mode,address\nwebhook,https://hooks.example.com/a\n", false)["https://hooks.example.com/a"]
	pending := f.subscribe(t, "mode,address\nwebhook,https://hooks.example.com/b\n", true)["https://hooks.example.com/b"]
	s := f.newStory(t)
	comp := s.incident.ComponentIDs[0]
	var batch []notifier.Delivery
	for _, e := range s.events {
		batch = append(batch, notifier.Delivery{ID: e.ID, EventID: e.ID, Event: e, SubscriberID: hook.ID, Channel: notifier.Webhook,
			Purpose: notifier.PurposeEvent})
	}
	compEvent := &notifier.Event{ID: 99, Kind: notifier.ComponentStatusChanged, ComponentID: comp, OldStatus: "operational",
		NewStatus: "major_outage", CreatedAt: f.now}
	batch = append(batch,
		notifier.Delivery{ID: 99, EventID: 99, Event: compEvent, SubscriberID: hook.ID, Channel: notifier.Webhook, Purpose: notifier.PurposeEvent},
		notifier.Delivery{ID: 100, SubscriberID: pending.ID, Channel: notifier.Webhook, Purpose: notifier.PurposeConfirm})
	render := func() [][]byte {
		var out [][]byte
		for i, r := range f.r.Render(context.Background(), batch) {
			if r.Err != nil {
				t.Fatalf("delivery %d: %v", batch[i].ID, r.Err)
			}
			out = append(out, r.Message.Body)
		}
		return out
	}
	want := render()
	for _, page := range []string{"en", "ar", "ja"} {
		f.setPageLanguage(t, page)
		for _, code := range f.r.catalogue.Codes() {
			f.speakAll(t, code)
			for i, got := range render() {
				if !bytes.Equal(got, want[i]) {
					t.Errorf("page in %s, subscriber in %s, delivery %d: the payload differs from English's:\n got %s\nwant %s",
						page, code, batch[i].ID, got, want[i])
				}
			}
		}
	}
	if !bytes.Contains(want[0], []byte(`"status_description":"All Systems Operational"`)) {
		t.Errorf("the payload lacks the page's status as Statuspage writes it:\n%s", want[0])
	}
}

// TestSMSFitInEveryLanguage renders the code SMS for a page with a
// 40-character name and one with a 255-character name, and an incident's SMS for that page and an
// 80-character incident name with a long update, in every language: each
// within two segments as the encoder counts them (UCS-2 for Japanese and
// Arabic: 134 characters), the code SMS with "STOP", the incident's with
// its link and at least 30 characters of the update.
func TestSMSFitInEveryLanguage(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	page := strings.Repeat("Zeta", 10)
	if _, err := f.comps.UpdatePage(context.Background(), components.PageInput{Name: &page}); err != nil {
		t.Fatal(err)
	}
	phone := f.subscribe(t, "mode,address\nsms,+14155550100\n", false)["+14155550100"]
	pending := f.subscribe(t, "mode,address\nsms,+14155550101\n", true)["+14155550101"]
	ctx := context.Background()
	c, err := f.comps.Create(ctx, components.Input{Name: ptr("Zeta")})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("Zeta zeta 0123456789. ", 30)
	in, err := f.incs.Create(ctx, incidents.NewIncident{Name: strings.Repeat("Zeta 502 ", 9)[:80], Body: body,
		Components: map[string]components.Status{c.ID: components.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range f.r.catalogue.Langs() {
		f.speakAll(t, lang.Code())
		code := f.render(t, notifier.Delivery{ID: 1, SubscriberID: pending.ID, Channel: notifier.SMS, Purpose: notifier.PurposeConfirm, Data: "123456"}).Text
		enc, n := sms.Segments(code)
		if n > smsSegments || !strings.Contains(code, "STOP") || !strings.Contains(code, "123456") || !strings.Contains(code, page) {
			t.Errorf("%s code SMS: %d %s segments: %s; want at most %d, with the code, the page and STOP", lang.Code(), n, enc, code, smsSegments)
		}
		// A page named as long as a name may be: shortened, the code and
		// STOP kept.
		if _, err := f.comps.UpdatePage(ctx, components.PageInput{Name: ptr(strings.Repeat("Zeta ", 51))}); err != nil {
			t.Fatal(err)
		}
		f.speakAll(t, lang.Code())
		code = f.render(t, notifier.Delivery{ID: 1, SubscriberID: pending.ID, Channel: notifier.SMS, Purpose: notifier.PurposeConfirm, Data: "123456"}).Text
		if enc, n := sms.Segments(code); n > smsSegments || !strings.Contains(code, "STOP") || !strings.Contains(code, "123456") || !strings.Contains(code, "Zeta Zeta") {
			t.Errorf("%s code SMS of a 255-character page name: %d %s segments: %s; want at most %d, with the code, the page's name begun and STOP",
				lang.Code(), n, enc, code, smsSegments)
		}
		if _, err := f.comps.UpdatePage(ctx, components.PageInput{Name: &page}); err != nil {
			t.Fatal(err)
		}
		f.speakAll(t, lang.Code())
		text := f.render(t, created(in, phone, 2)).Text
		enc, n = sms.Segments(text)
		if n > smsSegments {
			t.Errorf("%s incident SMS: %d %s segments, want at most %d: %s", lang.Code(), n, enc, smsSegments, text)
		}
		if !strings.HasSuffix(text, "https://status.example.com/incidents/"+in.ID) {
			t.Errorf("%s incident SMS does not end with the incident's link: %s", lang.Code(), text)
		}
		if !strings.Contains(text, body[:smsBodyKeep]) {
			t.Errorf("%s incident SMS keeps less than %d characters of the update: %s", lang.Code(), smsBodyKeep, text)
		}
		if wantGSM := !slices.Contains([]string{"ja", "ar"}, lang.Code()); wantGSM != (enc == sms.GSM7) {
			t.Errorf("%s incident SMS is %s: %s", lang.Code(), enc, text)
		}
	}
}

// TestEmailInGermanAndArabic keeps an incident's email in German and in
// Arabic as golden files: a story longer than an email tells (the count
// of earlier updates and its link), component statuses, the Arabic one
// right to left.
func TestEmailInGermanAndArabic(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API 502")
	for i := range maxStory + 1 {
		f.now = f.now.Add(time.Minute)
		c := incidents.Change{Body: ptr(fmt.Sprintf("Note %d.", i+1))}
		if i == maxStory {
			c.Components = map[string]components.Status{in.ComponentIDs[0]: components.MajorOutage}
		}
		if _, err := f.incs.Update(ctx, in.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	in, err := f.incs.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	ev := &notifier.Event{ID: 1, Kind: notifier.IncidentUpdated, IncidentID: in.ID, UpdateID: in.Updates[0].ID}
	d := notifier.Delivery{ID: 1, EventID: 1, Event: ev, SubscriberID: alice.ID, Channel: notifier.Email, Purpose: notifier.PurposeEvent}
	for _, code := range []string{"de", "ar"} {
		f.speakAll(t, code)
		msg := f.render(t, d)
		golden(t, "incident_"+code+".html", tokens(msg.HTMLBody(), in.ID))
		golden(t, "incident_"+code+".txt", tokens("Subject: "+msg.Subject+"\n\n"+msg.TextBody(), in.ID))
	}
}
