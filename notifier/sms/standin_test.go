package sms_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier/sms"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
	testFrom  = "+15005550006"
	testTo    = "+14155550123"
	testSMSID = "SM0123456789abcdef0123456789abcdef"
)

// received is one request as the Twilio stand-in saw it.
type received struct {
	Method, Path, ContentType, UserAgent string
	User, Password                       string
	HasAuth                              bool
	Form                                 url.Values
}

// standIn is a Twilio stand-in on loopback speaking the Messages API's wire
// format. It answers with reply, or with a created message when reply is
// nil, and records every request.
type standIn struct {
	URL   string
	reply http.HandlerFunc

	mu       sync.Mutex
	requests []received
}

var messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$`)

func newStandIn(t *testing.T, reply http.HandlerFunc) *standIn {
	t.Helper()
	s := &standIn{reply: reply}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	rec := received{
		Method:      r.Method,
		Path:        r.URL.Path,
		ContentType: r.Header.Get("Content-Type"),
		UserAgent:   r.Header.Get("User-Agent"),
		User:        user,
		Password:    pass,
		HasAuth:     ok,
	}
	if err := r.ParseForm(); err == nil {
		rec.Form = r.PostForm
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	m := messagesPath.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil || r.Method != http.MethodPost:
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	case !ok || user != m[1] || user != testSID || pass != testToken:
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if s.reply != nil {
		s.reply(w, r)
		return
	}
	created(w, r)
}

// got returns the requests received so far.
func (s *standIn) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.requests...)
}

// created answers as Twilio does to an accepted message.
func created(w http.ResponseWriter, r *http.Request) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Format(time.RFC1123Z)
	from := r.PostForm.Get("From")
	msg := map[string]any{
		"account_sid":           testSID,
		"api_version":           "2010-04-01",
		"body":                  r.PostForm.Get("Body"),
		"date_created":          now,
		"date_sent":             nil,
		"date_updated":          now,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  from,
		"messaging_service_sid": r.PostForm.Get("MessagingServiceSid"),
		"num_media":             "0",
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   testSMSID,
		"status":                "queued",
		"subresource_uris": map[string]string{
			"media": "/2010-04-01/Accounts/" + testSID + "/Messages/" + testSMSID + "/Media.json",
		},
		"to":  r.PostForm.Get("To"),
		"uri": "/2010-04-01/Accounts/" + testSID + "/Messages/" + testSMSID + ".json",
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(msg)
}

// twilioError answers with Twilio's JSON error body.
func twilioError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

// replyError returns a handler answering with a Twilio error and, when
// retryAfter is set, a Retry-After header.
func replyError(status, code int, message, retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		twilioError(w, status, code, message)
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
