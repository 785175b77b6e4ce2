package main

import (
	"github.com/beacon-status/beacon/public"
)

// publicSite is the public site, with the one accessor the app's change
// hook and the tests call.
type publicSite struct{ *public.Site }

// invalidate marks the snapshot stale. The site is built after the
// services whose change hooks call it, and starts stale.
func (p publicSite) invalidate() {
	if p.Site != nil {
		p.Changed()
	}
}
