package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// Request input tests: body encodings and wrappers, "" and null, malformed
// and mistyped bodies, size limits, hostile strings, paging bounds, and
// rollback of a rejected change.

// inputPost sends body (a string, sent as is) to path below the page with
// the key and the given Content-Type ("" sends none).
func inputPost(env *testEnv, method, path, contentType, body string) response {
	env.t.Helper()
	headers := []string{"Authorization", "OAuth " + env.key}
	if contentType != "" {
		headers = append(headers, "Content-Type", contentType)
	}
	return env.do(method, "/api/v1/pages/"+env.pageID+path, body, headers...)
}

// inputConn is an in-memory connection: the request is read from r and the
// response written to w.
type inputConn struct {
	r, w bytes.Buffer
}

func (c *inputConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *inputConn) Write(b []byte) (int, error) { return c.w.Write(b) }
func (c *inputConn) Close() error                { return nil }
func (c *inputConn) LocalAddr() net.Addr         { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080} }
func (c *inputConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *inputConn) SetDeadline(t time.Time) error      { return nil }
func (c *inputConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *inputConn) SetWriteDeadline(t time.Time) error { return nil }

// inputRaw serves one request on the app's HTTP server and returns what the
// client receives, even when the server ends the connection with an error
// (as it does after refusing an oversized body, which fiber.App.Test
// reports as a failure instead of returning the response).
func inputRaw(t *testing.T, env *testEnv, req *http.Request) response {
	t.Helper()
	env.do("GET", "/healthz", nil) // the app has finished starting
	if req.ContentLength > 0 {
		req.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	}
	dump, err := httputil.DumpRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	conn := &inputConn{}
	conn.r.Write(dump)
	_ = env.fiber.Server().ServeConn(conn) // the response is what counts
	res, err := http.ReadResponse(bufio.NewReader(&conn.w), req)
	if err != nil {
		t.Fatalf("read response: %v; raw %q", err, conn.w.String())
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

func TestInputComponentBodies(t *testing.T) {
	form := url.Values{}
	form.Set("component[name]", "Search")
	form.Set("component[description]", "Full text")
	form.Set("component[showcase]", "false")
	form.Set("component[position]", "4")
	tests := []struct {
		name        string
		contentType string
		body        string
	}{
		{"wrapped JSON", "application/json", `{"component":{"name":"Search","description":"Full text","showcase":false,"position":4}}`},
		{"unwrapped JSON", "application/json", `{"name":"Search","description":"Full text","showcase":false,"position":4}`},
		{"JSON without Content-Type", "", `{"component":{"name":"Search","description":"Full text","showcase":false,"position":4}}`},
		{"JSON sent as text/plain", "text/plain", `{"component":{"name":"Search","description":"Full text","showcase":false,"position":4}}`},
		{"JSON with charset", "application/json; charset=utf-8", `{"component":{"name":"Search","description":"Full text","showcase":false,"position":4}}`},
		{"quoted numbers and booleans", "application/json", `{"component":{"name":"Search","description":"Full text","showcase":"false","position":"4"}}`},
		{"surrounding whitespace", "application/json", "\n\t {\"component\":{\"name\":\"Search\",\"description\":\"Full text\",\"showcase\":false,\"position\":4}} \n"},
		{"form-encoded", "application/x-www-form-urlencoded", form.Encode()},
		{"form-encoded with charset", "application/x-www-form-urlencoded; charset=utf-8", form.Encode()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			res := inputPost(env, "POST", "/components", tc.contentType, tc.body)
			if res.Status != 201 {
				t.Fatalf("status %d, want 201; body %s", res.Status, res.Body)
			}
			c := apiObject(t, res)
			for k, want := range map[string]any{"name": "Search", "description": "Full text", "showcase": false, "position": 4.0} {
				if c[k] != want {
					t.Errorf("%s = %v, want %v", k, c[k], want)
				}
			}
		})
	}
}

func TestInputWrappedResources(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		field  string // checked in the answer
		want   any
	}{
		{"component_group wrapped", "POST", "/component-groups", `{"component_group":{"name":"Core"}}`, "name", "Core"},
		{"component_group unwrapped", "POST", "/component-groups", `{"name":"Core"}`, "name", "Core"},
		{"incident wrapped", "POST", "/incidents", `{"incident":{"name":"Down"}}`, "name", "Down"},
		{"incident unwrapped", "POST", "/incidents", `{"name":"Down"}`, "name", "Down"},
		{"page wrapped", "PATCH", "", `{"page":{"name":"Acme"}}`, "name", "Acme"},
		{"page unwrapped", "PATCH", "", `{"name":"Acme"}`, "name", "Acme"},
		{"incident patch wrapped", "PATCH", "/incidents/{I}", `{"incident":{"status":"identified"}}`, "status", "identified"},
		{"incident patch unwrapped", "PATCH", "/incidents/{I}", `{"status":"identified"}`, "status", "identified"},
		{"postmortem wrapped", "PUT", "/incidents/{R}/postmortem", `{"postmortem":{"body_draft":"Why"}}`, "body_draft", "Why"},
		{"postmortem unwrapped", "PUT", "/incidents/{R}/postmortem", `{"body_draft":"Why"}`, "body_draft", "Why"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := apiSeed(t, env)
			res := inputPost(env, tc.method, f.Sub(tc.path), "", f.Sub(tc.body))
			if res.Status != 200 && res.Status != 201 {
				t.Fatalf("status %d; body %s", res.Status, res.Body)
			}
			if got := apiObject(t, res)[tc.field]; got != tc.want {
				t.Errorf("%s = %v, want %v", tc.field, got, tc.want)
			}
		})
	}
}

func TestInputFormEncodedIncident(t *testing.T) {
	env := newTestEnv(t)
	a := apiString(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}), "id")
	b := apiString(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Web"}}), "id")
	before := len(apiEvents(t, env))

	form := url.Values{}
	form.Set("incident[name]", "API & Web down")
	form.Set("incident[body]", "We're on it: 100% of requests fail")
	form.Add("incident[component_ids][]", b)
	form.Set("incident[components]["+a+"]", "major_outage")
	form.Set("incident[deliver_notifications]", "false")
	res := inputPost(env, "POST", "/incidents", "application/x-www-form-urlencoded", form.Encode())
	if res.Status != 201 {
		t.Fatalf("status %d, want 201; body %s", res.Status, res.Body)
	}
	in := apiObject(t, res)
	if in["name"] != "API & Web down" {
		t.Errorf("name %q", in["name"])
	}
	ups := apiUpdates(t, res)
	if len(ups) != 1 || ups[0]["body"] != "We're on it: 100% of requests fail" || ups[0]["deliver_notifications"] != false {
		t.Errorf("updates %v, want one with the body and deliver_notifications false", ups)
	}
	var affected []string
	for _, c := range in["components"].([]any) {
		affected = append(affected, c.(map[string]any)["id"].(string))
	}
	if len(affected) != 2 {
		t.Errorf("components %v, want both %s and %s", affected, a, b)
	}
	if got := apiComponentStatus(t, env, a); got != "major_outage" {
		t.Errorf("component %s status %s, want major_outage", a, got)
	}
	if got := apiComponentStatus(t, env, b); got != "operational" {
		t.Errorf("listed-only component %s status %s, want operational", b, got)
	}
	events := apiEvents(t, env)[before:]
	if len(events) == 0 {
		t.Fatal("no events written")
	}
	for _, e := range events {
		if e.DeliverNotifications {
			t.Errorf("event %s delivers notifications, want false", e.Kind)
		}
	}
}

func TestInputFormTooDeep(t *testing.T) {
	env := newTestEnv(t)
	res := inputPost(env, "POST", "/incidents", "application/x-www-form-urlencoded", url.Values{"incident[a][b][c][d][e][f]": {"x"}}.Encode())
	apiWantError(t, res, 400, "")
}

func TestInputEmptyAndNull(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		check  map[string]any // fields of the answer
		// keepComponents checks that the incident still affects A.
		keepComponents bool
	}{
		{
			name: "component create", method: "POST", path: "/components",
			body:  `{"component":{"name":"X","description":"","group_id":null,"start_date":"","status":"","position":"","showcase":"","only_show_if_degraded":null}}`,
			check: map[string]any{"description": nil, "group_id": nil, "start_date": nil, "status": "operational", "showcase": true, "only_show_if_degraded": false},
		},
		{
			name: "component patch with null optional fields", method: "PATCH", path: "/components/{A}",
			body:  `{"component":{"status":"","position":null,"showcase":null,"only_show_if_degraded":"","start_date":null}}`,
			check: map[string]any{"name": "API", "status": "degraded_performance", "showcase": true, "only_show_if_degraded": false, "start_date": nil},
		},
		{
			name: "component patch with null name", method: "PATCH", path: "/components/{A}",
			body:  `{"component":{"name":null,"status":"major_outage"}}`,
			check: map[string]any{"name": "API", "status": "major_outage"},
		},
		{
			name: "component patch with empty name", method: "PATCH", path: "/components/{A}",
			body:  `{"component":{"name":"","status":"major_outage"}}`,
			check: map[string]any{"name": "API", "status": "major_outage"},
		},
		{
			name: "group create", method: "POST", path: "/component-groups",
			body:  `{"component_group":{"name":"G2","description":"","position":null,"components":null}}`,
			check: map[string]any{"description": nil, "components": []any{}},
		},
		{
			name: "incident create", method: "POST", path: "/incidents",
			body:  `{"incident":{"name":"X","status":"","body":"","impact_override":"","component_ids":null,"components":null,"scheduled_for":"","scheduled_until":null,"deliver_notifications":null,"backfilled":"","backfill_date":"","scheduled_remind_prior":""}}`,
			check: map[string]any{"status": "investigating", "impact": "none", "impact_override": nil, "scheduled_for": nil, "components": []any{}},
		},
		{
			name: "incident patch with null optional fields", method: "PATCH", path: "/incidents/{I}",
			body:           `{"incident":{"status":"identified","body":null,"components":null,"scheduled_for":null,"scheduled_until":"","impact_override":null,"deliver_notifications":""}}`,
			check:          map[string]any{"name": "API errors", "status": "identified"},
			keepComponents: true,
		},
		{
			name: "incident patch with empty strings", method: "PATCH", path: "/incidents/{I}",
			body:           `{"incident":{"status":"identified","body":"","scheduled_for":"","impact_override":""}}`,
			check:          map[string]any{"name": "API errors", "status": "identified"},
			keepComponents: true,
		},
		{
			name: "incident patch with null name", method: "PATCH", path: "/incidents/{I}",
			body:  `{"incident":{"name":null,"status":"identified"}}`,
			check: map[string]any{"name": "API errors", "status": "identified"},
		},
		{
			name: "incident patch with null component_ids", method: "PATCH", path: "/incidents/{I}",
			body:           `{"incident":{"status":"identified","component_ids":null}}`,
			check:          map[string]any{"status": "identified"},
			keepComponents: true,
		},
		{
			name: "page patch with null support_url", method: "PATCH", path: "",
			body:  `{"page":{"support_url":null}}`,
			check: map[string]any{"name": "Beacon", "url": "http://localhost:8080", "time_zone": "Etc/UTC", "support_url": nil},
		},
		{
			name: "page patch with null name", method: "PATCH", path: "",
			body:  `{"page":{"name":null}}`,
			check: map[string]any{"name": "Beacon"},
		},
		{
			name: "page patch with null url", method: "PATCH", path: "",
			body:  `{"page":{"url":null}}`,
			check: map[string]any{"url": "http://localhost:8080"},
		},
		{
			name: "page patch with empty url", method: "PATCH", path: "",
			body:  `{"page":{"url":""}}`,
			check: map[string]any{"url": "http://localhost:8080"},
		},
		{
			name: "page patch with empty time_zone", method: "PATCH", path: "",
			body:  `{"page":{"time_zone":""}}`,
			check: map[string]any{"time_zone": "Etc/UTC"},
		},
		{
			name: "group patch with null name", method: "PATCH", path: "/component-groups/{G}",
			body:  `{"component_group":{"name":null,"description":"Web things"}}`,
			check: map[string]any{"name": "Frontend", "description": "Web things"},
		},
		{
			name: "empty body", method: "PATCH", path: "/components/{A}", body: ``,
			check: map[string]any{"name": "API", "description": "The API"},
		},
		{
			name: "empty object", method: "PATCH", path: "/components/{A}", body: `{}`,
			check: map[string]any{"name": "API", "description": "The API"},
		},
		{
			name: "empty wrapper", method: "PATCH", path: "/components/{A}", body: `{"component":{}}`,
			check: map[string]any{"name": "API", "description": "The API"},
		},
		{
			name: "null wrapper", method: "PATCH", path: "/components/{A}", body: `{"component":null}`,
			check: map[string]any{"name": "API", "description": "The API"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := apiSeed(t, env)
			res := inputPost(env, tc.method, f.Sub(tc.path), "application/json", tc.body)
			if res.Status != 200 && res.Status != 201 {
				t.Fatalf("status %d, want success; body %s", res.Status, res.Body)
			}
			got := apiObject(t, res)
			for k, want := range tc.check {
				if g, w := inputJSON(t, got[k]), inputJSON(t, want); g != w {
					t.Errorf("%s = %s, want %s", k, g, w)
				}
			}
			if tc.keepComponents {
				comps, _ := got["components"].([]any)
				if len(comps) != 1 || comps[0].(map[string]any)["id"] != f.A {
					t.Errorf("affected components %v, want A kept", got["components"])
				}
			}
		})
	}
}

// inputJSON renders v as JSON, for comparing decoded values.
func inputJSON(t *testing.T, v any) string {
	t.Helper()
	return apitest.JSON(t, v)
}

func TestInputMalformedBodies(t *testing.T) {
	// Every request here must change nothing, so one page serves them all.
	env := newTestEnv(t)
	f := apiSeed(t, env)
	tests := []struct {
		name string
		body string
	}{
		{"truncated", `{"component":{"name":"X"`},
		{"unquoted keys", `{component: {name: "X"}}`},
		{"single quotes", `{'component': {'name': 'X'}}`},
		{"trailing garbage", `{"component":{"name":"X"}} and more`},
		{"trailing comma", `{"component":{"name":"X",}}`},
		{"array", `[{"component":{"name":"X"}}]`},
		{"empty array", `[]`},
		{"string", `"component"`},
		{"number", `42`},
		{"boolean", `true`},
		{"not JSON at all", `name=X`},
		{"binary", "\x00\x01\x02\xff"},
	}
	for _, tc := range tests {
		for _, target := range []struct{ method, path string }{
			{"POST", "/components"},
			{"POST", "/incidents"},
			{"PATCH", "/components/{A}"},
			{"PATCH", ""},
		} {
			t.Run(tc.name+" "+target.method+" "+target.path, func(t *testing.T) {
				before := len(apiEvents(t, env))
				res := inputPost(env, target.method, f.Sub(target.path), "application/json", tc.body)
				apiWantError(t, res, 400, "")
				if got := len(apiEvents(t, env)); got != before {
					t.Errorf("%d events after a 400, want %d", got, before)
				}
				if n := len(apiArray(t, env.mustAPI(200, "GET", "/components", nil))); n != 3 {
					t.Errorf("%d components after a 400, want 3", n)
				}
			})
		}
	}
}

func TestInputWrongTypes(t *testing.T) {
	// Every request here must change nothing, so one page serves them all.
	env := newTestEnv(t)
	f := apiSeed(t, env)
	tests := []struct {
		name, method, path, body, field string
	}{
		{"position a word", "POST", "/components", `{"component":{"name":"X","position":"abc"}}`, "position"},
		{"position a fraction", "POST", "/components", `{"component":{"name":"X","position":1.5}}`, "position"},
		{"position an object", "POST", "/components", `{"component":{"name":"X","position":{}}}`, "position"},
		{"showcase a list", "POST", "/components", `{"component":{"name":"X","showcase":[1]}}`, "showcase"},
		{"showcase a word", "POST", "/components", `{"component":{"name":"X","showcase":"yes"}}`, "showcase"},
		{"name a number", "POST", "/components", `{"component":{"name":5}}`, "name"},
		{"name an object", "POST", "/components", `{"component":{"name":{"en":"X"}}}`, "name"},
		{"patch status a number", "PATCH", "/components/{A}", `{"component":{"status":3}}`, "status"},
		{"group members a string", "POST", "/component-groups", `{"component_group":{"name":"G2","components":"{A}"}}`, "components"},
		{"group members numbers", "POST", "/component-groups", `{"component_group":{"name":"G2","components":[1,2]}}`, "components"},
		{"incident component_ids a string", "POST", "/incidents", `{"incident":{"name":"X","component_ids":"{A}"}}`, "component_ids"},
		{"incident components a list", "POST", "/incidents", `{"incident":{"name":"X","components":["{A}"]}}`, "components"},
		{"incident components status a number", "POST", "/incidents", `{"incident":{"name":"X","components":{"{A}":4}}}`, "components"},
		{"deliver_notifications a word", "POST", "/incidents", `{"incident":{"name":"X","deliver_notifications":"maybe"}}`, "deliver_notifications"},
		{"scheduled_for a word", "POST", "/incidents", `{"incident":{"name":"X","scheduled_for":"tomorrow","scheduled_until":"2026-03-12T00:00:00Z"}}`, "scheduled_for"},
		{"scheduled_until a number", "POST", "/incidents", `{"incident":{"name":"X","scheduled_for":"2026-03-11T00:00:00Z","scheduled_until":1773273600}}`, "scheduled_until"},
		{"display_at a word", "PATCH", "/incidents/{I}/incident_updates/{U}", `{"incident_update":{"display_at":"noon"}}`, "display_at"},
		{"page name a list", "PATCH", "", `{"page":{"name":["Acme"]}}`, "name"},
		{"notify_subscribers a number", "PUT", "/incidents/{R}/postmortem/publish", `{"postmortem":{"notify_subscribers":2}}`, "notify_subscribers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(apiEvents(t, env))
			res := inputPost(env, tc.method, f.Sub(tc.path), "application/json", f.Sub(tc.body))
			apiWantError(t, res, 422, tc.field)
			if got := len(apiEvents(t, env)); got != before {
				t.Errorf("%d events after a 422, want %d", got, before)
			}
		})
	}
}

func TestInputBodyLimit(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.BodyLimit = 1024 })
	big := strings.Repeat("x", 4096)
	form := url.Values{"incident[name]": {"Big"}, "incident[body]": {big}}.Encode()
	tests := []struct {
		name, path, contentType, body string
	}{
		{"JSON component", "/components", "application/json", `{"component":{"name":"Big","description":"` + big + `"}}`},
		{"JSON incident", "/incidents", "application/json", `{"incident":{"name":"Big","body":"` + big + `"}}`},
		{"form incident", "/incidents", "application/x-www-form-urlencoded", form},
		{"no Content-Type", "/components", "", `{"component":{"name":"Big","description":"` + big + `"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(apiEvents(t, env))
			req := httptest.NewRequest("POST", "/api/v1/pages/"+env.pageID+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "OAuth "+env.key)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			apiWantError(t, inputRaw(t, env, req), 413, "")
			if n := len(apiArray(t, env.mustAPI(200, "GET", "/components", nil))); n != 0 {
				t.Errorf("%d components after a 413, want 0", n)
			}
			if n := len(apiArray(t, env.mustAPI(200, "GET", "/incidents", nil))); n != 0 {
				t.Errorf("%d incidents after a 413, want 0", n)
			}
			if got := len(apiEvents(t, env)); got != before {
				t.Errorf("%d events after a 413, want %d", got, before)
			}
		})
	}
	t.Run("just under the limit", func(t *testing.T) {
		body := `{"component":{"name":"Small","description":"` + strings.Repeat("y", 900) + `"}}`
		req := httptest.NewRequest("POST", "/api/v1/pages/"+env.pageID+"/components", strings.NewReader(body))
		req.Header.Set("Authorization", "OAuth "+env.key)
		if res := inputRaw(t, env, req); res.Status != 201 {
			t.Errorf("status %d, want 201; body %s", res.Status, res.Body)
		}
	})
}

func TestInputHostileStrings(t *testing.T) {
	tests := []struct {
		name string
		val  string
		want int // 201 stores val verbatim
	}{
		{"255 characters", strings.Repeat("n", 255), 201},
		{"256 characters", strings.Repeat("n", 256), 422},
		{"255 emoji", strings.Repeat("🚀", 255), 201},
		{"256 accented", strings.Repeat("é", 256), 422},
		{"10000 characters", strings.Repeat("n", 10000), 422},
		{"unicode", "Ünïcødé ✓ 日本語 🚀 مرحبا \u200fgnp.exe", 201},
		{"right-to-left override", "Ünïcødé \u202egnp.exe", 422},
		{"combining marks", "Zalgo z\u0301\u0302\u0303a\u0304\u0305", 201},
		{"SQL injection", `Robert'); DROP TABLE components;--`, 201},
		{"SQL comment and quotes", `x' OR '1'='1' /* "`, 201},
		{"LIKE wildcards", `100% _done_ \escaped\`, 201},
		{"HTML", `<script>alert("x")</script><img src=x onerror=alert(1)>`, 201},
		{"template syntax", `{{.Secret}} ${HOME} %s %d`, 201},
		{"newlines and tabs", "line one\nline two\tend", 422},
		{"path traversal", `../../etc/passwd`, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			res := env.api("POST", "/components", map[string]any{"component": map[string]any{"name": tc.val, "description": tc.val}})
			if tc.want != 201 {
				apiWantError(t, res, tc.want, "name")
				if n := len(apiArray(t, env.mustAPI(200, "GET", "/components", nil))); n != 0 {
					t.Errorf("%d components after a refused name, want 0", n)
				}
				return
			}
			if res.Status != 201 {
				t.Fatalf("status %d, want 201; body %s", res.Status, res.Body)
			}
			id := apiString(t, res, "id")
			got := apiObject(t, env.mustAPI(200, "GET", "/components/"+id, nil))
			if got["name"] != tc.val || got["description"] != tc.val {
				t.Errorf("stored name %q description %q, want %q", got["name"], got["description"], tc.val)
			}
			comps := v2List(t, env.v2("components.json"), "components")
			if len(comps) != 1 || comps[0]["name"] != tc.val {
				t.Errorf("components.json %v, want the one component named verbatim", comps)
			}

			if utf8.RuneCountInString(tc.val) > 255 {
				return
			}
			in := env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": tc.val, "body": tc.val}})
			if apiString(t, in, "name") != tc.val || apiUpdates(t, in)[0]["body"] != tc.val {
				t.Errorf("incident name or body not stored verbatim")
			}
			if len(tc.val) <= 200 { // the longest search q
				found := env.mustAPI(200, "GET", "/incidents?q="+url.QueryEscape(tc.val), nil)
				if n := len(apiArray(t, found)); n != 1 {
					t.Errorf("searching for the name found %d incidents, want 1", n)
				}
			}
			if n := len(v2List(t, env.v2("incidents/unresolved.json"), "incidents")); n != 1 {
				t.Errorf("unresolved.json has %d incidents, want 1", n)
			}
		})
	}
}

func TestInputHostileIDs(t *testing.T) {
	ids := []string{
		"..%2F..%2Fbeacon.db",
		"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"..%5C..%5Cwindows",
		"%27%20OR%20%271%27%3D%271",
		"1%3B%20DROP%20TABLE%20components",
		"%00",
		"%25",
		"*",
		strings.Repeat("a", 3000),
		"ZZZZZZZZZZZZ",
		"%F0%9F%9A%80",
	}
	for i, id := range ids {
		// Subtest names become temporary directory names: keep them plain.
		t.Run(fmt.Sprintf("id %d", i), func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := apiSeed(t, env)
			for _, route := range []struct{ method, path string }{
				{"GET", "/components/" + id},
				{"PATCH", "/components/" + id},
				{"DELETE", "/components/" + id},
				{"GET", "/components/" + id + "/uptime"},
				{"GET", "/component-groups/" + id},
				{"DELETE", "/component-groups/" + id},
				{"GET", "/incidents/" + id},
				{"PATCH", "/incidents/" + id},
				{"DELETE", "/incidents/" + id},
				{"PATCH", "/incidents/" + f.I + "/incident_updates/" + id},
			} {
				res := env.api(route.method, route.path, map[string]any{"name": "x"})
				if res.Status != 404 {
					t.Errorf("%s %s: status %d, want 404; body %s", route.method, route.path, res.Status, res.Body)
					continue
				}
				apiWantError(t, res, 404, "")
			}
			if n := len(apiArray(t, env.mustAPI(200, "GET", "/components", nil))); n != 3 {
				t.Errorf("%d components afterwards, want 3", n)
			}
			if n := len(apiArray(t, env.mustAPI(200, "GET", "/incidents", nil))); n != 3 {
				t.Errorf("%d incidents afterwards, want 3", n)
			}
		})
	}
}

func TestInputPagingOutOfRange(t *testing.T) {
	tests := []struct {
		query string
		field string // "" means accepted
	}{
		{"page=0", ""}, // the first page, as page=1
		{"page=-1", "page"},
		{"page=abc", "page"},
		{"page=1.5", "page"},
		{"page=1000001", "page"},
		{"page=99999999999999999999", "page"},
		{"per_page=0", "per_page"},
		{"per_page=-5", "per_page"},
		{"per_page=1001", "per_page"},
		{"per_page=ten", "per_page"},
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=x", "limit"},
		{"page=1000000", ""},
		{"per_page=1000", ""},
		{"per_page=500&page=3", ""},
		{"limit=1", ""},
	}
	for _, path := range []string{"/components", "/component-groups", "/incidents", "/incidents/unresolved", "/incidents/upcoming", "/incidents/scheduled", "/incidents/active_maintenance"} {
		env := newTestEnv(t)
		apiSeed(t, env)
		for _, tc := range tests {
			t.Run(path+"?"+tc.query, func(t *testing.T) {
				res := env.api("GET", path+"?"+tc.query, nil)
				if tc.field != "" {
					apiWantError(t, res, 422, tc.field)
					return
				}
				if res.Status != 200 {
					t.Fatalf("status %d, want 200; body %s", res.Status, res.Body)
				}
				apiArray(t, res)
			})
		}
	}
}

func TestInputRollback(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		field  string
	}{
		{"create with an unknown component status", "POST", "/incidents", `{"incident":{"name":"Half","components":{"{A}":"major_outage","` + apiMissingID + `":"major_outage"}}}`, "component_ids"},
		{"create listing an unknown component", "POST", "/incidents", `{"incident":{"name":"Half","component_ids":["` + apiMissingID + `"],"components":{"{A}":"major_outage"}}}`, "component_ids"},
		{"create setting a group's status", "POST", "/incidents", `{"incident":{"name":"Half","components":{"{A}":"major_outage","{G}":"major_outage"}}}`, "component_ids"},
		{"create with one bad status", "POST", "/incidents", `{"incident":{"name":"Half","components":{"{A}":"major_outage","{B}":"kaput"}}}`, "components"},
		{"patch with an unknown component status", "PATCH", "/incidents/{I}", `{"incident":{"status":"identified","components":{"{A}":"major_outage","` + apiMissingID + `":"major_outage"}}}`, "component_ids"},
		{"patch with a bad status", "PATCH", "/incidents/{I}", `{"incident":{"status":"completed","components":{"{A}":"major_outage"}}}`, "status"},
		// The group is written before its members are checked: only the
		// transaction's rollback keeps these from leaving half a change.
		{"group create with an unknown member", "POST", "/component-groups", `{"component_group":{"name":"Half","components":["{A}","` + apiMissingID + `"]}}`, "components"},
		{"group rename with an unknown member", "PATCH", "/component-groups/{G}", `{"component_group":{"name":"Half","components":["{A}","` + apiMissingID + `"]}}`, "components"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := apiSeed(t, env)
			components := env.do("GET", "/api/v2/components.json", nil)
			incidents := env.do("GET", "/api/v2/incidents.json", nil)
			managed := env.mustAPI(200, "GET", "/incidents", nil)
			events := len(apiEvents(t, env))
			env.clock.Advance(time.Minute)

			groups := env.mustAPI(200, "GET", "/component-groups", nil)
			res := inputPost(env, tc.method, f.Sub(tc.path), "application/json", f.Sub(tc.body))
			apiWantError(t, res, 422, tc.field)

			// Read the database, not a cached page: drop the public cache.
			env.app.public.Changed()
			if after := env.mustAPI(200, "GET", "/component-groups", nil); !bytes.Equal(after.Body, groups.Body) {
				t.Errorf("component groups changed:\nbefore %s\nafter  %s", groups.Body, after.Body)
			}
			if after := env.do("GET", "/api/v2/components.json", nil); !bytes.Equal(after.Body, components.Body) {
				t.Errorf("components.json changed:\nbefore %s\nafter  %s", components.Body, after.Body)
			}
			if after := env.do("GET", "/api/v2/incidents.json", nil); !bytes.Equal(after.Body, incidents.Body) {
				t.Errorf("incidents.json changed:\nbefore %s\nafter  %s", incidents.Body, after.Body)
			}
			if after := env.mustAPI(200, "GET", "/incidents", nil); !bytes.Equal(after.Body, managed.Body) || after.Header.Get("X-Total-Count") != "3" {
				t.Errorf("management incident list changed (X-Total-Count %s)", after.Header.Get("X-Total-Count"))
			}
			if got := len(apiEvents(t, env)); got != events {
				t.Errorf("%d notification events, want %d", got, events)
			}
		})
	}
}
