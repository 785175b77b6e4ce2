package main

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/subscribers"
)

// The public subscribe, confirm, manage and unsubscribe endpoints under
// hostile input.

// TestNotifyPublicHostileInput posts hostile sign-ups to the public
// endpoints, then tampers with real links, guesses codes and probes which
// addresses are known: each is refused without a 5xx, and refused requests
// change nothing.
func TestNotifyPublicHostileInput(t *testing.T) {
	n := ntNew(t)
	s := &ntHostileSteps{n: n, api: n.component("API"), big: strings.Repeat("a", 10<<10)}
	s.before = n.snapshot()
	for _, tc := range ntHostileSignUps(s.api, s.big) {
		t.Run("form/"+tc.name, func(t *testing.T) { s.signUpForm(t, tc) })
		t.Run("json/"+tc.name, func(t *testing.T) { s.signUpJSON(t, tc) })
	}
	if after := n.snapshot(); after != s.before {
		t.Errorf("refused sign-ups changed something:\n--- before\n%s\n--- after\n%s", s.before, after)
	}
	t.Run("malformed bodies", s.malformedBodies)
	s.links(t)
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"bogus tokens", s.bogusTokens},
		{"links expire, except unsubscribe", s.linksExpire},
		{"SMS codes allow few attempts", s.smsCodeAttempts},
		{"same answer for a new and a known address", ntSameAnswer},
		{"SMS sign-ups per IP are limited", ntSMSSignUpLimit},
	} {
		t.Run(step.name, step.run)
	}
}

// ntHostileSteps is what TestNotifyPublicHostileInput's steps share.
type ntHostileSteps struct {
	n      *ntEnv
	api    string // a component
	big    string // 10 KB of "a"
	before string // the snapshot before any refused request
	// Links to tamper with: Bob's confirmation link and its token, and
	// Carol's manage and unsubscribe tokens; forged is Bob's confirmation
	// token with Carol's id in it.
	confirmLink, confirmTok      string
	carolID, manageTok, unsubTok string
	forged                       string
}

// ntHostileSignUp is a sign-up refused naming field.
type ntHostileSignUp struct {
	name   string
	values url.Values
	field  string
}

// ntHostileSignUps are the sign-ups TestNotifyPublicHostileInput posts as
// a form and as JSON; api is a component, big 10 KB of text.
func ntHostileSignUps(api, big string) []ntHostileSignUp {
	many := make([]string, 501)
	for i := range many {
		many[i] = api
	}
	return []ntHostileSignUp{
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
}

// signUpForm posts tc as a form: the form comes back, marked, escaped and
// of a sane size.
func (s *ntHostileSteps) signUpForm(t *testing.T, tc ntHostileSignUp) {
	n := s.n
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
}

// signUpJSON posts tc as JSON: 422 naming the field, without echoing the
// input.
func (s *ntHostileSteps) signUpJSON(t *testing.T, tc ntHostileSignUp) {
	n := s.n
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
}

// links signs Bob up by email and adds Carol, for real links to tamper
// with.
func (s *ntHostileSteps) links(t *testing.T) {
	t.Helper()
	n := s.n
	// Bob signs up by email and is sent a link.
	if res := n.form("/subscribe", url.Values{"email": {"bob@example.com"}}); res.Status != 202 {
		t.Fatalf("sign-up: status %d", res.Status)
	}
	n.round()
	s.confirmLink = strings.TrimPrefix(ntLink(t, ntParseEmail(t, n.mailAt(0)).Text, ntBaseURL+"/subscriptions/confirm?token="), ntBaseURL)
	s.confirmTok, _ = url.QueryUnescape(strings.TrimPrefix(s.confirmLink, "/subscriptions/confirm?token="))
	carol := n.subscriber(map[string]any{"email": "carol@example.com"})
	s.carolID = carol["id"].(string)
	s.manageTok = n.app.subscribers.Link(subscribers.PurposeManage, s.carolID)
	s.unsubTok = n.app.subscribers.Link(subscribers.PurposeUnsubscribe, s.carolID)
	// Carol's id under Bob's signature, and a token naming no one.
	s.forged = strings.Replace(s.confirmTok, strings.Split(s.confirmTok, ".")[1], s.carolID, 1)
}

// ntFlip changes a token's last character.
func ntFlip(tok string) string {
	last := tok[len(tok)-1]
	c := "A"
	if last == 'A' {
		c = "B"
	}
	return tok[:len(tok)-1] + c
}

// malformedBodies posts bodies that are not JSON or a form, or too large:
// each is refused with a 4xx and nothing changes.
func (s *ntHostileSteps) malformedBodies(t *testing.T) {
	n, big, before := s.n, s.big, s.before
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
}

// bogusTokens follows the links with junk, tampered, forged and
// wrong-purpose tokens: each is refused with 400 and nothing changes.
func (s *ntHostileSteps) bogusTokens(t *testing.T) {
	n, api, big, confirmTok, carolID, manageTok, unsubTok, forged := s.n, s.api, s.big, s.confirmTok, s.carolID, s.manageTok, s.unsubTok, s.forged
	before := n.snapshot()
	q := url.QueryEscape
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
	}{
		{"confirm without a token", "GET", "/subscriptions/confirm", nil},
		{"confirm with junk", "GET", "/subscriptions/confirm?token=junk", nil},
		{"confirm with a 3 KB token", "GET", "/subscriptions/confirm?token=" + big[:3<<10], nil},
		{"confirm with a tampered token", "GET", "/subscriptions/confirm?token=" + q(ntFlip(confirmTok)), nil},
		{"confirm with a forged subscriber", "GET", "/subscriptions/confirm?token=" + q(forged), nil},
		{"confirm with a manage token", "GET", "/subscriptions/confirm?token=" + q(n.app.subscribers.Link(subscribers.PurposeManage, strings.Split(confirmTok, ".")[1])), nil},
		{"confirm with an unsubscribe token", "GET", "/subscriptions/confirm?token=" + q(n.app.subscribers.Link(subscribers.PurposeUnsubscribe, strings.Split(confirmTok, ".")[1])), nil},
		{"manage with junk", "GET", "/subscriptions/manage?token=junk", nil},
		{"manage with a tampered token", "GET", "/subscriptions/manage?token=" + q(ntFlip(manageTok)), nil},
		{"manage with an unsubscribe token", "GET", "/subscriptions/manage?token=" + q(unsubTok), nil},
		{"manage with a confirm token", "GET", "/subscriptions/manage?token=" + q(confirmTok), nil},
		{"save preferences with junk", "POST", "/subscriptions/manage", url.Values{"token": {"junk"}, "component_ids": {api}}},
		{"save preferences with a tampered token", "POST", "/subscriptions/manage", url.Values{"token": {ntFlip(manageTok)}, "component_ids": {api}}},
		{"save preferences with an unsubscribe token", "POST", "/subscriptions/manage", url.Values{"token": {unsubTok}, "component_ids": {api}}},
		{"unsubscribe page with junk", "GET", "/unsubscribe/junk", nil},
		{"unsubscribe page with a tampered token", "GET", "/unsubscribe/" + ntFlip(unsubTok), nil},
		{"unsubscribe with junk", "POST", "/unsubscribe/junk", url.Values{"List-Unsubscribe": {"One-Click"}}},
		{"unsubscribe with a 3 KB token", "POST", "/unsubscribe/" + big[:3<<10], nil},
		{"unsubscribe with a tampered token", "POST", "/unsubscribe/" + ntFlip(unsubTok), url.Values{"List-Unsubscribe": {"One-Click"}}},
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
}

// linksExpire follows the links 91 days later: only unsubscribe still
// works.
func (s *ntHostileSteps) linksExpire(t *testing.T) {
	n, confirmLink, manageTok, unsubTok := s.n, s.confirmLink, s.manageTok, s.unsubTok
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
}

// smsCodeAttempts guesses an SMS code: after five wrong ones even the
// right code is refused.
func (s *ntHostileSteps) smsCodeAttempts(t *testing.T) {
	n := s.n
	res := n.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": ntPhone1})
	if res.Status != 202 {
		t.Fatalf("sign-up: status %d body %s", res.Status, res.Body)
	}
	token := apitest.String(t, res, "verify_token")
	mark := n.tw.Count()
	n.round()
	code := regexp.MustCompile(`^\d{6}`).FindString(ntSMSTo(n.tw.Received(mark), ntPhone1)[0].Body)
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
}

// ntSameAnswer signs up new and known addresses on a new app: the answers
// do not tell them apart.
func ntSameAnswer(t *testing.T) {
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
}

// ntSMSSignUpLimit signs up eleven numbers from one address on a new app.
func ntSMSSignUpLimit(t *testing.T) {
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
	mark := m.tw.Count()
	m.round()
	if got := len(m.tw.Received(mark)); got != 10 {
		t.Errorf("%d code SMS sent, want 10", got)
	}
	m.clock.Advance(time.Duration(ra+1) * time.Second)
	if res := m.do("POST", "/subscribe", map[string]any{"mode": "sms", "phone_number": "+12025550199"}); res.Status != 202 {
		t.Errorf("after Retry-After: status %d body %s", res.Status, res.Body)
	}
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
