// Package twiliotest runs a stand-in for Twilio's Messages API on
// 127.0.0.1 for tests, and signs requests as Twilio signs its webhooks. The
// stand-in speaks Twilio's wire format: POST
// /2010-04-01/Accounts/{AccountSid}/Messages.json with Basic auth and a
// form-encoded body, answered with a JSON message resource or with Twilio's
// JSON error bodies. It records every request, and answers with errors
// scripted per recipient or with a reply handler the test gives. Only tests
// import it.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	"time"

	"github.com/beacon-status/beacon/notifier/sms"
)

// Request is one request the stand-in received.
type Request struct {
	Method, Path, ContentType, UserAgent string
	// User and Password are the Basic auth credentials; HasAuth tells
	// whether there were any.
	User, Password string
	HasAuth        bool
	// Form is the parsed form body; To, From, Body, StatusCallback and
	// MessagingServiceSID are its fields of those names.
	Form                           url.Values
	To, From, Body, StatusCallback string
	MessagingServiceSID            string
	Status                         int    // what the stand-in answered
	SID                            string // the message's SID, for an accepted message
}

// Error is a scripted error reply: Twilio's JSON error body with HTTP
// status Status and error code Code, and a Retry-After header when
// RetryAfter is set. Message defaults to Twilio's text for the code where
// the stand-in knows it.
type Error struct {
	Status, Code int
	RetryAfter   string
	Message      string
}

// Options set up a stand-in before it starts.
type Options struct {
	// AccountSID and AuthToken are the credentials it accepts; any other
	// Basic auth, or a path naming another account, is answered 401.
	AccountSID, AuthToken string
	// Reply, when set, answers every well-formed, authenticated request
	// for which no error is scripted, in place of the created message.
	Reply http.HandlerFunc
}

// Server is a running stand-in; URL is its base URL, to use as the API
// URL of the sender under test.
type Server struct {
	URL string

	opts   Options
	mu     sync.Mutex
	reqs   []Request
	errs   map[string][]Error // scripted replies by To
	serial int
}

// messagesPath is the Messages resource's path; the account SID is AC and
// 32 hex digits.
var messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$`)

// Start starts a stand-in that stops when the test ends.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	s := &Server{opts: o, errs: map[string][]Error{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// FailTo makes the next replies to messages for number the given errors,
// in order; later messages are accepted again.
func (s *Server) FailTo(number string, errs ...Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[number] = append(s.errs[number], errs...)
}

// Received returns the requests from index from on, in arrival order.
func (s *Server) Received(from int) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from > len(s.reqs) {
		return nil
	}
	return slices.Clone(s.reqs[from:])
}

// Count returns how many requests the stand-in received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	rec := Request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
		UserAgent: r.Header.Get("User-Agent"), User: user, Password: pass, HasAuth: ok}
	if err := r.ParseForm(); err == nil {
		rec.Form = r.PostForm
		rec.To, rec.From, rec.Body = r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
		rec.StatusCallback = r.PostForm.Get("StatusCallback")
		rec.MessagingServiceSID = r.PostForm.Get("MessagingServiceSid")
	}
	m := messagesPath.FindStringSubmatch(r.URL.Path)

	s.mu.Lock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, rec)
	status, body := s.answer(w, &rec, m)
	if status == 0 {
		// The test's handler answers, outside the lock: it may hold the
		// request until the client gives up.
		s.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w}
		s.opts.Reply(sw, r)
		s.mu.Lock()
		s.reqs[i].Status = sw.status()
		s.mu.Unlock()
		return
	}
	rec.Status = status
	s.reqs[i] = rec
	s.mu.Unlock()
	writeJSON(w, status, body)
}

// answer decides the reply to rec, with s.mu held: its status and JSON
// body, or status 0 when the test's Reply handler is to answer. It sets
// rec.SID for an accepted message.
func (s *Server) answer(w http.ResponseWriter, rec *Request, m []string) (int, any) {
	switch {
	case m == nil || rec.Method != http.MethodPost:
		return errorBody(http.StatusNotFound, 20404, "The requested resource "+rec.Path+" was not found")
	case !rec.HasAuth || rec.User != m[1] || rec.User != s.opts.AccountSID || rec.Password != s.opts.AuthToken:
		return errorBody(http.StatusUnauthorized, 20003, "Authenticate")
	case !strings.HasPrefix(rec.ContentType, "application/x-www-form-urlencoded"):
		return errorBody(http.StatusBadRequest, 20001, "Content-Type must be form-encoded")
	case rec.To == "" || rec.Body == "" || (rec.From == "" && rec.MessagingServiceSID == ""):
		return errorBody(http.StatusBadRequest, 21604, "A 'To', 'From' and 'Body' are required")
	}
	if q := s.errs[rec.To]; len(q) > 0 {
		e := q[0]
		s.errs[rec.To] = q[1:]
		if e.RetryAfter != "" {
			w.Header().Set("Retry-After", e.RetryAfter)
		}
		msg := e.Message
		if msg == "" {
			msg = message(e.Code, rec.To)
		}
		return errorBody(e.Status, e.Code, msg)
	}
	if s.opts.Reply != nil {
		return 0, nil
	}
	s.serial++
	rec.SID = MessageSID(s.serial)
	return http.StatusCreated, s.created(rec)
}

// message is Twilio's text for the error codes tests script most, to a
// message for to.
func message(code int, to string) string {
	switch code {
	case 20429:
		return "Too Many Requests"
	case 21610:
		return "Attempt to send to unsubscribed recipient"
	case 21211:
		return "The 'To' number " + to + " is not a valid phone number."
	}
	return ""
}

// MessageSID is the SID the stand-in gives the n-th message it accepts,
// counting from 1.
func MessageSID(n int) string { return fmt.Sprintf("SM%032x", n) }

// created is the message resource Twilio answers an accepted message with.
func (s *Server) created(rec *Request) map[string]any {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC).Format(time.RFC1123Z)
	_, segments := sms.Segments(rec.Body)
	var service any
	if rec.MessagingServiceSID != "" {
		service = rec.MessagingServiceSID
	}
	uri := "/2010-04-01/Accounts/" + s.opts.AccountSID + "/Messages/" + rec.SID
	return map[string]any{
		"account_sid": s.opts.AccountSID, "api_version": "2010-04-01", "body": rec.Body,
		"date_created": now, "date_sent": nil, "date_updated": now, "direction": "outbound-api",
		"error_code": nil, "error_message": nil, "from": rec.From, "messaging_service_sid": service,
		"num_media": "0", "num_segments": strconv.Itoa(segments), "price": nil, "price_unit": "USD",
		"sid": rec.SID, "status": "queued", "to": rec.To,
		"subresource_uris": map[string]string{"media": uri + "/Media.json"},
		"uri":              uri + ".json",
	}
}

// errorBody is Twilio's JSON error body with its status.
func errorBody(status, code int, message string) (int, any) {
	return status, map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	}
}

// WriteError answers w as Twilio does to a refused request: status, and
// the JSON error body with code and message. Reply handlers use it.
func WriteError(w http.ResponseWriter, status, code int, message string) {
	_, body := errorBody(status, code, message)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// statusWriter remembers the status a Reply handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int { return w.code }

// Sign returns X-Twilio-Signature as Twilio computes it for a request to
// fullURL with POST parameters params: the base64 HMAC-SHA1, keyed with the
// auth token, of the URL followed by every parameter's name and value in
// name order (https://www.twilio.com/docs/usage/security).
func Sign(authToken, fullURL string, params url.Values) string {
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
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
