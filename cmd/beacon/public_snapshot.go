package main

import (
	"context"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/public"
)

// What the code still in this package reads of the public site — message
// composition (messages.go) and the console's dashboard and incident
// screens — until it reads the domain services itself; then this file goes.

// publicSite is the public site with the two accessors that code calls.
type publicSite struct{ *public.Site }

// snapshot is what message composition and the console read of the public
// site's snapshot.
type snapshot struct {
	version    uint64
	page       components.Page
	status     components.PageStatus
	components []components.Component
	byID       map[string]components.Component
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
	return &snapshot{version: v.Version, page: v.Page, status: v.Status, components: v.Components, byID: v.ByID,
		unresolved: v.Unresolved, upcoming: v.Upcoming, active: v.Active}, nil
}

// invalidate marks the snapshot stale. The site is built after the
// services whose change hooks call it, and starts stale.
func (p publicSite) invalidate() {
	if p.Site != nil {
		p.Changed()
	}
}

// twilioStatusPath is the delivery report callback every SMS names.
const twilioStatusPath = public.TwilioStatusPath

// updateLabel is public.UpdateLabel, for the console's incident screen.
func updateLabel(in incidents.Incident, i int) string { return public.UpdateLabel(in, i) }
