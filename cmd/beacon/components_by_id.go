package main

import "github.com/beacon-status/beacon/components"

// componentsByID indexes components by id, for the public page's
// snapshot (public.go), which takes it along when it moves out of
// cmd/beacon. (The console has its own.)
func componentsByID(all []components.Component) map[string]components.Component {
	m := make(map[string]components.Component, len(all))
	for _, c := range all {
		m[c.ID] = c
	}
	return m
}
