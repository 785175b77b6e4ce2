// Package apitest holds what the management API's tests share, in
// internal/api and in cmd/beacon's whole-binary tests: a page seeded
// through the API, and checks of its answers. It is imported by tests only.
package apitest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/testutil"
)

// MissingID has the shape of an id but names nothing.
const MissingID = "zzzzzzzzzzzz"

// MustAPI sends an authenticated management API request to path below
// /api/v1/pages/{page_id} and fails the test unless the status is want.
type MustAPI func(want int, method, path string, body any) testutil.Response

// Fixture is a page seeded through the management API: component A on
// its own, group G holding component B, an open incident I (update U)
// degrading A, a resolved incident R and a maintenance M tomorrow.
type Fixture struct {
	A, B, G, I, U, R, M string
}

// Seed makes the Fixture through api at the clock's time now.
func Seed(tb testing.TB, api MustAPI, now time.Time) Fixture {
	tb.Helper()
	var f Fixture
	f.A = String(tb, api(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API", "description": "The API"}}), "id")
	f.B = String(tb, api(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "Web"}}), "id")
	f.G = String(tb, api(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{"name": "Frontend", "components": []string{f.B}}}), "id")
	res := api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "API errors", "body": "Looking", "components": map[string]string{f.A: "degraded_performance"},
	}})
	f.I = String(tb, res, "id")
	f.U = Updates(tb, res)[0]["id"].(string)
	f.R = String(tb, api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Old trouble", "status": "resolved"}}), "id")
	f.M = String(tb, api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Database upgrade", "component_ids": []string{f.A},
		"scheduled_for":   now.Add(24 * time.Hour).Format(time.RFC3339),
		"scheduled_until": now.Add(26 * time.Hour).Format(time.RFC3339),
	}}), "id")
	return f
}

// Sub replaces {A}, {B}, {G}, {I}, {U}, {R} and {M} in s with the
// fixture's ids.
func (f Fixture) Sub(s string) string {
	return strings.NewReplacer("{A}", f.A, "{B}", f.B, "{G}", f.G, "{I}", f.I, "{U}", f.U, "{R}", f.R, "{M}", f.M).Replace(s)
}

// Object decodes a JSON object body.
func Object(tb testing.TB, res testutil.Response) map[string]any {
	tb.Helper()
	var m map[string]any
	res.JSON(tb, &m)
	if m == nil {
		tb.Fatalf("body %s is not a JSON object", res.Body)
	}
	return m
}

// Array decodes a JSON array body; null fails.
func Array(tb testing.TB, res testutil.Response) []any {
	tb.Helper()
	var list []any
	res.JSON(tb, &list)
	if list == nil {
		tb.Fatalf("body %s is not a JSON array", res.Body)
	}
	return list
}

// String returns the string field key of an object body.
func String(tb testing.TB, res testutil.Response, key string) string {
	tb.Helper()
	s, ok := Object(tb, res)[key].(string)
	if !ok {
		tb.Fatalf("%s is not a string in %s", key, res.Body)
	}
	return s
}

// Updates returns the incident_updates of an incident body.
func Updates(tb testing.TB, res testutil.Response) []map[string]any {
	tb.Helper()
	raw, ok := Object(tb, res)["incident_updates"].([]any)
	if !ok {
		tb.Fatalf("incident_updates is not a list in %s", res.Body)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, u := range raw {
		out = append(out, u.(map[string]any))
	}
	return out
}

// Keys returns the sorted keys of m.
func Keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Sorted returns a sorted copy of keys.
func Sorted(keys ...string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return out
}

// WantError checks an error answer: the status, a JSON body with a
// non-empty message and, when field is not "", that field.
func WantError(tb testing.TB, res testutil.Response, status int, field string) {
	tb.Helper()
	if res.Status != status {
		tb.Fatalf("status %d, want %d; body %s", res.Status, status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type %q, want application/json", ct)
	}
	m := Object(tb, res)
	if msg, _ := m["message"].(string); msg == "" {
		tb.Errorf("message missing or empty in %s", res.Body)
	}
	if field != "" {
		if got, _ := m["field"].(string); got != field {
			tb.Errorf("field %q, want %q; body %s", got, field, res.Body)
		}
	}
}

// ComponentKeys are the exact keys of Statuspage's component object.
var ComponentKeys = []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
	"start_date", "group_id", "page_id", "group", "only_show_if_degraded"}

// PostmortemKeys are the exact keys of Statuspage's postmortem object.
var PostmortemKeys = []string{"preview_key", "body", "body_updated_at", "body_draft", "body_draft_updated_at",
	"published_at", "notify_subscribers", "notify_twitter", "custom_tweet", "created_at", "updated_at"}

// Flip returns a key character other than c.
func Flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

// JSON returns v encoded as JSON, for comparing decoded values.
func JSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Addresses returns the email addresses, phone numbers and endpoints of
// list, in its order.
func Addresses(list []statuspage.Subscriber) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		for _, p := range []*string{s.Email, s.PhoneNumber, s.Endpoint} {
			if p != nil {
				out = append(out, *p)
			}
		}
	}
	return out
}

// Client sends authenticated management API requests for a test: through
// Do, with Key, to paths below /api/v1/pages/{PageID}.
type Client struct {
	TB     testing.TB
	Do     func(method, target string, body any, headers ...string) testutil.Response
	Key    string
	PageID string
}

// API sends method to path below /api/v1/pages/{page_id}, with the key in
// an OAuth Authorization header before any headers given.
func (c Client) API(method, path string, body any, headers ...string) testutil.Response {
	c.TB.Helper()
	headers = append([]string{"Authorization", "OAuth " + c.Key}, headers...)
	return c.Do(method, "/api/v1/pages/"+c.PageID+path, body, headers...)
}

// MustAPI is API that fails the test unless the status is want.
func (c Client) MustAPI(want int, method, path string, body any) testutil.Response {
	c.TB.Helper()
	res := c.API(method, path, body)
	if res.Status != want {
		c.TB.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.Status, want, res.Body)
	}
	return res
}

// State is everything the management API shows of the page's components,
// groups, incidents, templates and the page itself: what a refused request
// must leave as it was.
func (c Client) State() string {
	c.TB.Helper()
	var b strings.Builder
	for _, path := range []string{"/components", "/component-groups", "/incidents", "/incident_templates", ""} {
		b.Write(c.MustAPI(200, "GET", path, nil).Body)
	}
	return b.String()
}
