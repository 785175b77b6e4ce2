package sms_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/beacon-status/beacon/internal/twiliotest"
	"github.com/beacon-status/beacon/notifier/sms"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
	testFrom  = "+15005550006"
	testTo    = "+14155550123"
	testSMSID = "SM0123456789abcdef0123456789abcdef"
)

// newStandIn starts a Twilio stand-in (internal/twiliotest) accepting the
// test account's credentials. It answers with reply, or with a created
// message when reply is nil.
func newStandIn(t *testing.T, reply http.HandlerFunc) *twiliotest.Server {
	t.Helper()
	return twiliotest.Start(t, twiliotest.Options{AccountSID: testSID, AuthToken: testToken, Reply: reply})
}

// replyError returns a handler answering with a Twilio error and, when
// retryAfter is set, a Retry-After header.
func replyError(status, code int, message, retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		twiliotest.WriteError(w, status, code, message)
	}
}

// replyPlain returns a handler answering as a proxy in front of Twilio
// might: a status and a body that is not Twilio's JSON.
func replyPlain(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = fmt.Fprint(w, body)
	}
}

// twilioSignature signs a webhook request as Twilio documents it, with
// twiliotest.Sign, for parameters of one value each (what ValidSignature
// takes).
func twilioSignature(authToken, fullURL string, params map[string]string) string {
	v := url.Values{}
	for k, x := range params {
		v.Set(k, x)
	}
	return twiliotest.Sign(authToken, fullURL, v)
}

// testConfig returns a valid Config pointing at apiURL.
func testConfig(apiURL string) sms.Config {
	return sms.Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: apiURL}
}

func mustNew(t *testing.T, cfg sms.Config) *sms.Sender {
	t.Helper()
	s, err := sms.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}
