package messages

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chattest"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// chatHooks are a webhook URL on each platform, as the platforms shape
// them.
var chatHooks = map[notifier.Channel]string{
	notifier.Slack:      "https://hooks.slack.com/services/T0/B0/x",
	notifier.Teams:      "https://prod-1.westus.logic.azure.com/workflows/w/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s",
	notifier.Discord:    "https://discord.com/api/webhooks/1/t",
	notifier.Mattermost: "https://mm.example.com/hooks/h",
	notifier.GoogleChat: "https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t",
}

// chatSubscribers imports one active subscriber per platform, and a
// second Slack one.
func (f *fixture) chatSubscribers(tb testing.TB) map[string]subscribers.Subscriber {
	tb.Helper()
	csv := "mode,address\n"
	for ch, u := range chatHooks {
		csv += string(ch) + ",\"" + u + "\"\n"
	}
	csv += "slack,https://hooks.slack.com/services/T0/B0/second\n"
	return f.subscribe(tb, csv, false)
}

// hostileIncident opens an incident whose name, components and text hold
// everything a chat platform could misread, and a text longer than any
// platform shows.
func (f *fixture) hostileIncident(tb testing.TB, bodyLen, comps int) incidents.Incident {
	tb.Helper()
	ctx := context.Background()
	set := map[string]components.Status{}
	for i := range comps {
		c, err := f.comps.Create(ctx, components.Input{Name: ptr(fmt.Sprintf("Comp %02d <!channel> & *x*", i))})
		if err != nil {
			tb.Fatal(err)
		}
		set[c.ID] = components.MajorOutage
	}
	body := "**Bold** _it_ <@U123> @everyone [link](https://example.com/a?b=1&c=2) <script>x</script>\n\n" +
		"* one\n* two\n\n```\ncode <here>\n```\n\n"
	for utf8.RuneCountInString(body) < bodyLen {
		body += "Paragraph é & <x> with *marks* and `code`. " + strings.Repeat("word ", 30) + "\n\n"
	}
	name := []rune("API <down> & *out* @here " + strings.Repeat("long ", 60))[:255] // the longest name there is
	in, err := f.incs.Create(ctx, incidents.NewIncident{Name: string(name), Body: body, Components: set})
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// TestChatMessagesFitThePlatforms renders an incident to every platform,
// short and hostile, long and wide, and checks each message against the
// platform's documented schema and limits (chattest.Validate) and that it
// tells what it must: the page, the incident and its link, the status,
// the subscriber's working links.
func TestChatMessagesFitThePlatforms(t *testing.T) {
	for _, shape := range []struct {
		name            string
		bodyLen, comps  int
		wantWholeBodyIn []notifier.Channel
	}{
		{"short", 0, 2, []notifier.Channel{notifier.Slack, notifier.Discord, notifier.Mattermost, notifier.Teams, notifier.GoogleChat}},
		{"long and wide", 24_000, 60, nil},
	} {
		t.Run(shape.name, func(t *testing.T) {
			f := newFixture(t, "https://status.example.com")
			subs := f.chatSubscribers(t)
			in := f.hostileIncident(t, shape.bodyLen, shape.comps)
			for ch, hook := range chatHooks {
				sub := subs[hook]
				msg := f.render(t, created(in, sub, 1))
				if problems := chattest.Validate(ch, msg.Body); len(problems) > 0 {
					t.Errorf("%s: %v\n%s", ch, problems, msg.Body)
					continue
				}
				body := string(msg.Body)
				for _, want := range []string{"Acme", "https://status.example.com/incidents/" + in.ID, "Investigating", "Comp "} {
					if !strings.Contains(body, want) {
						t.Errorf("%s: the message does not say %q", ch, want)
					}
				}
				// Teams reads no mention or HTML in a card's text: "<" stays
				// as it is there.
				if strings.Contains(body, "<script>") || ch != notifier.Teams && (strings.Contains(body, "<!channel>") || strings.Contains(body, "<@U123>")) {
					t.Errorf("%s: markup from the update reached the message unescaped:\n%s", ch, body)
				}
				unsub := regexp.MustCompile(`https://status\.example\.com/unsubscribe/([A-Za-z0-9._-]+)`).FindStringSubmatch(body)
				if unsub == nil {
					t.Fatalf("%s: no unsubscribe link in %s", ch, body)
				}
				if got, err := f.subs.ByToken(context.Background(), subscribers.PurposeUnsubscribe, unsub[1]); err != nil || got.ID != sub.ID {
					t.Errorf("%s: the unsubscribe link names %v (%v), want %s", ch, got.ID, err, sub.ID)
				}
				if ch == notifier.GoogleChat {
					u, _ := url.Parse(msg.To)
					if q := u.Query(); q.Get("threadKey") != "incident-"+in.ID || q.Get("key") != "k" || q.Get("token") != "t" {
						t.Errorf("google chat address %s, want the webhook's key and token and the incident's thread", msg.To)
					}
				} else if msg.To != hook {
					t.Errorf("%s: sent to %s, want %s", ch, msg.To, hook)
				}
			}
		})
	}
}

// TestChatDiscordUsesItsRoom fills Discord's 6,000 characters without
// going over, and pings no one. The page's long address makes the links'
// field long: with the description's own 4,096, the embed would not fit.
func TestChatDiscordUsesItsRoom(t *testing.T) {
	f := newFixture(t, "https://status.example.com/"+strings.Repeat("long-path/", 30))
	sub := f.chatSubscribers(t)[chatHooks[notifier.Discord]]
	in := f.hostileIncident(t, 24_000, 60)
	msg := f.render(t, created(in, sub, 1))
	var m struct {
		AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
		Embeds          []struct {
			Title, Description string
			Author             struct{ Name string }
			Fields             []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal(msg.Body, &m); err != nil || len(m.Embeds) != 1 {
		t.Fatalf("%v: %s", err, msg.Body)
	}
	if m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions.parse %v, want []", m.AllowedMentions.Parse)
	}
	e := m.Embeds[0]
	total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description) + utf8.RuneCountInString(e.Author.Name)
	for _, fl := range e.Fields {
		total += utf8.RuneCountInString(fl.Name) + utf8.RuneCountInString(fl.Value)
	}
	// The holes kept room for tokens of 200 characters; real ones are
	// shorter, so a little of the 6,000 is left.
	if total > 6000 || total < 5500 || !strings.HasSuffix(e.Description, "…") {
		t.Errorf("embed of %d characters (description ends %q), want up to 6,000, nearly all used, cut with …", total, tail(e.Description))
	}
	if e.Title != in.Name {
		t.Errorf("title %q, want the name whole: %q", e.Title, in.Name)
	}
	if len(e.Fields) != 2 || !strings.HasSuffix(e.Fields[0].Value, "more") {
		t.Errorf("fields %+v, want the components (the rest counted) and the links", e.Fields)
	}
}

// TestChatSlackSplitsLongText writes a long update in several sections of
// at most 3,000 characters.
func TestChatSlackSplitsLongText(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	sub := f.chatSubscribers(t)[chatHooks[notifier.Slack]]
	msg := f.render(t, created(f.hostileIncident(t, 12_000, 3), sub, 1))
	var m struct {
		Blocks []struct {
			Type string
			Text struct{ Text string }
		}
	}
	if err := json.Unmarshal(msg.Body, &m); err != nil {
		t.Fatal(err)
	}
	sections := 0
	for _, b := range m.Blocks {
		if b.Type == "section" {
			sections++
		}
	}
	if sections < 5 || len(m.Blocks) > 50 {
		t.Errorf("%d sections in %d blocks, want the text in several (and the components), at most 50 blocks", sections, len(m.Blocks))
	}
}

// TestChatLayoutIsTheFullRendering fills the event's layout with two
// subscribers' tokens: each message is what writing it whole with their
// links gives, and the layout is made once.
func TestChatLayoutIsTheFullRendering(t *testing.T) {
	f := newFixture(t, "https://status.example.com/a?b=1&c=<2>")
	subs := f.chatSubscribers(t)
	in := f.hostileIncident(t, 0, 2)
	first := subs[chatHooks[notifier.Slack]]
	second := subs["https://hooks.slack.com/services/T0/B0/second"]
	out := f.r.Render(context.Background(), []notifier.Delivery{created(in, first, 1), created(in, second, 1)})
	ev, ok := f.r.cur.views[viewKey{1, i18n.Source}]
	if !ok || ev == nil || len(ev.chat.by) != 1 || ev.chat.by[notifier.Slack].body == nil {
		t.Fatalf("no Slack layout kept for the event: %+v", ev)
	}
	for i, sub := range []subscribers.Subscriber{first, second} {
		if out[i].Err != nil {
			t.Fatal(out[i].Err)
		}
		manage := url.QueryEscape(f.subs.Link(subscribers.PurposeManage, sub.ID))
		unsub := url.PathEscape(f.subs.Link(subscribers.PurposeUnsubscribe, sub.ID))
		want, err := f.r.chatPayload(notifier.Slack, eventChat(ev), chatLinks{Manage: f.r.cfg.BaseURL + manageLinkPath + manage,
			Unsubscribe: f.r.cfg.BaseURL + unsubscribeLinkPath + unsub})
		if err != nil {
			t.Fatal(err)
		}
		if string(out[i].Message.Body) != string(want) {
			t.Errorf("subscriber %d: from the layout\n%s\nwritten whole\n%s", i, out[i].Message.Body, want)
		}
	}
	if string(out[0].Message.Body) == string(out[1].Message.Body) {
		t.Error("two subscribers got the same links")
	}
}

// TestChatTestMessage is the message that confirms a chat subscription:
// valid on every platform, naming the page and what it will hear about.
func TestChatTestMessage(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	csv := "mode,address,components\n"
	ctx := context.Background()
	c, err := f.comps.Create(ctx, components.Input{Name: ptr("API & <Edge>")})
	if err != nil {
		t.Fatal(err)
	}
	for ch, u := range chatHooks {
		csv += string(ch) + ",\"" + u + "\"," + c.ID + "\n"
	}
	subs := f.subscribe(t, csv, true)
	for ch, u := range chatHooks {
		sub := subs[u]
		msg := f.render(t, notifier.Delivery{ID: 1, SubscriberID: sub.ID, Channel: ch, Purpose: notifier.PurposeConfirm})
		if problems := chattest.Validate(ch, msg.Body); len(problems) > 0 {
			t.Errorf("%s: %v\n%s", ch, problems, msg.Body)
		}
		if body := string(msg.Body); !strings.Contains(body, "Subscribed to Acme") || !strings.Contains(body, "API") ||
			!strings.Contains(body, "https://status.example.com/unsubscribe/") {
			t.Errorf("%s: %s, want the page, the component and an unsubscribe link", ch, body)
		}
		if msg.To != u {
			t.Errorf("%s: to %s, want %s", ch, msg.To, u)
		}
	}
}

func tail(s string) string {
	r := []rune(s)
	return string(r[max(0, len(r)-20):])
}
