// Package chattest runs stand-ins for the incoming webhooks of the chat
// platforms Beacon posts to — Slack, Microsoft Teams (Workflows), Discord,
// Mattermost and Google Chat — on 127.0.0.1 for tests. Each hook lives at
// the path its platform gives it, checks every request against the
// platform's documented payload schema and limits (Validate), answers a
// valid one as the platform does (Slack's "ok", Teams' 202, Discord's 204,
// Google Chat's message JSON) and an invalid one with the platform's error
// body, and records what it received. Failures can be scripted per hook:
// a deleted hook, an archived channel, a rate limit. Only tests import it.
package chattest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/beacon-status/beacon/notifier"
)

// Request is one request a hook received.
type Request struct {
	Platform notifier.Channel
	// Hook names the hook ("slack:ops"), as Server.Hook made it.
	Hook        string
	Method      string
	ContentType string
	Query       url.Values
	Body        []byte
	// Problems are what Validate found wrong with the request; a request
	// with problems was refused as the platform refuses it.
	Problems []string
	// Status is what the stand-in answered.
	Status int
}

// Failure is a scripted failing answer.
type Failure struct {
	kind       string
	retryAfter float64 // seconds
}

// The failures a hook can be made to answer with.
var (
	// Gone answers as the platform does for a deleted webhook: Slack 404
	// no_service, Discord 404 with code 10015, and 404 with each other
	// platform's error body.
	Gone = Failure{kind: "gone"}
	// Archived is Slack's 410 channel_is_archived (404 elsewhere).
	Archived = Failure{kind: "archived"}
	// ServerError is a 500 with the platform's error body.
	ServerError = Failure{kind: "server"}
)

// RateLimited answers 429 as the platform does when asked to wait
// seconds: a Retry-After header (whole seconds, rounded up), and
// Discord's JSON body with retry_after; Google Chat sends no header.
func RateLimited(seconds float64) Failure { return Failure{kind: "rate", retryAfter: seconds} }

// RateLimitedBodyOnly is Discord's 429 with retry_after in the body and
// no Retry-After header.
func RateLimitedBodyOnly(seconds float64) Failure {
	return Failure{kind: "rate-body", retryAfter: seconds}
}

// Server is a running stand-in for every platform's hooks.
type Server struct {
	URL string

	mu       sync.Mutex
	reqs     []Request
	failures map[string][]Failure // by hook
}

// Start runs a stand-in until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{failures: map[string][]Failure{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Hook returns the address of the hook named name on platform, shaped as
// the platform's own webhook URLs are.
func (s *Server) Hook(platform notifier.Channel, name string) string {
	switch platform {
	case notifier.Slack:
		return s.URL + "/services/TBEACON00/" + name + "/bEaCoNsEcReT0000"
	case notifier.Teams:
		return s.URL + "/workflows/" + name + "/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=c2lnbmF0dXJl"
	case notifier.Discord:
		return s.URL + "/api/webhooks/" + name + "/dIsCoRdToKeN"
	case notifier.Mattermost:
		return s.URL + "/hooks/" + name
	case notifier.GoogleChat:
		return s.URL + "/v1/spaces/" + name + "/messages?key=AIzaSyBeacon&token=gchattoken"
	}
	panic("chattest: unknown platform " + string(platform))
}

// hookOf names the hook a path belongs to.
func hookOf(path string) (notifier.Channel, string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "services":
		return notifier.Slack, parts[2], true
	case len(parts) == 6 && parts[0] == "workflows" && parts[2] == "triggers":
		return notifier.Teams, parts[1], true
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "webhooks":
		return notifier.Discord, parts[2], true
	case len(parts) == 2 && parts[0] == "hooks":
		return notifier.Mattermost, parts[1], true
	case len(parts) == 4 && parts[0] == "v1" && parts[1] == "spaces" && parts[3] == "messages":
		return notifier.GoogleChat, parts[2], true
	}
	return "", "", false
}

// Fail makes the next requests to the hook at address (as Hook returned
// it) answer with failures, one each, in order.
func (s *Server) Fail(address string, failures ...Failure) {
	u, err := url.Parse(address)
	if err != nil {
		panic(err)
	}
	p, name, ok := hookOf(u.Path)
	if !ok {
		panic("chattest: not a hook: " + address)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := string(p) + ":" + name
	s.failures[key] = append(s.failures[key], failures...)
}

// Received returns the requests received from the from-th on.
func (s *Server) Received(from int) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from > len(s.reqs) {
		return nil
	}
	return slices.Clone(s.reqs[from:])
}

// Count returns how many requests the hooks received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	platform, name, ok := hookOf(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Platform: platform, Hook: string(platform) + ":" + name, Method: r.Method, ContentType: r.Header.Get("Content-Type"),
		Query: r.URL.Query(), Body: body}
	if r.Method != http.MethodPost {
		req.Problems = append(req.Problems, "method "+r.Method+", want POST")
	}
	if mt, _, _ := strings.Cut(req.ContentType, ";"); strings.TrimSpace(mt) != "application/json" {
		req.Problems = append(req.Problems, fmt.Sprintf("Content-Type %q, want application/json", req.ContentType))
	}
	if platform == notifier.GoogleChat {
		req.Problems = append(req.Problems, checkGoogleQuery(req.Query)...)
	}
	req.Problems = append(req.Problems, Validate(platform, body)...)

	s.mu.Lock()
	var failure *Failure
	if q := s.failures[req.Hook]; len(q) > 0 && len(req.Problems) == 0 {
		failure = &q[0]
		s.failures[req.Hook] = q[1:]
	}
	s.mu.Unlock()

	switch {
	case len(req.Problems) > 0:
		req.Status = refuse(w, platform, req.Problems)
	case failure != nil:
		req.Status = fail(w, platform, name, *failure)
	default:
		req.Status = accept(w, platform, name, req.Query)
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
}

// checkGoogleQuery checks the query a Google Chat webhook URL keeps, and
// the thread parameters when there are any.
func checkGoogleQuery(q url.Values) []string {
	var out []string
	if q.Get("key") == "" || q.Get("token") == "" {
		out = append(out, "the webhook's key and token are missing from the query")
	}
	switch opt := q.Get("messageReplyOption"); opt {
	case "", "MESSAGE_REPLY_OPTION_UNSPECIFIED", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD", "REPLY_MESSAGE_OR_FAIL":
	default:
		out = append(out, "unknown messageReplyOption "+opt)
	}
	if q.Get("messageReplyOption") != "" && q.Get("threadKey") == "" {
		out = append(out, "messageReplyOption without a threadKey")
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return status
}

func writeText(w http.ResponseWriter, status int, text string) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, text)
	return status
}

// accept answers a valid message as the platform does.
func accept(w http.ResponseWriter, p notifier.Channel, name string, q url.Values) int {
	switch p {
	case notifier.Slack, notifier.Mattermost:
		return writeText(w, http.StatusOK, "ok")
	case notifier.Teams:
		w.WriteHeader(http.StatusAccepted)
		return http.StatusAccepted
	case notifier.Discord:
		if q.Get("wait") == "true" {
			return writeJSON(w, http.StatusOK, map[string]any{"id": "1200000000000000001", "type": 0, "webhook_id": name})
		}
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	thread := "spaces/" + name + "/threads/t1"
	if k := q.Get("threadKey"); k != "" {
		thread = "spaces/" + name + "/threads/" + k
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": "spaces/" + name + "/messages/m1",
		"sender": map[string]any{"type": "BOT"}, "thread": map[string]any{"name": thread}, "space": map[string]any{"name": "spaces/" + name}})
}

// refuse answers an invalid message with the platform's error.
func refuse(w http.ResponseWriter, p notifier.Channel, problems []string) int {
	msg := strings.Join(problems, "; ")
	switch p {
	case notifier.Slack:
		// Slack says which part is wrong in a word, as plain text.
		if slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, "blocks") }) {
			return writeText(w, http.StatusBadRequest, "invalid_blocks")
		}
		return writeText(w, http.StatusBadRequest, "invalid_payload")
	case notifier.Teams:
		return writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "TriggerInputSchemaMismatch", "message": msg}})
	case notifier.Discord:
		return writeJSON(w, http.StatusBadRequest, map[string]any{"code": 50035, "errors": map[string]any{"_errors": []map[string]any{{"code": "BASE_TYPE_INVALID", "message": msg}}},
			"message": "Invalid Form Body"})
	case notifier.Mattermost:
		return writeJSON(w, http.StatusBadRequest, map[string]any{"id": "web.incoming_webhook.parse.app_error", "message": "Unable to parse incoming data.",
			"detailed_error": msg, "request_id": "beacontest", "status_code": 400})
	}
	return writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400, "message": "Invalid JSON payload received. " + msg, "status": "INVALID_ARGUMENT"}})
}

// fail answers a scripted failure as the platform does.
func fail(w http.ResponseWriter, p notifier.Channel, name string, f Failure) int {
	switch f.kind {
	case "rate", "rate-body":
		if f.kind == "rate" && p != notifier.GoogleChat {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter+0.999)))
		}
		switch p {
		case notifier.Discord:
			w.Header().Set("X-RateLimit-Scope", "user")
			return writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": f.retryAfter, "global": false})
		case notifier.GoogleChat:
			return writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{"code": 429,
				"message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}})
		case notifier.Mattermost:
			return writeText(w, http.StatusTooManyRequests, "limit exceeded\n")
		case notifier.Teams:
			return writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{"code": "WorkflowRequestsThrottled",
				"message": "Number of requests exceeded the limit."}})
		}
		return writeText(w, http.StatusTooManyRequests, "rate_limited")
	case "server":
		if p == notifier.Slack {
			return writeText(w, http.StatusInternalServerError, "internal_error")
		}
		return writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Internal Server Error"})
	}
	// gone or archived
	switch p {
	case notifier.Slack:
		if f.kind == "archived" {
			return writeText(w, http.StatusGone, "channel_is_archived")
		}
		return writeText(w, http.StatusNotFound, "no_service")
	case notifier.Discord:
		return writeJSON(w, http.StatusNotFound, map[string]any{"message": "Unknown Webhook", "code": 10015})
	case notifier.Mattermost:
		return writeJSON(w, http.StatusNotFound, map[string]any{"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook.",
			"detailed_error": "", "request_id": "beacontest", "status_code": 404})
	case notifier.Teams:
		return writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "WorkflowNotFound",
			"message": "The workflow '" + name + "' could not be found."}})
	}
	return writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
}
