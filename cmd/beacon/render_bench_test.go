package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// BenchmarkRebuild measures the work a change costs the public side: the
// snapshot (every v2 body, "/", the feeds and the badge) rebuilt for a page
// with 100 components and 1,000 incidents in its history. Issue 4's target
// is under 20 ms; the figure is recorded in docs/BENCHMARKS.md, never
// asserted.
//
//	go test ./cmd/beacon -run '^$' -bench Rebuild -benchtime 20x
func BenchmarkRebuild(b *testing.B) {
	a := seedRebuild(b)
	ctx := context.Background()
	if _, err := a.public.get(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		a.public.invalidate()
		s, err := a.public.get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.index.body) == 0 {
			b.Fatal("empty page")
		}
	}
}

// seedRebuild returns an app with 100 components and 1,000 incidents over
// the last 120 days, each with three updates and a component outage, the
// last few still open.
func seedRebuild(b *testing.B) *app {
	env := newTestEnv(b)
	ctx := context.Background()
	a := env.app
	start := env.clock.Now().AddDate(0, 0, -120)
	env.clock.Set(start)
	var ids []string
	for i := range 100 {
		name := fmt.Sprintf("Component %03d", i)
		c, err := a.components.Create(ctx, components.Input{Name: &name})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	// 1,000 incidents over 120 days, each with three updates and a
	// component outage, the last few still open.
	for i := range 1000 {
		env.clock.Set(start.Add(time.Duration(i) * 170 * time.Minute))
		id := ids[i%len(ids)]
		in, err := a.incidents.Create(ctx, incidents.NewIncident{Name: fmt.Sprintf("Incident %d", i),
			Body: "We are looking into **errors**.", Components: map[string]components.Status{id: components.PartialOutage}})
		if err != nil {
			b.Fatal(err)
		}
		if i >= 995 {
			continue
		}
		for _, st := range []incidents.Status{incidents.Identified, incidents.Resolved} {
			env.clock.Advance(20 * time.Minute)
			status, body := st, "Progress on the fix."
			if _, err := a.incidents.Update(ctx, in.ID, incidents.Change{Status: &status, Body: &body}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return a
}
