package main

import (
	"context"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/public"
)

// What the console, still in this package, reads of the public site — the
// snapshot for its dashboard, the update labels for its incident screen —
// until it reads the domain services itself; then this file goes.

// publicSite is the public site with the accessors the console and the
// tests call.
type publicSite struct{ *public.Site }

// snapshot is what the console's dashboard reads of the public site's
// snapshot.
type snapshot struct {
	page       components.Page
	status     components.PageStatus
	components []components.Component
	unresolved []incidents.Incident
	upcoming   []incidents.Incident
	active     []incidents.Incident
}

// get returns the current snapshot, rebuilding it first if it is stale.
func (p publicSite) get(ctx context.Context) (*snapshot, error) {
	v, err := p.View(ctx)
	if err != nil {
		return nil, err
	}
	return &snapshot{page: v.Page, status: v.Status, components: v.Components, unresolved: v.Unresolved,
		upcoming: v.Upcoming, active: v.Active}, nil
}

// invalidate marks the snapshot stale. The site is built after the
// services whose change hooks call it, and starts stale.
func (p publicSite) invalidate() {
	if p.Site != nil {
		p.Changed()
	}
}

// updateLabel is public.UpdateLabel, for the console's incident screen.
func updateLabel(in incidents.Incident, i int) string { return incidents.UpdateLabel(in, i) }
