package main

import (
	"context"
	"testing"
	"time"
)

// A snapshot rebuilt because a minute passed keeps the bodies that did not
// change, gzip form included; a change replaces the bodies it touches.
func TestSnapshotReusesUnchangedBodies(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	id := apiString(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}), "id")

	first, err := env.app.public.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	summary := first.api["summary.json"]
	gz := summary.Gzip()

	env.clock.Advance(snapshotTTL + time.Second)
	second, err := env.app.public.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("the snapshot was not rebuilt after it expired")
	}
	if got := second.api["summary.json"]; got != summary || &got.Gzip()[0] != &gz[0] {
		t.Error("an unchanged summary.json was rendered and compressed again")
	}

	env.mustAPI(200, "PATCH", "/components/"+id, map[string]any{"component": map[string]any{"status": "major_outage"}})
	third, err := env.app.public.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := third.api["summary.json"]; got == summary || got.ETag() == summary.ETag() {
		t.Error("summary.json kept its old body after a component changed")
	}
}
