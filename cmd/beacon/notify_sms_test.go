package main

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/twiliotest"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
)

// SMS notifications: the Twilio requests, sign-up by code, backoff,
// status callbacks and inbound STOP/START/HELP.

// ntSMSTo returns the requests in reqs addressed to number.
func ntSMSTo(reqs []twiliotest.Request, number string) []twiliotest.Request {
	var out []twiliotest.Request
	for _, r := range reqs {
		if r.To == number {
			out = append(out, r)
		}
	}
	return out
}

// channelStats returns the counts and failures of channel ch for the event

// TestNotifySMS runs its steps in order on one app, each reading what the
// steps before it left: one SMS subscriber on ntPhone1 follows every
// incident on the API component.
func TestNotifySMS(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")

	// Staff add a number in national format; it is stored in E.164.
	one := n.subscriber(map[string]any{"phone_number": "(202) 555-0141", "phone_country": "us"})
	if one["phone_number"] != ntPhone1 || one["phone_country"] != "US" || one["mode"] != "sms" {
		t.Fatalf("created SMS subscriber: %v, want phone_number %s, phone_country US", one, ntPhone1)
	}
	s := &ntSMSSteps{n: n, api: api, oneID: one["id"].(string)}
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"message", s.message},
		{"short message", s.shortMessage},
		{"public sign-up with a code", s.signUpWithCode},
		{"429 backs off, then delivers once", s.backOff},
		{"status callback", s.statusCallback},
		{"inbound STOP, START, HELP", s.inbound},
		{"21610 unsubscribes, 21211 quarantines", s.permanentRefusals},
	} {
		t.Run(step.name, step.run)
	}
}

// ntSMSSteps is what TestNotifySMS's steps share.
type ntSMSSteps struct {
	n     *ntEnv
	api   string // the component the incidents touch
	oneID string // the subscriber on ntPhone1
}

// sign signs a request to path as Twilio would.
func (s *ntSMSSteps) sign(path string, p url.Values) string {
	return twiliotest.Sign(ntTwilioTok, ntBaseURL+path, p)
}

// message checks the request an incident makes: Twilio's wire format, and a
// long update shortened to two GSM-7 segments ending with the link.
func (s *ntSMSSteps) message(t *testing.T) {
	n, api := s.n, s.api
	long := strings.Repeat("Our API returns errors for some requests in the EU region. ", 12)
	mark := n.tw.Count()
	id := n.incident(map[string]any{"name": "Elevated API errors", "body": long, "component_ids": []string{api}})
	ntWant(t, "incident", n.round(), map[string]int{"sms:" + ntPhone1: 1})
	r := n.tw.Received(mark)[0]
	if want := "/2010-04-01/Accounts/" + ntTwilioSID + "/Messages.json"; r.Path != want {
		t.Errorf("path %s, want %s", r.Path, want)
	}
	if !r.HasAuth || r.User != ntTwilioSID || r.Password != ntTwilioTok {
		t.Errorf("Basic auth %v %q:%q, want the account SID and auth token", r.HasAuth, r.User, r.Password)
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
}

// shortMessage checks a short update's exact text.
func (s *ntSMSSteps) shortMessage(t *testing.T) {
	n, api := s.n, s.api
	mark := n.tw.Count()
	id := n.incident(map[string]any{"name": "Login slow", "body": "Logins take 10s.", "component_ids": []string{api}})
	n.round()
	r := n.tw.Received(mark)[0]
	want := ntPageName + ": Login slow - Investigating. Logins take 10s. " + ntBaseURL + "/incidents/" + id
	if r.Body != want {
		t.Errorf("body %q, want %q", r.Body, want)
	}
	if enc, segs := sms.Segments(r.Body); enc != sms.GSM7 || segs != 1 {
		t.Errorf("body is %d %s segments, want 1 GSM-7", segs, enc)
	}
}

// signUpWithCode signs up on the public API and the HTML form, confirming
// with the code sent by SMS.
func (s *ntSMSSteps) signUpWithCode(t *testing.T) {
	n, api := s.n, s.api
	res := n.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": ntPhone2, "component_ids": []string{api}})
	if res.Status != 202 {
		t.Fatalf("POST /subscribe: status %d, body %s", res.Status, res.Body)
	}
	token := apitest.String(t, res, "verify_token")
	mark := n.tw.Count()
	ntWant(t, "sign-up", n.round(), map[string]int{"sms:" + ntPhone2: 1})
	r := n.tw.Received(mark)[0]
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
	if res.Status != 422 || apitest.String(t, res, "field") != "code" {
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
	got := apitest.Object(t, n.mustAPI(200, "GET", "/subscribers/"+subs[0].ID, nil))
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
	mark = n.tw.Count()
	n.round()
	fcode := regexp.MustCompile(`^\d{6}`).FindString(ntSMSTo(n.tw.Received(mark), ntPhone3)[0].Body)
	res = n.form("/subscriptions/verify", url.Values{"token": {string(ftoken[1])}, "code": {"000000"}})
	if fcode != "000000" && (res.Status != 422 || !strings.Contains(string(res.Body), `aria-invalid="true"`)) {
		t.Errorf("form, wrong code: status %d, want 422 with the field marked", res.Status)
	}
	res = n.form("/subscriptions/verify", url.Values{"token": {string(ftoken[1])}, "code": {fcode}})
	if res.Status != 200 {
		t.Errorf("form, right code: status %d body %s", res.Status, res.Body)
	}
}

// backOff answers 429 once: the message waits out the backoff and goes
// once.
func (s *ntSMSSteps) backOff(t *testing.T) {
	n, api, oneID := s.n, s.api, s.oneID
	n.tw.FailTo(ntPhone1, twiliotest.Error{Status: 429, Code: 20429})
	mark := n.tw.Count()
	id := n.incident(map[string]any{"name": "Busy", "body": "x", "component_ids": []string{api}})
	got := n.round()
	if got["sms:"+ntPhone1] != 0 || len(ntSMSTo(n.tw.Received(mark), ntPhone1)) != 1 {
		t.Fatalf("after a 429: %v, requests %d; want one refused request", got, len(ntSMSTo(n.tw.Received(mark), ntPhone1)))
	}
	counts, fails := n.channelStats(id, 0, notifier.SMS)
	if counts.Pending != 1 || len(fails) != 1 || fails[0].Code != "20429" || fails[0].Final || fails[0].SubscriberID != oneID {
		t.Errorf("after a 429: counts %+v failures %+v, want one pending with a temporary 20429", counts, fails)
	}
	// Nothing is retried before the backoff is over.
	if got := n.round(); got["sms:"+ntPhone1] != 0 || len(ntSMSTo(n.tw.Received(mark), ntPhone1)) != 1 {
		t.Fatalf("retried at once: %v", got)
	}
	n.clock.Advance(time.Minute)
	if got := n.round(); got["sms:"+ntPhone1] != 1 {
		t.Fatalf("after the backoff: %v, want one SMS to %s", got, ntPhone1)
	}
	n.clock.Advance(time.Hour)
	n.round()
	if reqs := ntSMSTo(n.tw.Received(mark), ntPhone1); len(reqs) != 2 || reqs[1].SID == "" {
		t.Errorf("requests to %s: %d, want the refused one and one accepted", ntPhone1, len(reqs))
	}
	if counts, _ := n.channelStats(id, 0, notifier.SMS); counts.Sent != 3 || counts.Pending != 0 || counts.Failed != 0 {
		t.Errorf("after the retry: counts %+v", counts)
	}
	if got := n.state(oneID); got != "active" {
		t.Errorf("state after a 429: %s, want active", got)
	}
}

// statusCallback posts Twilio's delivery reports, signed and not.
func (s *ntSMSSteps) statusCallback(t *testing.T) {
	n, sign := s.n, s.sign
	mark := n.tw.Count()
	four := n.subscriber(map[string]any{"phone_number": "+12025550144"})
	n.incident(map[string]any{"name": "Carrier", "body": "x"})
	n.round()
	var sid string
	for _, r := range n.tw.Received(mark) {
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
		{"signed with another token", delivered, twiliotest.Sign("0000feedf00dfeedf00dfeedf00dfeed", ntBaseURL+path, delivered), 403},
		{"signed for another URL", delivered, twiliotest.Sign(ntTwilioTok, ntBaseURL+"/webhooks/twilio/inbound", delivered), 403},
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
}

// inbound posts the replies subscribers send to the number.
func (s *ntSMSSteps) inbound(t *testing.T) {
	n, sign := s.n, s.sign
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
	mark := n.tw.Count()
	n.incident(map[string]any{"name": "After STOP", "body": "x"})
	n.round()
	if got := ntSMSTo(n.tw.Received(mark), "+12025550145"); len(got) != 0 {
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
}

// permanentRefusals answers 21610 and 21211: neither number is tried again.
func (s *ntSMSSteps) permanentRefusals(t *testing.T) {
	n := s.n
	six := n.subscriber(map[string]any{"phone_number": "+12025550146"})
	seven := n.subscriber(map[string]any{"phone_number": "+12025550147"})
	n.tw.FailTo("+12025550146", twiliotest.Error{Status: 400, Code: 21610})
	n.tw.FailTo("+12025550147", twiliotest.Error{Status: 400, Code: 21211})
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
	mark := n.tw.Count()
	n.incident(map[string]any{"name": "Later", "body": "x"})
	n.round()
	for _, r := range n.tw.Received(mark) {
		if r.To == "+12025550146" || r.To == "+12025550147" {
			t.Errorf("SMS to %s after a permanent refusal", r.To)
		}
	}
}
