package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
)

// TestConsoleIDsNoRowHolds: a template or group id holding NUL names
// nothing, and is answered on both engines as any unknown id is
// (PostgreSQL refuses NUL as a query's argument, where SQLite finds no
// row): never a server error.
func TestConsoleIDsNoRowHolds(t *testing.T) {
	e := newTestEnv(t)
	f := newConsoleFixture(t, e)
	admin := e.newStaff(accounts.Admin)
	if res := admin.Get("/console/incidents/new?template=%00"); res.Status != http.StatusNotFound {
		t.Errorf("new incident from template NUL: status %d, want 404", res.Status)
	}
	for _, tc := range []struct {
		path   string
		form   url.Values
		status int
	}{
		{"/console/incidents", url.Values{"name": {"Outage"}, "body": {"x"}, "status": {"investigating"}, "template_id": {"\x00"}}, http.StatusUnprocessableEntity},
		{"/console/templates", url.Values{"id": {"\x00"}, "name": {"T"}, "title": {"T"}, "body": {"x"}}, http.StatusNotFound},
		{"/console/components", url.Values{"kind": {"component"}, "name": {"Search"}, "group_id": {"\x00"}}, http.StatusUnprocessableEntity},
		{"/console/components/" + f.web, url.Values{"name": {"Website"}, "group_id": {"\x00"}}, http.StatusUnprocessableEntity},
		{"/console/metrics", url.Values{"metrics_provider_id": {"\x00"}, "name": {"Latency"}, "decimal_places": {"1"}, "transform": {"average"}}, http.StatusNotFound},
	} {
		if res := admin.Post(tc.path, tc.form); res.Status != tc.status {
			t.Errorf("POST %s with a NUL id: status %d, want %d", tc.path, res.Status, tc.status)
		}
	}
}
