package api_test

import (
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
)

// TestGroupUptime checks component-groups/{id}/uptime: the members' outage
// time adds up, and the percentage weighs each member by its tracked time.
func TestGroupUptime(t *testing.T) {
	env := newTestEnv(t)
	var a, b struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "A"}}).JSON(t, &a)
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "B"}}).JSON(t, &b)
	var g struct{ ID string }
	env.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{"name": "G", "components": []string{a.ID, b.ID}}}).JSON(t, &g)

	// Midnight, then one hour of major outage on A and two of partial on B.
	env.clock.Set(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
	env.mustAPI(200, "PATCH", "/components/"+a.ID, map[string]any{"component": map[string]any{"status": "major_outage"}})
	env.mustAPI(200, "PATCH", "/components/"+b.ID, map[string]any{"component": map[string]any{"status": "partial_outage"}})
	env.clock.Advance(time.Hour)
	env.mustAPI(200, "PATCH", "/components/"+a.ID, map[string]any{"component": map[string]any{"status": "operational"}})
	env.clock.Advance(time.Hour)
	env.mustAPI(200, "PATCH", "/components/"+b.ID, map[string]any{"component": map[string]any{"status": "operational"}})
	env.clock.Set(time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))

	var got statuspage.Uptime
	env.mustAPI(200, "GET", "/component-groups/"+g.ID+"/uptime?start=2026-03-11&end=2026-03-11", nil).JSON(t, &got)
	if got.ID != g.ID || got.Name != "G" {
		t.Errorf("got id %q name %q, want the group's", got.ID, got.Name)
	}
	if got.MajorOutage != 3600 || got.PartialOutage != 7200 {
		t.Errorf("got major %d s, partial %d s; want 3600 and 7200", got.MajorOutage, got.PartialOutage)
	}
	// Two members tracked 24 h each; downtime 1 h + 0.3 × 2 h = 1.6 h.
	if want := 96.67; got.UptimePercentage != want {
		t.Errorf("got %v%%, want %v%%", got.UptimePercentage, want)
	}
	// Each route takes only its own kind.
	for _, path := range []string{"/components/" + g.ID + "/uptime", "/component-groups/" + a.ID + "/uptime"} {
		if res := env.api("GET", path, nil); res.Status != 404 {
			t.Errorf("GET %s: status %d, want 404", path, res.Status)
		}
	}
}

// TestUptimeMidnightSwitch: in a zone where daylight time begins at
// midnight (America/Santiago: 2026-09-06 begins at 01:00), start and end
// name the days asked for, not the days before them.
func TestUptimeMidnightSwitch(t *testing.T) {
	env := newTestEnv(t)
	env.mustAPI(200, "PATCH", "", map[string]any{"page": map[string]any{"time_zone": "America/Santiago"}})
	id := apitest.String(t, env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}), "id")
	got := apitest.Object(t, env.mustAPI(200, "GET", "/components/"+id+"/uptime?start=2026-09-06&end=2026-09-07", nil))
	if got["range_start"] != "2026-09-06" || got["range_end"] != "2026-09-07" {
		t.Errorf("uptime of 2026-09-06..07 in Santiago answered the range %v..%v", got["range_start"], got["range_end"])
	}
}
