package main

import "testing"

// Helpers of the public site's tests (now in package public) that tests
// staying in cmd/beacon still use.

// v2List returns the list under key of a decoded v2 body as objects.
func v2List(t testing.TB, body map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := body[key].([]any)
	if !ok {
		t.Fatalf("%s is %v, want a list", key, body[key])
	}
	out := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		out = append(out, v.(map[string]any))
	}
	return out
}
