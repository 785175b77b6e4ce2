package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/chattest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
)

// Chat subscribers through the whole app: signed up on the public form,
// as JSON and through the management API, confirmed by a test message,
// told of every update of an incident on their component in their
// platform's format, quarantined when their webhook is deleted, and
// patient when a platform asks them to wait. Every platform is a
// chattest stand-in on loopback, which checks each message against the
// platform's documented schema and limits.

// TestNotifyChat runs its steps in order on one app that allows private
// addresses, so that the stand-ins on loopback can be reached.
func TestNotifyChat(t *testing.T) {
	n := ntNew(t)
	s := &ntChatSteps{n: n, chat: chattest.Start(t), api: n.component("API"), web: n.component("Web"), hooks: map[string]string{}}
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"sign-ups are confirmed by a test message", s.confirmed},
		{"one message per update to the component's subscribers", s.incident},
		{"a deleted webhook quarantines", s.deleted},
		{"a rate limit delays, then the message goes", s.rateLimited},
	} {
		if !t.Run(step.name, step.run) {
			return
		}
	}
}

// ntChatSteps is what TestNotifyChat's steps share.
type ntChatSteps struct {
	n        *ntEnv
	chat     *chattest.Server
	api, web string // components
	// hooks are the stand-ins' URLs by name: one per platform for API
	// ("slack", …), and "slack-web" for a Slack channel of Web.
	hooks map[string]string
	ids   map[string]string // subscriber ids by hook name
	mark  int
}

// received returns the stand-ins' requests since the last call, by hook
// name, failing the test on any message a platform would refuse.
func (s *ntChatSteps) received(t *testing.T) map[string][]chattest.Request {
	t.Helper()
	s.n.round()
	names := map[string]string{}
	for name, u := range s.hooks {
		for _, ch := range notifier.Chats {
			if strings.HasPrefix(name, string(ch)) && s.chat.Hook(ch, name) == u {
				names[string(ch)+":"+name] = name
			}
		}
	}
	out := map[string][]chattest.Request{}
	for _, r := range s.chat.Received(s.mark) {
		if len(r.Problems) > 0 {
			t.Errorf("%s: the platform would refuse the message: %v\n%s", r.Hook, r.Problems, r.Body)
		}
		out[names[r.Hook]] = append(out[names[r.Hook]], r)
	}
	s.mark = s.chat.Count()
	return out
}

// counts is how many requests each hook got.
func counts(got map[string][]chattest.Request) map[string]int {
	out := map[string]int{}
	for k, v := range got {
		out[k] = len(v)
	}
	return out
}

// confirmed signs a channel up on each platform: on the public form (the
// chat way) for Slack, Teams and Discord, as JSON for Mattermost, through
// the management API for Google Chat and for a second Slack channel, of
// Web. Each test message arrives, valid, and confirms its subscriber.
func (s *ntChatSteps) confirmed(t *testing.T) {
	n := s.n
	for _, ch := range notifier.Chats {
		s.hooks[string(ch)] = s.chat.Hook(ch, string(ch))
	}
	s.hooks["slack-web"] = s.chat.Hook(notifier.Slack, "slack-web")
	for _, p := range []string{"slack", "teams", "discord"} {
		res := n.form("/subscribe", url.Values{"mode": {"chat"}, "platform": {p}, "chat_endpoint": {s.hooks[p]}, "component_ids[]": {s.api}})
		if res.Status != 202 {
			t.Fatalf("form sign-up of %s: status %d", p, res.Status)
		}
	}
	if res := n.do("POST", "/subscribe", map[string]any{"mode": "mattermost", "endpoint": s.hooks["mattermost"], "component_ids": []string{s.api}}); res.Status != 202 {
		t.Fatalf("JSON sign-up of mattermost: status %d, body %s", res.Status, res.Body)
	}
	for name, comp := range map[string]string{"google_chat": s.api, "slack-web": s.web} {
		mode := strings.TrimSuffix(name, "-web")
		n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{"mode": mode, "endpoint": s.hooks[name], "component_ids": []string{comp}}})
	}
	s.ids = map[string]string{}
	for _, ch := range notifier.Chats {
		var subs []statuspage.Subscriber
		n.mustAPI(200, "GET", "/subscribers?state=unconfirmed&type="+string(ch), nil).JSON(t, &subs)
		for _, sub := range subs {
			for name, u := range s.hooks {
				if sub.Endpoint != nil && *sub.Endpoint == u {
					s.ids[name] = sub.ID
				}
			}
		}
	}
	if len(s.ids) != 6 {
		t.Fatalf("unconfirmed chat subscribers %v, want the 6 signed up", s.ids)
	}

	got := s.received(t)
	ntWant(t, "test messages", counts(got), map[string]int{"slack": 1, "teams": 1, "discord": 1, "mattermost": 1, "google_chat": 1, "slack-web": 1})
	for name, reqs := range got {
		if len(reqs) == 1 && (reqs[0].Status >= 300 || !strings.Contains(string(reqs[0].Body), "Subscribed to "+ntPageName)) {
			t.Errorf("%s: test message answered %d: %s", name, reqs[0].Status, reqs[0].Body)
		}
	}
	for name, id := range s.ids {
		if st := n.state(id); st != "active" {
			t.Errorf("%s after its test message: %s, want active", name, st)
		}
	}
	var count map[string]int
	n.mustAPI(200, "GET", "/subscribers/count", nil).JSON(t, &count)
	if count["slack"] != 2 || count["teams"] != 1 || count["google_chat"] != 1 {
		t.Errorf("count %v, want 2 slack, 1 teams, 1 google_chat", count)
	}
}

// incident opens, updates and resolves an incident on API: each API
// channel gets one message per update, in its platform's format; the
// channel of Web gets none.
func (s *ntChatSteps) incident(t *testing.T) {
	n := s.n
	apiOnly := map[string]int{"slack": 1, "teams": 1, "discord": 1, "mattermost": 1, "google_chat": 1}
	id := n.incident(map[string]any{"name": "API errors", "body": "We are **investigating** errors on `/v1`.",
		"components": map[string]string{s.api: "major_outage"}})
	steps := []struct {
		what string
		do   func()
		say  string
	}{
		{"created", func() {}, "investigating"},
		{"updated", func() { n.patch(id, map[string]any{"status": "identified", "body": "A bad deploy; rolling back."}) }, "rolling back"},
		{"resolved", func() { n.patch(id, map[string]any{"status": "resolved", "body": "Fixed."}) }, "Fixed."},
	}
	threads := map[string]bool{}
	for _, step := range steps {
		step.do()
		got := s.received(t)
		ntWant(t, step.what, counts(got), apiOnly)
		for name, reqs := range got {
			for _, r := range reqs {
				body := string(r.Body)
				if r.Status >= 300 || !strings.Contains(body, "API errors") || !strings.Contains(body, step.say) ||
					!strings.Contains(body, ntBaseURL+"/incidents/"+id) {
					t.Errorf("%s, %s: answered %d, body %s; want the incident, its update and its link", step.what, name, r.Status, body)
				}
				if name == "google_chat" {
					threads[r.Query.Get("threadKey")] = true
				}
			}
		}
	}
	if len(threads) != 1 || !threads["incident-"+id] {
		t.Errorf("Google Chat threads %v, want the incident's one", threads)
	}
	counts, _ := n.channelStats(id, 0, notifier.Slack)
	if counts.Sent != 1 || counts.Failed != 0 {
		t.Errorf("slack counts of the creation %+v, want 1 sent", counts)
	}
}

// deleted answers 404 from Slack's and Mattermost's webhooks, as for a
// deleted webhook: both subscribers are quarantined at once and hear
// nothing more.
func (s *ntChatSteps) deleted(t *testing.T) {
	n := s.n
	s.chat.Fail(s.hooks["slack"], chattest.Gone)
	s.chat.Fail(s.hooks["mattermost"], chattest.Gone)
	id := n.incident(map[string]any{"name": "Second", "body": "x", "components": map[string]string{s.api: "degraded_performance"}})
	ntWant(t, "the failing message", counts(s.received(t)), map[string]int{"slack": 1, "teams": 1, "discord": 1, "mattermost": 1, "google_chat": 1})
	for _, name := range []string{"slack", "mattermost"} {
		if st := n.state(s.ids[name]); st != "quarantined" {
			t.Errorf("%s after a 404: %s, want quarantined", name, st)
		}
	}
	if st := n.state(s.ids["teams"]); st != "active" {
		t.Errorf("teams: %s, want active", st)
	}
	n.patch(id, map[string]any{"status": "resolved", "body": "y"})
	ntWant(t, "after the quarantine", counts(s.received(t)), map[string]int{"teams": 1, "discord": 1, "google_chat": 1})
}

// rateLimited answers 429 from Teams (Retry-After: 600) and Discord
// (Retry-After and retry_after: 600): no retry within the backoff's 30
// seconds, nor after five minutes; the message goes once ten have passed,
// and the subscribers stay active.
func (s *ntChatSteps) rateLimited(t *testing.T) {
	n := s.n
	s.chat.Fail(s.hooks["teams"], chattest.RateLimited(600))
	s.chat.Fail(s.hooks["discord"], chattest.RateLimited(600))
	n.incident(map[string]any{"name": "Third", "body": "x", "components": map[string]string{s.api: "partial_outage"}})
	got := s.received(t)
	ntWant(t, "the first attempt", counts(got), map[string]int{"teams": 1, "discord": 1, "google_chat": 1})
	for _, name := range []string{"teams", "discord"} {
		if len(got[name]) == 1 && got[name][0].Status != 429 {
			t.Errorf("%s answered %d, want 429", name, got[name][0].Status)
		}
	}
	for _, wait := range []time.Duration{time.Minute, 4 * time.Minute} {
		n.clock.Advance(wait)
		ntWant(t, fmt.Sprintf("within the wait, after %s more", wait), counts(s.received(t)), nil)
	}
	n.clock.Advance(6 * time.Minute)
	got = s.received(t)
	ntWant(t, "after the wait", counts(got), map[string]int{"teams": 1, "discord": 1})
	for name, reqs := range got {
		if len(reqs) == 1 && reqs[0].Status >= 300 {
			t.Errorf("%s on the retry: %d", name, reqs[0].Status)
		}
		if st := n.state(s.ids[name]); st != "active" {
			t.Errorf("%s after a rate limit: %s, want active", name, st)
		}
	}
}

// TestNotifyChatAddressPolicy signs a chat channel up on an app that
// refuses private addresses: the loopback URL is refused on the form and
// through the API, nothing is stored and nothing is sent.
func TestNotifyChatAddressPolicy(t *testing.T) {
	chat := chattest.Start(t)
	n := ntNew(t, func(c *Config) { c.WebhookAllowPrivate = false })
	hook := chat.Hook(notifier.Slack, "private")
	res := n.form("/subscribe", url.Values{"mode": {"chat"}, "platform": {"slack"}, "chat_endpoint": {hook}})
	if res.Status != 422 || !ntFieldMarked(res.Body, "chat_endpoint") || !strings.Contains(string(res.Body), "private address") {
		t.Errorf("form: status %d, want 422 with the URL field marked and the refusal said", res.Status)
	}
	res = n.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"mode": "discord", "endpoint": chat.Hook(notifier.Discord, "private")}})
	if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"endpoint"`) {
		t.Errorf("API: %d %s, want 422 on endpoint", res.Status, res.Body)
	}
	var count map[string]int
	n.mustAPI(200, "GET", "/subscribers/count?state=all", nil).JSON(t, &count)
	if count["slack"] != 0 || count["discord"] != 0 {
		t.Errorf("count %v after refusals, want no chat subscriber", count)
	}
	n.round()
	if got := chat.Count(); got != 0 {
		t.Errorf("%d requests reached the stand-in", got)
	}
}
