package public

import (
	"bytes"
	"testing"

	"github.com/beacon-status/beacon/components"
)

// While the database does not answer, the page and API v2 keep serving the
// last snapshot, and a rebuild is tried at most once a second however many
// requests come; with no snapshot yet there is nothing to serve.
func TestStaleSnapshotWhileDatabaseDown(t *testing.T) {
	env := newTestEnv(t)
	env.component(components.Input{Name: ptr("API")})
	page := env.do("GET", "/", "")
	summary := env.do("GET", "/api/v2/summary.json", "")
	if page.Status != 200 || summary.Status != 200 {
		t.Fatalf("before the outage: / %d, summary.json %d", page.Status, summary.Status)
	}

	// The database goes away underneath the site, and a change (made
	// before it went) marks the snapshot stale.
	if err := env.svc.DB.Close(); err != nil {
		t.Fatal(err)
	}
	env.site.Changed()
	builds := env.site.cache.builds.Load()
	for i := range 20 {
		for _, want := range []struct {
			path string
			body []byte
		}{{"/", page.Body}, {"/api/v2/summary.json", summary.Body}} {
			res := env.do("GET", want.path, "")
			if res.Status != 200 || !bytes.Equal(res.Body, want.body) {
				t.Fatalf("request %d for %s with the database down: status %d, same body %v; want 200 and the last snapshot's body",
					i, want.path, res.Status, bytes.Equal(res.Body, want.body))
			}
		}
	}
	if got := env.site.cache.builds.Load() - builds; got != 1 {
		t.Errorf("%d rebuilds tried within a second of the outage, want 1", got)
	}

	env.clock.Advance(rebuildRetry)
	if res := env.do("GET", "/", ""); res.Status != 200 || !bytes.Equal(res.Body, page.Body) {
		t.Fatalf("a second later: status %d, want 200 and the last snapshot", res.Status)
	}
	if got := env.site.cache.builds.Load() - builds; got != 2 {
		t.Errorf("%d rebuilds tried once a second had passed, want 2", got)
	}

	// A site that never had a snapshot has nothing to fall back on.
	fresh := New(Deps{BaseURL: testBaseURL, Now: env.clock.Now, Templates: env.svc.Templates, Components: env.components,
		Incidents: env.incidents, Settings: env.svc.InForce})
	if _, err := fresh.cache.get(t.Context()); err == nil {
		t.Error("a site with no snapshot and no database rendered one")
	}
}
