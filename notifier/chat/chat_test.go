package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/chattest"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/webhook"
)

// valid is a message each platform accepts.
var valid = map[notifier.Channel]string{
	notifier.Slack:      `{"text":"x","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"x"}}]}`,
	notifier.Teams:      `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"x"}]}}]}`,
	notifier.Discord:    `{"embeds":[{"title":"x"}]}`,
	notifier.Mattermost: `{"text":"x"}`,
	notifier.GoogleChat: `{"text":"x"}`,
}

func send(t *testing.T, s *Sender, to, body string) *notifier.SendError {
	t.Helper()
	_, err := s.Send(context.Background(), notifier.Message{To: to, Body: []byte(body)})
	if err == nil {
		return nil
	}
	var se *notifier.SendError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *notifier.SendError", err, err)
	}
	return se
}

// TestSendClassifiesAnswers posts to each platform's stand-in and checks
// what each of its answers means for the delivery.
func TestSendClassifiesAnswers(t *testing.T) {
	srv := chattest.Start(t)
	client := webhook.NewClient(webhook.Config{AllowPrivate: true, Timeout: 10 * time.Second})
	for _, p := range notifier.Chats {
		t.Run(string(p), func(t *testing.T) {
			s := New(p, client)
			hook := srv.Hook(p, "h-"+string(p))
			if se := send(t, s, hook, valid[p]); se != nil {
				t.Fatalf("a valid message: %v", se)
			}
			wantRetry := 120 * time.Second
			if p == notifier.GoogleChat {
				wantRetry = defaultRetryAfter // Google sends no Retry-After
			}
			srv.Fail(hook, chattest.RateLimited(120), chattest.ServerError, chattest.Gone)
			if se := send(t, s, hook, valid[p]); se == nil || se.Permanent || se.Gone || se.RetryAfter != wantRetry || se.Code != "429" {
				t.Errorf("rate limited: %+v, want temporary, code 429, RetryAfter %v", se, wantRetry)
			}
			if se := send(t, s, hook, valid[p]); se == nil || se.Permanent || se.Gone {
				t.Errorf("server error: %+v, want temporary", se)
			}
			se := send(t, s, hook, valid[p])
			if se == nil || !se.Permanent || !se.Gone || se.Code != "404" {
				t.Errorf("deleted webhook: %+v, want permanent and gone", se)
			}
			if se != nil && strings.Contains(se.Error(), srv.URL) {
				t.Errorf("the error shows the URL: %v", se)
			}
			se = send(t, s, hook, `{}`)
			if se == nil || !se.Permanent || se.Gone || se.Code != "400" {
				t.Errorf("refused payload: %+v, want permanent, not gone", se)
			}
		})
	}
}

// TestSendReadsPlatformWords keeps the platform's word for a failure in
// the error, and Discord's retry_after when it comes without a header.
func TestSendReadsPlatformWords(t *testing.T) {
	srv := chattest.Start(t)
	client := webhook.NewClient(webhook.Config{AllowPrivate: true})

	slack := New(notifier.Slack, client)
	hook := srv.Hook(notifier.Slack, "archived")
	srv.Fail(hook, chattest.Archived)
	if se := send(t, slack, hook, valid[notifier.Slack]); se == nil || !se.Gone || se.Code != "410" || !strings.HasSuffix(se.Error(), "channel_is_archived") {
		t.Errorf("archived channel: %v", se)
	}
	if se := send(t, slack, hook, `{"text":""}`); se == nil || !strings.HasSuffix(se.Error(), ": invalid_payload") {
		t.Errorf("refused payload: %v, want Slack's invalid_payload", se)
	}

	discord := New(notifier.Discord, client)
	hook = srv.Hook(notifier.Discord, "limited")
	srv.Fail(hook, chattest.RateLimitedBodyOnly(2.25), chattest.Gone)
	if se := send(t, discord, hook, valid[notifier.Discord]); se == nil || se.RetryAfter != 2250*time.Millisecond {
		t.Errorf("retry_after in the body alone: %+v, want RetryAfter 2.25s", se)
	}
	if se := send(t, discord, hook, valid[notifier.Discord]); se == nil || !strings.HasSuffix(se.Error(), "Unknown Webhook (code 10015)") {
		t.Errorf("deleted webhook: %v, want Discord's message and code", se)
	}
}

// TestSendFollowsTheAddressPolicy refuses a loopback hook unless private
// addresses are allowed, before anything reaches it.
func TestSendFollowsTheAddressPolicy(t *testing.T) {
	srv := chattest.Start(t)
	client := webhook.NewClient(webhook.Config{})
	s := New(notifier.Mattermost, client)
	hook := srv.Hook(notifier.Mattermost, "private")
	se := send(t, s, hook, valid[notifier.Mattermost])
	if se == nil || !se.Permanent || se.Gone || !errors.Is(se, webhook.ErrForbiddenAddress) {
		t.Errorf("loopback hook: %+v, want a permanent refusal of the address", se)
	}
	client.SetAllowPrivate(true)
	if se := send(t, s, hook, valid[notifier.Mattermost]); se != nil {
		t.Errorf("once allowed: %v", se)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("%d requests reached the stand-in, want 1", n)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct{ body, want string }{
		{"", ""},
		{"no_service\n", "no_service"},
		{`{"message":"Unknown Webhook","code":10015}`, "Unknown Webhook (code 10015)"},
		{`{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`, "Requested entity was not found."},
		{`{"error":{"code":"WorkflowNotFound","message":"gone"}}`, "gone"},
		{"bad\x1b[31m news", "bad[31m news"},
		{strings.Repeat("x", 500), strings.Repeat("x", maxDetail-1) + "…"},
	}
	for _, tt := range tests {
		if got := explain([]byte(tt.body)); got != tt.want {
			t.Errorf("explain(%.40q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
