package api_test

import (
	"net/url"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// TestComponentSLATarget sets, keeps, changes and clears a component's
// sla_target (Beacon's own field) through the management API, as JSON, as
// a quoted number and form-encoded, and refuses what is no percentage
// with at most 3 decimals, naming the field and changing nothing.
func TestComponentSLATarget(t *testing.T) {
	env := newTestEnv(t)
	created := apitest.Object(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API", "sla_target": 99.9}}))
	id, _ := created["id"].(string)
	if created["sla_target"] != 99.9 {
		t.Fatalf("created with sla_target %v, want 99.9", created["sla_target"])
	}
	target := func() any {
		t.Helper()
		c := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id, nil))
		v, ok := c["sla_target"]
		if !ok {
			t.Fatal("the component has no sla_target key")
		}
		return v
	}
	steps := []struct {
		name        string
		contentType string
		body        string
		want        any
	}{
		{"another field only", "application/json", `{"component":{"description":"Public API"}}`, 99.9},
		{"a quoted number", "application/json", `{"component":{"sla_target":"99.95"}}`, 99.95},
		{"three decimals", "application/json", `{"component":{"sla_target":99.999}}`, 99.999},
		{"form-encoded", "application/x-www-form-urlencoded", url.Values{"component[sla_target]": {"99.5"}}.Encode(), 99.5},
		{"null clears it", "application/json", `{"component":{"sla_target":null}}`, nil},
		{"set again", "application/json", `{"component":{"sla_target":100}}`, 100.0},
		{"an empty string clears it", "application/json", `{"component":{"sla_target":""}}`, nil},
	}
	for _, s := range steps {
		res := inputPost(env, "PATCH", "/components/"+id, s.contentType, s.body)
		if res.Status != 200 {
			t.Fatalf("%s: status %d: %s", s.name, res.Status, res.Body)
		}
		if got := target(); got != s.want {
			t.Errorf("%s: sla_target %v, want %v", s.name, got, s.want)
		}
	}
	env.mustAPI(200, "PATCH", "/components/"+id, map[string]any{"component": map[string]any{"sla_target": 99.9}})
	for _, body := range []string{
		`{"component":{"sla_target":0}}`, `{"component":{"sla_target":-5}}`, `{"component":{"sla_target":100.001}}`,
		`{"component":{"sla_target":99.9999}}`, `{"component":{"sla_target":"abc"}}`, `{"component":{"sla_target":true}}`,
		`{"component":{"sla_target":[99]}}`, `{"component":{"name":"Renamed","sla_target":1e999}}`,
		`{"component":{"sla_target":1e-10}}`, `{"component":{"sla_target":0.0004}}`, `{"component":{"sla_target":"1e-10"}}`,
	} {
		res := inputPost(env, "PATCH", "/components/"+id, "application/json", body)
		apitest.WantError(t, res, 422, "sla_target")
	}
	if c := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id, nil)); c["sla_target"] != 99.9 || c["name"] != "API" {
		t.Errorf("after refusals: name %v, sla_target %v; want API, 99.9", c["name"], c["sla_target"])
	}

	// Every component of the list carries the key; a group's is null.
	env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{"name": "G", "components": []string{id}}})
	var list []map[string]any
	env.mustAPI(200, "GET", "/components", nil).JSON(t, &list)
	for _, c := range list {
		v, ok := c["sla_target"]
		if want := any(99.9); c["group"] == true {
			want = nil
			if !ok || v != want {
				t.Errorf("group %v: sla_target %v (present %v), want null", c["name"], v, ok)
			}
		} else if !ok || v != want {
			t.Errorf("%v: sla_target %v (present %v), want %v", c["name"], v, ok, want)
		}
	}
}
