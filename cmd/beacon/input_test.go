package main

import (
	"bufio"
	"bytes"
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
	"github.com/beacon-status/beacon/internal/testutil"
)

// Request input tests of the whole binary: its body size limit, hostile
// strings as the public API shows them, and rollback of a rejected change
// seen through the public cache. The management API's own input tests
// (encodings, wrappers, "" and null, malformed and mistyped bodies, hostile
// ids, paging bounds) are in internal/api.

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

// TestInputBodyLimitConsole: a console form over the body limit, which
// Fiber refuses before routing it, is answered with the console's page, as
// any other console error, not with the API's JSON; a script still gets
// JSON.
func TestInputBodyLimitConsole(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.BodyLimit = 1024 })
	form := url.Values{"name": {strings.Repeat("x", 4096)}}.Encode()
	for _, script := range []bool{false, true} {
		req := httptest.NewRequest("POST", "/console/components", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if script {
			req.Header.Set("X-Requested-With", "fetch")
		}
		res := inputRaw(t, env, req)
		if res.Status != 413 {
			t.Fatalf("script %v: status %d, want 413; body %s", script, res.Status, res.Body)
		}
		ct := res.Header.Get("Content-Type")
		switch {
		case !script && (!strings.HasPrefix(ct, "text/html") || !strings.Contains(string(res.Body), "That did not work")):
			t.Errorf("a person got %s: %.200s, want the console's page", ct, res.Body)
		case script && !strings.HasPrefix(ct, "application/json"):
			t.Errorf("a script got %s: %.200s, want JSON", ct, res.Body)
		}
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
			apitest.WantError(t, inputRaw(t, env, req), 413, "")
			if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/components", nil))); n != 0 {
				t.Errorf("%d components after a 413, want 0", n)
			}
			if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/incidents", nil))); n != 0 {
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
				apitest.WantError(t, res, tc.want, "name")
				if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/components", nil))); n != 0 {
					t.Errorf("%d components after a refused name, want 0", n)
				}
				return
			}
			if res.Status != 201 {
				t.Fatalf("status %d, want 201; body %s", res.Status, res.Body)
			}
			id := apitest.String(t, res, "id")
			got := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id, nil))
			if got["name"] != tc.val || got["description"] != tc.val {
				t.Errorf("stored name %q description %q, want %q", got["name"], got["description"], tc.val)
			}
			comps := testutil.Objects(t, env.v2("components.json"), "components")
			if len(comps) != 1 || comps[0]["name"] != tc.val {
				t.Errorf("components.json %v, want the one component named verbatim", comps)
			}

			if utf8.RuneCountInString(tc.val) > 255 {
				return
			}
			in := env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": tc.val, "body": tc.val}})
			if apitest.String(t, in, "name") != tc.val || apitest.Updates(t, in)[0]["body"] != tc.val {
				t.Errorf("incident name or body not stored verbatim")
			}
			if len(tc.val) <= 200 { // the longest search q
				found := env.mustAPI(200, "GET", "/incidents?q="+url.QueryEscape(tc.val), nil)
				if n := len(apitest.Array(t, found)); n != 1 {
					t.Errorf("searching for the name found %d incidents, want 1", n)
				}
			}
			if n := len(testutil.Objects(t, env.v2("incidents/unresolved.json"), "incidents")); n != 1 {
				t.Errorf("unresolved.json has %d incidents, want 1", n)
			}
		})
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
		{"create with an unknown component status", "POST", "/incidents", `{"incident":{"name":"Half","components":{"{A}":"major_outage","` + apitest.MissingID + `":"major_outage"}}}`, "component_ids"},
		{"create listing an unknown component", "POST", "/incidents", `{"incident":{"name":"Half","component_ids":["` + apitest.MissingID + `"],"components":{"{A}":"major_outage"}}}`, "component_ids"},
		{"create setting a group's status", "POST", "/incidents", `{"incident":{"name":"Half","components":{"{A}":"major_outage","{G}":"major_outage"}}}`, "component_ids"},
		{"create with one bad status", "POST", "/incidents", `{"incident":{"name":"Half","components":{"{A}":"major_outage","{B}":"kaput"}}}`, "components"},
		{"patch with an unknown component status", "PATCH", "/incidents/{I}", `{"incident":{"status":"identified","components":{"{A}":"major_outage","` + apitest.MissingID + `":"major_outage"}}}`, "component_ids"},
		{"patch with a bad status", "PATCH", "/incidents/{I}", `{"incident":{"status":"completed","components":{"{A}":"major_outage"}}}`, "status"},
		// The group is written before its members are checked: only the
		// transaction's rollback keeps these from leaving half a change.
		{"group create with an unknown member", "POST", "/component-groups", `{"component_group":{"name":"Half","components":["{A}","` + apitest.MissingID + `"]}}`, "components"},
		{"group rename with an unknown member", "PATCH", "/component-groups/{G}", `{"component_group":{"name":"Half","components":["{A}","` + apitest.MissingID + `"]}}`, "components"},
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
			apitest.WantError(t, res, 422, tc.field)

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
