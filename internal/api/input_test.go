package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// Request input tests: body encodings and wrappers, "" and null, malformed
// and mistyped bodies, hostile ids and paging bounds. (Size limits, hostile
// strings on the public page and rollback are cmd/beacon's.)

// inputPost sends body (a string, sent as is) to path below the page with
// the key and the given Content-Type ("" sends none).
func inputPost(env *testEnv, method, path, contentType, body string) response {
	env.t.Helper()
	if contentType == "" {
		return env.api(method, path, body)
	}
	return env.api(method, path, body, "Content-Type", contentType)
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
			c := apitest.Object(t, res)
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
			f := env.seed()
			res := inputPost(env, tc.method, f.Sub(tc.path), "", f.Sub(tc.body))
			if res.Status != 200 && res.Status != 201 {
				t.Fatalf("status %d; body %s", res.Status, res.Body)
			}
			if got := apitest.Object(t, res)[tc.field]; got != tc.want {
				t.Errorf("%s = %v, want %v", tc.field, got, tc.want)
			}
		})
	}
}

func TestInputFormEncodedIncident(t *testing.T) {
	env := newTestEnv(t)
	a := apitest.String(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}), "id")
	b := apitest.String(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Web"}}), "id")
	before := len(env.events())

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
	in := apitest.Object(t, res)
	if in["name"] != "API & Web down" {
		t.Errorf("name %q", in["name"])
	}
	ups := apitest.Updates(t, res)
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
	if got := env.componentStatus(a); got != "major_outage" {
		t.Errorf("component %s status %s, want major_outage", a, got)
	}
	if got := env.componentStatus(b); got != "operational" {
		t.Errorf("listed-only component %s status %s, want operational", b, got)
	}
	events := env.events()[before:]
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
	apitest.WantError(t, res, 400, "")
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
			f := env.seed()
			res := inputPost(env, tc.method, f.Sub(tc.path), "application/json", tc.body)
			if res.Status != 200 && res.Status != 201 {
				t.Fatalf("status %d, want success; body %s", res.Status, res.Body)
			}
			got := apitest.Object(t, res)
			for k, want := range tc.check {
				if g, w := apitest.JSON(t, got[k]), apitest.JSON(t, want); g != w {
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

func TestInputMalformedBodies(t *testing.T) {
	// Every request here must change nothing, so one page serves them all.
	env := newTestEnv(t)
	f := env.seed()
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
				before := len(env.events())
				res := inputPost(env, target.method, f.Sub(target.path), "application/json", tc.body)
				apitest.WantError(t, res, 400, "")
				if got := len(env.events()); got != before {
					t.Errorf("%d events after a 400, want %d", got, before)
				}
				if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/components", nil))); n != 3 {
					t.Errorf("%d components after a 400, want 3", n)
				}
			})
		}
	}
}

func TestInputWrongTypes(t *testing.T) {
	// Every request here must change nothing, so one page serves them all.
	env := newTestEnv(t)
	f := env.seed()
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
			before := len(env.events())
			res := inputPost(env, tc.method, f.Sub(tc.path), "application/json", f.Sub(tc.body))
			apitest.WantError(t, res, 422, tc.field)
			if got := len(env.events()); got != before {
				t.Errorf("%d events after a 422, want %d", got, before)
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
			f := env.seed()
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
				apitest.WantError(t, res, 404, "")
			}
			if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/components", nil))); n != 3 {
				t.Errorf("%d components afterwards, want 3", n)
			}
			if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/incidents", nil))); n != 3 {
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
		env.seed()
		for _, tc := range tests {
			t.Run(path+"?"+tc.query, func(t *testing.T) {
				res := env.api("GET", path+"?"+tc.query, nil)
				if tc.field != "" {
					apitest.WantError(t, res, 422, tc.field)
					return
				}
				if res.Status != 200 {
					t.Fatalf("status %d, want 200; body %s", res.Status, res.Body)
				}
				apitest.Array(t, res)
			})
		}
	}
}
