package api_test

import (
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// TestAPIV1PageNumbers checks that page 0 and page 1 are both the first
// page, and that page numbers out of range are refused, not overflowed.
func TestAPIV1PageNumbers(t *testing.T) {
	env := newTestEnv(t)
	for _, name := range []string{"One", "Two", "Three"} {
		env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": name}})
	}
	tests := []struct {
		query     string
		wantCount int // -1: refused with 422 on page
	}{
		{"per_page=2&page=0", 2},
		{"per_page=2&page=1", 2},
		{"per_page=2&page=2", 1},
		{"per_page=1000&page=1000000", 0},
		{"page=-1", -1},
		{"page=1000001", -1},
		{"page=99999999999999999999", -1},
		{"page=two", -1},
	}
	for _, path := range []string{"/incidents", "/components", "/subscribers"} {
		for _, tc := range tests {
			t.Run(path+"?"+tc.query, func(t *testing.T) {
				res := env.api("GET", path+"?"+tc.query, nil)
				if tc.wantCount < 0 {
					apitest.WantError(t, res, 422, "page")
					return
				}
				if res.Status != 200 {
					t.Fatalf("status %d, want 200; body %s", res.Status, res.Body)
				}
				if path == "/incidents" {
					if got := len(apitest.Array(t, res)); got != tc.wantCount {
						t.Errorf("%d incidents, want %d", got, tc.wantCount)
					}
				}
			})
		}
	}
	first := env.mustAPI(200, "GET", "/incidents?per_page=2&page=0", nil)
	one := env.mustAPI(200, "GET", "/incidents?per_page=2&page=1", nil)
	if string(first.Body) != string(one.Body) {
		t.Errorf("page=0 answered %s, page=1 %s; want the same first page", first.Body, one.Body)
	}
}

// TestAPIV1JSONSuffix checks a sample of v1 paths with and without .json:
// the same status and the same body. (The conformance test calls every
// operation both ways; cmd/beacon's TestAPIV1JSONSuffixPublicPaths checks
// the public pages keep theirs.)
func TestAPIV1JSONSuffix(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	paths := []string{
		"", "/incidents", "/incidents/{I}", "/incidents/unresolved", "/components", "/components/{A}/uptime",
		"/component-groups/{G}", "/incidents/{I}/notifications", "/incidents/" + apitest.MissingID,
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			plain := env.api("GET", f.Sub(p), nil)
			suffixed := env.api("GET", f.Sub(p)+".json", nil)
			want := 200
			if strings.Contains(p, apitest.MissingID) {
				want = 404
			}
			if plain.Status != want {
				t.Errorf("without .json: %d %s, want %d", plain.Status, plain.Body, want)
			}
			if plain.Status != suffixed.Status || string(plain.Body) != string(suffixed.Body) {
				t.Errorf("with .json: %d %s; without: %d %s", suffixed.Status, suffixed.Body, plain.Status, plain.Body)
			}
		})
	}
	t.Run("pages list", func(t *testing.T) {
		res := env.do("GET", "/api/v1/pages.json", nil, "Authorization", "OAuth "+env.key)
		if res.Status != 200 || len(apitest.Array(t, res)) != 1 {
			t.Errorf("GET /api/v1/pages.json: %d %s, want 200 and one page", res.Status, res.Body)
		}
	})
	t.Run("write", func(t *testing.T) {
		res := env.api("PATCH", "/incidents/"+f.I+".json", map[string]any{"incident": map[string]any{"name": "Renamed"}})
		if res.Status != 200 || apitest.String(t, res, "name") != "Renamed" {
			t.Errorf("PATCH …/incidents/{id}.json: %d %s, want 200 and the new name", res.Status, res.Body)
		}
	})
}

// TestAPIV1IncidentMetadata checks that metadata is kept as given on create
// and PATCH and answered in the v1 incident (absent from API v2:
// cmd/beacon's TestAPIV1IncidentMetadataNotInV2).
func TestAPIV1IncidentMetadata(t *testing.T) {
	env := newTestEnv(t)
	meta := map[string]any{"jira": map[string]any{"issue_id": "OPS-7", "links": []any{"a", map[string]any{"b": 1.5}}}}
	created := apitest.Object(t, env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Slow", "metadata": meta}}))
	id := created["id"].(string)
	if got, want := apitest.JSON(t, created["metadata"]), apitest.JSON(t, meta); got != want {
		t.Errorf("created metadata %s, want %s", got, want)
	}
	tests := []struct {
		name string
		body any
		want string
	}{
		{"a PATCH without metadata keeps it", map[string]any{"incident": map[string]any{"name": "Slower"}}, apitest.JSON(t, meta)},
		{"a PATCH replaces it", map[string]any{"incident": map[string]any{"metadata": map[string]any{"pagerduty": "P1"}}}, `{"pagerduty":"P1"}`},
		{"form-encoded", "incident[metadata][jira][issue_id]=OPS-8", `{"jira":{"issue_id":"OPS-8"}}`},
		{"null removes it", map[string]any{"incident": map[string]any{"metadata": nil}}, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res response
			if form, ok := tc.body.(string); ok {
				res = env.api("PATCH", "/incidents/"+id, form, "Content-Type", "application/x-www-form-urlencoded")
			} else {
				res = env.api("PATCH", "/incidents/"+id, tc.body)
			}
			if res.Status != 200 {
				t.Fatalf("status %d; body %s", res.Status, res.Body)
			}
			got := apitest.JSON(t, apitest.Object(t, env.mustAPI(200, "GET", "/incidents/"+id, nil))["metadata"])
			if got != tc.want {
				t.Errorf("metadata %s, want %s", got, tc.want)
			}
		})
	}
}
