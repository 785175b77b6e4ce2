// Package chat delivers notifications to chat platforms' incoming webhooks:
// Slack, Microsoft Teams (a Workflows webhook), Discord, Mattermost and
// Google Chat. The message arrives rendered in the platform's own format
// (internal/messages); a Sender posts it through the webhook package's
// Client, so a chat URL meets the same address policy as a webhook, and
// reads the platform's answer: a deleted webhook (404, 410) is gone for
// good, a rate limit (429 with Retry-After, or Discord's retry_after) says
// when to try again.
package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/webhook"
)

// defaultRetryAfter is the wait after a 408 or 429 that does not say.
const defaultRetryAfter = 30 * time.Second

// maxRetryAfter bounds the wait a platform may ask for.
const maxRetryAfter = time.Hour

// Sender posts messages to one platform's incoming webhooks. It is safe
// for concurrent use.
type Sender struct {
	platform notifier.Channel
	client   *webhook.Client
	now      func() time.Time
}

var _ notifier.Sender = (*Sender)(nil)

// New returns a Sender for platform (one of notifier.Chats) posting
// through client, whose address policy it follows.
func New(platform notifier.Channel, client *webhook.Client) *Sender {
	return &Sender{platform: platform, client: client, now: time.Now}
}

// Send posts m.Body, the platform's JSON message, to the webhook URL m.To.
// Failures are *notifier.SendError:
//   - 404 and 410 (the webhook was deleted, the channel archived) are
//     permanent and Gone: the subscriber is quarantined at once;
//   - 408 and 429 are temporary, with RetryAfter from the Retry-After
//     header or Discord's retry_after, whichever is longer (30s when
//     neither says; at most an hour);
//   - 3xx, 5xx, timeouts and network errors are temporary;
//   - other 4xx (a refused payload), an unusable URL and a refused address
//     are permanent.
//
// Errors carry the platform's own word for the problem ("invalid_payload",
// "Unknown Webhook") but never the URL, whose path is the webhook's secret.
func (s *Sender) Send(ctx context.Context, m notifier.Message) (string, error) {
	ans, err := s.client.Post(ctx, m.To, nil, m.Body)
	if err != nil {
		return "", err
	}
	return "", s.classify(ans)
}

// classify turns an answer into nil or a *notifier.SendError.
func (s *Sender) classify(a webhook.Answer) error {
	code := a.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	status := strconv.Itoa(code)
	err := fmt.Errorf("%s: the webhook answered %s", s.platform, a.Status)
	if detail := explain(a.Body); detail != "" {
		err = fmt.Errorf("%w: %s", err, detail)
	}
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		se := notifier.Permanent(status, err)
		se.Gone = true
		return se
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		se := notifier.Temporary(status, err)
		se.RetryAfter = max(webhook.RetryAfter(a.Header.Get("Retry-After"), s.now(), 0), bodyRetryAfter(a.Body))
		if se.RetryAfter == 0 {
			se.RetryAfter = defaultRetryAfter
		}
		return se
	case code >= 400 && code <= 499:
		return notifier.Permanent(status, err)
	case code >= 300 && code <= 399:
		return notifier.Temporary(status, fmt.Errorf("%w (redirects are not followed)", err))
	}
	se := notifier.Temporary(status, err)
	se.RetryAfter = webhook.RetryAfter(a.Header.Get("Retry-After"), s.now(), 0)
	return se
}

// bodyRetryAfter reads Discord's {"retry_after": seconds} (a float) from a
// 429's body; 0 when there is none.
func bodyRetryAfter(body []byte) time.Duration {
	var v struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &v) != nil || v.RetryAfter <= 0 || math.IsNaN(v.RetryAfter) {
		return 0
	}
	if v.RetryAfter >= maxRetryAfter.Seconds() {
		return maxRetryAfter
	}
	return time.Duration(math.Ceil(v.RetryAfter * float64(time.Second)))
}

// maxDetail bounds the platform's words kept in an error.
const maxDetail = 120

// explain returns what an error body says, in a few printable words:
// Slack's plain-text code ("channel_is_archived"), the message and code of
// Discord's and Mattermost's JSON ("Unknown Webhook (code 10015)"),
// Google's and Teams' error.message.
func explain(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var detail string
	var v struct {
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
		Error   json.RawMessage `json:"error"`
	}
	if body[0] == '{' && json.Unmarshal(body, &v) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		switch {
		case v.Message != "":
			detail = v.Message
			if n, err := strconv.Atoi(string(v.Code)); err == nil {
				detail += " (code " + strconv.Itoa(n) + ")"
			}
		case json.Unmarshal(v.Error, &inner) == nil && inner.Message != "":
			detail = inner.Message
		}
	} else {
		detail, _, _ = strings.Cut(string(body), "\n")
	}
	detail = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, strings.ToValidUTF8(detail, ""))
	if r := []rune(detail); len(r) > maxDetail {
		detail = string(r[:maxDetail-1]) + "…"
	}
	return detail
}
