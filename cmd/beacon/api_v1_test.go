package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/api/apitest"
)

// Management API v1 tests that need the whole binary: what an API change
// shows on the console and the public page, and that the API's rate limit
// leaves the public API alone. The API's own tests are in internal/api.

// TestPostmortemPreview checks that the public incident page shows the
// postmortem's draft to whoever has its preview key, and only the
// published text to anyone else.
func TestPostmortemPreview(t *testing.T) {
	env := newTestEnv(t)
	f := apiSeed(t, env)
	pmPath := "/incidents/" + f.R + "/postmortem"
	env.mustAPI(200, "PUT", pmPath, map[string]any{"postmortem": map[string]any{"body_draft": "Published words"}})
	env.mustAPI(200, "PUT", pmPath+"/publish", nil)
	key := apitest.String(t, env.mustAPI(200, "PUT", pmPath, map[string]any{"postmortem": map[string]any{"body_draft": "Draft words"}}), "preview_key")

	tests := []struct {
		name              string
		query             string
		wantIn, wantNotIn string
		wantCache         string
	}{
		{"no key", "", "Published words", "Draft words", ""},
		{"the key", "?preview_key=" + url.QueryEscape(key), "Draft words", "Published words", "private, no-store"},
		{"a wrong key", "?preview_key=" + apitest.Flip(key[0]) + key[1:], "Published words", "Draft words", ""},
	}
	t.Run("the console links to the preview", func(t *testing.T) {
		page := env.newStaff(accounts.Responder).Get("/console/incidents/" + f.R)
		if want := `href="/incidents/` + f.R + `?preview_key=` + key + `"`; !strings.Contains(string(page.Body), want) {
			t.Errorf("console incident page lacks %s", want)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := env.do("GET", "/incidents/"+f.R+tc.query, nil)
			if res.Status != 200 {
				t.Fatalf("status %d, want 200", res.Status)
			}
			body := string(res.Body)
			if !strings.Contains(body, tc.wantIn) || strings.Contains(body, tc.wantNotIn) {
				t.Errorf("page: want %q and not %q in\n%s", tc.wantIn, tc.wantNotIn, body)
			}
			if got := res.Header.Get("Cache-Control"); tc.wantCache != "" && got != tc.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tc.wantCache)
			}
		})
	}
}

// TestAPIV1RateLimitSparesPublicAPI checks that a key that has spent its
// burst leaves the public API unlimited (the rest of the limit's rules:
// internal/api's TestAPIV1RateLimit).
func TestAPIV1RateLimitSparesPublicAPI(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.APIRate = 1; c.APIBurst = 2 })
	get := func() response { return env.api("GET", "/components", nil) }
	for i := range 2 {
		if res := get(); res.Status != 200 {
			t.Fatalf("request %d: status %d, want 200", i+1, res.Status)
		}
	}
	apitest.WantError(t, get(), 429, "")
	for i := range 5 {
		if res := env.do("GET", "/api/v2/summary.json", nil); res.Status != 200 {
			t.Errorf("public request %d: status %d, want 200", i+1, res.Status)
		}
	}
}

// TestAPIV1JSONSuffixPublicPaths checks that the .json suffix the
// management API accepts leaves the public pages' paths alone (the API's
// own: internal/api's TestAPIV1JSONSuffix).
func TestAPIV1JSONSuffixPublicPaths(t *testing.T) {
	env := newTestEnv(t)
	f := apiSeed(t, env)
	if res := env.do("GET", "/incidents/"+f.I+".json", nil); res.Status != 404 {
		t.Errorf("GET /incidents/{id}.json on the public page: %d, want 404", res.Status)
	}
}

// TestAPIV1IncidentMetadataNotInV2 checks that an incident's metadata, kept
// by the management API (internal/api's TestAPIV1IncidentMetadata), is
// absent from API v2.
func TestAPIV1IncidentMetadataNotInV2(t *testing.T) {
	env := newTestEnv(t)
	meta := map[string]any{"jira": map[string]any{"issue_id": "OPS-7", "links": []any{"a", map[string]any{"b": 1.5}}}}
	env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Slow", "metadata": meta}})
	for _, in := range env.v2("incidents.json")["incidents"].([]any) {
		if _, ok := in.(map[string]any)["metadata"]; ok {
			t.Errorf("API v2 incident carries metadata: %v", in)
		}
	}
}
