package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/internal/twiliotest"
	"github.com/beacon-status/beacon/notifier"
)

// Notification tests through the whole app with real parts: an SMTP server
// on loopback (internal/smtptest), a Twilio stand-in speaking the Messages
// API's wire format (internal/twiliotest), and a webhook receiver. The dispatcher is stepped by hand with
// FanOutOnce and RunOnce; the clock moves only when a test moves it.
//
// This file holds the webhook receiver and ntEnv, the app wired to the
// three stand-ins, with the helpers the notify_*_test.go files share.

// Settings of the notification test environment.
const (
	ntBaseURL    = "https://status.example.com"
	ntPageName   = "Acme Status"
	ntFrom       = "status@example.com"
	ntTwilioSID  = "AC0123456789abcdef0123456789abcdef"
	ntTwilioTok  = "f00dfeedf00dfeedf00dfeedf00dfeed"
	ntTwilioFrom = "+15005550006"
	// US mobile-capable numbers that libphonenumber accepts.
	ntPhone1 = "+12025550141"
	ntPhone2 = "+12025550142"
	ntPhone3 = "+12025550143"
)

// ntHookReq is one request the webhook receiver got.
type ntHookReq struct {
	Path   string
	Header http.Header
	Body   []byte
}

// ntHooks receives webhooks on any path and answers 200, or the statuses
// queued for a path.
type ntHooks struct {
	URL string

	mu     sync.Mutex
	reqs   []ntHookReq
	status map[string][]int
}

func ntStartHooks(t testing.TB) *ntHooks {
	t.Helper()
	h := &ntHooks{status: map[string][]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, ntHookReq{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		code := http.StatusOK
		if q := h.status[r.URL.Path]; len(q) > 0 {
			code = q[0]
			h.status[r.URL.Path] = q[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// answer makes the next requests to path answer these statuses.
func (h *ntHooks) answer(path string, codes ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status[path] = append(h.status[path], codes...)
}

func (h *ntHooks) received(from int) []ntHookReq {
	h.mu.Lock()
	defer h.mu.Unlock()
	if from > len(h.reqs) {
		return nil
	}
	return slices.Clone(h.reqs[from:])
}

func (h *ntHooks) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// ntEnv is a test app wired to the three stand-ins.
type ntEnv struct {
	*testEnv
	mail  *smtptest.Server
	tw    *twiliotest.Server
	hooks *ntHooks
	// marks are where the last round of received messages ended.
	mark [3]int
}

// ntNew returns an app sending email to an SMTP server on loopback, SMS to
// a Twilio stand-in and webhooks to a receiver on loopback, with no rate
// limits on the channels.
func ntNew(t testing.TB, mutate ...func(*Config)) *ntEnv {
	t.Helper()
	n := &ntEnv{mail: smtptest.Start(t), tw: twiliotest.Start(t, twiliotest.Options{AccountSID: ntTwilioSID, AuthToken: ntTwilioTok}), hooks: ntStartHooks(t)}
	n.testEnv = newTestEnv(t, append([]func(*Config){func(c *Config) {
		c.BaseURL, c.PageName, c.TimeZone = ntBaseURL, ntPageName, "Europe/Paris"
		c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS, c.SMTP.From, c.SMTP.Pool = n.mail.Host, n.mail.Port, "none", ntFrom, 2
		c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.From, c.Twilio.APIURL = ntTwilioSID, ntTwilioTok, ntTwilioFrom, n.tw.URL
		c.WebhookAllowPrivate = true
		for _, ch := range []string{"email", "sms", "webhook"} {
			c.channel(ch).Rate = 0
		}
	}}, mutate...)...)
	return n
}

// drain runs the dispatcher until nothing is left to do now: every event
// fanned out and every due delivery sent or scheduled for a retry.
func (n *ntEnv) drain() {
	n.t.Helper()
	ctx := context.Background()
	for range 1000 {
		busy := false
		for {
			_, more, err := n.app.dispatcher.FanOutOnce(ctx)
			if err != nil {
				n.t.Fatalf("fan out: %v", err)
			}
			if !more {
				break
			}
			busy = true
		}
		for _, ch := range append([]notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}, notifier.Chats...) {
			if _, ok := n.app.senders[ch]; !ok {
				continue
			}
			for {
				k, err := n.app.dispatcher.RunOnce(ctx, ch)
				if err != nil {
					n.t.Fatalf("run %s: %v", ch, err)
				}
				if k == 0 {
					break
				}
				busy = true
			}
		}
		if !busy {
			return
		}
	}
	n.t.Fatal("the dispatcher never ran out of work")
}

// round drains the dispatcher and returns how many messages each recipient
// received since the last round, keyed "email:ADDRESS", "sms:NUMBER" (only
// messages Twilio accepted) and "webhook:PATH".
func (n *ntEnv) round() map[string]int {
	n.t.Helper()
	n.drain()
	got := map[string]int{}
	for _, m := range n.mail.Received(n.mark[0]) {
		for _, to := range m.To {
			got["email:"+to]++
		}
	}
	for _, r := range n.tw.Received(n.mark[1]) {
		if r.SID != "" {
			got["sms:"+r.To]++
		}
	}
	for _, r := range n.hooks.received(n.mark[2]) {
		got["webhook:"+r.Path]++
	}
	n.mark = [3]int{n.mail.Count(), n.tw.Count(), n.hooks.count()}
	return got
}

// ntWant compares a round with what was expected.
func ntWant(t testing.TB, what string, got, want map[string]int) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		if got[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s: got %d, want %d", k, got[k], want[k]))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: messages received:\n  %s", what, strings.Join(diffs, "\n  "))
	}
}

// component creates a component and returns its id.
func (n *ntEnv) component(name string) string {
	n.t.Helper()
	return apitest.String(n.t, n.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name}}), "id")
}

// subscriber creates a subscriber through the management API, active at
// once, and returns the created object.
func (n *ntEnv) subscriber(fields map[string]any) map[string]any {
	n.t.Helper()
	body := map[string]any{"skip_confirmation_notification": true}
	for k, v := range fields {
		body[k] = v
	}
	return apitest.Object(n.t, n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": body}))
}

// incident posts an incident and returns its id.
func (n *ntEnv) incident(fields map[string]any) string {
	n.t.Helper()
	return apitest.String(n.t, n.mustAPI(201, "POST", "/incidents", map[string]any{"incident": fields}), "id")
}

// patch changes an incident.
func (n *ntEnv) patch(id string, fields map[string]any) {
	n.t.Helper()
	n.mustAPI(200, "PATCH", "/incidents/"+id, map[string]any{"incident": fields})
}

// state returns a subscriber's state through the API.
func (n *ntEnv) state(id string) string {
	n.t.Helper()
	return apitest.String(n.t, n.mustAPI(200, "GET", "/subscribers/"+id, nil), "state")
}

// stats returns GET /incidents/{id}/notifications.
func (n *ntEnv) stats(id string) []notifier.EventStats {
	n.t.Helper()
	var out []notifier.EventStats
	n.mustAPI(200, "GET", "/incidents/"+id+"/notifications", nil).JSON(n.t, &out)
	return out
}

// mailAt returns the i-th email the SMTP server received, failing the test
// (rather than panicking on an index out of range) when it never came:
// the ntWant before it only reports a missing message, so that later
// checks still run.
func (n *ntEnv) mailAt(i int) smtptest.Mail {
	n.t.Helper()
	got := n.mail.Received(0)
	if i >= len(got) {
		n.t.Fatalf("email %d was never received (%d in all)", i+1, len(got))
	}
	return got[i]
}

// form posts a form-encoded body to a public endpoint.
func (n *ntEnv) form(path string, v url.Values, headers ...string) response {
	n.t.Helper()
	return n.do("POST", path, v.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// twilio posts a request signed as Twilio would to a Twilio webhook path.
func (n *ntEnv) twilio(path string, params url.Values, signature string) response {
	n.t.Helper()
	h := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if signature != "" {
		h = append(h, "X-Twilio-Signature", signature)
	}
	return n.do("POST", path, params.Encode(), h...)
}

// ntNo500 stops a test whose refused request answered 500: subscriber
// validation errors must reach the client as 422 {message, field} and an
// unknown subscriber as 404, not as an internal error.
func ntNo500(t testing.TB, res response) {
	t.Helper()
	if res.Status == 500 {
		t.Fatalf("status 500 for a refused request, want a 4xx; body %s", res.Body)
	}
}

// of incident id at index i of its stats.
func (n *ntEnv) channelStats(id string, i int, ch notifier.Channel) (notifier.Counts, []notifier.Failure) {
	n.t.Helper()
	st := n.stats(id)
	if i >= len(st) {
		n.t.Fatalf("incident %s has %d events, want more than %d", id, len(st), i)
	}
	var fs []notifier.Failure
	for _, f := range st[i].Failures {
		if f.Channel == ch {
			fs = append(fs, f)
		}
	}
	return st[i].Channels[ch], fs
}

func ntAtoi(t testing.TB, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ntFieldMarked reports whether the subscribe form marks field as invalid.
func ntFieldMarked(body []byte, field string) bool {
	return regexp.MustCompile(`id="` + regexp.QuoteMeta(field) + `"[^>]*aria-invalid="true"`).Match(body)
}

// snapshot is everything a refused request must leave unchanged: the
// subscribers and the messages queued for them.
func (n *ntEnv) snapshot() string {
	n.t.Helper()
	res := n.mustAPI(200, "GET", "/subscribers/export", nil)
	var pending int
	if err := n.app.db.Read.QueryRow(`SELECT COUNT(*) FROM deliveries`).Scan(&pending); err != nil {
		n.t.Fatal(err)
	}
	return fmt.Sprintf("%s\ndeliveries: %d", res.Body, pending)
}
