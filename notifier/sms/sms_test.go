package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/twiliotest"
	"github.com/beacon-status/beacon/notifier"
)

func TestSendFromNumber(t *testing.T) {
	twilio := newStandIn(t, nil)
	cfg := testConfig(twilio.URL)
	cfg.MaxPrice = "0.05"
	s := mustNew(t, cfg)

	body := "Résumé: API degraded {eu} — see https://status.example.com/i/42"
	sid, err := s.Send(context.Background(), notifier.Message{
		To:             testTo,
		Text:           body,
		StatusCallback: "https://status.example.com/hooks/twilio/status",
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := twiliotest.MessageSID(1); sid != want {
		t.Errorf("sid: got %q, want %q", sid, want)
	}

	reqs := twilio.Received(0)
	if len(reqs) != 1 {
		t.Fatalf("requests: got %d, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost {
		t.Errorf("method: got %s, want POST", r.Method)
	}
	if want := "/2010-04-01/Accounts/" + testSID + "/Messages.json"; r.Path != want {
		t.Errorf("path: got %s, want %s", r.Path, want)
	}
	if !r.HasAuth || r.User != testSID || r.Password != testToken {
		t.Errorf("basic auth: got %v %q:%q, want %s and the auth token", r.HasAuth, r.User, r.Password, testSID)
	}
	if r.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("content type: got %q, want application/x-www-form-urlencoded", r.ContentType)
	}
	if !strings.HasPrefix(r.UserAgent, "twilio-go/") {
		t.Errorf("user agent: got %q, want twilio-go's", r.UserAgent)
	}
	checkForm(t, r, map[string]string{
		"To":             testTo,
		"From":           testFrom,
		"Body":           body,
		"StatusCallback": "https://status.example.com/hooks/twilio/status",
		"MaxPrice":       "0.05",
	})
}

func TestSendFromMessagingService(t *testing.T) {
	twilio := newStandIn(t, nil)
	cfg := testConfig(twilio.URL)
	cfg.From = ""
	cfg.MessagingServiceSID = "MG0123456789abcdef0123456789abcdef"
	s := mustNew(t, cfg)

	if _, err := s.Send(context.Background(), notifier.Message{To: testTo, Text: "Resolved"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := twilio.Received(0)
	if len(reqs) != 1 {
		t.Fatalf("requests: got %d, want 1", len(reqs))
	}
	checkForm(t, reqs[0], map[string]string{
		"To":                  testTo,
		"MessagingServiceSid": cfg.MessagingServiceSID,
		"Body":                "Resolved",
	})
}

// checkForm fails unless r's form holds exactly want, one value each.
func checkForm(t *testing.T, r twiliotest.Request, want map[string]string) {
	t.Helper()
	var gotKeys, wantKeys []string
	for k := range r.Form {
		gotKeys = append(gotKeys, k)
	}
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("form fields: got %v, want %v", gotKeys, wantKeys)
	}
	for k, v := range want {
		if got := r.Form[k]; len(got) != 1 || got[0] != v {
			t.Errorf("form %s: got %q, want [%q]", k, got, v)
		}
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	tests := []struct {
		name           string
		reply          http.HandlerFunc
		wantPermanent  bool
		wantUnsub      bool
		wantCode       string
		wantRetryAfter time.Duration
	}{
		{
			name:           "20429 too many requests with Retry-After",
			reply:          replyError(429, 20429, "Too Many Requests", "3"),
			wantCode:       "20429",
			wantRetryAfter: 3 * time.Second,
		},
		{
			name:           "20429 too many requests without Retry-After",
			reply:          replyError(429, 20429, "Too Many Requests", ""),
			wantCode:       "20429",
			wantRetryAfter: time.Second,
		},
		{
			name:           "429 from a proxy, not Twilio JSON",
			reply:          replyPlain(429, "<html>slow down</html>"),
			wantRetryAfter: time.Second,
		},
		{
			name:           "Retry-After beyond an hour is capped",
			reply:          replyError(429, 20429, "Too Many Requests", "86400"),
			wantCode:       "20429",
			wantRetryAfter: time.Hour,
		},
		{
			name:     "500",
			reply:    replyError(500, 20500, "Internal Server Error", ""),
			wantCode: "20500",
		},
		{
			name:  "503 from a proxy, not Twilio JSON",
			reply: replyPlain(503, "<html>unavailable</html>"),
		},
		{
			name:           "21611 sender queue full",
			reply:          replyError(400, 21611, "This 'From' number has exceeded the maximum number of queued messages", ""),
			wantCode:       "21611",
			wantRetryAfter: time.Minute,
		},
		{
			name:           "30001 queue overflow",
			reply:          replyError(400, 30001, "Queue overflow", ""),
			wantCode:       "30001",
			wantRetryAfter: time.Minute,
		},
		{
			name:          "21610 recipient replied STOP",
			reply:         replyError(400, 21610, "Attempt to send to unsubscribed recipient", ""),
			wantPermanent: true,
			wantUnsub:     true,
			wantCode:      "21610",
		},
		{
			name:          "21211 invalid number",
			reply:         replyError(400, 21211, "The 'To' number "+testTo+" is not a valid phone number.", ""),
			wantPermanent: true,
			wantCode:      "21211",
		},
		{
			name:          "21614 not a mobile number",
			reply:         replyError(400, 21614, "'To' number is not a valid mobile number", ""),
			wantPermanent: true,
			wantCode:      "21614",
		},
		{
			name:          "21612 unreachable from this sender",
			reply:         replyError(400, 21612, "The 'To' phone number is not currently reachable", ""),
			wantPermanent: true,
			wantCode:      "21612",
		},
		{
			name:          "21408 region not enabled",
			reply:         replyError(400, 21408, "Permission to send an SMS has not been enabled for the region", ""),
			wantPermanent: true,
			wantCode:      "21408",
		},
		{
			name:          "other 4xx: 21617 body too long",
			reply:         replyError(400, 21617, "The concatenated message body exceeds the 1600 character limit", ""),
			wantPermanent: true,
			wantCode:      "21617",
		},
		{
			name:          "404 from a proxy, not Twilio JSON",
			reply:         replyPlain(404, "<html>not found</html>"),
			wantPermanent: true,
		},
		{
			name: "redirect is not followed",
			reply: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			twilio := newStandIn(t, tc.reply)
			s := mustNew(t, testConfig(twilio.URL))

			sid, err := s.Send(context.Background(), notifier.Message{To: testTo, Text: "Investigating"})
			if sid != "" {
				t.Errorf("sid: got %q, want none", sid)
			}
			se := sendError(t, err)
			if se.Permanent != tc.wantPermanent {
				t.Errorf("Permanent: got %v, want %v (%v)", se.Permanent, tc.wantPermanent, err)
			}
			if se.Unsubscribe != tc.wantUnsub {
				t.Errorf("Unsubscribe: got %v, want %v", se.Unsubscribe, tc.wantUnsub)
			}
			if se.Code != tc.wantCode {
				t.Errorf("Code: got %q, want %q", se.Code, tc.wantCode)
			}
			if se.RetryAfter != tc.wantRetryAfter {
				t.Errorf("RetryAfter: got %s, want %s", se.RetryAfter, tc.wantRetryAfter)
			}
			// twilio-go never retries, and neither does Send: retries are
			// the worker's.
			if got := len(twilio.Received(0)); got != 1 {
				t.Errorf("requests: got %d, want 1", got)
			}
		})
	}
}

func TestSendMasksRecipientInErrors(t *testing.T) {
	twilio := newStandIn(t, replyError(400, 21211, "The 'To' number "+testTo+" is not a valid phone number.", ""))
	s := mustNew(t, testConfig(twilio.URL))

	_, err := s.Send(context.Background(), notifier.Message{To: testTo, Text: "Investigating"})
	if err == nil {
		t.Fatal("Send: got no error, want 21211")
	}
	if msg := err.Error(); strings.Contains(msg, "4155550123") || !strings.Contains(msg, "+14*******23") {
		t.Errorf("error text: got %q, want the number masked as +14*******23", msg)
	}
}

func TestSendNetworkFailureIsTemporary(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	s := mustNew(t, testConfig(closed.URL))

	_, err := s.Send(context.Background(), notifier.Message{To: testTo, Text: "Investigating"})
	se := sendError(t, err)
	if se.Permanent || se.Code != "" {
		t.Errorf("got Permanent %v, Code %q, want a temporary failure without code (%v)", se.Permanent, se.Code, err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	t.Run("done before sending", func(t *testing.T) {
		twilio := newStandIn(t, nil)
		s := mustNew(t, testConfig(twilio.URL))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		_, err := s.Send(ctx, notifier.Message{To: testTo, Text: "Investigating"})
		if se := sendError(t, err); se.Permanent || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want a temporary failure wrapping context.Canceled", err)
		}
		if got := len(twilio.Received(0)); got != 0 {
			t.Errorf("requests: got %d, want 0", got)
		}
	})

	t.Run("cancelled in flight", func(t *testing.T) {
		arrived := make(chan struct{})
		twilio := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			<-r.Context().Done() // the client went away
		})
		s := mustNew(t, testConfig(twilio.URL))
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-arrived
			cancel()
		}()

		_, err := s.Send(ctx, notifier.Message{To: testTo, Text: "Investigating"})
		if se := sendError(t, err); se.Permanent || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want a temporary failure wrapping context.Canceled", err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		twilio := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		cfg := testConfig(twilio.URL)
		cfg.Timeout = 50 * time.Millisecond
		s := mustNew(t, cfg)

		_, err := s.Send(context.Background(), notifier.Message{To: testTo, Text: "Investigating"})
		if se := sendError(t, err); se.Permanent || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want a temporary failure wrapping context.DeadlineExceeded", err)
		}
	})
}

func TestSendRejectsBadMessagesWithoutCallingTwilio(t *testing.T) {
	tests := []struct {
		name string
		msg  notifier.Message
	}{
		{"number without +", notifier.Message{To: "4155550123", Text: "Investigating"}},
		{"no number", notifier.Message{Text: "Investigating"}},
		{"empty text", notifier.Message{To: testTo}},
		{"relative status callback", notifier.Message{To: testTo, Text: "Investigating", StatusCallback: "/hooks/twilio"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			twilio := newStandIn(t, nil)
			s := mustNew(t, testConfig(twilio.URL))

			_, err := s.Send(context.Background(), tc.msg)
			if se := sendError(t, err); !se.Permanent {
				t.Errorf("got %v, want a permanent failure", err)
			}
			if got := len(twilio.Received(0)); got != 0 {
				t.Errorf("requests: got %d, want 0", got)
			}
		})
	}
}

// sendError fails unless err is a *notifier.SendError.
func sendError(t *testing.T, err error) *notifier.SendError {
	t.Helper()
	var se *notifier.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error: got %v (%T), want a *notifier.SendError", err, err)
	}
	return se
}

// tamper changes the first character of sig.
func tamper(sig string) string {
	if sig[0] == 'A' {
		return "B" + sig[1:]
	}
	return "A" + sig[1:]
}

func TestTwilioSignatureHelper(t *testing.T) {
	// The known answer from twilio-go's own tests of its validator.
	params := map[string]string{
		"Digits": "1234", "CallSid": "CA1234567890ABCDE", "To": "+18005551212",
		"Caller": "+14158675309", "From": "+14158675309",
		"ReasonConferenceEnded": "test", "Reason": "Participant",
	}
	const fullURL, want = "https://mycompany.com/myapp.php?foo=1&bar=2", "vOEb5UThFn24KEfnOFLQY2AE5FY="
	if got := twilioSignature("12345", fullURL, params); got != want {
		t.Fatalf("twilioSignature: got %s, want %s", got, want)
	}
	cfg := testConfig("")
	cfg.AuthToken = "12345"
	if !mustNew(t, cfg).ValidSignature(fullURL, params, want) {
		t.Errorf("ValidSignature of the known answer: got false, want true")
	}
}

func TestValidSignature(t *testing.T) {
	s := mustNew(t, testConfig(""))
	const fullURL = "https://status.example.com/hooks/twilio/inbound?page=main"
	params := map[string]string{
		"AccountSid": testSID,
		"Body":       "STOP",
		"From":       testTo,
		"MessageSid": testSMSID,
		"To":         testFrom,
	}
	sig := twilioSignature(testToken, fullURL, params)
	with := func(k, v string) map[string]string {
		p := make(map[string]string, len(params)+1)
		for pk, pv := range params {
			p[pk] = pv
		}
		p[k] = v
		return p
	}
	without := func(k string) map[string]string {
		p := with(k, "")
		delete(p, k)
		return p
	}

	tests := []struct {
		name    string
		fullURL string
		params  map[string]string
		sig     string
		want    bool
	}{
		{"signed request", fullURL, params, sig, true},
		{"URL with the default port written out", strings.Replace(fullURL, ".com/", ".com:443/", 1), params, sig, true},
		{"tampered body", fullURL, with("Body", "START"), sig, false},
		{"tampered sender", fullURL, with("From", "+14155550199"), sig, false},
		{"added parameter", fullURL, with("NumMedia", "0"), sig, false},
		{"missing parameter", fullURL, without("MessageSid"), sig, false},
		{"other URL", strings.Replace(fullURL, "page=main", "page=other", 1), params, sig, false},
		{"tampered signature", fullURL, params, tamper(sig), false},
		{"signed with another token", fullURL, params, twilioSignature("0000feedf00dfeedf00dfeedf00dfeed", fullURL, params), false},
		{"no signature", fullURL, params, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.ValidSignature(tc.fullURL, tc.params, tc.sig); got != tc.want {
				t.Errorf("ValidSignature: got %v, want %v", got, tc.want)
			}
		})
	}
}
