package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/notifier"
)

// Management API v1 tests: status codes, errors, auth, rate limit, lists,
// the incident timeline, postmortems and uptime.

func TestAPIV1SuccessStatusCodes(t *testing.T) {
	tests := []struct {
		name   string
		prep   func(t *testing.T, env *testEnv, f apitest.Fixture)
		method string
		path   string // below /api/v1/pages/{page_id}, with fixture placeholders
		body   string // with fixture placeholders; "" sends none
		want   int
	}{
		{name: "get page", method: "GET", path: "", want: 200},
		{name: "patch page", method: "PATCH", path: "", body: `{"page":{"name":"Acme"}}`, want: 200},
		{name: "put page", method: "PUT", path: "", body: `{"page":{"name":"Acme"}}`, want: 200},

		{name: "list components", method: "GET", path: "/components", want: 200},
		{name: "create component", method: "POST", path: "/components", body: `{"component":{"name":"CDN"}}`, want: 201},
		{name: "get component", method: "GET", path: "/components/{A}", want: 200},
		{name: "patch component", method: "PATCH", path: "/components/{A}", body: `{"component":{"status":"major_outage"}}`, want: 200},
		{name: "put component", method: "PUT", path: "/components/{A}", body: `{"component":{"name":"API v2"}}`, want: 200},
		{name: "delete component", method: "DELETE", path: "/components/{A}", want: 204},
		{name: "component uptime", method: "GET", path: "/components/{A}/uptime", want: 200},

		{name: "list groups", method: "GET", path: "/component-groups", want: 200},
		{name: "create group", method: "POST", path: "/component-groups", body: `{"component_group":{"name":"Backend","components":["{A}"]}}`, want: 201},
		{name: "get group", method: "GET", path: "/component-groups/{G}", want: 200},
		{name: "patch group", method: "PATCH", path: "/component-groups/{G}", body: `{"component_group":{"name":"Web tier"}}`, want: 200},
		{name: "put group", method: "PUT", path: "/component-groups/{G}", body: `{"component_group":{"name":"Web tier"}}`, want: 200},
		{name: "delete group", method: "DELETE", path: "/component-groups/{G}", want: 200},

		{name: "list incidents", method: "GET", path: "/incidents", want: 200},
		{name: "create incident", method: "POST", path: "/incidents", body: `{"incident":{"name":"Slow"}}`, want: 201},
		{name: "get incident", method: "GET", path: "/incidents/{I}", want: 200},
		{name: "patch incident", method: "PATCH", path: "/incidents/{I}", body: `{"incident":{"status":"identified"}}`, want: 200},
		{name: "put incident", method: "PUT", path: "/incidents/{I}", body: `{"incident":{"status":"identified"}}`, want: 200},
		{name: "delete incident", method: "DELETE", path: "/incidents/{I}", want: 200},
		{name: "unresolved", method: "GET", path: "/incidents/unresolved", want: 200},
		{name: "upcoming", method: "GET", path: "/incidents/upcoming", want: 200},
		{name: "scheduled", method: "GET", path: "/incidents/scheduled", want: 200},
		{name: "active maintenance", method: "GET", path: "/incidents/active_maintenance", want: 200},
		{name: "patch incident update", method: "PATCH", path: "/incidents/{I}/incident_updates/{U}", body: `{"incident_update":{"body":"Fixed text"}}`, want: 200},
		{name: "put incident update", method: "PUT", path: "/incidents/{I}/incident_updates/{U}", body: `{"incident_update":{"body":"Fixed text"}}`, want: 200},
		{name: "put postmortem", method: "PUT", path: "/incidents/{R}/postmortem", body: `{"postmortem":{"body_draft":"Root cause"}}`, want: 200},
		{
			name: "publish postmortem", method: "PUT", path: "/incidents/{R}/postmortem/publish", body: `{"postmortem":{"notify_subscribers":false}}`, want: 200,
			prep: func(t *testing.T, env *testEnv, f apitest.Fixture) {
				env.mustAPI(200, "PUT", "/incidents/"+f.R+"/postmortem", map[string]any{"postmortem": map[string]any{"body_draft": "Root cause"}})
			},
		},
		{
			name: "revert postmortem", method: "PUT", path: "/incidents/{R}/postmortem/revert", want: 200,
			prep: func(t *testing.T, env *testEnv, f apitest.Fixture) {
				env.mustAPI(200, "PUT", "/incidents/"+f.R+"/postmortem", map[string]any{"postmortem": map[string]any{"body_draft": "Root cause"}})
				env.mustAPI(200, "PUT", "/incidents/"+f.R+"/postmortem/publish", nil)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := env.seed()
			if tc.prep != nil {
				tc.prep(t, env, f)
			}
			var body any
			if tc.body != "" {
				body = f.Sub(tc.body)
			}
			res := env.api(tc.method, f.Sub(tc.path), body, "Content-Type", "application/json")
			if res.Status != tc.want {
				t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, res.Status, tc.want, res.Body)
			}
			if tc.want == 204 {
				if len(res.Body) != 0 {
					t.Errorf("204 body %q, want empty", res.Body)
				}
				return
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var v any
			res.JSON(t, &v)
		})
	}
}

func TestAPIV1ListPages(t *testing.T) {
	env := newTestEnv(t)
	res := env.do("GET", "/api/v1/pages", nil, "Authorization", "OAuth "+env.key)
	if res.Status != 200 {
		t.Fatalf("status %d, want 200; body %s", res.Status, res.Body)
	}
	list := apitest.Array(t, res)
	if len(list) != 1 {
		t.Fatalf("got %d pages, want 1", len(list))
	}
	page := list[0].(map[string]any)
	if got := page["id"]; got != env.pageID {
		t.Errorf("id %v, want %s", got, env.pageID)
	}
	want := apitest.Sorted("id", "created_at", "updated_at", "name", "url", "time_zone", "support_url", "logo_url", "accent_color",
		"notifications_email_footer")
	if got := apitest.Keys(page); !slices.Equal(got, want) {
		t.Errorf("page keys %v, want %v", got, want)
	}
}

func TestAPIV1PagePatch(t *testing.T) {
	tests := []struct {
		name  string
		body  map[string]any
		check map[string]any // expected fields of the answer and of a later GET
	}{
		{"name", map[string]any{"page": map[string]any{"name": "Acme Status"}}, map[string]any{"name": "Acme Status"}},
		{"url", map[string]any{"page": map[string]any{"url": "https://status.acme.test"}}, map[string]any{"url": "https://status.acme.test"}},
		{"time zone", map[string]any{"page": map[string]any{"time_zone": "Europe/Paris"}}, map[string]any{"time_zone": "Europe/Paris"}},
		{"support url", map[string]any{"page": map[string]any{"support_url": "https://help.acme.test"}}, map[string]any{"support_url": "https://help.acme.test"}},
		{"clear support url", map[string]any{"page": map[string]any{"support_url": ""}}, map[string]any{"support_url": nil}},
		{"unwrapped", map[string]any{"name": "Bare"}, map[string]any{"name": "Bare"}},
		{"email footer", map[string]any{"page": map[string]any{"notifications_email_footer": " Acme Inc.\r\n1 Main St\r\nSpringfield \n"}},
			map[string]any{"notifications_email_footer": "Acme Inc.\n1 Main St\nSpringfield"}},
		{"no email footer", map[string]any{"page": map[string]any{"notifications_email_footer": ""}}, map[string]any{"notifications_email_footer": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			patched := apitest.Object(t, env.mustAPI(200, "PATCH", "", tc.body))
			got := apitest.Object(t, env.mustAPI(200, "GET", "", nil))
			for k, want := range tc.check {
				if patched[k] != want {
					t.Errorf("PATCH answer %s = %v, want %v", k, patched[k], want)
				}
				if got[k] != want {
					t.Errorf("GET %s = %v, want %v", k, got[k], want)
				}
			}
		})
	}
}

// TestAPIV1PageEmailFooterRefused: a footer too long, or holding a
// control character, is refused naming its field, and nothing of the same
// request is written (the page's name neither).
func TestAPIV1PageEmailFooterRefused(t *testing.T) {
	env := newTestEnv(t)
	env.mustAPI(200, "PATCH", "", map[string]any{"page": map[string]any{"notifications_email_footer": "Acme Inc."}})
	before := apitest.Object(t, env.mustAPI(200, "GET", "", nil))
	for _, footer := range []string{strings.Repeat("x", 501), "Acme\u0007Inc.", "Acme\u0085Inc."} {
		res := env.api("PATCH", "", map[string]any{"page": map[string]any{"name": "Renamed", "notifications_email_footer": footer}})
		apitest.WantError(t, res, 422, "notifications_email_footer")
		if got := apitest.Object(t, env.mustAPI(200, "GET", "", nil)); !maps.Equal(got, before) {
			t.Errorf("footer %.20q: the page after a refusal is %v, want %v", footer, got, before)
		}
	}
	// 500 characters, however many bytes, are enough.
	long := strings.Repeat("é", 500)
	if got := apitest.Object(t, env.mustAPI(200, "PATCH", "", map[string]any{"page": map[string]any{"notifications_email_footer": long}})); got["notifications_email_footer"] != long {
		t.Errorf("a 500-character footer was not kept")
	}
}

func TestAPIV1ComponentLifecycle(t *testing.T) {
	env := newTestEnv(t)
	created := env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{
		"name": "API", "description": "Public REST API", "status": "degraded_performance",
		"showcase": false, "only_show_if_degraded": true, "start_date": "2026-01-15", "position": 7,
	}})
	c := apitest.Object(t, created)
	// Statuspage's component and Beacon's own sla_target.
	if got, want := apitest.Keys(c), apitest.Sorted(append(slices.Clone(apitest.ComponentKeys), "sla_target")...); !slices.Equal(got, want) {
		t.Errorf("component keys %v, want %v", got, want)
	}
	id := c["id"].(string)
	for k, want := range map[string]any{
		"name": "API", "description": "Public REST API", "status": "degraded_performance", "showcase": false,
		"only_show_if_degraded": true, "start_date": "2026-01-15", "position": 7.0, "group": false,
		"group_id": nil, "page_id": env.pageID,
	} {
		if c[k] != want {
			t.Errorf("created %s = %v, want %v", k, c[k], want)
		}
	}

	list := env.mustAPI(200, "GET", "/components", nil)
	if got := list.Header.Get("X-Total-Count"); got != "1" {
		t.Errorf("X-Total-Count %q, want 1", got)
	}
	if items := apitest.Array(t, list); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Errorf("list %s, want the one component", list.Body)
	}

	patched := apitest.Object(t, env.mustAPI(200, "PATCH", "/components/"+id, map[string]any{"component": map[string]any{"status": "major_outage", "description": ""}}))
	if patched["status"] != "major_outage" || patched["description"] != nil || patched["name"] != "API" {
		t.Errorf("after PATCH status=%v description=%v name=%v, want major_outage, null, API", patched["status"], patched["description"], patched["name"])
	}
	put := apitest.Object(t, env.mustAPI(200, "PUT", "/components/"+id, map[string]any{"component": map[string]any{"name": "REST API"}}))
	if put["name"] != "REST API" || put["status"] != "major_outage" {
		t.Errorf("after PUT name=%v status=%v, want REST API, major_outage", put["name"], put["status"])
	}
	if got := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id, nil)); got["name"] != "REST API" {
		t.Errorf("GET name %v, want REST API", got["name"])
	}

	res := env.mustAPI(204, "DELETE", "/components/"+id, nil)
	if len(res.Body) != 0 {
		t.Errorf("DELETE body %q, want empty", res.Body)
	}
	apitest.WantError(t, env.api("GET", "/components/"+id, nil), 404, "")
	if items := apitest.Array(t, env.mustAPI(200, "GET", "/components", nil)); len(items) != 0 {
		t.Errorf("list after delete has %d entries, want 0", len(items))
	}
}

func TestAPIV1ComponentListPaging(t *testing.T) {
	env := newTestEnv(t)
	var all []string
	for _, n := range []string{"one", "two", "three", "four", "five"} {
		env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": n}})
		all = append(all, n)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", all},
		{"per_page=2", all[:2]},
		{"per_page=2&page=2", all[2:4]},
		{"per_page=2&page=3", all[4:]},
		{"per_page=2&page=4", []string{}},
		{"limit=3&page=2", all[3:]},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			res := env.mustAPI(200, "GET", "/components?"+tc.query, nil)
			got := []string{}
			for _, c := range apitest.Array(t, res) {
				got = append(got, c.(map[string]any)["name"].(string))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("names %v, want %v", got, tc.want)
			}
			if total := res.Header.Get("X-Total-Count"); total != "5" {
				t.Errorf("X-Total-Count %q, want 5", total)
			}
		})
	}
}

func TestAPIV1GroupLifecycle(t *testing.T) {
	env := newTestEnv(t)
	a := apitest.String(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "A"}}), "id")
	b := apitest.String(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "B"}}), "id")
	g := apitest.Object(t, env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{
		"name": "Core", "description": "Core services", "components": []string{b, a},
	}}))
	want := apitest.Sorted("id", "page_id", "name", "description", "components", "position", "created_at", "updated_at")
	if got := apitest.Keys(g); !slices.Equal(got, want) {
		t.Errorf("group keys %v, want %v", got, want)
	}
	gid := g["id"].(string)
	if got := fmt.Sprint(g["components"]); got != fmt.Sprint([]any{b, a}) {
		t.Errorf("members %v, want [%s %s] in the order given", got, b, a)
	}
	for _, id := range []string{a, b} {
		if got := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id, nil))["group_id"]; got != gid {
			t.Errorf("component %s group_id %v, want %s", id, got, gid)
		}
	}

	list := env.mustAPI(200, "GET", "/component-groups", nil)
	if items := apitest.Array(t, list); len(items) != 1 || list.Header.Get("X-Total-Count") != "1" {
		t.Errorf("group list %s (X-Total-Count %q), want one group", list.Body, list.Header.Get("X-Total-Count"))
	}

	patched := apitest.Object(t, env.mustAPI(200, "PATCH", "/component-groups/"+gid, map[string]any{"component_group": map[string]any{"name": "Core v2", "components": []string{a}}}))
	if patched["name"] != "Core v2" || fmt.Sprint(patched["components"]) != fmt.Sprint([]any{a}) {
		t.Errorf("after PATCH name=%v components=%v, want Core v2, [%s]", patched["name"], patched["components"], a)
	}
	if got := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+b, nil))["group_id"]; got != nil {
		t.Errorf("removed member's group_id %v, want null", got)
	}

	deleted := apitest.Object(t, env.mustAPI(200, "DELETE", "/component-groups/"+gid, nil))
	if deleted["id"] != gid {
		t.Errorf("DELETE answer id %v, want %s", deleted["id"], gid)
	}
	apitest.WantError(t, env.api("GET", "/component-groups/"+gid, nil), 404, "")
	if got := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+a, nil))["group_id"]; got != nil {
		t.Errorf("member of deleted group has group_id %v, want null", got)
	}
}

func TestAPIV1NotFound(t *testing.T) {
	// Every request here must change nothing, so one page serves them all.
	env := newTestEnv(t)
	f := env.seed()
	tests := []struct {
		name, method, path, body string
	}{
		{"get component", "GET", "/components/" + apitest.MissingID, ""},
		{"patch component", "PATCH", "/components/" + apitest.MissingID, `{"component":{"name":"x"}}`},
		{"put component", "PUT", "/components/" + apitest.MissingID, `{"component":{"name":"x"}}`},
		{"delete component", "DELETE", "/components/" + apitest.MissingID, ""},
		{"uptime", "GET", "/components/" + apitest.MissingID + "/uptime", ""},
		{"patch a group as a component", "PATCH", "/components/{G}", `{"component":{"name":"x"}}`},
		{"delete a group as a component", "DELETE", "/components/{G}", ""},
		{"get group", "GET", "/component-groups/" + apitest.MissingID, ""},
		{"get a component as a group", "GET", "/component-groups/{A}", ""},
		{"patch group", "PATCH", "/component-groups/" + apitest.MissingID, `{"component_group":{"name":"x"}}`},
		{"patch a component as a group", "PATCH", "/component-groups/{A}", `{"component_group":{"name":"x"}}`},
		{"delete group", "DELETE", "/component-groups/" + apitest.MissingID, ""},
		{"delete a component as a group", "DELETE", "/component-groups/{A}", ""},
		{"get incident", "GET", "/incidents/" + apitest.MissingID, ""},
		{"patch incident", "PATCH", "/incidents/" + apitest.MissingID, `{"incident":{"status":"resolved"}}`},
		{"put incident", "PUT", "/incidents/" + apitest.MissingID, `{"incident":{"status":"resolved"}}`},
		{"delete incident", "DELETE", "/incidents/" + apitest.MissingID, ""},
		{"patch unknown update", "PATCH", "/incidents/{I}/incident_updates/" + apitest.MissingID, `{"incident_update":{"body":"x"}}`},
		{"patch update of unknown incident", "PATCH", "/incidents/" + apitest.MissingID + "/incident_updates/{U}", `{"incident_update":{"body":"x"}}`},
		{"patch update under another incident", "PATCH", "/incidents/{R}/incident_updates/{U}", `{"incident_update":{"body":"x"}}`},
		{"postmortem", "PUT", "/incidents/" + apitest.MissingID + "/postmortem", `{"postmortem":{"body_draft":"x"}}`},
		{"publish postmortem", "PUT", "/incidents/" + apitest.MissingID + "/postmortem/publish", ""},
		{"revert postmortem", "PUT", "/incidents/" + apitest.MissingID + "/postmortem/revert", ""},
		{"get postmortem", "GET", "/incidents/" + apitest.MissingID + "/postmortem", ""},
		{"delete postmortem", "DELETE", "/incidents/" + apitest.MissingID + "/postmortem", ""},
		{"get absent postmortem", "GET", "/incidents/{R}/postmortem", ""},
		{"publish absent postmortem", "PUT", "/incidents/{R}/postmortem/publish", `{"postmortem":{"notify_subscribers":true}}`},
		{"revert absent postmortem", "PUT", "/incidents/{R}/postmortem/revert", ""},
		{"delete absent postmortem", "DELETE", "/incidents/{R}/postmortem", ""},
		{"unknown route", "GET", "/no-such-thing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(env.events())
			var body any
			if tc.body != "" {
				body = f.Sub(tc.body)
			}
			apitest.WantError(t, env.api(tc.method, f.Sub(tc.path), body), 404, "")
			if got := len(env.events()); got != before {
				t.Errorf("%d events after a 404, want %d", got, before)
			}
		})
	}
}

func TestAPIV1WrongPageID(t *testing.T) {
	tests := []struct {
		name, method, path string
		body               any
	}{
		{"get page", "GET", "", nil},
		{"list components", "GET", "/components", nil},
		{"create component", "POST", "/components", map[string]any{"component": map[string]any{"name": "Sneaky"}}},
		{"get incident", "GET", "/incidents/{I}", nil},
		{"create incident", "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Sneaky"}}},
		{"delete component", "DELETE", "/components/{A}", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := env.seed()
			res := env.do(tc.method, "/api/v1/pages/"+apitest.MissingID+f.Sub(tc.path), tc.body, "Authorization", "OAuth "+env.key)
			apitest.WantError(t, res, 404, "")
			comps := apitest.Array(t, env.mustAPI(200, "GET", "/components", nil))
			incs := apitest.Array(t, env.mustAPI(200, "GET", "/incidents", nil))
			if len(comps) != 3 || len(incs) != 3 {
				t.Errorf("after a wrong page id: %d components and %d incidents, want 3 and 3", len(comps), len(incs))
			}
		})
	}
}

func TestAPIV1ValidationErrors(t *testing.T) {
	// Every request here must change nothing, so one page serves them all.
	env := newTestEnv(t)
	f := env.seed()
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		field  string
	}{
		{"component without name", "POST", "/components", `{"component":{"description":"no name"}}`, "name"},
		{"component blank name", "POST", "/components", `{"component":{"name":"   "}}`, "name"},
		{"component bad status", "POST", "/components", `{"component":{"name":"x","status":"on_fire"}}`, "status"},
		{"component group_id not a group", "POST", "/components", `{"component":{"name":"x","group_id":"{A}"}}`, "group_id"},
		{"component unknown group_id", "POST", "/components", `{"component":{"name":"x","group_id":"` + apitest.MissingID + `"}}`, "group_id"},
		{"component bad start_date", "POST", "/components", `{"component":{"name":"x","start_date":"10/03/2026"}}`, "start_date"},
		{"component negative position", "POST", "/components", `{"component":{"name":"x","position":-1}}`, "position"},
		{"component long description", "POST", "/components", `{"component":{"name":"x","description":"` + long(2001) + `"}}`, "description"},
		{"patch component bad status", "PATCH", "/components/{A}", `{"component":{"status":"down"}}`, "status"},
		{"group unknown member", "POST", "/component-groups", `{"component_group":{"name":"G2","components":["` + apitest.MissingID + `"]}}`, "components"},
		{"group nested", "POST", "/component-groups", `{"component_group":{"name":"G2","components":["{G}"]}}`, "components"},
		{"group member twice", "POST", "/component-groups", `{"component_group":{"name":"G2","components":["{A}","{A}"]}}`, "components"},
		{"group without name", "POST", "/component-groups", `{"component_group":{"components":["{A}"]}}`, "name"},
		{"page bad time zone", "PATCH", "", `{"page":{"time_zone":"Mars/Olympus_Mons"}}`, "time_zone"},
		{"page bad url", "PATCH", "", `{"page":{"url":"ftp://status.test"}}`, "url"},
		{"incident without name", "POST", "/incidents", `{"incident":{"body":"x"}}`, "name"},
		{"incident bad status", "POST", "/incidents", `{"incident":{"name":"x","status":"exploded"}}`, "status"},
		{"incident bad impact", "POST", "/incidents", `{"incident":{"name":"x","impact_override":"apocalyptic"}}`, "impact_override"},
		{"incident long name", "POST", "/incidents", `{"incident":{"name":"` + long(256) + `"}}`, "name"},
		{"incident long body", "POST", "/incidents", `{"incident":{"name":"x","body":"` + long(25001) + `"}}`, "body"},
		{"incident bad component status", "POST", "/incidents", `{"incident":{"name":"x","components":{"{A}":"sideways"}}}`, "components"},
		{"incident names a group", "POST", "/incidents", `{"incident":{"name":"x","component_ids":["{G}"]}}`, "component_ids"},
		{"maintenance without end", "POST", "/incidents", `{"incident":{"name":"x","scheduled_for":"2026-03-11T00:00:00Z"}}`, "scheduled_for"},
		{"maintenance ends before start", "POST", "/incidents", `{"incident":{"name":"x","scheduled_for":"2026-03-11T02:00:00Z","scheduled_until":"2026-03-11T01:00:00Z"}}`, "scheduled_until"},
		{"backfill without date", "POST", "/incidents", `{"incident":{"name":"x","backfilled":true}}`, "backfill_date"},
		{"incident to maintenance status", "PATCH", "/incidents/{I}", `{"incident":{"status":"completed"}}`, "status"},
		{"incident to postmortem", "PATCH", "/incidents/{I}", `{"incident":{"status":"postmortem"}}`, "status"},
		{"maintenance to incident status", "PATCH", "/incidents/{M}", `{"incident":{"status":"resolved"}}`, "status"},
		{"window on an incident", "PATCH", "/incidents/{I}", `{"incident":{"scheduled_for":"2026-03-11T00:00:00Z"}}`, "scheduled_for"},
		{"blank update body", "PATCH", "/incidents/{I}/incident_updates/{U}", `{"incident_update":{"body":"   "}}`, "body"},
		{"metadata a list", "POST", "/incidents", `{"incident":{"name":"x","metadata":["jira"]}}`, "metadata"},
		{"metadata a string", "PATCH", "/incidents/{I}", `{"incident":{"metadata":"jira"}}`, "metadata"},
		{"metadata too large", "PATCH", "/incidents/{I}", `{"incident":{"metadata":{"a":"` + long(17000) + `"}}}`, "metadata"},
		{"custom tweet too long", "PUT", "/incidents/{R}/postmortem/publish", `{"postmortem":{"custom_tweet":"` + long(281) + `"}}`, "custom_tweet"},
		{"uptime end before start", "GET", "/components/{A}/uptime?start=2026-03-10&end=2026-03-01", "", "end"},
		{"uptime bad start", "GET", "/components/{A}/uptime?start=yesterday", "", "start"},
		{"uptime bad end", "GET", "/components/{A}/uptime?end=2026-13-45", "", "end"},
		{"incident search too long", "GET", "/incidents?q=" + long(201), "", "q"},
		// No stored text holds NUL or bytes that are not UTF-8; PostgreSQL
		// refuses them as arguments, so both engines refuse them first.
		{"incident search with NUL", "GET", "/incidents?q=a%00", "", "q"},
		{"incident search not UTF-8", "GET", "/incidents?q=a%FF", "", "q"},
		{"subscriber search with NUL", "GET", "/subscribers?q=%00", "", "q"},
		{"subscriber search not UTF-8", "GET", "/subscribers?q=%C3", "", "q"},
		{"subscriber count search with NUL", "GET", "/subscribers/count?q=a%00b", "", "q"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(env.events())
			var body any
			if tc.body != "" {
				body = f.Sub(tc.body)
			}
			apitest.WantError(t, env.api(tc.method, f.Sub(tc.path), body), 422, tc.field)
			if got := len(env.events()); got != before {
				t.Errorf("%d events after a 422, want %d", got, before)
			}
		})
	}
}

func TestAPIV1PublishUnresolvedPostmortem(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	env.mustAPI(200, "PUT", "/incidents/"+f.I+"/postmortem", map[string]any{"postmortem": map[string]any{"body_draft": "Too early"}})
	apitest.WantError(t, env.api("PUT", "/incidents/"+f.I+"/postmortem/publish", nil), 422, "status")
	if got := apitest.String(t, env.mustAPI(200, "GET", "/incidents/"+f.I, nil), "status"); got != "investigating" {
		t.Errorf("status %q after refused publish, want investigating", got)
	}
}

func TestAPIV1Auth(t *testing.T) {
	tests := []struct {
		name    string
		headers func(key string) []string
		query   func(key string) string
		want    int
	}{
		{name: "no key", want: 401},
		{name: "OAuth", headers: func(k string) []string { return []string{"Authorization", "OAuth " + k} }, want: 200},
		{name: "oauth lower case", headers: func(k string) []string { return []string{"Authorization", "oauth " + k} }, want: 200},
		{name: "OAUTH upper case", headers: func(k string) []string { return []string{"Authorization", "OAUTH " + k} }, want: 200},
		{name: "Bearer", headers: func(k string) []string { return []string{"Authorization", "Bearer " + k} }, want: 200},
		{name: "bearer lower case", headers: func(k string) []string { return []string{"Authorization", "bearer " + k} }, want: 200},
		{name: "extra spaces", headers: func(k string) []string { return []string{"Authorization", "  OAuth   " + k + " "} }, want: 200},
		{name: "api_key query", query: func(k string) string { return "api_key=" + url.QueryEscape(k) }, want: 200},
		{name: "wrong key", headers: func(k string) []string { return []string{"Authorization", "OAuth bk_" + strings.Repeat("a", 32)} }, want: 401},
		{name: "key with a character changed", headers: func(k string) []string {
			return []string{"Authorization", "OAuth " + k[:len(k)-1] + apitest.Flip(k[len(k)-1])}
		}, want: 401},
		{name: "wrong api_key query", query: func(k string) string { return "api_key=nope" }, want: 401},
		{name: "empty api_key query", query: func(k string) string { return "api_key=" }, want: 401},
		{name: "Basic scheme", headers: func(k string) []string { return []string{"Authorization", "Basic " + k} }, want: 401},
		{name: "no scheme", headers: func(k string) []string { return []string{"Authorization", k} }, want: 401},
		{name: "scheme only", headers: func(k string) []string { return []string{"Authorization", "OAuth"} }, want: 401},
		{name: "very long key", headers: func(k string) []string { return []string{"Authorization", "OAuth bk_" + strings.Repeat("a", 3000)} }, want: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			target := "/api/v1/pages/" + env.pageID + "/components"
			if tc.query != nil {
				target += "?" + tc.query(env.key)
			}
			var headers []string
			if tc.headers != nil {
				headers = tc.headers(env.key)
			}
			res := env.do("GET", target, nil, headers...)
			if tc.want == 401 {
				apitest.WantError(t, res, 401, "")
				if res.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				return
			}
			if res.Status != tc.want {
				t.Fatalf("status %d, want %d; body %s", res.Status, tc.want, res.Body)
			}
		})
	}
}

func TestAPIV1AuthEveryRoute(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/pages"},
		{"GET", "/api/v1/pages/{P}"},
		{"PATCH", "/api/v1/pages/{P}"},
		{"GET", "/api/v1/pages/{P}/components"},
		{"POST", "/api/v1/pages/{P}/components"},
		{"PATCH", "/api/v1/pages/{P}/components/{A}"},
		{"DELETE", "/api/v1/pages/{P}/components/{A}"},
		{"GET", "/api/v1/pages/{P}/components/{A}/uptime"},
		{"POST", "/api/v1/pages/{P}/component-groups"},
		{"DELETE", "/api/v1/pages/{P}/component-groups/{G}"},
		{"GET", "/api/v1/pages/{P}/incidents"},
		{"POST", "/api/v1/pages/{P}/incidents"},
		{"PATCH", "/api/v1/pages/{P}/incidents/{I}"},
		{"DELETE", "/api/v1/pages/{P}/incidents/{I}"},
		{"GET", "/api/v1/pages/{P}/incidents/unresolved"},
		{"PATCH", "/api/v1/pages/{P}/incidents/{I}/incident_updates/{U}"},
		{"PUT", "/api/v1/pages/{P}/incidents/{R}/postmortem"},
	}
	before := len(env.events())
	for _, r := range routes {
		path := strings.ReplaceAll(f.Sub(r.path), "{P}", env.pageID)
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			apitest.WantError(t, env.do(r.method, path, `{"name":"x","status":"resolved"}`), 401, "")
		})
	}
	if got := len(env.events()); got != before {
		t.Errorf("%d events after unauthenticated writes, want %d", got, before)
	}
	if n := len(apitest.Array(t, env.mustAPI(200, "GET", "/components", nil))); n != 3 {
		t.Errorf("%d components after unauthenticated writes, want 3", n)
	}
}

func TestAPIV1RevokedKey(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	key, secret, err := env.svc.Keys.Create(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	target := "/api/v1/pages/" + env.pageID + "/components"
	if res := env.do("GET", target, nil, "Authorization", "OAuth "+secret); res.Status != 200 {
		t.Fatalf("before revoking: status %d, want 200", res.Status)
	}
	if err := env.svc.Keys.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	apitest.WantError(t, env.do("GET", target, nil, "Authorization", "OAuth "+secret), 401, "")
	apitest.WantError(t, env.do("GET", target+"?api_key="+secret, nil), 401, "")
	if res := env.do("GET", target, nil, "Authorization", "OAuth "+env.key); res.Status != 200 {
		t.Errorf("another key after revoking: status %d, want 200", res.Status)
	}
}

func TestAPIV1RateLimit(t *testing.T) {
	env := newTestEnv(t, envOptions{rate: 1, burst: 2})
	get := func() response { return env.api("GET", "/components", nil) }
	for i := range 2 {
		if res := get(); res.Status != 200 {
			t.Fatalf("request %d: status %d, want 200", i+1, res.Status)
		}
	}
	res := get()
	apitest.WantError(t, res, 429, "")
	retry, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || retry <= 0 {
		t.Fatalf("Retry-After %q, want a positive integer", res.Header.Get("Retry-After"))
	}

	// Other keys are not limited by this key's bucket (nor is the public
	// API: cmd/beacon's TestAPIV1RateLimitSparesPublicAPI).
	_, other, err := env.svc.Keys.Create(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	if res := env.do("GET", "/api/v1/pages/"+env.pageID+"/components", nil, "Authorization", "OAuth "+other); res.Status != 200 {
		t.Errorf("another key: status %d, want 200", res.Status)
	}
	// A rejected request takes no token: waiting Retry-After is enough.
	if res := get(); res.Status != 429 {
		t.Errorf("still limited: status %d, want 429", res.Status)
	}
	env.clock.Advance(time.Duration(retry) * time.Second)
	if res := get(); res.Status != 200 {
		t.Errorf("after waiting %ds: status %d, want 200; body %s", retry, res.Status, res.Body)
	}
	if res := get(); res.Status != 429 {
		t.Errorf("burst spent again: status %d, want 429", res.Status)
	}
	env.clock.Advance(10 * time.Second)
	for i := range 2 {
		if res := get(); res.Status != 200 {
			t.Errorf("after refilling, request %d: status %d, want 200", i+1, res.Status)
		}
	}
}

func TestAPIV1IncidentListPaging(t *testing.T) {
	env := newTestEnv(t)
	names := []string{"Alpha 1", "Beta 1", "Alpha 2", "Beta 2", "Alpha 3"}
	for _, n := range names {
		env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": n}})
		env.clock.Advance(time.Minute)
	}
	now := env.clock.Now()
	env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Gamma window", "scheduled_for": now.Add(time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(2 * time.Hour).Format(time.RFC3339),
	}})
	newestFirst := []string{"Gamma window", "Alpha 3", "Beta 2", "Alpha 2", "Beta 1", "Alpha 1"}

	tests := []struct {
		query     string
		wantNames []string
		wantTotal string
	}{
		{"", newestFirst, "6"},
		{"q=alpha", []string{"Alpha 3", "Alpha 2", "Alpha 1"}, "3"},
		{"q=ALPHA+2", []string{"Alpha 2"}, "1"},
		{"q=nothing", []string{}, "0"},
		{"q=%25", []string{}, "0"},
		{"q=_", []string{}, "0"},
		{"per_page=2", newestFirst[:2], "6"},
		{"per_page=2&page=2", newestFirst[2:4], "6"},
		{"per_page=2&page=3", newestFirst[4:6], "6"},
		{"per_page=2&page=4", []string{}, "6"},
		{"limit=4", newestFirst[:4], "6"},
		{"limit=4&page=2", newestFirst[4:], "6"},
		{"per_page=1&limit=5", newestFirst[:1], "6"},
		{"per_page=500", newestFirst, "6"},
		{"q=beta&per_page=1&page=2", []string{"Beta 1"}, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			res := env.mustAPI(200, "GET", "/incidents?"+tc.query, nil)
			var got []string
			for _, in := range apitest.Array(t, res) {
				got = append(got, in.(map[string]any)["name"].(string))
			}
			if !slices.Equal(got, tc.wantNames) && !(len(got) == 0 && len(tc.wantNames) == 0) {
				t.Errorf("names %v, want %v", got, tc.wantNames)
			}
			if total := res.Header.Get("X-Total-Count"); total != tc.wantTotal {
				t.Errorf("X-Total-Count %q, want %s", total, tc.wantTotal)
			}
		})
	}
}

func TestAPIV1NamedIncidentLists(t *testing.T) {
	env := newTestEnv(t)
	now := env.clock.Now()
	window := func(from, to time.Duration) map[string]any {
		return map[string]any{"scheduled_for": now.Add(from).Format(time.RFC3339), "scheduled_until": now.Add(to).Format(time.RFC3339)}
	}
	create := func(name string, fields map[string]any) {
		in := map[string]any{"name": name}
		for k, v := range fields {
			in[k] = v
		}
		env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": in})
		env.clock.Advance(time.Minute)
	}
	create("open", nil)
	create("identified", map[string]any{"status": "identified"})
	create("monitoring", map[string]any{"status": "monitoring"})
	create("resolved", map[string]any{"status": "resolved"})
	create("later", window(48*time.Hour, 50*time.Hour))
	create("soon", window(2*time.Hour, 3*time.Hour))
	running := window(-time.Hour, time.Hour)
	running["status"] = "in_progress"
	create("running", running)
	verifying := window(-2*time.Hour, time.Hour)
	verifying["status"] = "verifying"
	create("verifying", verifying)
	done := window(-3*time.Hour, -2*time.Hour)
	done["status"] = "completed"
	create("done", done)

	tests := []struct {
		path string
		want []string // in order
	}{
		{"/incidents/unresolved", []string{"monitoring", "identified", "open"}},
		{"/incidents/upcoming", []string{"soon", "later"}},
		{"/incidents/active_maintenance", []string{"verifying", "running"}}, // by start
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			res := env.mustAPI(200, "GET", tc.path, nil)
			var got []string
			for _, in := range apitest.Array(t, res) {
				got = append(got, in.(map[string]any)["name"].(string))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("names %v, want %v", got, tc.want)
			}
			if total := res.Header.Get("X-Total-Count"); total != strconv.Itoa(len(tc.want)) {
				t.Errorf("X-Total-Count %q, want %d", total, len(tc.want))
			}
		})
	}
	t.Run("/incidents/scheduled", func(t *testing.T) {
		var got []string
		for _, in := range apitest.Array(t, env.mustAPI(200, "GET", "/incidents/scheduled", nil)) {
			got = append(got, in.(map[string]any)["name"].(string))
		}
		for _, name := range []string{"open", "identified", "monitoring", "resolved"} {
			if slices.Contains(got, name) {
				t.Errorf("scheduled lists incident %q: %v", name, got)
			}
		}
		if !slices.Contains(got, "soon") || !slices.Contains(got, "later") {
			t.Errorf("scheduled %v lacks the scheduled maintenances", got)
		}
	})
}

func TestAPIV1IncidentPatch(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		body        map[string]any
		wantUpdates int
		wantStatus  string
		wantBody    string // of the newest update
		wantName    string
		wantAStatus string // component A afterwards
	}{
		{"status and body", "PATCH", map[string]any{"status": "identified", "body": "Found it"}, 2, "identified", "Found it", "API errors", "degraded_performance"},
		{"status only takes the stock body", "PATCH", map[string]any{"status": "monitoring"}, 2, "monitoring", "A fix has been implemented and we are monitoring the results.", "API errors", "degraded_performance"},
		{"body only keeps the status", "PATCH", map[string]any{"body": "Still looking"}, 2, "investigating", "Still looking", "API errors", "degraded_performance"},
		{"name only appends nothing", "PATCH", map[string]any{"name": "API outage"}, 1, "investigating", "Looking", "API outage", "degraded_performance"},
		{"component status appends an update", "PATCH", map[string]any{"components": map[string]string{"{A}": "major_outage"}}, 2, "investigating", "We are currently investigating this issue.", "API errors", "major_outage"},
		{"resolve restores components", "PATCH", map[string]any{"status": "resolved"}, 2, "resolved", "This incident has been resolved.", "API errors", "operational"},
		{"PUT behaves as PATCH", "PUT", map[string]any{"status": "identified", "body": "Found it"}, 2, "identified", "Found it", "API errors", "degraded_performance"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := env.seed()
			env.clock.Advance(time.Minute)
			body := map[string]any{}
			for k, v := range tc.body {
				if m, ok := v.(map[string]string); ok {
					sub := map[string]string{}
					for id, st := range m {
						sub[f.Sub(id)] = st
					}
					v = sub
				}
				body[k] = v
			}
			res := env.mustAPI(200, tc.method, "/incidents/"+f.I, map[string]any{"incident": body})
			in := apitest.Object(t, res)
			ups := apitest.Updates(t, res)
			if len(ups) != tc.wantUpdates {
				t.Fatalf("%d updates, want %d", len(ups), tc.wantUpdates)
			}
			if in["status"] != tc.wantStatus || in["name"] != tc.wantName {
				t.Errorf("status=%v name=%v, want %s, %s", in["status"], in["name"], tc.wantStatus, tc.wantName)
			}
			if ups[0]["body"] != tc.wantBody || ups[0]["status"] != tc.wantStatus {
				t.Errorf("newest update %v: %q, want %s: %q", ups[0]["status"], ups[0]["body"], tc.wantStatus, tc.wantBody)
			}
			if tc.wantUpdates == 2 && ups[1]["id"] != f.U {
				t.Errorf("older update id %v, want %s (newest first)", ups[1]["id"], f.U)
			}
			if got := env.componentStatus(f.A); got != tc.wantAStatus {
				t.Errorf("component status %s, want %s", got, tc.wantAStatus)
			}
			if got := apitest.Updates(t, env.mustAPI(200, "GET", "/incidents/"+f.I, nil)); len(got) != tc.wantUpdates {
				t.Errorf("GET shows %d updates, want %d", len(got), tc.wantUpdates)
			}
			if tc.wantStatus == "resolved" && in["resolved_at"] == nil {
				t.Errorf("resolved_at null after resolving")
			}
		})
	}
}

func TestAPIV1DeleteIncident(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	deleted := apitest.Object(t, env.mustAPI(200, "DELETE", "/incidents/"+f.I, nil))
	if deleted["id"] != f.I || deleted["name"] != "API errors" {
		t.Errorf("DELETE answered %v %v, want the deleted incident", deleted["id"], deleted["name"])
	}
	apitest.WantError(t, env.api("GET", "/incidents/"+f.I, nil), 404, "")
	apitest.WantError(t, env.api("DELETE", "/incidents/"+f.I, nil), 404, "")
}

func TestAPIV1EditIncidentUpdate(t *testing.T) {
	tests := []struct {
		name          string
		body          any
		wantBody      string
		wantDisplayAt string
	}{
		{"wrapped body", map[string]any{"incident_update": map[string]any{"body": "Corrected"}}, "Corrected", "2026-03-10T12:00:00.000Z"},
		{"unwrapped body", map[string]any{"body": "Corrected"}, "Corrected", "2026-03-10T12:00:00.000Z"},
		{"backdate", map[string]any{"incident_update": map[string]any{"display_at": "2026-03-10T11:30:00Z"}}, "Looking", "2026-03-10T11:30:00.000Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			f := env.seed()
			before := len(env.events())
			env.clock.Advance(time.Minute)
			u := apitest.Object(t, env.mustAPI(200, "PATCH", "/incidents/"+f.I+"/incident_updates/"+f.U, tc.body))
			if u["id"] != f.U || u["incident_id"] != f.I {
				t.Errorf("answer id=%v incident_id=%v, want %s, %s", u["id"], u["incident_id"], f.U, f.I)
			}
			if u["body"] != tc.wantBody || u["display_at"] != tc.wantDisplayAt {
				t.Errorf("body=%v display_at=%v, want %q, %s", u["body"], u["display_at"], tc.wantBody, tc.wantDisplayAt)
			}
			ups := apitest.Updates(t, env.mustAPI(200, "GET", "/incidents/"+f.I, nil))
			if len(ups) != 1 || ups[0]["body"] != tc.wantBody {
				t.Errorf("incident timeline %v, want one update with body %q", ups, tc.wantBody)
			}
			if got := len(env.events()); got != before {
				t.Errorf("%d events after editing an update, want %d (edits never notify)", got, before)
			}
		})
	}
}

func TestAPIV1Postmortem(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	pmPath := "/incidents/" + f.R + "/postmortem"
	// Each step's answer is the postmortem object; want lists the fields
	// checked, with the incident's status after the step.
	steps := []struct {
		name       string
		method     string
		path       string
		body       any
		advance    time.Duration
		want       map[string]any
		wantStatus string
		wantEvents int
	}{
		{
			name: "draft", method: "PUT", path: pmPath, body: map[string]any{"postmortem": map[string]any{"body_draft": "A cable was cut."}},
			want: map[string]any{"body": nil, "body_draft": "A cable was cut.", "body_draft_updated_at": "2026-03-10T12:00:00.000Z",
				"published_at": nil, "created_at": "2026-03-10T12:00:00.000Z"},
			wantStatus: "resolved",
		},
		{
			name: "old clients send body", method: "PUT", path: pmPath, body: map[string]any{"postmortem": map[string]any{"body": "A cable was cut twice."}},
			advance: time.Minute,
			want: map[string]any{"body": nil, "body_draft": "A cable was cut twice.", "body_draft_updated_at": "2026-03-10T12:01:00.000Z",
				"created_at": "2026-03-10T12:00:00.000Z"},
			wantStatus: "resolved",
		},
		{
			name: "read", method: "GET", path: pmPath,
			want:       map[string]any{"body_draft": "A cable was cut twice.", "published_at": nil},
			wantStatus: "resolved",
		},
		{
			name: "publish", method: "PUT", path: pmPath + "/publish", advance: time.Hour,
			body: map[string]any{"postmortem": map[string]any{"notify_subscribers": true, "notify_twitter": true, "custom_tweet": "Our postmortem"}},
			want: map[string]any{"body": "A cable was cut twice.", "body_updated_at": "2026-03-10T13:01:00.000Z", "published_at": "2026-03-10T13:01:00.000Z",
				"notify_subscribers": true, "notify_twitter": true, "custom_tweet": "Our postmortem", "updated_at": "2026-03-10T13:01:00.000Z"},
			wantStatus: "postmortem", wantEvents: 1,
		},
		{
			name: "a new draft leaves the published text", method: "PUT", path: pmPath, advance: time.Minute,
			body:       map[string]any{"postmortem": map[string]any{"body_draft": "Two cables were cut."}},
			want:       map[string]any{"body": "A cable was cut twice.", "body_draft": "Two cables were cut.", "published_at": "2026-03-10T13:01:00.000Z"},
			wantStatus: "postmortem",
		},
		{
			name: "revert", method: "PUT", path: pmPath + "/revert",
			want:       map[string]any{"published_at": nil, "body_draft": "Two cables were cut."},
			wantStatus: "resolved",
		},
		{
			name: "delete", method: "DELETE", path: pmPath,
			want:       map[string]any{"body_draft": "Two cables were cut."},
			wantStatus: "resolved",
		},
	}
	for _, step := range steps {
		env.clock.Advance(step.advance)
		before := len(env.events())
		got := apitest.Object(t, env.mustAPI(200, step.method, step.path, step.body))
		if keys, want := apitest.Keys(got), apitest.Sorted(apitest.PostmortemKeys...); !slices.Equal(keys, want) {
			t.Errorf("%s: keys %v, want %v", step.name, keys, want)
		}
		for k, want := range step.want {
			if got[k] != want {
				t.Errorf("%s: %s = %v, want %v", step.name, k, got[k], want)
			}
		}
		if key, _ := got["preview_key"].(string); len(key) < 20 {
			t.Errorf("%s: preview_key %q, want a long random key", step.name, key)
		}
		if status := apitest.String(t, env.mustAPI(200, "GET", "/incidents/"+f.R, nil), "status"); status != step.wantStatus {
			t.Errorf("%s: incident status %q, want %q", step.name, status, step.wantStatus)
		}
		events := env.events()[before:]
		if len(events) != step.wantEvents {
			t.Errorf("%s: %d events, want %d", step.name, len(events), step.wantEvents)
		}
		for _, ev := range events {
			if ev.Kind != notifier.PostmortemPublished || ev.IncidentID != f.R {
				t.Errorf("%s: event %+v, want postmortem_published for %s", step.name, ev, f.R)
			}
		}
	}
	apitest.WantError(t, env.api("GET", pmPath, nil), 404, "")

	env.mustAPI(200, "PUT", pmPath, map[string]any{"postmortem": map[string]any{"body_draft": "  "}})
	apitest.WantError(t, env.api("PUT", pmPath+"/publish", nil), 422, "body_draft")
	env.mustAPI(200, "PUT", pmPath, map[string]any{"postmortem": map[string]any{"body_draft": "Draft"}})
	apitest.WantError(t, env.api("PUT", pmPath+"/revert", nil), 422, "postmortem")
}

func TestAPIV1Uptime(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		// history runs against a fresh page at 2026-03-10 12:00 UTC with
		// component id; the clock then moves to 2026-03-11 12:00.
		startDate   string
		history     func(t *testing.T, env *testEnv, id string)
		query       string
		wantStart   string
		wantEnd     string
		wantMajor   float64
		wantPartial float64
		wantPercent float64
		wantWarning bool
		wantEvents  []string
	}{
		{
			name: "one hour of major outage", startDate: "2026-03-10",
			history: func(t *testing.T, env *testEnv, id string) {
				setStatusAt(t, env, id, "major_outage", 13*time.Hour)
				setStatusAt(t, env, id, "operational", 14*time.Hour)
			},
			query: "?start=2026-03-10&end=2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-10",
			wantMajor: 3600, wantPercent: 95.83, wantEvents: []string{},
		},
		{
			name: "partial outage counts 0.3", startDate: "2026-03-10",
			history: func(t *testing.T, env *testEnv, id string) {
				setStatusAt(t, env, id, "partial_outage", 13*time.Hour)
				setStatusAt(t, env, id, "operational", 15*time.Hour)
			},
			query: "?start=2026-03-10&end=2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-10",
			wantPartial: 7200, wantPercent: 97.5, wantEvents: []string{},
		},
		{
			name: "degraded and maintenance are not downtime", startDate: "2026-03-10",
			history: func(t *testing.T, env *testEnv, id string) {
				setStatusAt(t, env, id, "degraded_performance", 13*time.Hour)
				setStatusAt(t, env, id, "under_maintenance", 15*time.Hour)
				setStatusAt(t, env, id, "operational", 16*time.Hour)
			},
			query: "?start=2026-03-10&end=2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-10",
			wantPercent: 100, wantEvents: []string{},
		},
		{
			name: "outage across two days", startDate: "2026-03-10",
			history: func(t *testing.T, env *testEnv, id string) {
				setStatusAt(t, env, id, "major_outage", 23*time.Hour)
				setStatusAt(t, env, id, "operational", 25*time.Hour)
			},
			query: "?start=2026-03-10&end=2026-03-11", wantStart: "2026-03-10", wantEnd: "2026-03-11",
			// 36 h tracked (all of the 10th, the 11th until noon), 2 h down.
			wantMajor: 7200, wantPercent: 94.44, wantEvents: []string{},
		},
		{
			name: "incident is a related event", startDate: "2026-03-10",
			history: func(t *testing.T, env *testEnv, id string) {
				env.clock.Set(time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC))
				in := apitest.String(t, env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
					"name": "API down", "components": map[string]string{id: "major_outage"},
				}}), "id")
				env.clock.Set(time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC))
				env.mustAPI(200, "PATCH", "/incidents/"+in, map[string]any{"incident": map[string]any{"status": "resolved"}})
				env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Unrelated"}})
			},
			query: "?start=2026-03-10&end=2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-10",
			wantMajor: 3600, wantPercent: 95.83, wantEvents: []string{"API down"},
		},
		{
			name: "range before the component's history warns",
			history: func(t *testing.T, env *testEnv, id string) {
				setStatusAt(t, env, id, "major_outage", 13*time.Hour)
				setStatusAt(t, env, id, "operational", 14*time.Hour)
			},
			// Tracked from creation at noon on the 10th to midnight: 12 h.
			query: "?start=2026-03-09&end=2026-03-10", wantStart: "2026-03-09", wantEnd: "2026-03-10",
			wantMajor: 3600, wantPercent: 91.67, wantWarning: true, wantEvents: []string{},
		},
		{
			name: "default range is the last 90 days", startDate: "2026-03-10",
			history: func(t *testing.T, env *testEnv, id string) {},
			query:   "", wantStart: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC).Add(-89 * day).Format(time.DateOnly), wantEnd: "2026-03-11",
			wantPercent: 100, wantWarning: true, wantEvents: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			comp := map[string]any{"name": "API"}
			if tc.startDate != "" {
				comp["start_date"] = tc.startDate
			}
			id := apitest.String(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": comp}), "id")
			tc.history(t, env, id)
			env.clock.Set(time.Date(2026, 3, 11, 12, 0, 0, 0, time.UTC))

			u := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id+"/uptime"+tc.query, nil))
			want := apitest.Sorted("range_start", "range_end", "uptime_percentage", "major_outage", "partial_outage", "warnings", "id", "name", "related_events")
			if got := apitest.Keys(u); !slices.Equal(got, want) {
				t.Errorf("keys %v, want %v", got, want)
			}
			if u["id"] != id || u["name"] != "API" {
				t.Errorf("id=%v name=%v, want %s, API", u["id"], u["name"], id)
			}
			if u["range_start"] != tc.wantStart || u["range_end"] != tc.wantEnd {
				t.Errorf("range %v..%v, want %s..%s", u["range_start"], u["range_end"], tc.wantStart, tc.wantEnd)
			}
			if u["major_outage"] != tc.wantMajor || u["partial_outage"] != tc.wantPartial {
				t.Errorf("major_outage=%v partial_outage=%v, want %v, %v", u["major_outage"], u["partial_outage"], tc.wantMajor, tc.wantPartial)
			}
			if u["uptime_percentage"] != tc.wantPercent {
				t.Errorf("uptime_percentage %v, want %v", u["uptime_percentage"], tc.wantPercent)
			}
			warnings, ok := u["warnings"].([]any)
			if !ok {
				t.Fatalf("warnings %v, want a list", u["warnings"])
			}
			if (len(warnings) > 0) != tc.wantWarning {
				t.Errorf("warnings %v, want some: %v", warnings, tc.wantWarning)
			}
			events, ok := u["related_events"].([]any)
			if !ok {
				t.Fatalf("related_events %v, want a list", u["related_events"])
			}
			var names []string
			for _, e := range events {
				ev := e.(map[string]any)
				if got := apitest.Keys(ev); !slices.Equal(got, []string{"id", "name"}) {
					t.Errorf("related event keys %v, want [id name]", got)
				}
				names = append(names, ev["name"].(string))
			}
			if !slices.Equal(names, tc.wantEvents) && !(len(names) == 0 && len(tc.wantEvents) == 0) {
				t.Errorf("related events %v, want %v", names, tc.wantEvents)
			}
		})
	}
}

// setStatusAt moves the clock to at past 2026-03-10 00:00 UTC and sets
// component id's status through the API.
func setStatusAt(t *testing.T, env *testEnv, id, status string, at time.Duration) {
	t.Helper()
	env.clock.Set(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC).Add(at))
	env.mustAPI(200, "PATCH", "/components/"+id, map[string]any{"component": map[string]any{"status": status}})
}
