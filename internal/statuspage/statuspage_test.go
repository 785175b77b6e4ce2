package statuspage_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

var (
	at   = time.Date(2026, 3, 10, 12, 0, 0, 123456789, time.UTC)
	page = components.Page{ID: "pg1", Name: "Acme", URL: "https://acme.example", TimeZone: "Europe/Paris"}
	api  = components.Component{ID: "c1", Name: "API", Status: components.MajorOutage, CreatedAt: at, UpdatedAt: at}
	grp  = components.Component{ID: "g1", Name: "Core", Group: true, Members: []string{"c1"}, CreatedAt: at, UpdatedAt: at}
)

func renderer() *statuspage.Renderer {
	return statuspage.NewRenderer(page, "https://status.acme.example", []components.Component{api, grp})
}

// keys returns the keys of a JSON object in the order they are written.
func keys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestTimeInThePageZoneWithMilliseconds(t *testing.T) {
	if got, want := renderer().Time(at), "2026-03-10T13:00:00.123+01:00"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := renderer().OptTime(nil); got != nil {
		t.Errorf("OptTime(nil) = %q, want nil", *got)
	}
}

// TestIncidentShape: Statuspage's fields in Statuspage's order, nulls where
// nothing is set, the shortlink on the base URL, and only components the
// page has.
func TestIncidentShape(t *testing.T) {
	in := incidents.Incident{ID: "i1", Name: "Down", Status: incidents.Investigating, Impact: components.ImpactMajor,
		CreatedAt: at, UpdatedAt: at, StartedAt: at, ComponentIDs: []string{"c1", "gone"},
		Updates: []incidents.Update{{ID: "u1", IncidentID: "i1", Status: incidents.Investigating, Body: "Looking", DisplayAt: at, CreatedAt: at, UpdatedAt: at}}}
	got := renderer().Incident(in)
	want := []string{"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink",
		"started_at", "page_id", "incident_updates", "components"}
	if k := keys(t, got); !slices.Equal(k, want) {
		t.Errorf("keys %v, want %v", k, want)
	}
	if got.Shortlink != "https://status.acme.example/incidents/i1" || got.PageID != "pg1" || got.MonitoringAt != nil {
		t.Errorf("shortlink %q, page_id %q, monitoring_at %v", got.Shortlink, got.PageID, got.MonitoringAt)
	}
	if len(got.Components) != 1 || got.Components[0].ID != "c1" {
		t.Errorf("components %+v, want only c1 (gone is not on the page)", got.Components)
	}
	if u := got.IncidentUpdates[0]; u.AffectedComponents != nil {
		t.Errorf("an update that changed nothing has affected_components %v, want null", *u.AffectedComponents)
	}
	managed := renderer().ManagedIncident(in)
	if string(managed.Metadata) != "{}" {
		t.Errorf("metadata %s, want {} when none was attached", managed.Metadata)
	}
}

func TestComponentAndGroup(t *testing.T) {
	r := renderer()
	if k := keys(t, r.Component(api)); slices.Contains(k, "components") {
		t.Errorf("a component has a components key: %v", k)
	}
	g := r.Component(grp)
	if g.Components == nil || !slices.Equal(*g.Components, []string{"c1"}) || !g.Group {
		t.Errorf("group: %+v", g)
	}
	if c := r.Component(api); c.Description != nil || c.GroupID != nil || c.Status != "major_outage" {
		t.Errorf("component: %+v", c)
	}
}

// TestFollowNamesNoComponents: an incident subscriber hears of one incident,
// so it names no components, and it dates from its follow.
func TestFollowNamesNoComponents(t *testing.T) {
	later := at.Add(time.Hour)
	f := subscribers.Follow{IncidentID: "i1", CreatedAt: later, Subscriber: subscribers.Subscriber{ID: "s1", Mode: notifier.Email,
		Address: "a@example.com", State: subscribers.Active, ComponentIDs: []string{"c1"}, CreatedAt: at}}
	got := renderer().Follow(f)
	if got.Components == nil || len(got.Components) != 0 || got.CreatedAt != renderer().Time(later) || *got.Email != "a@example.com" {
		t.Errorf("follow: %+v", got)
	}
}
