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

// apiSeed seeds env's page through the management API (apitest.Seed).
func apiSeed(t *testing.T, env *testEnv) apitest.Fixture {
	t.Helper()
	return apitest.Seed(t, env.mustAPI, env.clock.Now())
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
