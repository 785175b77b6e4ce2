package public

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/testutil"
)

// Public API v2 tests: Statuspage's exact shapes, CORS, HEAD, caching
// validators, compression and time zones.

// v2Endpoint is one public endpoint with its exact top-level keys and the
// keys that hold lists.
type v2Endpoint struct {
	path  string
	keys  []string
	lists []string
}

var v2Endpoints = []v2Endpoint{
	{"summary.json", []string{"page", "components", "incidents", "scheduled_maintenances", "status"}, []string{"components", "incidents", "scheduled_maintenances"}},
	{"status.json", []string{"page", "status"}, nil},
	{"components.json", []string{"page", "components"}, []string{"components"}},
	{"incidents.json", []string{"page", "incidents"}, []string{"incidents"}},
	{"incidents/unresolved.json", []string{"page", "incidents"}, []string{"incidents"}},
	{"scheduled-maintenances.json", []string{"page", "scheduled_maintenances"}, []string{"scheduled_maintenances"}},
	{"scheduled-maintenances/upcoming.json", []string{"page", "scheduled_maintenances"}, []string{"scheduled_maintenances"}},
	{"scheduled-maintenances/active.json", []string{"page", "scheduled_maintenances"}, []string{"scheduled_maintenances"}},
}

// The exact key sets of Statuspage's v2 objects.
var (
	v2PageKeys      = []string{"id", "name", "url", "time_zone", "updated_at"}
	v2ComponentKeys = []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
		"start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
	v2IncidentKeys = []string{"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
		"shortlink", "started_at", "page_id", "incident_updates", "components"}
	v2UpdateKeys = []string{"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
		"affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
	v2MaintenanceKeys = append(slices.Clone(v2IncidentKeys), "scheduled_for", "scheduled_until")
)

// v2Names returns the name of each object.
func v2Names(list []map[string]any) []string {
	out := []string{}
	for _, o := range list {
		out = append(out, o["name"].(string))
	}
	return out
}

// v2WantKeys checks that obj has exactly keys.
func v2WantKeys(t testing.TB, what string, obj map[string]any, keys []string) {
	t.Helper()
	if got, want := sortedKeys(obj), sorted(keys...); !slices.Equal(got, want) {
		t.Errorf("%s keys %v, want %v", what, got, want)
	}
}

// v2WantTime checks that v is an RFC 3339 timestamp.
func v2WantTime(t testing.TB, what string, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Errorf("%s = %v, want an RFC 3339 string", what, v)
		return time.Time{}
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Errorf("%s = %q: %v", what, s, err)
	}
	return ts
}

func TestAPIV2EmptyPage(t *testing.T) {
	for _, ep := range v2Endpoints {
		for _, origin := range []string{"", "https://widgets.example.com"} {
			name := ep.path
			if origin != "" {
				name += " with Origin"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				env := newDefaultEnv(t)
				var headers []string
				if origin != "" {
					headers = []string{"Origin", origin}
				}
				res := env.do("GET", "/api/v2/"+ep.path, "", headers...)
				if res.Status != 200 {
					t.Fatalf("status %d, want 200; body %s", res.Status, res.Body)
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
				if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("Access-Control-Allow-Origin %q, want *", got)
				}
				var top map[string]json.RawMessage
				res.JSON(t, &top)
				keys := make([]string, 0, len(top))
				for k := range top {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if want := sorted(ep.keys...); !slices.Equal(keys, want) {
					t.Errorf("top-level keys %v, want %v", keys, want)
				}
				for _, l := range ep.lists {
					if got := string(top[l]); got != "[]" {
						t.Errorf("%s = %s, want []", l, got)
					}
				}
				var page map[string]any
				if err := json.Unmarshal(top["page"], &page); err != nil {
					t.Fatal(err)
				}
				v2WantKeys(t, "page", page, v2PageKeys)
				if page["id"] != env.pageID || page["time_zone"] != "Etc/UTC" {
					t.Errorf("page id=%v time_zone=%v, want %s, Etc/UTC", page["id"], page["time_zone"], env.pageID)
				}
				v2WantTime(t, "page.updated_at", page["updated_at"])
				if s, ok := top["status"]; ok && string(s) != `{"indicator":"none","description":"All Systems Operational"}` {
					t.Errorf("status %s, want none / All Systems Operational", s)
				}
			})
		}
	}
}

func TestAPIV2Head(t *testing.T) {
	env := newDefaultEnv(t)
	v2Seed(t, env)
	for _, ep := range v2Endpoints {
		t.Run(ep.path, func(t *testing.T) {
			res := env.do("HEAD", "/api/v2/"+ep.path, "")
			if res.Status < 200 || res.Status > 299 {
				t.Fatalf("HEAD status %d, want 2xx", res.Status)
			}
			if len(res.Body) != 0 {
				t.Errorf("HEAD body has %d bytes, want none", len(res.Body))
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if res.Header.Get("ETag") == "" {
				t.Errorf("HEAD without ETag")
			}
		})
	}
}

func TestAPIV2Preflight(t *testing.T) {
	env := newDefaultEnv(t)
	for _, ep := range v2Endpoints {
		t.Run(ep.path, func(t *testing.T) {
			res := env.do("OPTIONS", "/api/v2/"+ep.path, "",
				"Origin", "https://widgets.example.com", "Access-Control-Request-Method", "GET")
			if res.Status != 204 && res.Status != 200 {
				t.Fatalf("preflight status %d, want 204 or 200; body %s", res.Status, res.Body)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			methods := res.Header.Get("Access-Control-Allow-Methods")
			for _, m := range []string{"GET", "HEAD"} {
				if !strings.Contains(methods, m) {
					t.Errorf("Access-Control-Allow-Methods %q lacks %s", methods, m)
				}
			}
		})
	}
}

func TestAPIV2ComponentsShape(t *testing.T) {
	env := newDefaultEnv(t)
	solo := env.component(components.Input{Name: ptr("API"), Description: ptr("REST and GraphQL"), StartDate: ptr("2025-11-02"),
		Status: ptr(components.DegradedPerformance)})
	web := env.component(components.Input{Name: ptr("Web")})
	cdn := env.component(components.Input{Name: ptr("CDN"), Status: ptr(components.PartialOutage)})
	group := env.group(components.GroupInput{Name: ptr("Edge"), Members: &[]string{web, cdn}})

	res := env.do("GET", "/api/v2/components.json", "")
	// A strict decoder, as some clients use, must accept the body.
	var strict struct {
		Page struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			URL       string `json:"url"`
			TimeZone  string `json:"time_zone"`
			UpdatedAt string `json:"updated_at"`
		} `json:"page"`
		Components []struct {
			ID                 string    `json:"id"`
			Name               string    `json:"name"`
			Status             string    `json:"status"`
			CreatedAt          string    `json:"created_at"`
			UpdatedAt          string    `json:"updated_at"`
			Position           int       `json:"position"`
			Description        *string   `json:"description"`
			Showcase           bool      `json:"showcase"`
			StartDate          *string   `json:"start_date"`
			GroupID            *string   `json:"group_id"`
			PageID             string    `json:"page_id"`
			Group              bool      `json:"group"`
			OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
			Components         *[]string `json:"components"`
		} `json:"components"`
	}
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&strict); err != nil {
		t.Fatalf("strict decode: %v; body %s", err, res.Body)
	}

	var body map[string]any
	res.JSON(t, &body)
	comps := testutil.Objects(t, body, "components")
	if len(comps) != 4 {
		t.Fatalf("%d components, want 4", len(comps))
	}
	byID := map[string]map[string]any{}
	for _, c := range comps {
		byID[c["id"].(string)] = c
	}
	dateOnly := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, c := range comps {
		id := c["id"].(string)
		t.Run(c["name"].(string), func(t *testing.T) {
			keys := v2ComponentKeys
			if c["group"] == true {
				keys = append(slices.Clone(v2ComponentKeys), "components")
			}
			v2WantKeys(t, "component", c, keys)
			created := v2WantTime(t, "created_at", c["created_at"])
			v2WantTime(t, "updated_at", c["updated_at"])
			if !created.Equal(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)) {
				t.Errorf("created_at %v, want the clock's time", created)
			}
			if c["page_id"] != env.pageID {
				t.Errorf("page_id %v, want %s", c["page_id"], env.pageID)
			}
			if sd, ok := c["start_date"].(string); ok && !dateOnly.MatchString(sd) {
				t.Errorf("start_date %q, want YYYY-MM-DD", sd)
			}
			switch id {
			case solo:
				for k, want := range map[string]any{"description": "REST and GraphQL", "start_date": "2025-11-02", "group_id": nil,
					"group": false, "status": "degraded_performance", "showcase": true, "only_show_if_degraded": false} {
					if c[k] != want {
						t.Errorf("%s = %v, want %v", k, c[k], want)
					}
				}
			case web, cdn:
				if c["group_id"] != group {
					t.Errorf("group_id %v, want %s", c["group_id"], group)
				}
				if c["description"] != nil || c["start_date"] != nil {
					t.Errorf("description=%v start_date=%v, want null, null", c["description"], c["start_date"])
				}
			case group:
				if c["group"] != true || c["group_id"] != nil {
					t.Errorf("group=%v group_id=%v, want true, null", c["group"], c["group_id"])
				}
				members, _ := c["components"].([]any)
				var ids []string
				for _, m := range members {
					ids = append(ids, m.(string))
					if byID[m.(string)]["group_id"] != group {
						t.Errorf("member %v does not point back to the group", m)
					}
				}
				if !slices.Equal(ids, []string{web, cdn}) {
					t.Errorf("components %v, want [%s %s]", ids, web, cdn)
				}
				if c["status"] != "partial_outage" {
					t.Errorf("group status %v, want its worst member's, partial_outage", c["status"])
				}
			default:
				t.Errorf("unexpected component %s", id)
			}
		})
	}

	t.Run("summary components match", func(t *testing.T) {
		summary := env.v2("summary.json")
		a, _ := json.Marshal(summary["components"])
		b, _ := json.Marshal(body["components"])
		if !bytes.Equal(a, b) {
			t.Errorf("summary.components %s\nwant components.json's %s", a, b)
		}
	})
}

// v2Fixture is a page seeded through the services as the management API
// would: component A on its own, group G holding component B, an open
// incident I (update U) degrading A, a resolved incident R and a
// maintenance M tomorrow.
type v2Fixture struct {
	A, B, G, I, U, R, M string
}

func v2Seed(t *testing.T, env *testEnv) v2Fixture {
	t.Helper()
	var f v2Fixture
	f.A = env.component(components.Input{Name: ptr("API"), Description: ptr("The API")})
	f.B = env.component(components.Input{Name: ptr("Web")})
	f.G = env.group(components.GroupInput{Name: ptr("Frontend"), Members: &[]string{f.B}})
	in := env.incident(incidents.NewIncident{Name: "API errors", Body: "Looking",
		Components: map[string]components.Status{f.A: components.DegradedPerformance}})
	f.I, f.U = in.ID, in.Updates[0].ID
	f.R = env.incident(incidents.NewIncident{Name: "Old trouble", Status: incidents.Resolved}).ID
	now := env.clock.Now()
	f.M = env.incident(incidents.NewIncident{Name: "Database upgrade", ComponentIDs: []string{f.A},
		ScheduledFor: ptr(now.Add(24 * time.Hour)), ScheduledUntil: ptr(now.Add(26 * time.Hour))}).ID
	return f
}

// v2Page is a page with one of each kind of incident and maintenance, named
// for what they are.
func v2Page(t *testing.T, env *testEnv) {
	t.Helper()
	comp := env.component(components.Input{Name: ptr("API")})
	now := env.clock.Now()
	window := func(n incidents.NewIncident, from, to time.Duration) incidents.NewIncident {
		n.ScheduledFor, n.ScheduledUntil = ptr(now.Add(from).Truncate(time.Second)), ptr(now.Add(to).Truncate(time.Second))
		return n
	}
	create := func(n incidents.NewIncident) string {
		env.clock.Advance(time.Minute)
		return env.incident(n).ID
	}
	create(incidents.NewIncident{Name: "resolved incident", Status: incidents.Resolved})
	open := create(incidents.NewIncident{Name: "open incident", Components: map[string]components.Status{comp: components.PartialOutage}})
	env.change(open, incidents.Change{Status: ptr(incidents.Identified), Body: ptr("Found")})
	create(incidents.NewIncident{Name: "monitoring incident", Status: incidents.Monitoring})
	create(window(incidents.NewIncident{Name: "upcoming maintenance"}, 24*time.Hour, 26*time.Hour))
	create(window(incidents.NewIncident{Name: "active maintenance", Status: incidents.InProgress, ComponentIDs: []string{comp}}, -time.Hour, time.Hour))
	create(window(incidents.NewIncident{Name: "completed maintenance", Status: incidents.Completed}, -5*time.Hour, -4*time.Hour))
}

func TestAPIV2IncidentLists(t *testing.T) {
	env := newDefaultEnv(t)
	v2Page(t, env)
	tests := []struct {
		path, key string
		want      []string
	}{
		{"summary.json", "incidents", []string{"monitoring incident", "open incident"}},
		{"summary.json", "scheduled_maintenances", []string{"active maintenance", "upcoming maintenance"}},
		{"incidents.json", "incidents", []string{"monitoring incident", "open incident", "resolved incident"}},
		{"incidents/unresolved.json", "incidents", []string{"monitoring incident", "open incident"}},
		{"scheduled-maintenances.json", "scheduled_maintenances", []string{"completed maintenance", "active maintenance", "upcoming maintenance"}},
		{"scheduled-maintenances/upcoming.json", "scheduled_maintenances", []string{"upcoming maintenance"}},
		{"scheduled-maintenances/active.json", "scheduled_maintenances", []string{"active maintenance"}},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.key, func(t *testing.T) {
			body := env.v2(tc.path)
			list := testutil.Objects(t, body, tc.key)
			got := v2Names(list)
			if !slices.Equal(sorted(got...), sorted(tc.want...)) {
				t.Fatalf("names %v, want %v", got, tc.want)
			}
			for _, in := range list {
				keys := v2IncidentKeys
				if tc.key == "scheduled_maintenances" {
					keys = v2MaintenanceKeys
					from := v2WantTime(t, "scheduled_for", in["scheduled_for"])
					until := v2WantTime(t, "scheduled_until", in["scheduled_until"])
					if !until.After(from) {
						t.Errorf("%v: scheduled_until %v not after scheduled_for %v", in["name"], until, from)
					}
					if in["impact"] != "maintenance" {
						t.Errorf("%v: impact %v, want maintenance", in["name"], in["impact"])
					}
				}
				v2WantKeys(t, in["name"].(string), in, keys)
				for _, k := range []string{"created_at", "updated_at", "started_at"} {
					v2WantTime(t, k, in[k])
				}
				if _, ok := in["components"].([]any); !ok {
					t.Errorf("%v: components %v, want a list", in["name"], in["components"])
				}
				for _, u := range testutil.Objects(t, in, "incident_updates") {
					v2WantKeys(t, "incident update", u, v2UpdateKeys)
					v2WantTime(t, "display_at", u["display_at"])
					if u["incident_id"] != in["id"] {
						t.Errorf("update incident_id %v, want %v", u["incident_id"], in["id"])
					}
				}
			}
		})
	}
	t.Run("open incident detail", func(t *testing.T) {
		var open map[string]any
		for _, in := range testutil.Objects(t, env.v2("incidents/unresolved.json"), "incidents") {
			if in["name"] == "open incident" {
				open = in
			}
		}
		ups := testutil.Objects(t, open, "incident_updates")
		if len(ups) != 2 || ups[0]["status"] != "identified" || ups[1]["status"] != "investigating" {
			t.Fatalf("updates %v, want identified then investigating (newest first)", ups)
		}
		affected, _ := ups[1]["affected_components"].([]any)
		if len(affected) != 1 {
			t.Fatalf("first update affected_components %v, want one change", ups[1]["affected_components"])
		}
		ch := affected[0].(map[string]any)
		v2WantKeys(t, "affected component", ch, []string{"code", "name", "old_status", "new_status"})
		if ch["old_status"] != "operational" || ch["new_status"] != "partial_outage" || ch["name"] != "API" {
			t.Errorf("change %v, want API operational → partial_outage", ch)
		}
		if open["impact"] != "major" {
			t.Errorf("impact %v, want major (partial outage)", open["impact"])
		}
		comps := testutil.Objects(t, open, "components")
		if len(comps) != 1 || comps[0]["name"] != "API" {
			t.Errorf("components %v, want [API]", comps)
		}
		v2WantKeys(t, "incident component", comps[0], v2ComponentKeys)
	})
}

func TestAPIV2IncidentsKeepsFiftyNewest(t *testing.T) {
	env := newDefaultEnv(t)
	for i := range 55 {
		status := incidents.Resolved
		if i%5 == 0 {
			status = incidents.Investigating
		}
		env.incident(incidents.NewIncident{Name: "incident " + string(rune('A'+i/26)) + string(rune('a'+i%26)), Status: status})
		env.clock.Advance(time.Minute)
	}
	list := testutil.Objects(t, env.v2("incidents.json"), "incidents")
	if len(list) != 50 {
		t.Fatalf("%d incidents, want 50", len(list))
	}
	if got := list[0]["name"]; got != "incident Cc" {
		t.Errorf("first %v, want the newest, incident Cc", got)
	}
	if got := list[49]["name"]; got != "incident Af" {
		t.Errorf("last %v, want the 50th newest, incident Af", got)
	}
	var last time.Time
	for i, in := range list {
		created := v2WantTime(t, "created_at", in["created_at"])
		if i > 0 && created.After(last) {
			t.Errorf("incident %d is newer than the one before it", i)
		}
		last = created
	}
	if n := len(testutil.Objects(t, env.v2("incidents/unresolved.json"), "incidents")); n != 11 {
		t.Errorf("unresolved has %d incidents, want all 11", n)
	}
}

func TestAPIV2StatusIndicator(t *testing.T) {
	tests := []struct {
		name        string
		statuses    []components.Status // one component each
		emptyGroup  bool
		incident    *incidents.NewIncident // created when set
		indicator   string
		description string
	}{
		{name: "no components", indicator: "none", description: "All Systems Operational"},
		{name: "one operational", statuses: []components.Status{"operational"}, indicator: "none", description: "All Systems Operational"},
		{name: "one degraded", statuses: []components.Status{"degraded_performance"}, indicator: "minor", description: "Partially Degraded Service"},
		{name: "one partial outage", statuses: []components.Status{"partial_outage"}, indicator: "major", description: "Partial System Outage"},
		{name: "one major outage", statuses: []components.Status{"major_outage"}, indicator: "critical", description: "Major System Outage"},
		{name: "one under maintenance", statuses: []components.Status{"under_maintenance"}, indicator: "maintenance", description: "Service Under Maintenance"},
		{name: "all major outage", statuses: []components.Status{"major_outage", "major_outage"}, indicator: "critical", description: "Major System Outage"},
		{name: "some major outage", statuses: []components.Status{"major_outage", "operational"}, indicator: "major", description: "Partial System Outage"},
		{name: "all partial outage", statuses: []components.Status{"partial_outage", "partial_outage"}, indicator: "major", description: "Partial System Outage"},
		{name: "some partial outage", statuses: []components.Status{"partial_outage", "operational"}, indicator: "minor", description: "Minor Service Outage"},
		{name: "all degraded", statuses: []components.Status{"degraded_performance", "degraded_performance"}, indicator: "minor", description: "Degraded System Service"},
		{name: "some degraded", statuses: []components.Status{"degraded_performance", "operational"}, indicator: "minor", description: "Partially Degraded Service"},
		{name: "some maintenance", statuses: []components.Status{"under_maintenance", "operational"}, indicator: "maintenance", description: "Service Under Maintenance"},
		{name: "groups do not count", statuses: []components.Status{"major_outage"}, emptyGroup: true, indicator: "critical", description: "Major System Outage"},
		{
			name: "unresolved incident raises the indicator", statuses: []components.Status{"operational"},
			incident:  &incidents.NewIncident{Name: "Bad", ImpactOverride: components.ImpactCritical},
			indicator: "critical", description: "Major System Outage",
		},
		{
			name: "resolved incident does not", statuses: []components.Status{"operational"},
			incident:  &incidents.NewIncident{Name: "Old", Status: incidents.Resolved, ImpactOverride: components.ImpactCritical},
			indicator: "none", description: "All Systems Operational",
		},
		{
			name: "active maintenance", statuses: []components.Status{"operational"},
			incident: &incidents.NewIncident{Name: "Work", Status: incidents.InProgress,
				ScheduledFor: ptr(time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)), ScheduledUntil: ptr(time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC))},
			indicator: "maintenance", description: "Service Under Maintenance",
		},
		{
			name: "upcoming maintenance does not", statuses: []components.Status{"operational"},
			incident:  &incidents.NewIncident{Name: "Work", ScheduledFor: ptr(time.Date(2026, 3, 11, 11, 0, 0, 0, time.UTC)), ScheduledUntil: ptr(time.Date(2026, 3, 11, 13, 0, 0, 0, time.UTC))},
			indicator: "none", description: "All Systems Operational",
		},
		{
			name: "milder incident does not lower", statuses: []components.Status{"major_outage"},
			incident:  &incidents.NewIncident{Name: "Meh", ImpactOverride: components.ImpactMinor},
			indicator: "critical", description: "Major System Outage",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newDefaultEnv(t)
			for i, st := range tc.statuses {
				env.component(components.Input{Name: ptr("c" + string(rune('0'+i))), Status: ptr(st)})
			}
			if tc.emptyGroup {
				env.group(components.GroupInput{Name: ptr("Empty")})
			}
			if tc.incident != nil {
				env.incident(*tc.incident)
			}
			for _, path := range []string{"status.json", "summary.json"} {
				status, _ := env.v2(path)["status"].(map[string]any)
				if status["indicator"] != tc.indicator || status["description"] != tc.description {
					t.Errorf("%s status %v, want %s / %s", path, status, tc.indicator, tc.description)
				}
			}
		})
	}
}

func TestAPIV2SeesManagementChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, env *testEnv, f v2Fixture)
		path   string
		check  func(t *testing.T, body map[string]any, f v2Fixture)
		// deletes is set for deletions, which leave no row to carry a
		// newer updated_at: page.updated_at is not checked for them.
		deletes bool
	}{
		{
			name: "component status",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				if _, err := env.components.Update(context.Background(), f.B, components.Input{Status: ptr(components.MajorOutage)}); err != nil {
					t.Fatal(err)
				}
			},
			path: "components.json",
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				for _, c := range testutil.Objects(t, body, "components") {
					if (c["id"] == f.B || c["id"] == f.G) && c["status"] != "major_outage" {
						t.Errorf("%v status %v, want major_outage", c["name"], c["status"])
					}
				}
			},
		},
		{
			name: "page name",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				env.savePage(components.PageInput{Name: ptr("Renamed")})
			},
			path: "status.json",
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				if name := body["page"].(map[string]any)["name"]; name != "Renamed" {
					t.Errorf("page name %v, want Renamed", name)
				}
			},
		},
		{
			name: "incident resolved",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				env.change(f.I, incidents.Change{Status: ptr(incidents.Resolved)})
			},
			path: "summary.json",
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				if n := len(testutil.Objects(t, body, "incidents")); n != 0 {
					t.Errorf("%d unresolved incidents, want 0", n)
				}
				if st := body["status"].(map[string]any)["indicator"]; st != "none" {
					t.Errorf("indicator %v, want none", st)
				}
			},
		},
		{
			name: "component deleted",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				if err := env.components.Delete(context.Background(), f.A); err != nil {
					t.Fatal(err)
				}
			},
			path:    "components.json",
			deletes: true,
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				for _, c := range testutil.Objects(t, body, "components") {
					if c["id"] == f.A {
						t.Errorf("deleted component still listed")
					}
				}
			},
		},
		{
			name: "group renamed",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				if _, err := env.components.UpdateGroup(context.Background(), f.G, components.GroupInput{Name: ptr("Edge")}); err != nil {
					t.Fatal(err)
				}
			},
			path: "components.json",
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				if !slices.Contains(v2Names(testutil.Objects(t, body, "components")), "Edge") {
					t.Errorf("renamed group not listed as Edge")
				}
			},
		},
		{
			name: "update edited",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				if _, err := env.incidents.EditUpdate(context.Background(), f.I, f.U, incidents.UpdateEdit{Body: ptr("Edited")}); err != nil {
					t.Fatal(err)
				}
			},
			path: "incidents/unresolved.json",
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				ups := testutil.Objects(t, testutil.Objects(t, body, "incidents")[0], "incident_updates")
				if ups[0]["body"] != "Edited" {
					t.Errorf("update body %v, want Edited", ups[0]["body"])
				}
			},
		},
		{
			name: "scheduler starts a maintenance",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				env.clock.Advance(24 * time.Hour)
				if n, err := env.incidents.RunDue(context.Background()); err != nil || n == 0 {
					t.Fatalf("RunDue = %d, %v; want a transition", n, err)
				}
			},
			path: "scheduled-maintenances/active.json",
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				list := testutil.Objects(t, body, "scheduled_maintenances")
				if len(list) != 1 || list[0]["id"] != f.M || list[0]["status"] != "in_progress" {
					t.Errorf("active maintenances %v, want %s in progress", v2Names(list), f.M)
				}
			},
		},
		{
			name: "maintenance deleted",
			change: func(t *testing.T, env *testEnv, f v2Fixture) {
				if _, err := env.incidents.Delete(context.Background(), f.M); err != nil {
					t.Fatal(err)
				}
			},
			path:    "scheduled-maintenances/upcoming.json",
			deletes: true,
			check: func(t *testing.T, body map[string]any, f v2Fixture) {
				if n := len(testutil.Objects(t, body, "scheduled_maintenances")); n != 0 {
					t.Errorf("%d upcoming maintenances, want 0", n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newDefaultEnv(t)
			f := v2Seed(t, env)
			before := env.do("GET", "/api/v2/"+tc.path, "") // the cache is warm
			env.clock.Advance(time.Minute)
			tc.change(t, env, f)
			after := env.do("GET", "/api/v2/"+tc.path, "")
			if bytes.Equal(before.Body, after.Body) {
				t.Fatalf("body unchanged after the change")
			}
			if before.Header.Get("ETag") == after.Header.Get("ETag") {
				t.Errorf("ETag %s unchanged after the change", after.Header.Get("ETag"))
			}
			var body map[string]any
			after.JSON(t, &body)
			tc.check(t, body, f)
			updated := v2WantTime(t, "page.updated_at", body["page"].(map[string]any)["updated_at"])
			if !tc.deletes && !updated.Equal(env.clock.Now()) {
				t.Errorf("page.updated_at %v, want the time of the change %v", updated, env.clock.Now())
			}
		})
	}
}

func TestAPIV2ETag(t *testing.T) {
	env := newDefaultEnv(t)
	v2Seed(t, env)
	for _, ep := range v2Endpoints {
		t.Run(ep.path, func(t *testing.T) {
			first := env.do("GET", "/api/v2/"+ep.path, "")
			etag := first.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			tests := []struct {
				name, inm string
				want      int
			}{
				{"same tag", etag, 304},
				{"weak form", "W/" + etag, 304},
				{"in a list", `"other", ` + etag, 304},
				{"star", "*", 304},
				{"other tag", `"not-it"`, 200},
			}
			for _, tc := range tests {
				res := env.do("GET", "/api/v2/"+ep.path, "", "If-None-Match", tc.inm)
				if res.Status != tc.want {
					t.Errorf("%s: status %d, want %d", tc.name, res.Status, tc.want)
				}
				if tc.want == 304 && len(res.Body) != 0 {
					t.Errorf("%s: 304 with a %d-byte body", tc.name, len(res.Body))
				}
				if got := res.Header.Get("ETag"); got != etag {
					t.Errorf("%s: ETag %q, want %q", tc.name, got, etag)
				}
				if tc.want == 200 && !bytes.Equal(res.Body, first.Body) {
					t.Errorf("%s: body differs from the first answer", tc.name)
				}
			}
		})
	}
}

func TestAPIV2Gzip(t *testing.T) {
	env := newDefaultEnv(t)
	v2Seed(t, env)
	for _, ep := range v2Endpoints {
		t.Run(ep.path, func(t *testing.T) {
			plain := env.do("GET", "/api/v2/"+ep.path, "")
			if enc := plain.Header.Get("Content-Encoding"); enc != "" {
				t.Errorf("Content-Encoding %q without Accept-Encoding", enc)
			}
			zipped := env.do("GET", "/api/v2/"+ep.path, "", "Accept-Encoding", "gzip, deflate, br")
			if enc := zipped.Header.Get("Content-Encoding"); enc != "gzip" {
				t.Fatalf("Content-Encoding %q, want gzip", enc)
			}
			if vary := zipped.Header.Get("Vary"); !strings.Contains(vary, "Accept-Encoding") {
				t.Errorf("Vary %q lacks Accept-Encoding", vary)
			}
			if ct := zipped.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
			if err != nil {
				t.Fatal(err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(unzipped, plain.Body) {
				t.Errorf("decompressed body differs from the plain one:\n%s\n%s", unzipped, plain.Body)
			}
			if zipped.Header.Get("ETag") != plain.Header.Get("ETag") {
				t.Errorf("ETag differs between encodings")
			}
		})
	}
}

func TestAPIV2TimeZone(t *testing.T) {
	tests := []struct {
		zone, suffix string
	}{
		{"Etc/UTC", "Z"},
		{"Asia/Kolkata", "+05:30"},
		{"America/Los_Angeles", "-07:00"}, // daylight saving began on 8 March 2026
		{"Europe/Paris", "+01:00"},
	}
	for _, tc := range tests {
		t.Run(tc.zone, func(t *testing.T) {
			t.Parallel()
			env := newDefaultEnv(t)
			env.savePage(components.PageInput{TimeZone: ptr(tc.zone)})
			v2Seed(t, env)
			summary := env.v2("summary.json")
			page := summary["page"].(map[string]any)
			if page["time_zone"] != tc.zone {
				t.Errorf("time_zone %v, want %s", page["time_zone"], tc.zone)
			}
			check := func(what string, v any) {
				t.Helper()
				s, _ := v.(string)
				if !strings.HasSuffix(s, tc.suffix) {
					t.Errorf("%s %q, want offset %s", what, s, tc.suffix)
				}
				if ts := v2WantTime(t, what, v); !ts.Equal(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)) {
					t.Errorf("%s %v, want the instant 2026-03-10 12:00 UTC", what, ts)
				}
			}
			check("page.updated_at", page["updated_at"])
			for _, c := range testutil.Objects(t, summary, "components") {
				check("component created_at", c["created_at"])
			}
			for _, in := range testutil.Objects(t, summary, "incidents") {
				check("incident created_at", in["created_at"])
				for _, u := range testutil.Objects(t, in, "incident_updates") {
					check("update display_at", u["display_at"])
				}
			}
			for _, m := range testutil.Objects(t, summary, "scheduled_maintenances") {
				s, _ := m["scheduled_for"].(string)
				if !strings.HasSuffix(s, tc.suffix) {
					t.Errorf("scheduled_for %q, want offset %s", s, tc.suffix)
				}
			}
		})
	}
}
