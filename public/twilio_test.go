package public

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/beacon-status/beacon/internal/twiliotest"
	"github.com/gofiber/fiber/v2"
)

// FuzzTwilioCallbacks posts arbitrary form bodies to both Twilio callbacks.
// A request without Twilio's signature, or with any other signature than
// the right one, is refused with 403 whatever it holds; a correctly signed
// one is never refused as unsigned and never makes a 5xx.
func FuzzTwilioCallbacks(f *testing.F) {
	for _, s := range []struct {
		inbound bool
		body    string
		sig     string
		sign    bool
	}{
		{false, "MessageSid=SM0123&MessageStatus=delivered", "", false},
		{false, "MessageSid=SM0123&MessageStatus=undelivered&ErrorCode=30003", "AAAA", false},
		{false, "MessageSid=SM0123&MessageStatus=failed&ErrorCode=30005", "", true},
		{false, "MessageStatus=sent", "", true},
		{true, "From=%2B12025550141&Body=STOP", "", true},
		{true, "From=%2B12025550141&Body=START", "bm90IGEgc2lnbmF0dXJl", false},
		{true, "From=%2B12025550141&Body=help", "", true},
		{true, "From=&Body=%00%ff&Body=STOP", "", true},
		{true, "a=%zz&&=&b", "=", false},
	} {
		f.Add(s.inbound, s.body, s.sig, s.sign)
	}
	e := newTestEnv(f)
	f.Fuzz(func(t *testing.T, inbound bool, body, sig string, sign bool) {
		path := TwilioStatusPath
		if inbound {
			path = TwilioInboundPath
		}
		e.t = t
		parsed, parseErr := url.ParseQuery(body)
		if sign {
			if parseErr != nil {
				return
			}
			// One value a name, no empty names: what Twilio sends, and
			// what the handler's map of parameters can hold.
			one := url.Values{}
			for k, vs := range parsed {
				if k != "" {
					one.Set(k, vs[len(vs)-1])
				}
			}
			body = one.Encode()
			sig = twiliotest.Sign(testTwilioToken, testBaseURL+path, one)
		} else if parseErr == nil && sig == twiliotest.Sign(testTwilioToken, testBaseURL+path, parsed) {
			return // the fuzzer found the right signature: not a bad one
		}
		headers := []string{"Content-Type", fiber.MIMEApplicationForm}
		if sig != "" {
			headers = append(headers, "X-Twilio-Signature", sig)
		}
		res := e.do("POST", path, body, headers...)
		switch {
		case !sign && res.Status != http.StatusForbidden:
			t.Fatalf("POST %s %q with signature %q: status %d, want 403: %s", path, body, sig, res.Status, res.Body)
		case sign && (res.Status == http.StatusForbidden || res.Status >= 500):
			t.Fatalf("POST %s %q correctly signed: status %d: %s", path, body, res.Status, res.Body)
		}
	})
}
