package public

import (
	"context"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
)

// A snapshot rebuilt because a minute passed keeps the bodies that did not
// change, gzip form included; a change replaces the bodies it touches.
func TestSnapshotReusesUnchangedBodies(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	name := "API"
	comp, err := env.components.Create(ctx, components.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}

	first, err := env.site.cache.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	summary := first.api["summary.json"]
	gz := summary.Gzip()

	env.clock.Advance(snapshotTTL + time.Second)
	second, err := env.site.cache.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("the snapshot was not rebuilt after it expired")
	}
	if got := second.api["summary.json"]; got != summary || &got.Gzip()[0] != &gz[0] {
		t.Error("an unchanged summary.json was rendered and compressed again")
	}

	status := components.MajorOutage
	if _, err := env.components.Update(ctx, comp.ID, components.Input{Status: &status}); err != nil {
		t.Fatal(err)
	}
	third, err := env.site.cache.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := third.api["summary.json"]; got == summary || got.ETag() == summary.ETag() {
		t.Error("summary.json kept its old body after a component changed")
	}
}
