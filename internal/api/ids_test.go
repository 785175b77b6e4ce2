package api_test

import (
	"slices"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// TestAPIIDsNoRowHolds: an id holding NUL names nothing, and is answered
// on both engines as any unknown id is (PostgreSQL refuses NUL as a
// query's argument, where SQLite finds no row): never a server error,
// nothing written.
func TestAPIIDsNoRowHolds(t *testing.T) {
	env := subEnv(t)
	f := env.seed()
	before := env.client().State()
	for _, tc := range []struct{ name, method, path, body, field string }{
		{"component in a group", "POST", "/components", `{"component":{"name":"x","group_id":"\u0000"}}`, "group_id"},
		{"component moved to a group", "PATCH", "/components/" + f.A, `{"component":{"group_id":"\u0000"}}`, "group_id"},
		{"group member", "POST", "/component-groups", `{"component_group":{"name":"x","components":["\u0000"]}}`, "components"},
		{"integration component", "POST", "/integrations", `{"integration":{"name":"x","kind":"alertmanager","components":{"a":"\u0000"}}}`, "components"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantError(t, inputPost(env, tc.method, tc.path, "application/json", tc.body), 422, tc.field)
		})
	}
	for _, action := range []string{"unsubscribe", "resend_confirmation", "reactivate"} {
		res := inputPost(env, "POST", "/subscribers/"+action, "application/json", `{"subscribers":["\u0000"]}`)
		var got struct {
			NotFound  []string `json:"not_found"`
			Processed int      `json:"processed"`
		}
		res.JSON(t, &got)
		if res.Status != 201 || got.Processed != 0 || !slices.Equal(got.NotFound, []string{"\x00"}) {
			t.Errorf("bulk %s of a NUL id: status %d %s, want 201 with it not found", action, res.Status, res.Body)
		}
	}
	if after := env.client().State(); after != before {
		t.Errorf("the requests changed the data:\n got %s\nwant %s", after, before)
	}
}
