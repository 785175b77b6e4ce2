package twiliotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
)

func TestSignKnownAnswer(t *testing.T) {
	// The known answer from twilio-go's own tests of its validator.
	params := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	const fullURL, want = "https://mycompany.com/myapp.php?foo=1&bar=2", "vOEb5UThFn24KEfnOFLQY2AE5FY="
	if got := Sign("12345", fullURL, params); got != want {
		t.Errorf("Sign: got %s, want %s", got, want)
	}
}

// post sends form to the stand-in's Messages resource of account, with
// Basic auth unless user is empty, and returns the status, the
// Retry-After header and the decoded JSON body.
func post(t *testing.T, base, account, user, contentType string, form url.Values) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if user != "" {
		req.SetBasicAuth(user, testToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), body
}

func TestServer(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	valid := url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"Investigating"}}
	s := Start(t, Options{AccountSID: testSID, AuthToken: testToken})
	s.FailTo("+14155550199", Error{Status: 429, Code: 20429, RetryAfter: "3"})
	tests := []struct {
		name             string
		account, user    string
		contentType      string
		form             url.Values
		wantStatus       int
		wantCode         float64
		wantRetryAfter   string
		wantSID, wantMsg string
	}{
		{name: "accepted", account: testSID, user: testSID, contentType: form, form: valid, wantStatus: 201, wantSID: MessageSID(1)},
		{name: "other account in the path", account: "AC" + strings.Repeat("f", 32), user: testSID, contentType: form, form: valid, wantStatus: 401, wantCode: 20003},
		{name: "no credentials", account: testSID, contentType: form, form: valid, wantStatus: 401, wantCode: 20003},
		{name: "malformed account", account: "AC123", user: testSID, contentType: form, form: valid, wantStatus: 404, wantCode: 20404},
		{name: "not form-encoded", account: testSID, user: testSID, contentType: "application/json", form: valid, wantStatus: 400, wantCode: 20001},
		{name: "no body", account: testSID, user: testSID, contentType: form, form: url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}}, wantStatus: 400, wantCode: 21604},
		{name: "scripted error", account: testSID, user: testSID, contentType: form,
			form: url.Values{"To": {"+14155550199"}, "From": {"+15005550006"}, "Body": {"x"}}, wantStatus: 429, wantCode: 20429, wantRetryAfter: "3", wantMsg: "Too Many Requests"},
		{name: "accepted after the scripted error", account: testSID, user: testSID, contentType: form,
			form: url.Values{"To": {"+14155550199"}, "From": {"+15005550006"}, "Body": {"x"}}, wantStatus: 201, wantSID: MessageSID(2)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, retryAfter, body := post(t, s.URL, tc.account, tc.user, tc.contentType, tc.form)
			if status != tc.wantStatus || retryAfter != tc.wantRetryAfter {
				t.Errorf("got %d with Retry-After %q, want %d with %q: %v", status, retryAfter, tc.wantStatus, tc.wantRetryAfter, body)
			}
			if tc.wantSID != "" && (body["sid"] != tc.wantSID || body["status"] != "queued" || body["to"] != tc.form.Get("To")) {
				t.Errorf("message resource %v, want sid %s queued to %s", body, tc.wantSID, tc.form.Get("To"))
			}
			if tc.wantCode != 0 && (body["code"] != tc.wantCode || body["status"] != float64(tc.wantStatus) || body["more_info"] == "") {
				t.Errorf("error body %v, want code %v", body, tc.wantCode)
			}
			if tc.wantMsg != "" && body["message"] != tc.wantMsg {
				t.Errorf("message %v, want %q", body["message"], tc.wantMsg)
			}
			wantTo := tc.form.Get("To")
			if tc.contentType != form {
				wantTo = "" // the body is not read as a form
			}
			got := s.Received(i)
			if len(got) != 1 || got[0].Status != tc.wantStatus || got[0].SID != tc.wantSID || got[0].To != wantTo {
				t.Errorf("recorded %+v, want one request answered %d", got, tc.wantStatus)
			}
		})
	}
	if got := s.Count(); got != len(tests) {
		t.Errorf("Count: got %d, want %d", got, len(tests))
	}
}

func TestServerReply(t *testing.T) {
	s := Start(t, Options{AccountSID: testSID, AuthToken: testToken, Reply: func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, http.StatusServiceUnavailable, 20503, "Service Unavailable")
	}})
	valid := url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"Investigating"}}
	status, _, body := post(t, s.URL, testSID, testSID, "application/x-www-form-urlencoded", valid)
	if status != http.StatusServiceUnavailable || body["code"] != float64(20503) {
		t.Errorf("got %d %v, want the handler's 503 with code 20503", status, body)
	}
	if got := s.Received(0); len(got) != 1 || got[0].Status != http.StatusServiceUnavailable || got[0].SID != "" {
		t.Errorf("recorded %+v, want one request answered 503", got)
	}
	// Requests off the wire format are still refused before the handler.
	if status, _, _ := post(t, s.URL, testSID, "", "application/x-www-form-urlencoded", valid); status != http.StatusUnauthorized {
		t.Errorf("no credentials: got %d, want 401", status)
	}
}
