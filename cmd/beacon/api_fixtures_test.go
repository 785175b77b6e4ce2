package main

import (
	"context"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/notifier"
)

// The management API fixtures the whole-binary tests still use (the route
// table's conformance, hostile input, API v2); the API's own tests are in
// internal/api, on the same apitest helpers.

// apiMissingID has the shape of an id but names nothing.
const apiMissingID = apitest.MissingID

// apiFixture is a page seeded through the management API (apitest.Fixture).
type apiFixture = apitest.Fixture

// apiSeed seeds env's page through the management API (apitest.Seed).
func apiSeed(t *testing.T, env *testEnv) apiFixture {
	t.Helper()
	return apitest.Seed(t, env.mustAPI, env.clock.Now())
}

// apiUpdates returns the incident_updates of an incident body.
func apiUpdates(t testing.TB, res response) []map[string]any {
	t.Helper()
	return apitest.Updates(t, res)
}

// apiKeys returns the sorted keys of m.
func apiKeys(m map[string]any) []string { return apitest.Keys(m) }

// apiSorted returns a sorted copy of keys.
func apiSorted(keys ...string) []string { return apitest.Sorted(keys...) }

// apiWantError checks an error answer (apitest.WantError).
func apiWantError(t testing.TB, res response, status int, field string) {
	t.Helper()
	apitest.WantError(t, res, status, field)
}

// apiEvents returns every outbox event.
func apiEvents(t testing.TB, env *testEnv) []notifier.Event {
	t.Helper()
	events, err := env.app.outbox.Events(context.Background(), notifier.EventFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return events
}
