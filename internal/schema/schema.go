// Package schema is what a Beacon database is made of: every package's
// migrations, in the order their foreign keys need. The server, the
// commands, migrate-db and the tests of the whole schema all migrate
// with this one list, so a new package's tables are added in one place.
package schema

import (
	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// Sets returns every package's migrations, parents before the packages
// whose tables refer to theirs.
func Sets() []store.Migrations {
	return []store.Migrations{
		apikeys.Migrations(),
		accounts.Migrations(),
		settings.Migrations(),
		notifier.Migrations(),
		components.Migrations(),
		subscribers.Migrations(),
		incidents.Migrations(),
		integrations.Migrations(),
		metrics.Migrations(),
	}
}
