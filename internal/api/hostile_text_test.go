package api_test

import (
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// TestHostileTextAPIRefusesNames sends names with control characters and
// their kin (issue 10, defect 5), and bytes that are not UTF-8, through the
// API: 422 on the field, nothing written. (What bodies and stored rows
// become in feeds, pages and messages: cmd/beacon's hostile_text_test.go.)
func TestHostileTextAPIRefusesNames(t *testing.T) {
	e := newTestEnv(t)
	comp := apitest.String(t, e.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}), "id")
	in := apitest.String(t, e.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Outage"}}), "id")
	names := map[string]string{
		"SOH": "x\u0001", "ANSI": "\u001b[31mx", "NUL": "x\u0000y", "DEL": "x\u007f", "NEL": "x\u0085y",
		"noncharacter": "x\ufffe", "bidi override": "x\u202ey", "newline": "x\ny",
	}
	type call struct{ method, path, wrap, field string }
	calls := []call{
		{"POST", "/components", "component", "name"},
		{"PATCH", "/components/" + comp, "component", "name"},
		{"POST", "/component-groups", "component_group", "name"},
		{"POST", "/incidents", "incident", "name"},
		{"PATCH", "/incidents/" + in, "incident", "name"},
		{"POST", "/incident_templates", "template", "name"},
		{"PATCH", "", "page", "name"},
	}
	before := e.client().State()
	for what, name := range names {
		t.Run(what, func(t *testing.T) {
			for _, c := range calls {
				obj := map[string]any{"name": name}
				if c.wrap == "component_group" {
					obj["components"] = []string{comp}
				}
				if c.wrap == "template" {
					obj["title"] = "x"
				}
				apitest.WantError(t, e.api(c.method, c.path, map[string]any{c.wrap: obj}), 422, c.field)
			}
		})
	}
	// What encoding/json would turn into U+FFFD unseen: bytes that are not
	// UTF-8, and escapes of half a surrogate pair, in JSON and in forms.
	raw := []struct{ name, contentType, body, field string }{
		{"invalid UTF-8 in JSON", "application/json", "{\"incident\":{\"name\":\"x\xff\"}}", "name"},
		{"surrogate bytes in JSON", "application/json", "{\"incident\":{\"name\":\"x\xed\xa0\x80\"}}", "name"},
		{"lone high surrogate escape", "application/json", `{"incident":{"name":"x\ud800"}}`, "name"},
		{"lone low surrogate escape", "application/json", `{"incident":{"name":"x\udc00y"}}`, "name"},
		{"reversed pair", "application/json", `{"incident":{"name":"x\udc00\ud800"}}`, "name"},
		{"lone surrogate in body", "application/json", `{"incident":{"name":"x","body":"a\uD800"}}`, "body"},
		{"invalid UTF-8 in a form", "application/x-www-form-urlencoded", "incident[name]=x%FF", "name"},
		{"invalid UTF-8 in a form body", "application/x-www-form-urlencoded", "incident[name]=x&incident[body]=%C0%80", "body"},
	}
	for _, tc := range raw {
		res := inputPost(e, "POST", "/incidents", tc.contentType, tc.body)
		if res.Status != 422 {
			t.Errorf("%s: status %d, want 422; body %s", tc.name, res.Status, res.Body)
			continue
		}
		apitest.WantError(t, res, 422, tc.field)
	}
	if after := e.client().State(); after != before {
		t.Errorf("refused requests changed the data:\n got %s\nwant %s", after, before)
	}
	// A valid pair and an escaped backslash before "ud800" are text.
	for _, body := range []string{`{"incident":{"name":"rocket \ud83d\ude80"}}`, `{"incident":{"name":"path \\ud800"}}`} {
		if res := inputPost(e, "POST", "/incidents", "application/json", body); res.Status != 201 {
			t.Errorf("%s: status %d, want 201; body %s", body, res.Status, res.Body)
		}
	}
}
