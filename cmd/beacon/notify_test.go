package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/notifier/webhook"
	"github.com/beacon-status/beacon/subscribers"
)

// Notification tests through the whole app with real parts: an SMTP server
// on loopback (go-smtp), a Twilio stand-in speaking the Messages API's wire
// format, and a webhook receiver. The dispatcher is stepped by hand with
// FanOutOnce and RunOnce; the clock moves only when a test moves it.

var ntUpdate = flag.Bool("update", false, "rewrite the golden files under testdata/")

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

// ---------------------------------------------------------------------
// SMTP server

// ---------------------------------------------------------------------
// Twilio stand-in

// ntSMS is one request the Twilio stand-in received.
type ntSMS struct {
	Path, ContentType   string
	User, Password      string
	To, From, Body      string
	StatusCallback      string
	Form                url.Values
	Status              int    // what the stand-in answered
	SID                 string // for an accepted message
	MessagingServiceSID string
	hasAuth             bool
}

// ntTwilioError is a scripted error reply.
type ntTwilioError struct {
	status, code int
	retryAfter   string
}

// ntTwilio is a Twilio stand-in on loopback: POST
// /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, with Basic auth;
// 201 with a message resource, or Twilio's JSON errors.
type ntTwilio struct {
	URL string

	mu     sync.Mutex
	reqs   []ntSMS
	errs   map[string][]ntTwilioError // scripted replies by To
	serial int
}

var ntMessagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$`)

func ntStartTwilio(t testing.TB) *ntTwilio {
	t.Helper()
	tw := &ntTwilio{errs: map[string][]ntTwilioError{}}
	srv := httptest.NewServer(http.HandlerFunc(tw.serve))
	t.Cleanup(srv.Close)
	tw.URL = srv.URL
	return tw
}

// failTo makes the next replies for number the given errors, in order.
func (tw *ntTwilio) failTo(number string, errs ...ntTwilioError) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.errs[number] = append(tw.errs[number], errs...)
}

func (tw *ntTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	rec := ntSMS{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), User: user, Password: pass, hasAuth: ok}
	if err := r.ParseForm(); err == nil {
		rec.Form = r.PostForm
		rec.To, rec.From, rec.Body = r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
		rec.StatusCallback = r.PostForm.Get("StatusCallback")
		rec.MessagingServiceSID = r.PostForm.Get("MessagingServiceSid")
	}
	m := ntMessagesPath.FindStringSubmatch(r.URL.Path)
	tw.mu.Lock()
	defer tw.mu.Unlock()
	reply := func(status int, body any) {
		rec.Status = status
		tw.reqs = append(tw.reqs, rec)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
	twErr := func(status, code int, msg string) {
		reply(status, map[string]any{"code": code, "message": msg,
			"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
	}
	switch {
	case m == nil || r.Method != http.MethodPost:
		twErr(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	case !ok || user != m[1] || user != ntTwilioSID || pass != ntTwilioTok:
		twErr(http.StatusUnauthorized, 20003, "Authenticate")
		return
	case !strings.HasPrefix(rec.ContentType, "application/x-www-form-urlencoded"):
		twErr(http.StatusBadRequest, 20001, "Content-Type must be form-encoded")
		return
	case rec.To == "" || rec.Body == "" || (rec.From == "" && rec.MessagingServiceSID == ""):
		twErr(http.StatusBadRequest, 21604, "A 'To', 'From' and 'Body' are required")
		return
	}
	if q := tw.errs[rec.To]; len(q) > 0 {
		e := q[0]
		tw.errs[rec.To] = q[1:]
		if e.retryAfter != "" {
			w.Header().Set("Retry-After", e.retryAfter)
		}
		msgs := map[int]string{
			20429: "Too Many Requests",
			21610: "Attempt to send to unsubscribed recipient",
			21211: "The 'To' number " + rec.To + " is not a valid phone number.",
		}
		twErr(e.status, e.code, msgs[e.code])
		return
	}
	tw.serial++
	rec.SID = fmt.Sprintf("SM%032x", tw.serial)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC).Format(time.RFC1123Z)
	_, segments := sms.Segments(rec.Body)
	reply(http.StatusCreated, map[string]any{
		"account_sid": ntTwilioSID, "api_version": "2010-04-01", "body": rec.Body,
		"date_created": now, "date_sent": nil, "date_updated": now, "direction": "outbound-api",
		"error_code": nil, "error_message": nil, "from": rec.From, "messaging_service_sid": nil,
		"num_media": "0", "num_segments": strconv.Itoa(segments), "price": nil, "price_unit": "USD",
		"sid": rec.SID, "status": "queued", "to": rec.To,
		"uri": "/2010-04-01/Accounts/" + ntTwilioSID + "/Messages/" + rec.SID + ".json",
	})
}

// received returns the requests from index from on.
func (tw *ntTwilio) received(from int) []ntSMS {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if from > len(tw.reqs) {
		return nil
	}
	return slices.Clone(tw.reqs[from:])
}

func (tw *ntTwilio) count() int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return len(tw.reqs)
}

// ntTwilioSign is X-Twilio-Signature as Twilio computes it: the base64
// HMAC-SHA1, keyed with the auth token, of the URL followed by every
// parameter's name and value in name order.
func ntTwilioSign(token, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := slices.Clone(params[k])
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ---------------------------------------------------------------------
// Webhook receiver

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

// ---------------------------------------------------------------------
// The environment

// ntEnv is a test app wired to the three stand-ins.
type ntEnv struct {
	*testEnv
	mail  *smtptest.Server
	tw    *ntTwilio
	hooks *ntHooks
	// marks are where the last round of received messages ended.
	mark [3]int
}

// ntNew returns an app sending email to an SMTP server on loopback, SMS to
// a Twilio stand-in and webhooks to a receiver on loopback, with no rate
// limits on the channels.
func ntNew(t testing.TB, mutate ...func(*Config)) *ntEnv {
	t.Helper()
	n := &ntEnv{mail: smtptest.Start(t), tw: ntStartTwilio(t), hooks: ntStartHooks(t)}
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
		for _, ch := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
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
	for _, r := range n.tw.received(n.mark[1]) {
		if r.SID != "" {
			got["sms:"+r.To]++
		}
	}
	for _, r := range n.hooks.received(n.mark[2]) {
		got["webhook:"+r.Path]++
	}
	n.mark = [3]int{n.mail.Count(), n.tw.count(), n.hooks.count()}
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
	return ntString(n.t, n.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name}}), "id")
}

// subscriber creates a subscriber through the management API, active at
// once, and returns the created object.
func (n *ntEnv) subscriber(fields map[string]any) map[string]any {
	n.t.Helper()
	body := map[string]any{"skip_confirmation_notification": true}
	for k, v := range fields {
		body[k] = v
	}
	return ntObject(n.t, n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": body}))
}

// incident posts an incident and returns its id.
func (n *ntEnv) incident(fields map[string]any) string {
	n.t.Helper()
	return ntString(n.t, n.mustAPI(201, "POST", "/incidents", map[string]any{"incident": fields}), "id")
}

// patch changes an incident.
func (n *ntEnv) patch(id string, fields map[string]any) {
	n.t.Helper()
	n.mustAPI(200, "PATCH", "/incidents/"+id, map[string]any{"incident": fields})
}

// state returns a subscriber's state through the API.
func (n *ntEnv) state(id string) string {
	n.t.Helper()
	return ntString(n.t, n.mustAPI(200, "GET", "/subscribers/"+id, nil), "state")
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

func ntObject(t testing.TB, res response) map[string]any {
	t.Helper()
	var m map[string]any
	res.JSON(t, &m)
	if m == nil {
		t.Fatalf("body %s is not a JSON object", res.Body)
	}
	return m
}

func ntString(t testing.TB, res response, key string) string {
	t.Helper()
	s, ok := ntObject(t, res)[key].(string)
	if !ok {
		t.Fatalf("%s is not a string in %s", key, res.Body)
	}
	return s
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

// ---------------------------------------------------------------------
// Reading email

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
	path := filepath.Join("testdata", "notify", name)
	if *ntUpdate {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// ---------------------------------------------------------------------
// 1. Email end to end

func TestNotifyEmailEndToEnd(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")
	web := n.component("Website")

	// Alice is added by staff; Bob signs up on the public form for the
	// API only and confirms by the link he is sent.
	alice := n.subscriber(map[string]any{"email": "alice@example.com"})
	if alice["state"] != "active" {
		t.Fatalf("alice: state %v, want active", alice["state"])
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
	bob := bobs[0].ID
	if res := n.do("GET", strings.TrimPrefix(link, ntBaseURL), nil); res.Status != 200 || !strings.Contains(string(res.Body), "confirmed") {
		t.Fatalf("GET confirmation link: status %d, body %s", res.Status, res.Body)
	}
	if got := n.state(bob); got != "active" {
		t.Fatalf("bob after confirming: state %s, want active", got)
	}
	// Following the link again changes nothing.
	if res := n.do("GET", strings.TrimPrefix(link, ntBaseURL), nil); res.Status != 200 {
		t.Errorf("GET confirmation link twice: status %d", res.Status)
	}

	// An incident on the API, an update and the resolution.
	id := n.incident(map[string]any{
		"name": "Elevated API errors", "status": "investigating",
		"body":       "We are **investigating** elevated error rates.",
		"components": map[string]string{api: "partial_outage"},
	})
	created := n.round()
	ntWant(t, "incident created", created, map[string]int{"email:alice@example.com": 1, "email:bob@example.com": 1})
	n.clock.Advance(20 * time.Minute)
	n.patch(id, map[string]any{"status": "identified", "body": "A bad deploy. See [the changelog](https://example.com/changes) for details."})
	ntWant(t, "incident updated", n.round(), map[string]int{"email:alice@example.com": 1, "email:bob@example.com": 1})
	n.clock.Advance(40 * time.Minute)
	n.patch(id, map[string]any{"status": "resolved", "body": "Rolled back; error rates are normal.", "components": map[string]string{api: "operational"}})
	ntWant(t, "incident resolved", n.round(), map[string]int{"email:alice@example.com": 1, "email:bob@example.com": 1})

	// An incident on the website alone reaches Alice, not Bob.
	other := n.incident(map[string]any{"name": "Slow pages", "body": "Looking", "component_ids": []string{web}})
	ntWant(t, "incident on another component", n.round(), map[string]int{"email:alice@example.com": 1})

	mails := n.mail.Received(1) // after Bob's confirmation
	if len(mails) != 7 {
		t.Fatalf("%d emails after the confirmation, want 7", len(mails))
	}
	type sent struct{ created, updated, resolved ntEmail }
	by := map[string]*sent{}
	seenIDs := map[string]bool{}
	for i, m := range mails[:6] {
		e := ntParseEmail(t, m)
		rcpt := m.To[0]
		if by[rcpt] == nil {
			by[rcpt] = &sent{}
		}
		switch i / 2 {
		case 0:
			by[rcpt].created = e
		case 1:
			by[rcpt].updated = e
		case 2:
			by[rcpt].resolved = e
		}
		mid := e.Header.Get("Message-Id")
		if mid == "" || seenIDs[mid] {
			t.Errorf("message %d to %s: Message-ID %q is missing or repeated", i, rcpt, mid)
		}
		seenIDs[mid] = true
	}
	if e := ntParseEmail(t, n.mail.Received(0)[len(n.mail.Received(0))-1]); seenIDs[e.Header.Get("Message-Id")] {
		t.Errorf("the email about %s repeats a Message-ID", other)
	}

	incidentURL := ntBaseURL + "/incidents/" + id
	for _, rcpt := range []string{"alice@example.com", "bob@example.com"} {
		s := by[rcpt]
		if s == nil {
			t.Fatalf("no emails to %s", rcpt)
		}
		steps := []struct {
			name, subject, status, body, html string
			e                                 ntEmail
		}{
			{"created", "[Acme Status] Investigating: Elevated API errors", "Investigating", "We are **investigating** elevated error rates.",
				"<strong>investigating</strong>", s.created},
			{"updated", "[Acme Status] Identified: Elevated API errors", "Identified", "A bad deploy.",
				`<a href="https://example.com/changes"`, s.updated},
			{"resolved", "[Acme Status] Resolved: Elevated API errors", "Resolved", "Rolled back; error rates are normal.",
				"Rolled back; error rates are normal.", s.resolved},
		}
		var root string
		for _, st := range steps {
			e := st.e
			what := rcpt + " " + st.name
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
			if strings.Contains(e.HTML, "**investigating**") {
				t.Errorf("%s: the HTML part shows raw Markdown", what)
			}
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

			// Manage and unsubscribe links, and the List-Unsubscribe headers
			// pointing at the same one-click link.
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
	for _, rcpt := range []string{"alice@example.com", "bob@example.com"} {
		if got := n.state(map[string]string{"alice@example.com": alice["id"].(string), "bob@example.com": bob}[rcpt]); got != "active" {
			t.Errorf("%s after following the links: state %s, want active", rcpt, got)
		}
	}

	// The golden text of Alice's first email, with its ids and tokens
	// replaced.
	text := by["alice@example.com"].created.Text
	text = strings.ReplaceAll(text, id, "{incident_id}")
	text = regexp.MustCompile(`manage\?token=\S+`).ReplaceAllString(text, "manage?token={manage_token}")
	text = regexp.MustCompile(`/unsubscribe/\S+`).ReplaceAllString(text, "/unsubscribe/{unsubscribe_token}")
	ntGolden(t, "incident_created.txt", text)

	// Bob signs up again: he is sent a link to manage his subscription,
	// and nothing changes until he uses it.
	mark := n.mail.Count()
	if res := n.form("/subscribe", url.Values{"email": {"bob@example.com"}, "component_ids": {web}}); res.Status != 202 {
		t.Fatalf("second sign-up: status %d", res.Status)
	}
	ntWant(t, "second sign-up", n.round(), map[string]int{"email:bob@example.com": 1})
	manageMail := ntParseEmail(t, n.mailAt(mark))
	if want := "Manage your subscription to " + ntPageName; manageMail.Subject != want {
		t.Errorf("second sign-up sent %q, want %q", manageMail.Subject, want)
	}
	if got := ntObject(t, n.mustAPI(200, "GET", "/subscribers/"+bob, nil)); got["state"] != "active" || fmt.Sprint(got["components"]) != fmt.Sprint([]any{api}) {
		t.Errorf("bob after signing up again: %v, want unchanged", got)
	}
	manageTok, _ := url.QueryUnescape(strings.TrimPrefix(ntLink(t, manageMail.Text, ntBaseURL+"/subscriptions/manage?token="), ntBaseURL+"/subscriptions/manage?token="))
	res = n.form("/subscriptions/manage", url.Values{"token": {manageTok}, "component_ids": {web}})
	if res.Status != 200 {
		t.Fatalf("save preferences: status %d body %s", res.Status, res.Body)
	}
	if got := ntObject(t, n.mustAPI(200, "GET", "/subscribers/"+bob, nil)); fmt.Sprint(got["components"]) != fmt.Sprint([]any{web}) {
		t.Errorf("bob after saving preferences: %v, want %s only", got["components"], web)
	}
	n.incident(map[string]any{"name": "API again", "body": "x", "component_ids": []string{api}})
	ntWant(t, "incident on the API after bob moved to the website", n.round(), map[string]int{"email:alice@example.com": 1})

	// RFC 8058 one-click unsubscribe, as a mail client sends it.
	unsub := strings.TrimPrefix(by["alice@example.com"].updated.Header.Get("List-Unsubscribe"), "<")
	unsub = strings.TrimSuffix(strings.TrimPrefix(unsub, ntBaseURL), ">")
	res = n.do("POST", unsub, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != 200 {
		t.Fatalf("one-click unsubscribe: status %d, body %s", res.Status, res.Body)
	}
	if got := n.state(alice["id"].(string)); got != "unsubscribed" {
		t.Fatalf("alice after one-click unsubscribe: state %s", got)
	}
	n.patch(other, map[string]any{"status": "resolved", "body": "Fixed"})
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
	if want := "[Acme Status] Investigating: " + name; e.Subject != want {
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

// ---------------------------------------------------------------------
// 2. Who hears what

// TestNotifyWhoHearsWhat runs the same scenario under each value of
// BEACON_SMS_EVENTS, read through the real configuration loader: unset, it
// must send SMS for every incident change, as email does.
func TestNotifyWhoHearsWhat(t *testing.T) {
	for _, tt := range []struct {
		name, smsEvents string
		wantAll         bool
	}{
		{name: "default", smsEvents: "", wantAll: true},
		{name: "all", smsEvents: "all", wantAll: true},
		{name: "key", smsEvents: "key", wantAll: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig("test", nil, func(k string) string {
				if k == "BEACON_SMS_EVENTS" {
					return tt.smsEvents
				}
				return ""
			}, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.SMSAllUpdates != tt.wantAll {
				t.Fatalf("BEACON_SMS_EVENTS=%q: SMSAllUpdates %v, want %v", tt.smsEvents, cfg.SMSAllUpdates, tt.wantAll)
			}
			ntWhoHearsWhat(t, cfg.SMSAllUpdates)
		})
	}
}

func ntWhoHearsWhat(t *testing.T, smsAll bool) {
	n := ntNew(t, func(c *Config) { c.SMSAllUpdates = smsAll })
	if got := n.app.inForce.Notify().SMSAllUpdates; got != smsAll {
		t.Fatalf("SMS for every update in force: %v, want %v", got, smsAll)
	}
	a := n.component("API")
	b := n.component("Website")
	grp := ntString(t, n.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{"name": "Frontend", "components": []string{b}}}), "id")

	n.subscriber(map[string]any{"email": "all@example.com"})
	n.subscriber(map[string]any{"email": "a@example.com", "component_ids": []string{a}})
	n.subscriber(map[string]any{"email": "group@example.com", "component_ids": []string{grp}}) // a group stands for its members
	n.subscriber(map[string]any{"phone_number": ntPhone1})
	n.subscriber(map[string]any{"phone_number": ntPhone2, "component_ids": []string{a}})
	n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/all"})
	n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/a", "component_ids": []string{a}})
	// Nobody hears about anything once they have left, before they
	// confirm, or while quarantined.
	gone := n.subscriber(map[string]any{"email": "gone@example.com"})
	n.mustAPI(200, "DELETE", "/subscribers/"+gone["id"].(string), nil)
	n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": "pending@example.com"}})
	if res := n.form("/subscribe", url.Values{"email": {"formpending@example.com"}}); res.Status != 202 {
		t.Fatalf("public sign-up: status %d", res.Status)
	}
	bad := n.subscriber(map[string]any{"phone_number": ntPhone3})
	n.tw.failTo(ntPhone3, ntTwilioError{status: 400, code: 21211})
	n.incident(map[string]any{"name": "Quarantine the bad number", "body": "x", "deliver_notifications": true})
	n.round()
	if got := n.state(bad["id"].(string)); got != "quarantined" {
		t.Fatalf("number refused with 21211: state %s, want quarantined", got)
	}
	// The confirmation emails went out; from now on rounds count only
	// notifications.
	n.round()

	everyone := map[string]int{"email:all@example.com": 1, "email:a@example.com": 1, "email:group@example.com": 1,
		"sms:" + ntPhone1: 1, "sms:" + ntPhone2: 1, "webhook:/all": 1, "webhook:/a": 1}
	smsUpdate := 0
	if smsAll {
		smsUpdate = 1
	}

	// An incident touching only B.
	onB := n.incident(map[string]any{"name": "Website slow", "body": "Looking", "component_ids": []string{b}})
	ntWant(t, "incident on B", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: 1, "webhook:/all": 1})
	n.patch(onB, map[string]any{"status": "identified", "body": "Found it"})
	ntWant(t, "update on B", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: smsUpdate, "webhook:/all": 1})
	n.patch(onB, map[string]any{"status": "monitoring", "body": "Fix deployed", "deliver_notifications": false})
	ntWant(t, "update on B without notifications", n.round(), nil)
	n.patch(onB, map[string]any{"status": "resolved", "body": "Fixed"})
	ntWant(t, "resolution on B", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: 1, "webhook:/all": 1})

	// An incident touching no component reaches every subscriber.
	none := n.incident(map[string]any{"name": "Everything is slow", "body": "Looking"})
	ntWant(t, "incident on no component", n.round(), everyone)
	n.patch(none, map[string]any{"body": "Still looking"})
	want := maps.Clone(everyone)
	want["sms:"+ntPhone1], want["sms:"+ntPhone2] = smsUpdate, smsUpdate
	ntWant(t, "update on no component", n.round(), want)

	// deliver_notifications:false on create: nobody.
	quiet := n.incident(map[string]any{"name": "Quiet", "body": "Shh", "deliver_notifications": false, "component_ids": []string{a}})
	ntWant(t, "incident without notifications", n.round(), nil)
	if st := n.stats(quiet); len(st) != 1 || len(st[0].Channels) != 0 || !st[0].FannedOut {
		t.Errorf("incident without notifications: stats %+v, want one event fanned out to no channel", st)
	}

	// A component-only status change goes to webhooks alone, with
	// Statuspage's component_update payload.
	mark := n.hooks.count()
	n.mustAPI(200, "PATCH", "/components/"+a, map[string]any{"component": map[string]any{"status": "major_outage"}})
	ntWant(t, "component status change", n.round(), map[string]int{"webhook:/all": 1, "webhook:/a": 1})
	for _, r := range n.hooks.received(mark) {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("payload to %s: %v", r.Path, err)
		}
		if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, []string{"component", "component_update", "meta", "page"}) {
			t.Errorf("component change to %s: keys %v, want component, component_update, meta, page", r.Path, got)
		}
		var cu struct {
			OldStatus   string `json:"old_status"`
			NewStatus   string `json:"new_status"`
			ComponentID string `json:"component_id"`
			ID          string `json:"id"`
			CreatedAt   string `json:"created_at"`
		}
		var comp struct{ ID, Name, Status string }
		_ = json.Unmarshal(p["component_update"], &cu)
		_ = json.Unmarshal(p["component"], &comp)
		if cu.OldStatus != "operational" || cu.NewStatus != "major_outage" || cu.ComponentID != a || cu.ID == "" || cu.CreatedAt == "" {
			t.Errorf("component_update to %s: %s", r.Path, p["component_update"])
		}
		if comp.ID != a || comp.Name != "API" || comp.Status != "major_outage" {
			t.Errorf("component to %s: %s", r.Path, p["component"])
		}
	}
	// A component change with an incident: the incident notifies
	// everyone following A, and the webhooks also get the component
	// change.
	n.incident(map[string]any{"name": "API down", "body": "Down", "components": map[string]string{a: "partial_outage"}})
	ntWant(t, "incident changing A", n.round(), map[string]int{"email:all@example.com": 1, "email:a@example.com": 1,
		"sms:" + ntPhone1: 1, "sms:" + ntPhone2: 1, "webhook:/all": 2, "webhook:/a": 2})

	// A backfilled incident is history, not news.
	n.incident(map[string]any{"name": "Last week's outage", "backfilled": true,
		"backfill_date": n.clock.Now().Add(-7 * 24 * time.Hour).Format(time.RFC3339), "body": "It happened"})
	ntWant(t, "backfilled incident", n.round(), nil)

	// Maintenance: scheduling, start and completion are key moments for
	// SMS; a reminder or an update is not.
	now := n.clock.Now()
	m := n.incident(map[string]any{"name": "Database upgrade", "body": "Planned", "component_ids": []string{b},
		"scheduled_for": now.Add(2 * time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(3 * time.Hour).Format(time.RFC3339)})
	onBKey := map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: 1, "webhook:/all": 1}
	ntWant(t, "maintenance scheduled", n.round(), onBKey)
	// Starting and completing also move B to under_maintenance and back,
	// a component change the webhooks hear about too.
	withChange := maps.Clone(onBKey)
	withChange["webhook:/all"] = 2
	mark = n.hooks.count()
	n.patch(m, map[string]any{"status": "in_progress", "body": "Started"})
	ntWant(t, "maintenance started", n.round(), withChange)
	if got := ntHookKinds(t, n.hooks.received(mark)); !slices.Equal(got, []string{"component_update", "incident"}) {
		t.Errorf("maintenance started: webhook payloads %v, want a component_update and an incident", got)
	}
	n.patch(m, map[string]any{"status": "verifying", "body": "Checking"})
	ntWant(t, "maintenance update", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: smsUpdate, "webhook:/all": 1})
	n.patch(m, map[string]any{"status": "completed", "body": "Done"})
	ntWant(t, "maintenance completed", n.round(), withChange)
}

// ntHookKinds returns, sorted, which of "incident" and "component_update"
// each webhook payload carries.
func ntHookKinds(t testing.TB, reqs []ntHookReq) []string {
	t.Helper()
	var out []string
	for _, r := range reqs {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("payload to %s: %v", r.Path, err)
		}
		for _, k := range []string{"incident", "component_update"} {
			if _, ok := p[k]; ok {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ---------------------------------------------------------------------
// 3. SMS

// ntSMSTo returns the requests in reqs addressed to number.
func ntSMSTo(reqs []ntSMS, number string) []ntSMS {
	var out []ntSMS
	for _, r := range reqs {
		if r.To == number {
			out = append(out, r)
		}
	}
	return out
}

// channelStats returns the counts and failures of channel ch for the event
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

func TestNotifySMS(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")

	// Staff add a number in national format; it is stored in E.164.
	one := n.subscriber(map[string]any{"phone_number": "(202) 555-0141", "phone_country": "us"})
	if one["phone_number"] != ntPhone1 || one["phone_country"] != "US" || one["mode"] != "sms" {
		t.Fatalf("created SMS subscriber: %v, want phone_number %s, phone_country US", one, ntPhone1)
	}
	oneID := one["id"].(string)

	t.Run("message", func(t *testing.T) {
		long := strings.Repeat("Our API returns errors for some requests in the EU region. ", 12)
		mark := n.tw.count()
		id := n.incident(map[string]any{"name": "Elevated API errors", "body": long, "component_ids": []string{api}})
		ntWant(t, "incident", n.round(), map[string]int{"sms:" + ntPhone1: 1})
		r := n.tw.received(mark)[0]
		if want := "/2010-04-01/Accounts/" + ntTwilioSID + "/Messages.json"; r.Path != want {
			t.Errorf("path %s, want %s", r.Path, want)
		}
		if !r.hasAuth || r.User != ntTwilioSID || r.Password != ntTwilioTok {
			t.Errorf("Basic auth %v %q:%q, want the account SID and auth token", r.hasAuth, r.User, r.Password)
		}
		if !strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") {
			t.Errorf("Content-Type %q, want form-encoded", r.ContentType)
		}
		if r.To != ntPhone1 || r.From != ntTwilioFrom {
			t.Errorf("To %s From %s, want %s from %s", r.To, r.From, ntPhone1, ntTwilioFrom)
		}
		if want := ntBaseURL + "/webhooks/twilio/status"; r.StatusCallback != want {
			t.Errorf("StatusCallback %q, want %q", r.StatusCallback, want)
		}
		incidentURL := ntBaseURL + "/incidents/" + id
		if !strings.HasSuffix(r.Body, incidentURL) {
			t.Errorf("body does not end with the incident's link %s:\n%s", incidentURL, r.Body)
		}
		for _, want := range []string{ntPageName, "Elevated API errors", "Investigating", "Our API returns errors"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("body lacks %q:\n%s", want, r.Body)
			}
		}
		if strings.Count(r.Body, "Our API returns errors") >= 12 {
			t.Errorf("the long update text was not shortened:\n%s", r.Body)
		}
		enc, segs := sms.Segments(r.Body)
		if segs > 2 {
			t.Errorf("body takes %d %s segments, want at most 2:\n%s", segs, enc, r.Body)
		}
		if enc != sms.GSM7 {
			// Everything in it is ASCII: a shortening mark outside GSM-7
			// ("…") would turn the whole SMS into UCS-2, 134 characters
			// in two segments instead of 306.
			t.Errorf("body is %s, want GSM-7 (its text is plain ASCII):\n%s", enc, r.Body)
		}
		if len(r.Body) < 250 {
			t.Errorf("the shortened body is %d characters, want close to two GSM-7 segments (306):\n%s", len(r.Body), r.Body)
		}
	})

	t.Run("short message", func(t *testing.T) {
		mark := n.tw.count()
		id := n.incident(map[string]any{"name": "Login slow", "body": "Logins take 10s.", "component_ids": []string{api}})
		n.round()
		r := n.tw.received(mark)[0]
		want := ntPageName + ": Login slow - Investigating. Logins take 10s. " + ntBaseURL + "/incidents/" + id
		if r.Body != want {
			t.Errorf("body %q, want %q", r.Body, want)
		}
		if enc, segs := sms.Segments(r.Body); enc != sms.GSM7 || segs != 1 {
			t.Errorf("body is %d %s segments, want 1 GSM-7", segs, enc)
		}
	})

	t.Run("public sign-up with a code", func(t *testing.T) {
		res := n.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": ntPhone2, "component_ids": []string{api}})
		if res.Status != 202 {
			t.Fatalf("POST /subscribe: status %d, body %s", res.Status, res.Body)
		}
		token := ntString(t, res, "verify_token")
		mark := n.tw.count()
		ntWant(t, "sign-up", n.round(), map[string]int{"sms:" + ntPhone2: 1})
		r := n.tw.received(mark)[0]
		m := regexp.MustCompile(`^(\d{6}) is your ` + ntPageName + ` status updates code`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("code SMS %q does not start with a 6-digit code", r.Body)
		}
		if _, segs := sms.Segments(r.Body); segs != 1 || !strings.Contains(r.Body, "STOP") {
			t.Errorf("code SMS %q: %d segments, want 1 with STOP", r.Body, segs)
		}
		if r.StatusCallback != ntBaseURL+"/webhooks/twilio/status" {
			t.Errorf("code SMS StatusCallback %q", r.StatusCallback)
		}
		code := m[1]
		wrong := fmt.Sprintf("%06d", (ntAtoi(t, code)+1)%1_000_000)
		res = n.do("POST", "/subscriptions/verify", map[string]any{"token": token, "code": wrong})
		if res.Status != 422 || ntString(t, res, "field") != "code" {
			t.Errorf("wrong code: status %d body %s, want 422 on field code", res.Status, res.Body)
		}
		var subs []statuspage.Subscriber
		n.mustAPI(200, "GET", "/subscribers?type=sms&state=all&q="+url.QueryEscape(strings.TrimPrefix(ntPhone2, "+")), nil).JSON(t, &subs)
		if len(subs) != 1 || subs[0].State != "unconfirmed" {
			t.Fatalf("after a wrong code: %+v, want one unconfirmed subscriber", subs)
		}
		res = n.do("POST", "/subscriptions/verify", map[string]any{"token": token, "code": code})
		if res.Status != 200 {
			t.Fatalf("right code: status %d body %s", res.Status, res.Body)
		}
		got := ntObject(t, n.mustAPI(200, "GET", "/subscribers/"+subs[0].ID, nil))
		if got["state"] != "active" || fmt.Sprint(got["components"]) != fmt.Sprint([]any{api}) {
			t.Errorf("after the right code: %v, want active on %s", got, api)
		}
		// The code works once.
		if res := n.do("POST", "/subscriptions/verify", map[string]any{"token": token, "code": code}); res.Status == 200 {
			t.Errorf("the same code again: status 200, want a refusal")
		}

		// The HTML form does the same in two pages.
		res = n.form("/subscribe", url.Values{"mode": {"sms"}, "phone_number": {ntPhone3}})
		if res.Status != 200 || !strings.Contains(string(res.Body), `name="token"`) {
			t.Fatalf("form sign-up: status %d, body %s", res.Status, res.Body)
		}
		ftoken := regexp.MustCompile(`name="token" value="([^"]+)"`).FindSubmatch(res.Body)
		mark = n.tw.count()
		n.round()
		fcode := regexp.MustCompile(`^\d{6}`).FindString(ntSMSTo(n.tw.received(mark), ntPhone3)[0].Body)
		res = n.form("/subscriptions/verify", url.Values{"token": {string(ftoken[1])}, "code": {"000000"}})
		if fcode != "000000" && (res.Status != 422 || !strings.Contains(string(res.Body), `aria-invalid="true"`)) {
			t.Errorf("form, wrong code: status %d, want 422 with the field marked", res.Status)
		}
		res = n.form("/subscriptions/verify", url.Values{"token": {string(ftoken[1])}, "code": {fcode}})
		if res.Status != 200 {
			t.Errorf("form, right code: status %d body %s", res.Status, res.Body)
		}
	})

	t.Run("429 backs off, then delivers once", func(t *testing.T) {
		n.tw.failTo(ntPhone1, ntTwilioError{status: 429, code: 20429})
		mark := n.tw.count()
		id := n.incident(map[string]any{"name": "Busy", "body": "x", "component_ids": []string{api}})
		got := n.round()
		if got["sms:"+ntPhone1] != 0 || len(ntSMSTo(n.tw.received(mark), ntPhone1)) != 1 {
			t.Fatalf("after a 429: %v, requests %d; want one refused request", got, len(ntSMSTo(n.tw.received(mark), ntPhone1)))
		}
		counts, fails := n.channelStats(id, 0, notifier.SMS)
		if counts.Pending != 1 || len(fails) != 1 || fails[0].Code != "20429" || fails[0].Final || fails[0].SubscriberID != oneID {
			t.Errorf("after a 429: counts %+v failures %+v, want one pending with a temporary 20429", counts, fails)
		}
		// Nothing is retried before the backoff is over.
		if got := n.round(); got["sms:"+ntPhone1] != 0 || len(ntSMSTo(n.tw.received(mark), ntPhone1)) != 1 {
			t.Fatalf("retried at once: %v", got)
		}
		n.clock.Advance(time.Minute)
		if got := n.round(); got["sms:"+ntPhone1] != 1 {
			t.Fatalf("after the backoff: %v, want one SMS to %s", got, ntPhone1)
		}
		n.clock.Advance(time.Hour)
		n.round()
		if reqs := ntSMSTo(n.tw.received(mark), ntPhone1); len(reqs) != 2 || reqs[1].SID == "" {
			t.Errorf("requests to %s: %d, want the refused one and one accepted", ntPhone1, len(reqs))
		}
		if counts, _ := n.channelStats(id, 0, notifier.SMS); counts.Sent != 3 || counts.Pending != 0 || counts.Failed != 0 {
			t.Errorf("after the retry: counts %+v", counts)
		}
		if got := n.state(oneID); got != "active" {
			t.Errorf("state after a 429: %s, want active", got)
		}
	})

	sign := func(path string, p url.Values) string { return ntTwilioSign(ntTwilioTok, ntBaseURL+path, p) }

	t.Run("status callback", func(t *testing.T) {
		mark := n.tw.count()
		four := n.subscriber(map[string]any{"phone_number": "+12025550144"})
		n.incident(map[string]any{"name": "Carrier", "body": "x"})
		n.round()
		var sid string
		for _, r := range n.tw.received(mark) {
			if r.To == "+12025550144" {
				sid = r.SID
			}
		}
		if sid == "" {
			t.Fatal("no SMS to +12025550144")
		}
		const path = "/webhooks/twilio/status"
		delivered := url.Values{"MessageSid": {sid}, "MessageStatus": {"delivered"}, "AccountSid": {ntTwilioSID}, "To": {"+12025550144"}, "From": {ntTwilioFrom}}
		for _, tc := range []struct {
			name      string
			params    url.Values
			signature string
			want      int
		}{
			{"no signature", delivered, "", 403},
			{"signed with another token", delivered, ntTwilioSign("0000feedf00dfeedf00dfeedf00dfeed", ntBaseURL+path, delivered), 403},
			{"signed for another URL", delivered, ntTwilioSign(ntTwilioTok, ntBaseURL+"/webhooks/twilio/inbound", delivered), 403},
			{"garbage signature", delivered, "not base64 at all", 403},
			{"valid", delivered, sign(path, delivered), 204},
		} {
			if res := n.twilio(path, tc.params, tc.signature); res.Status != tc.want {
				t.Errorf("%s: status %d, want %d; body %s", tc.name, res.Status, tc.want, res.Body)
			}
		}
		// Parameters changed after signing.
		tampered := url.Values{"MessageSid": {sid}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30006"}, "AccountSid": {ntTwilioSID}}
		if res := n.twilio(path, tampered, sign(path, delivered)); res.Status != 403 {
			t.Errorf("tampered parameters: status %d, want 403", res.Status)
		}
		if got := n.state(four["id"].(string)); got != "active" {
			t.Fatalf("after refused callbacks: state %s, want active", got)
		}
		// A landline (30006) reported undeliverable quarantines the number.
		if res := n.twilio(path, tampered, sign(path, tampered)); res.Status != 204 {
			t.Fatalf("undelivered callback: status %d, body %s", res.Status, res.Body)
		}
		if got := n.state(four["id"].(string)); got != "quarantined" {
			t.Errorf("after an undelivered 30006: state %s, want quarantined", got)
		}
		// Unknown message ids are acknowledged and change nothing.
		unknown := url.Values{"MessageSid": {"SM" + strings.Repeat("0", 32)}, "MessageStatus": {"failed"}}
		if res := n.twilio(path, unknown, sign(path, unknown)); res.Status != 204 {
			t.Errorf("unknown MessageSid: status %d", res.Status)
		}
	})

	t.Run("inbound STOP, START, HELP", func(t *testing.T) {
		const path = "/webhooks/twilio/inbound"
		five := n.subscriber(map[string]any{"phone_number": "+12025550145"})
		id := five["id"].(string)
		reply := func(body, wantState string) string {
			t.Helper()
			p := url.Values{"From": {"+12025550145"}, "To": {ntTwilioFrom}, "Body": {body}, "MessageSid": {"SM" + strings.Repeat("1", 32)}, "AccountSid": {ntTwilioSID}}
			res := n.twilio(path, p, sign(path, p))
			if res.Status != 200 || !strings.Contains(res.Header.Get("Content-Type"), "xml") {
				t.Fatalf("%s: status %d, Content-Type %s, body %s", body, res.Status, res.Header.Get("Content-Type"), res.Body)
			}
			if got := n.state(id); got != wantState {
				t.Errorf("after %q: state %s, want %s", body, got, wantState)
			}
			var tw struct {
				XMLName xml.Name `xml:"Response"`
				Message string   `xml:"Message"`
			}
			if err := xml.Unmarshal(res.Body, &tw); err != nil {
				t.Fatalf("%s: reply is not TwiML: %v: %s", body, err, res.Body)
			}
			return tw.Message
		}
		if msg := reply("HELP", "active"); !strings.Contains(msg, ntPageName) || !strings.Contains(msg, "STOP") {
			t.Errorf("HELP reply %q, want the page name and how to stop", msg)
		}
		if msg := reply(" stop ", "unsubscribed"); msg != "" {
			t.Errorf("STOP reply %q, want none (Twilio confirms it)", msg)
		}
		mark := n.tw.count()
		n.incident(map[string]any{"name": "After STOP", "body": "x"})
		n.round()
		if got := ntSMSTo(n.tw.received(mark), "+12025550145"); len(got) != 0 {
			t.Errorf("%d SMS after STOP", len(got))
		}
		reply("START", "active")
		reply("hello", "active")

		// Unsigned, it changes nothing.
		p := url.Values{"From": {"+12025550145"}, "Body": {"STOP"}}
		if res := n.twilio(path, p, ""); res.Status != 403 {
			t.Errorf("unsigned STOP: status %d, want 403", res.Status)
		}
		if res := n.twilio(path, p, sign(path, url.Values{"From": {"+12025550145"}, "Body": {"HELP"}})); res.Status != 403 {
			t.Errorf("STOP with HELP's signature: status %d, want 403", res.Status)
		}
		if got := n.state(id); got != "active" {
			t.Errorf("after unsigned STOP: state %s, want active", got)
		}
	})

	t.Run("21610 unsubscribes, 21211 quarantines", func(t *testing.T) {
		six := n.subscriber(map[string]any{"phone_number": "+12025550146"})
		seven := n.subscriber(map[string]any{"phone_number": "+12025550147"})
		n.tw.failTo("+12025550146", ntTwilioError{status: 400, code: 21610})
		n.tw.failTo("+12025550147", ntTwilioError{status: 400, code: 21211})
		id := n.incident(map[string]any{"name": "Refusals", "body": "x"})
		n.round()
		if got := n.state(six["id"].(string)); got != "unsubscribed" {
			t.Errorf("after 21610: state %s, want unsubscribed", got)
		}
		if got := n.state(seven["id"].(string)); got != "quarantined" {
			t.Errorf("after 21211: state %s, want quarantined", got)
		}
		counts, fails := n.channelStats(id, 0, notifier.SMS)
		codes := map[string]bool{}
		for _, f := range fails {
			if f.Final {
				codes[f.Code] = true
			}
		}
		if counts.Failed != 2 || !codes["21610"] || !codes["21211"] {
			t.Errorf("counts %+v failures %+v, want 2 failed with final 21610 and 21211", counts, fails)
		}
		// Neither is tried again, now or later.
		n.clock.Advance(2 * time.Hour)
		mark := n.tw.count()
		n.incident(map[string]any{"name": "Later", "body": "x"})
		n.round()
		for _, r := range n.tw.received(mark) {
			if r.To == "+12025550146" || r.To == "+12025550147" {
				t.Errorf("SMS to %s after a permanent refusal", r.To)
			}
		}
	})
}

func ntAtoi(t testing.TB, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ---------------------------------------------------------------------
// 4. Webhooks

// ntPayload decodes a webhook body into its top-level keys.
func ntPayload(t testing.TB, r ntHookReq) map[string]json.RawMessage {
	t.Helper()
	var p map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("payload to %s is not a JSON object: %v: %s", r.Path, err, r.Body)
	}
	return p
}

// ntVerify checks a webhook request's signature with secret.
func ntVerify(t testing.TB, r ntHookReq, secret string) {
	t.Helper()
	ts, err := strconv.ParseInt(r.Header.Get(webhook.TimestampHeader), 10, 64)
	if err != nil {
		t.Fatalf("%s: %s %q is not a unix time", r.Path, webhook.TimestampHeader, r.Header.Get(webhook.TimestampHeader))
	}
	sig := r.Header.Get(webhook.SignatureHeader)
	if !webhook.Verify(secret, sig, ts, r.Body) {
		t.Errorf("%s: %s %q does not verify with the subscriber's secret", r.Path, webhook.SignatureHeader, sig)
	}
	if webhook.Verify(secret+"x", sig, ts, r.Body) || webhook.Verify(secret, sig, ts+1, r.Body) ||
		webhook.Verify(secret, sig, ts, append(slices.Clone(r.Body), ' ')) {
		t.Errorf("%s: the signature verifies with another secret, timestamp or body", r.Path)
	}
}

func TestNotifyWebhooks(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")

	t.Run("payload and signature", func(t *testing.T) {
		sub := n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/a"})
		secret, _ := sub["signing_secret"].(string)
		if sub["state"] != "active" || len(secret) < 32 {
			t.Fatalf("created webhook subscriber: %v, want active with a signing_secret", sub)
		}
		if got := ntObject(t, n.mustAPI(200, "GET", "/subscribers/"+sub["id"].(string), nil)); got["signing_secret"] != nil {
			t.Errorf("GET shows the signing secret again: %v", got)
		}
		ntWant(t, "after creation by staff", n.round(), nil)

		mark := n.hooks.count()
		id := n.incident(map[string]any{"name": "API down", "body": "We are *on it*.", "components": map[string]string{api: "major_outage"}})
		ntWant(t, "incident", n.round(), map[string]int{"webhook:/a": 2})
		var inc ntHookReq
		for _, r := range n.hooks.received(mark) {
			ntVerify(t, r, secret)
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q, want application/json", got)
			}
			if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, "Beacon") {
				t.Errorf("User-Agent %q", got)
			}
			if _, ok := ntPayload(t, r)["incident"]; ok {
				inc = r
			}
		}
		if inc.Body == nil {
			t.Fatal("no incident payload")
		}
		p := ntPayload(t, inc)
		if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, []string{"incident", "meta", "page"}) {
			t.Errorf("payload keys %v, want incident, meta, page", got)
		}
		var meta struct{ Unsubscribe, Documentation string }
		var page struct {
			ID                string `json:"id"`
			StatusIndicator   string `json:"status_indicator"`
			StatusDescription string `json:"status_description"`
		}
		var in struct {
			ID, Name, Status, Impact, Shortlink string
			PageID                              string `json:"page_id"`
			Updates                             []struct {
				ID, Status, Body string
				IncidentID       string `json:"incident_id"`
				Affected         []struct {
					Code      string `json:"code"`
					NewStatus string `json:"new_status"`
				} `json:"affected_components"`
			} `json:"incident_updates"`
			Components []struct{ ID, Name, Status string } `json:"components"`
		}
		for k, v := range map[string]any{"meta": &meta, "page": &page, "incident": &in} {
			if err := json.Unmarshal(p[k], v); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		if !strings.HasPrefix(meta.Unsubscribe, ntBaseURL+"/unsubscribe/") || !strings.HasPrefix(meta.Documentation, "http") {
			t.Errorf("meta %+v, want an unsubscribe link and documentation", meta)
		}
		if page.ID != n.pageID || page.StatusIndicator != "critical" || page.StatusDescription != "Major System Outage" {
			t.Errorf("page %+v, want id %s, critical, Major System Outage", page, n.pageID)
		}
		if in.ID != id || in.Name != "API down" || in.Status != "investigating" || in.Impact != "critical" || in.PageID != n.pageID {
			t.Errorf("incident %+v", in)
		}
		if len(in.Updates) != 1 || in.Updates[0].Body != "We are *on it*." || in.Updates[0].IncidentID != id ||
			len(in.Updates[0].Affected) != 1 || in.Updates[0].Affected[0].Code != api || in.Updates[0].Affected[0].NewStatus != "major_outage" {
			t.Errorf("incident_updates %+v", in.Updates)
		}
		if len(in.Components) != 1 || in.Components[0].ID != api || in.Components[0].Status != "major_outage" {
			t.Errorf("components %+v", in.Components)
		}

		// The next update carries the whole timeline, newest first.
		mark = n.hooks.count()
		n.patch(id, map[string]any{"status": "identified", "body": "Found"})
		n.round()
		got := n.hooks.received(mark)
		if len(got) != 1 {
			t.Fatalf("%d payloads for an update, want 1", len(got))
		}
		ntVerify(t, got[0], secret)
		_ = json.Unmarshal(ntPayload(t, got[0])["incident"], &in)
		if in.Status != "identified" || len(in.Updates) != 2 || in.Updates[0].Status != "identified" {
			t.Errorf("incident after an update: status %s, updates %+v", in.Status, in.Updates)
		}

		// meta.unsubscribe works as a one-click unsubscribe.
		if res := n.do("POST", strings.TrimPrefix(meta.Unsubscribe, ntBaseURL), nil); res.Status != 200 {
			t.Fatalf("POST meta.unsubscribe: status %d", res.Status)
		}
		if got := n.state(sub["id"].(string)); got != "unsubscribed" {
			t.Errorf("after POST meta.unsubscribe: state %s", got)
		}
	})

	t.Run("public sign-up is confirmed by the test delivery", func(t *testing.T) {
		n.hooks.answer("/c", 500)
		n.hooks.answer("/d", 404)
		secrets := map[string]string{}
		for _, path := range []string{"/b", "/c", "/d"} {
			res := n.do("POST", "/subscribe", map[string]any{"mode": "webhook", "endpoint": n.hooks.URL + path})
			if res.Status != 202 {
				t.Fatalf("sign-up %s: status %d, body %s", path, res.Status, res.Body)
			}
			secrets[path] = ntString(t, res, "signing_secret")
		}
		ids := map[string]string{}
		var subs []statuspage.Subscriber
		n.mustAPI(200, "GET", "/subscribers?type=webhook&state=unconfirmed", nil).JSON(t, &subs)
		for _, s := range subs {
			ids[strings.TrimPrefix(*s.Endpoint, n.hooks.URL)] = s.ID
		}
		if len(ids) != 3 {
			t.Fatalf("unconfirmed webhooks %v, want /b, /c and /d", ids)
		}
		mark := n.hooks.count()
		ntWant(t, "test deliveries", n.round(), map[string]int{"webhook:/b": 1, "webhook:/c": 1, "webhook:/d": 1})
		for _, r := range n.hooks.received(mark) {
			ntVerify(t, r, secrets[r.Path])
			p := ntPayload(t, r)
			if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, []string{"meta", "page"}) {
				t.Errorf("test delivery to %s: keys %v, want meta and page", r.Path, got)
			}
		}
		for path, want := range map[string]string{"/b": "active", "/c": "unconfirmed", "/d": "unconfirmed"} {
			if got := n.state(ids[path]); got != want {
				t.Errorf("%s after its test delivery: state %s, want %s", path, got, want)
			}
		}
		// Unconfirmed webhooks hear nothing.
		n.incident(map[string]any{"name": "While unconfirmed", "body": "x"})
		ntWant(t, "incident", n.round(), map[string]int{"webhook:/b": 1})
		// The 500 was temporary: the test delivery is retried and then
		// confirms; the 404 was not.
		n.clock.Advance(2 * time.Hour)
		ntWant(t, "retries", n.round(), map[string]int{"webhook:/c": 1})
		if got := n.state(ids["/c"]); got != "active" {
			t.Errorf("/c after a successful retry: state %s, want active", got)
		}
		if got := n.state(ids["/d"]); got != "unconfirmed" {
			t.Errorf("/d after a 404: state %s, want unconfirmed", got)
		}
	})

	t.Run("public sign-up of a known URL reveals nothing", func(t *testing.T) {
		staff := n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/staff"})
		res := n.do("POST", "/subscribe", map[string]any{"mode": "webhook", "endpoint": n.hooks.URL + "/staff"})
		if res.Status != 202 {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
		decoy, _ := ntObject(t, res)["signing_secret"].(string)
		if decoy == staff["signing_secret"] {
			t.Fatalf("the public sign-up hands out the existing subscriber's signing_secret: anyone who knows " +
				"the URL could forge signed payloads to it")
		}
		if !strings.HasPrefix(decoy, "whsec_") || len(decoy) != len(staff["signing_secret"].(string)) {
			t.Errorf("signing_secret %q does not look like a new subscriber's", decoy)
		}
		// Nothing changed for the subscriber: no test delivery, and its
		// payloads are still signed with the key staff were given.
		mark := n.hooks.count()
		n.incident(map[string]any{"name": "After a public sign-up of a known URL", "body": "x"})
		n.round()
		var got []ntHookReq
		for _, r := range n.hooks.received(mark) {
			if r.Path == "/staff" {
				got = append(got, r)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%d requests to /staff, want the incident alone", len(got))
		}
		ntVerify(t, got[0], staff["signing_secret"].(string))
	})

	t.Run("private addresses are refused", func(t *testing.T) {
		strict := ntNew(t, func(c *Config) { c.WebhookAllowPrivate = false })
		var answers []response
		for _, u := range []string{
			n.hooks.URL + "/x", "http://localhost/x", "http://10.0.0.1/x", "http://192.168.1.1/x",
			"http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://0.0.0.0/x", "http://[::ffff:127.0.0.1]/x",
		} {
			res := strict.do("POST", "/subscribe", map[string]any{"mode": "webhook", "endpoint": u})
			answers = append(answers, res)
			if res.Status != 500 && (res.Status != 422 || !strings.Contains(string(res.Body), `"field":"endpoint"`)) {
				t.Errorf("JSON sign-up of %s: status %d body %s, want 422 on endpoint", u, res.Status, res.Body)
			}
			res = strict.form("/subscribe", url.Values{"mode": {"webhook"}, "endpoint": {u}})
			answers = append(answers, res)
			if res.Status != 500 && (res.Status != 422 || !ntFieldMarked(res.Body, "endpoint")) {
				t.Errorf("form sign-up of %s: status %d, want 422 with the endpoint field marked", u, res.Status)
			}
		}
		res := strict.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"endpoint": n.hooks.URL + "/x", "skip_confirmation_notification": true}})
		answers = append(answers, res)
		if res.Status != 500 && res.Status != 422 {
			t.Errorf("API create with a private endpoint: status %d body %s, want 422", res.Status, res.Body)
		}
		// Whatever the answer, nothing is stored and nothing is sent.
		if got := ntWebhookCount(t, strict.testEnv); got != 0 {
			t.Errorf("%d webhook subscribers after refusals, want 0", got)
		}
		strict.round()
		if got := strict.hooks.count(); got != 0 {
			t.Errorf("%d requests reached the receiver", got)
		}
		for _, res := range answers {
			ntNo500(t, res)
		}
	})

	t.Run("refused at connect time", func(t *testing.T) {
		// Signed up while private addresses were allowed, then the
		// operator turned that off: the sender refuses to connect.
		sub := n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/was-allowed"})
		cfg := n.app.cfg
		cfg.WebhookAllowPrivate = false
		strict := &ntEnv{testEnv: openTestEnv(t, cfg, n.clock), mail: n.mail, tw: n.tw, hooks: n.hooks}
		strict.mark = [3]int{n.mail.Count(), n.tw.count(), n.hooks.count()}
		id := strict.incident(map[string]any{"name": "After the switch", "body": "x"})
		if got := strict.round(); got["webhook:/was-allowed"] != 0 {
			t.Fatalf("the webhook reached %v", got)
		}
		counts, fails := strict.channelStats(id, 0, notifier.Webhook)
		var reason string
		for _, f := range fails {
			if f.SubscriberID == sub["id"] {
				reason = f.Error
				if !f.Final {
					t.Errorf("refusal is not final: %+v", f)
				}
			}
		}
		if counts.Failed == 0 || !strings.Contains(reason, "refused") || !strings.Contains(reason, "private address") {
			t.Errorf("counts %+v, reason %q: want a final failure naming the forbidden address", counts, reason)
		}
		if strings.Contains(reason, n.hooks.URL) {
			t.Errorf("the failure reason shows the URL: %q", reason)
		}
	})
}

// ntWebhookCount returns how many webhook subscribers exist in any state.
func ntWebhookCount(t testing.TB, env *testEnv) int {
	t.Helper()
	var h map[string]map[string]int
	env.mustAPI(200, "GET", "/subscribers/histogram_by_state", nil).JSON(t, &h)
	total := 0
	for _, n := range h["webhook"] {
		total += n
	}
	return total
}

// ---------------------------------------------------------------------
// 5. Email faults through the whole app

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

// ---------------------------------------------------------------------
// 6. Public endpoints with hostile input

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

func TestNotifyPublicHostileInput(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")
	big := strings.Repeat("a", 10<<10)
	many := make([]string, 501)
	for i := range many {
		many[i] = api
	}
	cases := []struct {
		name   string
		values url.Values
		field  string
	}{
		{"no fields at all", url.Values{}, "email"},
		{"blank email", url.Values{"email": {"   "}}, "email"},
		{"not an email", url.Values{"email": {"not-an-email"}}, "email"},
		{"email without a domain dot", url.Values{"email": {"root@localhost"}}, "email"},
		{"email with a display name", url.Values{"email": {"Eve <eve@example.com>"}}, "email"},
		{"header injection with CR LF", url.Values{"email": {"eve@example.com\r\nBcc: victim@example.com"}}, "email"},
		{"header injection with LF", url.Values{"email": {"eve@example.com\nSubject: hi"}}, "email"},
		{"two addresses", url.Values{"email": {"eve@example.com, victim@example.com"}}, "email"},
		{"markup in the email", url.Values{"email": {`"><script>alert(1)</script>@example.com`}}, "email"},
		{"10 KB email", url.Values{"email": {big + "@example.com"}}, "email"},
		{"unknown mode", url.Values{"mode": {"pigeon"}, "email": {"ok@example.com"}}, "mode"},
		{"blank phone", url.Values{"mode": {"sms"}}, "phone_number"},
		{"not a phone number", url.Values{"mode": {"sms"}, "phone_number": {"12"}}, "phone_number"},
		{"letters for a phone number", url.Values{"mode": {"sms"}, "phone_number": {"+1 CALL-NOW"}}, "phone_number"},
		{"10 KB phone number", url.Values{"mode": {"sms"}, "phone_number": {"+1" + strings.Repeat("2", 10<<10)}}, "phone_number"},
		{"country not allowed", url.Values{"mode": {"sms"}, "phone_number": {"+33612345678"}}, "phone_number"},
		{"premium-rate number", url.Values{"mode": {"sms"}, "phone_number": {"+19005550123"}}, "phone_number"},
		{"blank URL", url.Values{"mode": {"webhook"}}, "endpoint"},
		{"javascript: URL", url.Values{"mode": {"webhook"}, "endpoint": {"javascript:alert(document.cookie)"}}, "endpoint"},
		{"data: URL", url.Values{"mode": {"webhook"}, "endpoint": {"data:text/html,<script>alert(1)</script>"}}, "endpoint"},
		{"ftp URL", url.Values{"mode": {"webhook"}, "endpoint": {"ftp://example.com/hook"}}, "endpoint"},
		{"URL without a host", url.Values{"mode": {"webhook"}, "endpoint": {"https:///hook"}}, "endpoint"},
		{"URL with credentials", url.Values{"mode": {"webhook"}, "endpoint": {"https://user:pass@example.com/hook"}}, "endpoint"},
		{"10 KB URL", url.Values{"mode": {"webhook"}, "endpoint": {"https://example.com/" + big}}, "endpoint"},
		{"unknown component", url.Values{"email": {"ok@example.com"}, "component_ids": {"zzzzzzzzzzzz"}}, "component_ids"},
		{"10 KB component id", url.Values{"email": {"ok@example.com"}, "component_ids": {big}}, "component_ids"},
		{"501 components", url.Values{"email": {"ok@example.com"}, "component_ids": many}, "component_ids"},
	}
	before := n.snapshot()
	for _, tc := range cases {
		t.Run("form/"+tc.name, func(t *testing.T) {
			res := n.form("/subscribe", tc.values)
			ntNo500(t, res)
			if res.Status != 422 {
				t.Fatalf("status %d, want 422; body %.300s", res.Status, res.Body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want the form again", ct)
			}
			body := string(res.Body)
			if !strings.Contains(body, `<form method="post" action="/subscribe"`) || !strings.Contains(body, `role="alert"`) {
				t.Errorf("the form is not re-rendered with an error:\n%.2000s", body)
			}
			switch tc.field {
			case "email", "phone_number", "endpoint":
				if !ntFieldMarked(res.Body, tc.field) {
					t.Errorf("the %s field is not marked aria-invalid", tc.field)
				}
			}
			if strings.Contains(body, "<script>alert(") {
				t.Errorf("the page echoes markup unescaped")
			}
			if v := tc.values.Get(tc.field); tc.field == "email" && v != "" && len(v) < 100 && !strings.ContainsAny(v, "\r\n") &&
				!strings.Contains(body, `value="`+template.HTMLEscapeString(v)) {
				t.Errorf("the value typed is not kept in the form")
			}
			if len(res.Body) > 200<<10 {
				t.Errorf("a %d-byte answer", len(res.Body))
			}
		})
		t.Run("json/"+tc.name, func(t *testing.T) {
			body := map[string]any{}
			for k, v := range tc.values {
				if k == "component_ids" {
					body[k] = v
				} else {
					body[k] = v[0]
				}
			}
			res := n.do("POST", "/subscribe", body)
			ntNo500(t, res)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != tc.field || e.Message == "" {
				t.Errorf("status %d %+v, want 422 on %s with a message", res.Status, e, tc.field)
			}
			if len(e.Message) > 1000 {
				t.Errorf("the message is %d bytes long: the input is echoed", len(e.Message))
			}
		})
	}
	if after := n.snapshot(); after != before {
		t.Errorf("refused sign-ups changed something:\n--- before\n%s\n--- after\n%s", before, after)
	}

	t.Run("malformed bodies", func(t *testing.T) {
		for _, tc := range []struct {
			name, contentType, body string
			want                    int
		}{
			{"truncated JSON", "application/json", `{"email": "a@example.com"`, 400},
			{"JSON array", "application/json", `["a@example.com"]`, 400},
			{"JSON string", "application/json", `"a@example.com"`, 400},
			{"email as a number", "application/json", `{"email": 5}`, 422},
			{"components as a string", "application/json", `{"email": "a@example.com", "component_ids": "all"}`, 422},
			{"NUL byte in JSON", "application/json", `{"email": "a\u0000@example.com"}`, 422},
			{"raw NUL byte", "application/json", "{\"email\": \"a\x00@example.com\"}", 400},
			{"bad percent-encoding", "application/x-www-form-urlencoded", "email=%zz%", 0},
			{"binary garbage", "application/octet-stream", "\x00\x01\x02\xff", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := n.do("POST", "/subscribe", tc.body, "Content-Type", tc.contentType)
				ntNo500(t, res)
				if tc.want != 0 && res.Status != tc.want {
					t.Errorf("status %d, want %d; body %s", res.Status, tc.want, res.Body)
				}
				if res.Status < 400 || res.Status >= 500 {
					t.Errorf("status %d, want a 4xx; body %.300s", res.Status, res.Body)
				}
			})
		}
		// Bodies over the limit never reach the handler: over a real
		// connection, the server answers 413.
		addr := ntServe(t, n.testEnv)
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
			head := fmt.Sprintf("POST /subscribe HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", addr, ct, 2<<20)
			if got := ntRawStatus(t, addr, head+`{"email":"`+strings.Repeat("a", 4096)); got != 413 {
				t.Errorf("%s body of 2 MB: status %d, want 413", ct, got)
			}
		}
		// So are request lines over the server's buffer.
		if got := ntRawStatus(t, addr, "GET /subscriptions/confirm?token="+big+" HTTP/1.1\r\nHost: x\r\n\r\n"); got < 400 || got >= 500 {
			t.Errorf("a 10 KB token in the URL: status %d, want a 4xx", got)
		}
		if after := n.snapshot(); after != before {
			t.Errorf("malformed bodies changed something:\n%s", after)
		}
	})

	// Real links to tamper with: Bob signs up by email and is sent one.
	if res := n.form("/subscribe", url.Values{"email": {"bob@example.com"}}); res.Status != 202 {
		t.Fatalf("sign-up: status %d", res.Status)
	}
	n.round()
	confirmLink := strings.TrimPrefix(ntLink(t, ntParseEmail(t, n.mailAt(0)).Text, ntBaseURL+"/subscriptions/confirm?token="), ntBaseURL)
	confirmTok, _ := url.QueryUnescape(strings.TrimPrefix(confirmLink, "/subscriptions/confirm?token="))
	carol := n.subscriber(map[string]any{"email": "carol@example.com"})
	carolID := carol["id"].(string)
	manageTok := n.app.subscribers.Link(subscribers.PurposeManage, carolID)
	unsubTok := n.app.subscribers.Link(subscribers.PurposeUnsubscribe, carolID)
	flip := func(tok string) string {
		last := tok[len(tok)-1]
		c := "A"
		if last == 'A' {
			c = "B"
		}
		return tok[:len(tok)-1] + c
	}
	// Carol's id under Bob's signature, and a token naming no one.
	forged := strings.Replace(confirmTok, strings.Split(confirmTok, ".")[1], carolID, 1)

	t.Run("bogus tokens", func(t *testing.T) {
		before := n.snapshot()
		q := url.QueryEscape
		for _, tc := range []struct {
			name, method, path string
			form               url.Values
		}{
			{"confirm without a token", "GET", "/subscriptions/confirm", nil},
			{"confirm with junk", "GET", "/subscriptions/confirm?token=junk", nil},
			{"confirm with a 3 KB token", "GET", "/subscriptions/confirm?token=" + big[:3<<10], nil},
			{"confirm with a tampered token", "GET", "/subscriptions/confirm?token=" + q(flip(confirmTok)), nil},
			{"confirm with a forged subscriber", "GET", "/subscriptions/confirm?token=" + q(forged), nil},
			{"confirm with a manage token", "GET", "/subscriptions/confirm?token=" + q(n.app.subscribers.Link(subscribers.PurposeManage, strings.Split(confirmTok, ".")[1])), nil},
			{"confirm with an unsubscribe token", "GET", "/subscriptions/confirm?token=" + q(n.app.subscribers.Link(subscribers.PurposeUnsubscribe, strings.Split(confirmTok, ".")[1])), nil},
			{"manage with junk", "GET", "/subscriptions/manage?token=junk", nil},
			{"manage with a tampered token", "GET", "/subscriptions/manage?token=" + q(flip(manageTok)), nil},
			{"manage with an unsubscribe token", "GET", "/subscriptions/manage?token=" + q(unsubTok), nil},
			{"manage with a confirm token", "GET", "/subscriptions/manage?token=" + q(confirmTok), nil},
			{"save preferences with junk", "POST", "/subscriptions/manage", url.Values{"token": {"junk"}, "component_ids": {api}}},
			{"save preferences with a tampered token", "POST", "/subscriptions/manage", url.Values{"token": {flip(manageTok)}, "component_ids": {api}}},
			{"save preferences with an unsubscribe token", "POST", "/subscriptions/manage", url.Values{"token": {unsubTok}, "component_ids": {api}}},
			{"unsubscribe page with junk", "GET", "/unsubscribe/junk", nil},
			{"unsubscribe page with a tampered token", "GET", "/unsubscribe/" + flip(unsubTok), nil},
			{"unsubscribe with junk", "POST", "/unsubscribe/junk", url.Values{"List-Unsubscribe": {"One-Click"}}},
			{"unsubscribe with a 3 KB token", "POST", "/unsubscribe/" + big[:3<<10], nil},
			{"unsubscribe with a tampered token", "POST", "/unsubscribe/" + flip(unsubTok), url.Values{"List-Unsubscribe": {"One-Click"}}},
			{"unsubscribe with a confirm token", "POST", "/unsubscribe/" + q(confirmTok), nil},
			{"verify with junk", "POST", "/subscriptions/verify", url.Values{"token": {"junk"}, "code": {"123456"}}},
			{"verify with a confirm token", "POST", "/subscriptions/verify", url.Values{"token": {confirmTok}, "code": {"123456"}}},
			{"verify without a token", "POST", "/subscriptions/verify", url.Values{"code": {"123456"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var res response
				if tc.method == "GET" {
					res = n.do("GET", tc.path, nil)
				} else {
					res = n.form(tc.path, tc.form)
				}
				if res.Status != 400 {
					t.Errorf("status %d, want 400; body %.300s", res.Status, res.Body)
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type %q, want a page", ct)
				}
				if strings.Contains(string(res.Body), "carol@example.com") || strings.Contains(string(res.Body), "bob@example.com") {
					t.Errorf("the page shows a subscriber's address")
				}
				// JSON callers get JSON.
				var jres response
				if tc.method == "GET" {
					jres = n.do("GET", tc.path, nil, "Accept", "application/json")
				} else {
					body := map[string]any{}
					for k, v := range tc.form {
						body[k] = v[0]
						if k == "component_ids" {
							body[k] = v
						}
					}
					jres = n.do(tc.method, tc.path, body)
				}
				var e web.ErrorBody
				jres.JSON(t, &e)
				if jres.Status != 400 || e.Message == "" {
					t.Errorf("JSON: status %d %+v, want 400 with a message", jres.Status, e)
				}
			})
		}
		if after := n.snapshot(); after != before {
			t.Errorf("bogus tokens changed something:\n--- before\n%s\n--- after\n%s", before, after)
		}
		if got := n.state(carolID); got != "active" {
			t.Errorf("carol: state %s, want active", got)
		}
	})

	t.Run("links expire, except unsubscribe", func(t *testing.T) {
		clock := n.clock.Now()
		defer n.clock.Set(clock)
		n.clock.Advance(91 * 24 * time.Hour)
		if res := n.do("GET", confirmLink, nil); res.Status != 400 {
			t.Errorf("confirmation link after 91 days: status %d, want 400", res.Status)
		}
		if res := n.do("GET", "/subscriptions/manage?token="+url.QueryEscape(manageTok), nil); res.Status != 400 {
			t.Errorf("manage link after 91 days: status %d, want 400", res.Status)
		}
		if res := n.do("GET", "/unsubscribe/"+unsubTok, nil); res.Status != 200 {
			t.Errorf("unsubscribe link after 91 days: status %d, want 200", res.Status)
		}
	})

	t.Run("SMS codes allow few attempts", func(t *testing.T) {
		res := n.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": ntPhone1})
		if res.Status != 202 {
			t.Fatalf("sign-up: status %d body %s", res.Status, res.Body)
		}
		token := ntString(t, res, "verify_token")
		mark := n.tw.count()
		n.round()
		code := regexp.MustCompile(`^\d{6}`).FindString(ntSMSTo(n.tw.received(mark), ntPhone1)[0].Body)
		wrong := fmt.Sprintf("%06d", (ntAtoi(t, code)+1)%1_000_000)
		for i, c := range []string{wrong, "abcdef", "12345", "1234567", wrong} {
			if res := n.do("POST", "/subscriptions/verify", map[string]any{"token": token, "code": c}); res.Status != 422 {
				t.Errorf("wrong code %d %q: status %d, want 422", i, c, res.Status)
			}
		}
		if res := n.do("POST", "/subscriptions/verify", map[string]any{"token": token, "code": code}); res.Status != 422 {
			t.Errorf("right code after 5 wrong ones: status %d, want 422 (the code is dead)", res.Status)
		}
		var subs []statuspage.Subscriber
		n.mustAPI(200, "GET", "/subscribers?type=sms&state=all", nil).JSON(t, &subs)
		if len(subs) != 1 || subs[0].State != "unconfirmed" {
			t.Errorf("after a guessing attempt: %+v, want one unconfirmed", subs)
		}
	})

	t.Run("same answer for a new and a known address", func(t *testing.T) {
		m := ntNew(t)
		m.subscriber(map[string]any{"email": "active@example.com"})
		m.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": "pending@example.com"}})
		gone := m.subscriber(map[string]any{"email": "gone@example.com"})
		m.mustAPI(200, "DELETE", "/subscribers/"+gone["id"].(string), nil)
		m.subscriber(map[string]any{"phone_number": ntPhone2})
		m.subscriber(map[string]any{"endpoint": m.hooks.URL + "/known"})

		tokens := regexp.MustCompile(`("verify_token":"|name="token" value=")[^"]+`)
		secrets := regexp.MustCompile(`whsec_[0-9a-f]+`)
		mask := func(b []byte) string {
			return secrets.ReplaceAllString(tokens.ReplaceAllString(string(b), "${1}X"), "whsec_X")
		}
		for _, tc := range []struct {
			name, field string
			values      []string
		}{
			{"email", "email", []string{"new@example.com", "active@example.com", "pending@example.com", "gone@example.com", "Active@Example.com"}},
			{"sms", "phone_number", []string{ntPhone3, ntPhone2}},
			{"webhook", "endpoint", []string{m.hooks.URL + "/new", m.hooks.URL + "/known"}},
		} {
			for _, asJSON := range []bool{false, true} {
				var first response
				for i, v := range tc.values {
					var res response
					if asJSON {
						res = m.do("POST", "/subscribe", map[string]any{"mode": tc.name, tc.field: v})
					} else {
						res = m.form("/subscribe", url.Values{"mode": {tc.name}, tc.field: {v}})
					}
					if res.Status >= 300 {
						t.Fatalf("%s %s (json %v): status %d body %s", tc.name, v, asJSON, res.Status, res.Body)
					}
					if i == 0 {
						first = res
						continue
					}
					if res.Status != first.Status || mask(res.Body) != mask(first.Body) {
						t.Errorf("%s (json %v): %s answers %d %s\nbut %s answers %d %s", tc.name, asJSON, v, res.Status, mask(res.Body),
							tc.values[0], first.Status, mask(first.Body))
					}
				}
			}
		}
	})

	t.Run("SMS sign-ups per IP are limited", func(t *testing.T) {
		m := ntNew(t)
		var last response
		for i := range 11 {
			last = m.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": fmt.Sprintf("+1202555%04d", 150+i)})
			if i < 10 && last.Status != 202 {
				t.Fatalf("sign-up %d: status %d, body %s", i+1, last.Status, last.Body)
			}
		}
		var e web.ErrorBody
		last.JSON(t, &e)
		if last.Status != 429 || !strings.Contains(e.Message, "Too many") {
			t.Fatalf("11th SMS sign-up: status %d %+v, want 429 with a clear message", last.Status, e)
		}
		ra, err := strconv.Atoi(last.Header.Get("Retry-After"))
		if err != nil || ra < 3*3600 || ra > 4*3600 {
			t.Errorf("Retry-After %q, want about 4 hours in seconds", last.Header.Get("Retry-After"))
		}
		res := m.form("/subscribe", url.Values{"mode": {"sms"}, "phone_number": {"+12025550199"}})
		if res.Status != 429 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(res.Body), "Too many") {
			t.Errorf("form over the limit: status %d Retry-After %q", res.Status, res.Header.Get("Retry-After"))
		}
		// Email sign-ups from the same network are a separate limit.
		if res := m.form("/subscribe", url.Values{"email": {"still@example.com"}}); res.Status != 202 {
			t.Errorf("email sign-up while SMS is limited: status %d", res.Status)
		}
		mark := m.tw.count()
		m.round()
		if got := len(m.tw.received(mark)); got != 10 {
			t.Errorf("%d code SMS sent, want 10", got)
		}
		m.clock.Advance(time.Duration(ra+1) * time.Second)
		if res := m.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": "+12025550199"}); res.Status != 202 {
			t.Errorf("after Retry-After: status %d body %s", res.Status, res.Body)
		}
	})
}

// ntRawStatus writes raw to a new connection to addr and returns the
// status of the answer, without sending the rest of any body announced.
func ntRawStatus(t testing.TB, addr, raw string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// ntServe serves env's app on a loopback port and returns its address.
func ntServe(t testing.TB, env *testEnv) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = env.fiber.Listener(ln)
	}()
	t.Cleanup(func() {
		_ = env.fiber.Shutdown()
		<-done
	})
	return ln.Addr().String()
}

// ---------------------------------------------------------------------
// 7. Management API: subscribers

// list fetches a subscriber list and its X-Total-Count.
func (n *ntEnv) list(query string) ([]statuspage.Subscriber, int) {
	n.t.Helper()
	res := n.mustAPI(200, "GET", "/subscribers"+query, nil)
	var out []statuspage.Subscriber
	res.JSON(n.t, &out)
	if out == nil {
		n.t.Fatalf("GET /subscribers%s: body %s is not a list", query, res.Body)
	}
	total, err := strconv.Atoi(res.Header.Get("X-Total-Count"))
	if err != nil {
		n.t.Fatalf("GET /subscribers%s: X-Total-Count %q", query, res.Header.Get("X-Total-Count"))
	}
	return out, total
}

// ntAddresses returns the addresses of list, in order.
func ntAddresses(list []statuspage.Subscriber) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		for _, p := range []*string{s.Email, s.PhoneNumber, s.Endpoint} {
			if p != nil {
				out = append(out, *p)
			}
		}
	}
	return out
}

// count returns GET /subscribers/count with query, summed over the types.
func (n *ntEnv) count(query string) int {
	n.t.Helper()
	var c map[string]int
	n.mustAPI(200, "GET", "/subscribers/count"+query, nil).JSON(n.t, &c)
	total := 0
	for _, k := range []string{"email", "sms", "webhook", "integration_partner", "slack", "teams"} {
		v, ok := c[k]
		if !ok {
			n.t.Fatalf("GET /subscribers/count%s: %v has no %q", query, c, k)
		}
		total += v
	}
	return total
}

func TestNotifySubscribersAPI(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")
	hook := n.hooks.URL + "/ops"

	// Created a minute apart, so created_at orders them.
	create := func(fields map[string]any) statuspage.Subscriber {
		t.Helper()
		n.clock.Advance(time.Minute)
		res := n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": fields})
		var s statuspage.Subscriber
		res.JSON(t, &s)
		return s
	}
	alice := create(map[string]any{"email": "alice@example.com", "skip_confirmation_notification": true})
	bob := create(map[string]any{"email": "bob@example.com"})
	carol := create(map[string]any{"email": "Carol@Example.org", "skip_confirmation_notification": true, "component_ids": []string{api}})
	dave := create(map[string]any{"phone_number": ntPhone1, "skip_confirmation_notification": true})
	eve := create(map[string]any{"endpoint": hook, "skip_confirmation_notification": true})
	for _, tc := range []struct {
		got        statuspage.Subscriber
		mode       string
		address    *string
		want       string
		state      string
		components []string
	}{
		{alice, "email", alice.Email, "alice@example.com", "active", []string{}},
		{bob, "email", bob.Email, "bob@example.com", "unconfirmed", []string{}},
		{carol, "email", carol.Email, "carol@example.org", "active", []string{api}},
		{dave, "sms", dave.PhoneNumber, ntPhone1, "active", []string{}},
		{eve, "webhook", eve.Endpoint, hook, "active", []string{}},
	} {
		if tc.got.ID == "" || tc.got.Mode != tc.mode || tc.address == nil || *tc.address != tc.want || tc.got.State != tc.state ||
			!slices.Equal(tc.got.Components, tc.components) || tc.got.CreatedAt == "" {
			t.Errorf("created %+v, want %s %s %s on %v", tc.got, tc.mode, tc.want, tc.state, tc.components)
		}
	}
	if !alice.SkipConfirmationNotification || bob.SkipConfirmationNotification {
		t.Errorf("skip_confirmation_notification: alice %v, bob %v", alice.SkipConfirmationNotification, bob.SkipConfirmationNotification)
	}
	// Only Bob, who was not vouched for, is asked to confirm.
	ntWant(t, "after creation", n.round(), map[string]int{"email:bob@example.com": 1})

	t.Run("get", func(t *testing.T) {
		var got statuspage.Subscriber
		n.mustAPI(200, "GET", "/subscribers/"+carol.ID, nil).JSON(t, &got)
		if got.ID != carol.ID || *got.Email != "carol@example.org" || !slices.Equal(got.Components, []string{api}) {
			t.Errorf("GET: %+v", got)
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  []string
			total int
		}{
			// state defaults to active, as Statuspage's does.
			{"", []string{"alice@example.com", "carol@example.org", ntPhone1, hook}, 4},
			{"?type=email", []string{"alice@example.com", "carol@example.org"}, 2},
			{"?type=email&state=all", []string{"alice@example.com", "bob@example.com", "carol@example.org"}, 3},
			{"?type=slack", []string{}, 0},
			{"?type=sms", []string{ntPhone1}, 1},
			{"?type=webhook", []string{hook}, 1},
			{"?state=unconfirmed", []string{"bob@example.com"}, 1},
			{"?state=active&type=email", []string{"alice@example.com", "carol@example.org"}, 2},
			{"?state=all", []string{"alice@example.com", "bob@example.com", "carol@example.org", ntPhone1, hook}, 5},
			{"?q=CAROL", []string{"carol@example.org"}, 1},
			{"?q=example.com&state=all", []string{"alice@example.com", "bob@example.com"}, 2},
			{"?q=" + url.QueryEscape("%"), []string{}, 0},
			{"?q=" + url.QueryEscape("_"), []string{}, 0},
			{"?q=nobody", []string{}, 0},
			// Subscriber pages start at 0, as Statuspage's spec says.
			{"?per_page=2&state=all", []string{"alice@example.com", "bob@example.com"}, 5},
			{"?per_page=2&page=0&state=all", []string{"alice@example.com", "bob@example.com"}, 5},
			{"?per_page=2&page=1&state=all", []string{"carol@example.org", ntPhone1}, 5},
			{"?per_page=2&page=2&state=all", []string{hook}, 5},
			{"?per_page=2&page=3&state=all", []string{}, 5},
			{"?limit=1&page=1&type=email&state=all", []string{"bob@example.com"}, 3},
			{"?sort_direction=desc&type=email&state=all", []string{"carol@example.org", "bob@example.com", "alice@example.com"}, 3},
			{"?sort_field=primary&sort_direction=desc&state=active", []string{hook, "carol@example.org", "alice@example.com", ntPhone1}, 4},
		} {
			list, total := n.list(tc.query)
			if got := ntAddresses(list); !slices.Equal(got, tc.want) || total != tc.total {
				t.Errorf("GET /subscribers%s: %v (X-Total-Count %d), want %v (%d)", tc.query, got, total, tc.want, tc.total)
			}
		}
		for _, q := range []string{"?type=fax", "?state=happy", "?sort_field=secret", "?per_page=0", "?page=-1", "?per_page=abc", "?limit=0", "?page=abc", "?sort_direction=sideways", "?q=" + strings.Repeat("x", 201)} {
			res := n.api("GET", "/subscribers"+q, nil)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Message == "" || e.Field == "" {
				t.Errorf("GET /subscribers%.40s: status %d %+v, want 422 naming the field", q, res.Status, e)
			}
		}
	})

	t.Run("count and histogram", func(t *testing.T) {
		for q, want := range map[string]int{"": 4, "?state=all": 5, "?type=email": 2, "?type=email&state=all": 3, "?state=active": 4, "?state=unconfirmed": 1, "?q=example.org": 1} {
			if got := n.count(q); got != want {
				t.Errorf("count%s: %d, want %d", q, got, want)
			}
		}
		var byType map[string]int
		n.mustAPI(200, "GET", "/subscribers/count?state=all", nil).JSON(t, &byType)
		if want := map[string]int{"email": 3, "sms": 1, "webhook": 1, "integration_partner": 0, "slack": 0, "teams": 0}; !maps.Equal(byType, want) {
			t.Errorf("count by type %v, want %v", byType, want)
		}
		var h map[string]map[string]int
		n.mustAPI(200, "GET", "/subscribers/histogram_by_state", nil).JSON(t, &h)
		none := map[string]int{"active": 0, "unconfirmed": 0, "quarantined": 0, "unsubscribed": 0, "total": 0}
		want := map[string]map[string]int{
			"email":               {"active": 2, "unconfirmed": 1, "quarantined": 0, "unsubscribed": 0, "total": 3},
			"sms":                 {"active": 1, "unconfirmed": 0, "quarantined": 0, "unsubscribed": 0, "total": 1},
			"webhook":             {"active": 1, "unconfirmed": 0, "quarantined": 0, "unsubscribed": 0, "total": 1},
			"integration_partner": none, "slack": none, "teams": none,
		}
		if fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("histogram %v, want %v", h, want)
		}
	})

	t.Run("create refusals", func(t *testing.T) {
		before := n.snapshot()
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"no address", map[string]any{"skip_confirmation_notification": true}, "email"},
			{"invalid email", map[string]any{"email": "nope"}, "email"},
			{"email with CR LF", map[string]any{"email": "a@example.com\r\nBcc: b@example.com"}, "email"},
			{"invalid phone", map[string]any{"phone_number": "555"}, "phone_number"},
			{"javascript: endpoint", map[string]any{"endpoint": "javascript:alert(1)"}, "endpoint"},
			{"unknown component", map[string]any{"email": "x@example.com", "component_ids": []string{"zzzzzzzzzzzz"}}, "component_ids"},
			{"components not a list", map[string]any{"email": "x@example.com", "component_ids": "all"}, "component_ids"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := n.api("POST", "/subscribers", map[string]any{"subscriber": tc.body})
				ntNo500(t, res)
				var e web.ErrorBody
				res.JSON(t, &e)
				if res.Status != 422 || e.Field != tc.field {
					t.Errorf("status %d %+v, want 422 on %s", res.Status, e, tc.field)
				}
			})
		}
		if after := n.snapshot(); after != before {
			t.Errorf("refused creations changed something:\n%s", after)
		}
	})

	t.Run("export", func(t *testing.T) {
		res := n.mustAPI(200, "GET", "/subscribers/export", nil)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q, want text/csv", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
			t.Errorf("Content-Disposition %q", cd)
		}
		recs, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatalf("export is not CSV: %v", err)
		}
		if len(recs) != 6 || !slices.Equal(recs[0][:3], []string{"id", "mode", "address"}) {
			t.Fatalf("export: %v", recs)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		byAddr := map[string][]string{}
		for _, r := range recs[1:] {
			byAddr[r[col["address"]]] = r
		}
		if r := byAddr["carol@example.org"]; r == nil || r[col["id"]] != carol.ID || r[col["state"]] != "active" || r[col["components"]] != api {
			t.Errorf("carol's row %v", r)
		}
		if r := byAddr[ntPhone1]; r == nil || r[col["mode"]] != "sms" || r[col["phone_country"]] != "US" {
			t.Errorf("dave's row %v", r)
		}
		if strings.Contains(string(res.Body), "whsec_") {
			t.Errorf("the export holds webhook signing secrets")
		}
	})

	t.Run("import", func(t *testing.T) {
		csvPost := func(query, body string) response {
			return n.api("POST", "/subscribers/import"+query, body, "Content-Type", "text/csv")
		}
		before := n.count("?state=all")
		for _, tc := range []struct {
			name, body, line, field string
		}{
			{"invalid email on line 3", "mode,address\nemail,ok1@example.com\nemail,not-an-email\n", "line 3", "email"},
			{"unknown mode", "mode,address\npigeon,coo@example.com\n", "line 2", "mode"},
			{"country not allowed", "mode,address\nsms,+33612345678\n", "line 2", "phone_number"},
			{"repeated address", "mode,address\nemail,ok1@example.com\nemail,OK1@example.com\n", "line 3", ""},
			{"unknown component", "mode,address,components\nemail,ok1@example.com,zzzzzzzzzzzz\n", "line 2", "component_ids"},
			{"no address column", "mode,email\nemail,ok1@example.com\n", "line 1", ""},
			{"empty file", "", "line 1", ""},
			{"bare quote", "mode,address\nemail,\"ok1@example.com\nemail,ok2@example.com\n", "line", ""},
			{"header injection", "mode,address\nemail,\"ok1@example.com\r\nBcc: x@example.com\"\n", "line 2", "email"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := csvPost("", tc.body)
				ntNo500(t, res)
				var e web.ErrorBody
				res.JSON(t, &e)
				if res.Status != 422 || !strings.Contains(e.Message, tc.line) || (tc.field != "" && e.Field != tc.field) {
					t.Errorf("status %d %+v, want 422 naming %s (field %q)", res.Status, e, tc.line, tc.field)
				}
				if got := n.count("?state=all"); got != before {
					t.Errorf("%d subscribers after a refused import, want %d", got, before)
				}
			})
		}

		res := csvPost("", "Mode,Address,Components\nemail,new1@example.com,\nemail,ALICE@example.com,\nsms,+12025550160,"+api+"\nwebhook,"+n.hooks.URL+"/imported,\n")
		if res.Status != 201 {
			t.Fatalf("import: status %d body %s", res.Status, res.Body)
		}
		var got struct{ Created, Existing int }
		res.JSON(t, &got)
		if got.Created != 3 || got.Existing != 1 {
			t.Errorf("import: %+v, want 3 created and 1 existing", got)
		}
		list, _ := n.list("?q=new1")
		if len(list) != 1 || list[0].State != "active" {
			t.Errorf("imported subscriber: %+v, want active", list)
		}
		list, _ = n.list("?q=" + url.QueryEscape("+12025550160"))
		if len(list) != 1 || !slices.Equal(list[0].Components, []string{api}) {
			t.Errorf("imported SMS subscriber: %+v, want on %s", list, api)
		}
		ntWant(t, "after an import", n.round(), nil)

		// With send_confirmation the imported are asked to confirm first.
		res = csvPost("?send_confirmation=true", "mode,address\nemail,new2@example.com\n")
		if res.Status != 201 {
			t.Fatalf("import with confirmation: status %d body %s", res.Status, res.Body)
		}
		if list, _ := n.list("?q=new2&state=all"); len(list) != 1 || list[0].State != "unconfirmed" {
			t.Errorf("imported with confirmation: %+v, want unconfirmed", list)
		}
		ntWant(t, "after an import with confirmation", n.round(), map[string]int{"email:new2@example.com": 1})

		// An export imports back as all existing.
		export := n.mustAPI(200, "GET", "/subscribers/export", nil)
		res = csvPost("", string(export.Body))
		res.JSON(t, &got)
		if res.Status != 201 || got.Created != 0 || got.Existing != n.count("?state=all") {
			t.Errorf("re-import of the export: status %d %+v, want every row existing", res.Status, got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		res := n.mustAPI(200, "DELETE", "/subscribers/"+carol.ID, nil)
		var got statuspage.Subscriber
		res.JSON(t, &got)
		if got.ID != carol.ID || got.State != "unsubscribed" {
			t.Errorf("DELETE: %+v, want carol unsubscribed", got)
		}
		n.incident(map[string]any{"name": "After delete", "body": "x", "component_ids": []string{api}})
		if r := n.round(); r["email:carol@example.org"] != 0 || r["email:alice@example.com"] != 1 {
			t.Errorf("incident after DELETE: %v", r)
		}
	})

	t.Run("unknown ids", func(t *testing.T) {
		before := n.snapshot()
		var answers []response
		for _, req := range [][2]string{{"GET", "/subscribers/zzzzzzzzzzzz"}, {"DELETE", "/subscribers/zzzzzzzzzzzz"}, {"GET", "/subscribers/..%2f..%2fetc"}, {"GET", "/subscribers/" + strings.Repeat("x", 3000)}} {
			res := n.api(req[0], req[1], nil)
			answers = append(answers, res)
			if res.Status != 500 && res.Status != 404 {
				t.Errorf("%s %.40s: status %d, want 404", req[0], req[1], res.Status)
			}
		}
		if after := n.snapshot(); after != before {
			t.Errorf("unknown ids changed something:\n%s", after)
		}
		for _, res := range answers {
			ntNo500(t, res)
		}
	})

	t.Run("bulk actions", func(t *testing.T) {
		type bulkResult struct {
			Processed int      `json:"processed"`
			NotFound  []string `json:"not_found"`
			Skipped   []string `json:"skipped"`
		}
		bulk := func(action string, body map[string]any, want bulkResult) {
			t.Helper()
			res := n.api("POST", "/subscribers/"+action, body)
			ntNo500(t, res)
			var got bulkResult
			res.JSON(t, &got)
			if res.Status != 201 || got.Processed != want.Processed || !slices.Equal(got.NotFound, want.NotFound) || !slices.Equal(got.Skipped, want.Skipped) {
				t.Errorf("%s %v: status %d %+v, want 201 %+v", action, body, res.Status, got, want)
			}
		}
		bulk("unsubscribe", map[string]any{"subscribers": []string{alice.ID, "zzzzzzzzzzzz"}}, bulkResult{1, []string{"zzzzzzzzzzzz"}, []string{}})
		if s := n.state(alice.ID); s != "unsubscribed" {
			t.Errorf("alice after bulk unsubscribe: %s", s)
		}
		// carol left by DELETE; dave is active: reactivate names him but
		// leaves him alone.
		bulk("reactivate", map[string]any{"subscribers": []string{alice.ID, carol.ID, dave.ID}}, bulkResult{2, []string{}, []string{dave.ID}})
		for _, id := range []string{alice.ID, carol.ID} {
			if s := n.state(id); s != "active" {
				t.Errorf("%s after reactivate: %s", id, s)
			}
		}
		// One id as a string is a list of one.
		bulk("resend_confirmation", map[string]any{"subscribers": bob.ID}, bulkResult{1, []string{}, []string{}})
		ntWant(t, "resend_confirmation", n.round(), map[string]int{"email:bob@example.com": 1})
		bulk("unsubscribe", map[string]any{"subscribers": "everyone"}, bulkResult{0, []string{"everyone"}, []string{}})

		ids := make([]string, 101)
		for i := range ids {
			ids[i] = alice.ID
		}
		for _, tc := range []struct {
			action string
			body   map[string]any
			field  string
		}{
			{"unsubscribe", map[string]any{"subscribers": ids}, "subscribers"},
			{"unsubscribe", map[string]any{"subscribers": []string{}}, "subscribers"},
			{"unsubscribe", map[string]any{"subscribers": []int{1, 2}}, "subscribers"},
			{"unsubscribe", map[string]any{"subscribers": nil}, "subscribers"},
			{"unsubscribe", map[string]any{"subscribers": "all", "type": "fax"}, "type"},
			{"unsubscribe", map[string]any{"subscribers": "all", "state": "unsubscribed"}, "state"},
			{"reactivate", map[string]any{"subscribers": "all", "state": "active"}, "state"},
			{"resend_confirmation", map[string]any{"subscribers": "all", "state": "active"}, "state"},
		} {
			res := n.api("POST", "/subscribers/"+tc.action, tc.body)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != tc.field {
				t.Errorf("%s %.60v: status %d %+v, want 422 on %s", tc.action, tc.body, res.Status, e, tc.field)
			}
		}
		if s := n.state(alice.ID); s != "active" {
			t.Errorf("alice after refused bulk requests: %s", s)
		}

		// "all" is allowed on reactivate and resend_confirmation too: with
		// nobody quarantined, reactivate touches nobody; resend reaches the
		// two unconfirmed email subscribers (bob, and new2 of the import).
		bulk("reactivate", map[string]any{"subscribers": "all"}, bulkResult{0, []string{}, []string{}})
		bulk("resend_confirmation", map[string]any{"subscribers": "all", "type": "email"}, bulkResult{2, []string{}, []string{}})
		ntWant(t, "resend_confirmation to all", n.round(), map[string]int{"email:bob@example.com": 1, "email:new2@example.com": 1})

		// "all" unsubscribes every active subscriber, and nothing is sent
		// after.
		active := n.count("?state=active")
		bulk("unsubscribe", map[string]any{"subscribers": "all", "skip_unsubscription_notification": true}, bulkResult{active, []string{}, []string{}})
		if got := n.count("?state=active"); got != 0 {
			t.Errorf("%d active after unsubscribing all", got)
		}
		if got := n.state(bob.ID); got != "unconfirmed" {
			t.Errorf("bob (unconfirmed) after unsubscribing all: %s", got)
		}
		n.incident(map[string]any{"name": "After all left", "body": "x"})
		ntWant(t, "after unsubscribing all", n.round(), nil)
	})

	t.Run("resend_confirmation to a confirmed subscriber", func(t *testing.T) {
		n.mustAPI(201, "POST", "/subscribers/reactivate", map[string]any{"subscribers": []string{alice.ID}})
		// In bulk, an active subscriber named is skipped, and nothing sent.
		var skipped struct {
			Processed int      `json:"processed"`
			Skipped   []string `json:"skipped"`
		}
		n.mustAPI(201, "POST", "/subscribers/resend_confirmation", map[string]any{"subscribers": []string{alice.ID}}).JSON(t, &skipped)
		if skipped.Processed != 0 || !slices.Equal(skipped.Skipped, []string{alice.ID}) {
			t.Errorf("bulk resend to active alice: %+v, want her skipped", skipped)
		}
		// Alone, by her id, it is refused naming her state.
		res := n.api("POST", "/subscribers/"+alice.ID+"/resend_confirmation", nil)
		if res.Status != 500 {
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != "state" {
				t.Errorf("status %d %+v, want 422 on state", res.Status, e)
			}
		}
		ntWant(t, "after a refused resend", n.round(), nil)
		ntNo500(t, res)
	})
}
