package main

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
)

// The management API v1 conformance test: every v1 operation Beacon serves
// (read from the app's own route table, so a new route cannot be missed) is
// called with a valid request on a real app and SQLite file, with and
// without a .json suffix, and its status code and the field names of its
// answer are checked against Statuspage's (reference/statuspage.md §1(f)–(g))
// and the v1 object shapes Beacon uses.

// v1Shape is the JSON object a v1 operation answers: exactly Keys, plus any
// of Optional, with the objects (or lists of objects) under Nested keys of
// their own shapes.
type v1Shape struct {
	Name     string
	Keys     []string
	Optional []string
	Nested   map[string]*v1Shape
}

// The v1 objects. Where Statuspage's object has fields Beacon does not keep,
// they are named in a comment: the check is exact on what Beacon answers.
var (
	v1AffectedShape = &v1Shape{Name: "affected component", Keys: []string{"code", "name", "old_status", "new_status"}}

	// v1ComponentShape is the component of reference §1(a), which the v1
	// API shares; groups in the list carry their members' ids.
	v1ComponentShape = &v1Shape{Name: "component",
		Keys: []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
			"start_date", "group_id", "page_id", "group", "only_show_if_degraded"},
		Optional: []string{"components"}}

	// v1ManagedComponentShape is the component the /components endpoints
	// answer: Statuspage's and Beacon's own sla_target (null when unset).
	// The components inside incidents and templates keep Statuspage's.
	v1ManagedComponentShape = &v1Shape{Name: "component", Keys: append(slices.Clone(v1ComponentShape.Keys), "sla_target"),
		Optional: v1ComponentShape.Optional}

	v1GroupShape = &v1Shape{Name: "component group",
		Keys: []string{"id", "page_id", "name", "description", "components", "position", "created_at", "updated_at"}}

	v1UpdateShape = &v1Shape{Name: "incident update",
		Keys: []string{"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
			"affected_components", "deliver_notifications", "custom_tweet", "tweet_id"},
		Nested: map[string]*v1Shape{"affected_components": v1AffectedShape}}

	// v1IncidentShape is the v2 incident plus the fields the management
	// API still returns (§1(a)), the create body's automation flags and
	// metadata (§1(f)).
	v1IncidentShape = &v1Shape{Name: "incident",
		Keys: []string{
			// v2 (§1(a))
			"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
			"shortlink", "started_at", "page_id", "incident_updates", "components",
			// management only (§1(a))
			"postmortem_body", "postmortem_ignored", "postmortem_published_at", "postmortem_notified_subscribers",
			"postmortem_notified_twitter", "backfilled", "scheduled_for", "scheduled_until", "scheduled_remind_prior",
			"scheduled_reminded_at", "impact_override", "scheduled_auto_in_progress", "scheduled_auto_completed",
			// the create body's fields (§1(f))
			"auto_transition_to_maintenance_state", "auto_transition_to_operational_state",
			"auto_transition_deliver_notifications_at_start", "auto_transition_deliver_notifications_at_end",
			"metadata",
		},
		Nested: map[string]*v1Shape{"incident_updates": v1UpdateShape, "components": v1ComponentShape}}

	// v1TemplateShape: §1(f)'s template fields plus id and times.
	v1TemplateShape = &v1Shape{Name: "incident template",
		Keys: []string{"id", "name", "title", "body", "group_id", "update_status", "should_tweet",
			"should_send_notifications", "components", "created_at", "updated_at"},
		Nested: map[string]*v1Shape{"components": v1ComponentShape}}

	// v1SubscriberShape is Beacon's subscriber: Statuspage's (§1(c)) with
	// Beacon's state, without the Slack and audience-specific fields
	// obfuscated_channel_name, workspace_name and page_access_user_id
	// (Beacon has neither Slack subscribers nor private pages). A webhook
	// subscriber's creation also shows its signing secret, once; language
	// (null for the page's) is Beacon's own.
	v1SubscriberShape = &v1Shape{Name: "subscriber",
		Keys: []string{"id", "mode", "email", "endpoint", "phone_number", "phone_country", "display_phone_number",
			"state", "quarantined_at", "purge_at", "components", "created_at", "skip_confirmation_notification", "language"},
		Optional: []string{"signing_secret"}}

	// v1PageShape is the subset of Statuspage's page (§1(f)) Beacon keeps,
	// plus its logo_url and accent_color. Not kept: page_description,
	// headline, branding, subdomain, domain, hidden_from_search, the allow_*
	// flags, notifications_from_email, activity_score, twitter_username,
	// viewers_must_be_team_members, ip_restrictions, city, state, country,
	// the css_* colours and the logos.
	v1PageShape = &v1Shape{Name: "page",
		Keys: []string{"id", "created_at", "updated_at", "name", "url", "time_zone", "support_url", "logo_url", "accent_color",
			"notifications_email_footer"}}

	v1PostmortemShape = &v1Shape{Name: "postmortem", Keys: v1PostmortemKeys}

	v1UptimeShape = &v1Shape{Name: "uptime",
		Keys: []string{"range_start", "range_end", "uptime_percentage", "major_outage", "partial_outage",
			"warnings", "id", "name", "related_events"},
		Nested: map[string]*v1Shape{"related_events": {Name: "related event", Keys: []string{"id", "name"}}}}

	// v1NotificationsShape is Beacon's own delivery report of an incident
	// (no Statuspage counterpart).
	v1NotificationsShape = &v1Shape{Name: "notification stats",
		Keys:     []string{"event_id", "kind", "fanned_out", "channels", "recent_failures"},
		Optional: []string{"update_id"}}

	// v1ImportShape is Beacon's own CSV import answer.
	v1ImportShape = &v1Shape{Name: "import", Keys: []string{"created", "existing"}}

	// v1CountShape and v1HistogramShape: §1(g), per subscriber type, and
	// Beacon's other chat channels beside them.
	v1CountShape     = &v1Shape{Name: "subscriber count", Keys: v1SubscriberTypes, Optional: v1ChatTypes}
	v1HistogramShape = &v1Shape{Name: "subscriber histogram", Keys: v1SubscriberTypes, Optional: v1ChatTypes, Nested: perType(
		// Beacon also counts those who left.
		&v1Shape{Name: "histogram entry", Keys: []string{"active", "unconfirmed", "quarantined", "total"}, Optional: []string{"unsubscribed"}})}

	// v1IntegrationShape is Beacon's alert integration (no Statuspage
	// counterpart); its token and the URL holding it are shown when made.
	v1IntegrationShape = &v1Shape{Name: "integration",
		Keys: []string{"id", "name", "kind", "token_prefix", "alerts_url", "component_label", "components", "severity_label",
			"severities", "default_status", "incident_mode", "template_id", "auto_resolve", "flap_window", "created_at",
			"updated_at", "last_alert_at"},
		Optional: []string{"token", "url"}}

	// v1AlertShape is one alert an integration received, with what Beacon
	// did with it; v1AlertsShape the answer to posting alerts.
	v1AlertShape  = &v1Shape{Name: "received alert", Keys: []string{"received_at", "status", "name", "component", "outcome", "incident_id"}}
	v1AlertsShape = &v1Shape{Name: "alerts received", Keys: []string{"integration_id", "alerts"},
		Nested: map[string]*v1Shape{"alerts": v1AlertShape}}

	// v1ProviderShape and v1MetricShape are §1(g)'s MetricsProvider and
	// Metric, exactly; v1PointShape the data point of §1(g), answered
	// under "data" when one is added.
	v1ProviderShape = &v1Shape{Name: "metrics provider",
		Keys: []string{"id", "type", "disabled", "metric_base_uri", "last_revalidated_at", "created_at", "updated_at", "page_id"}}
	v1MetricShape = &v1Shape{Name: "metric",
		Keys: []string{"id", "metrics_provider_id", "metric_identifier", "name", "display", "tooltip_description", "backfilled",
			"y_axis_min", "y_axis_max", "y_axis_hidden", "suffix", "decimal_places", "most_recent_data_at", "created_at",
			"updated_at", "last_fetched_at", "backfill_percentage", "reference_name"}}
	v1PointShape     = &v1Shape{Name: "metric data point", Keys: []string{"timestamp", "value"}}
	v1PointDataShape = &v1Shape{Name: "metric data", Keys: []string{"data"}, Nested: map[string]*v1Shape{"data": v1PointShape}}

	v1EmbedConfigShape = &v1Shape{Name: "status embed config",
		Keys: []string{"page_id", "position", "incident_background_color", "incident_text_color",
			"maintenance_background_color", "maintenance_text_color"}}
)

// v1PostmortemKeys are the fields of Statuspage's postmortem object (§1(g)).
var v1PostmortemKeys = apitest.PostmortemKeys

// v1SubscriberTypes are the subscriber types Statuspage counts (§1(g)).
var v1SubscriberTypes = []string{"email", "sms", "webhook", "integration_partner", "slack", "teams"}

// v1ChatTypes are Beacon's chat channels that Statuspage has no key for,
// counted under their own.
var v1ChatTypes = []string{"discord", "mattermost", "google_chat"}

// perType maps every subscriber type to s.
func perType(s *v1Shape) map[string]*v1Shape {
	out := map[string]*v1Shape{}
	for _, typ := range slices.Concat(v1SubscriberTypes, v1ChatTypes) {
		out[typ] = s
	}
	return out
}

// checkV1Shape reports every missing and unexpected key of v (a JSON
// object, or with list a JSON array of them) and of its nested objects.
func checkV1Shape(t *testing.T, where string, v any, s *v1Shape, list bool) {
	t.Helper()
	if list {
		items, ok := v.([]any)
		if !ok {
			t.Errorf("%s: got %T, want a list of %s", where, v, s.Name)
			return
		}
		for i, item := range items {
			checkV1Shape(t, where+"["+strconv.Itoa(i)+"]", item, s, false)
		}
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: got %T, want a %s object", where, v, s.Name)
		return
	}
	var missing, extra []string
	for _, k := range s.Keys {
		if _, ok := m[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range m {
		if !slices.Contains(s.Keys, k) && !slices.Contains(s.Optional, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s: %s keys missing %v, unexpected %v", where, s.Name, missing, extra)
	}
	for k, ns := range s.Nested {
		switch nv := m[k].(type) {
		case nil:
		case []any:
			checkV1Shape(t, where+"."+k, nv, ns, true)
		default:
			checkV1Shape(t, where+"."+k, nv, ns, false)
		}
	}
}

// v1Fixture is apiSeed's page plus a subscriber S, an incident template
// T, a generic alert integration N with token NT, and a Self metrics
// provider MP with a metric MM; {P} is the page id, {TS} a minute ago in
// Unix seconds, and IS a subscriber of incident I when a case's prep
// makes one.
type v1Fixture struct {
	apitest.Fixture
	P, S, T, IS string
	N, NT       string
	MP, MM, TS  string
}

func v1Seed(t *testing.T, env *testEnv) v1Fixture {
	t.Helper()
	f := v1Fixture{Fixture: apiSeed(t, env), P: env.pageID}
	f.S = apitest.String(t, env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "ops@example.com", "skip_confirmation_notification": true}}), "id")
	f.T = apitest.String(t, env.mustAPI(201, "POST", "/incident_templates", map[string]any{"template": map[string]any{
		"name": "Slow", "title": "Slow API", "body": "We are looking into it."}}), "id")
	n := apitest.Object(t, env.mustAPI(201, "POST", "/integrations", map[string]any{"integration": map[string]any{
		"name": "Checks", "kind": "generic"}}))
	f.N, f.NT = n["id"].(string), n["token"].(string)
	f.MP = apitest.String(t, env.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Self"}}), "id")
	f.MM = apitest.String(t, env.mustAPI(201, "POST", "/metrics_providers/"+f.MP+"/metrics", map[string]any{"metric": map[string]any{
		"name": "Latency", "suffix": "ms", "display": true}}), "id")
	f.TS = strconv.FormatInt(env.clock.Now().Add(-time.Minute).Unix(), 10)
	return f
}

func (f v1Fixture) sub(s string) string {
	return strings.NewReplacer("{P}", f.P, "{S}", f.S, "{T}", f.T, "{IS}", f.IS, "{NT}", f.NT, "{N}", f.N,
		"{MP}", f.MP, "{MM}", f.MM, "{TS}", f.TS).Replace(f.Fixture.Sub(s))
}

// v1PrepAlert has integration N post an alert, for its log.
func v1PrepAlert(t *testing.T, env *testEnv, f *v1Fixture) {
	res := env.do("POST", "/api/v1/integrations/"+f.N+"/alerts?token="+f.NT, `{"component":"`+f.A+`","status":"degraded_performance"}`)
	if res.Status != 200 {
		t.Fatalf("post an alert: %d %s", res.Status, res.Body)
	}
}

// v1Case is one operation: the route as registered (method and path below
// /api/v1) and a valid request to it.
type v1Case struct {
	route string
	path  string // the request's path below /api/v1, with fixture placeholders
	body  string // with fixture placeholders; "" sends none
	prep  func(t *testing.T, env *testEnv, f *v1Fixture)
	want  int
	shape *v1Shape // nil: any JSON (or, with csv, no JSON at all)
	list  bool     // a JSON list of shape
	csv   bool
	// missing is the same request naming an unknown id: it must answer 404.
	// missingBody, when set, is its body (for ids named in the body).
	missing, missingBody string
	// malformed sends a body that is not JSON: it must answer 400.
	malformed bool
	// invalid is a JSON body with a bad field, which must answer 422 naming
	// invalidField.
	invalid, invalidField string
}

const v1Missing = "zzzzzzzzzzzz"

// The preps some v1 cases need beyond v1Seed.

// v1PrepDraft gives the resolved incident R a draft postmortem.
func v1PrepDraft(t *testing.T, env *testEnv, f *v1Fixture) {
	env.mustAPI(200, "PUT", "/incidents/"+f.R+"/postmortem", map[string]any{"postmortem": map[string]any{"body_draft": "A cable was cut."}})
}

// v1PrepPublished gives the resolved incident R a published postmortem.
func v1PrepPublished(t *testing.T, env *testEnv, f *v1Fixture) {
	v1PrepDraft(t, env, f)
	env.mustAPI(200, "PUT", "/incidents/"+f.R+"/postmortem/publish", nil)
}

// v1PrepFollower makes IS a confirmed follower of incident I.
func v1PrepFollower(t *testing.T, env *testEnv, f *v1Fixture) {
	f.IS = apitest.String(t, env.mustAPI(201, "POST", "/incidents/"+f.I+"/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "follow@example.com", "skip_confirmation_notification": true}}), "id")
}

// v1PrepUnconfirmed makes S a subscriber still waiting for a confirmation,
// as the resend cases need.
func v1PrepUnconfirmed(t *testing.T, env *testEnv, f *v1Fixture) {
	f.S = apitest.String(t, env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "waiting@example.com"}}), "id")
}

// v1PrepUnconfirmedFollower makes IS a follower of incident I still
// waiting for a confirmation.
func v1PrepUnconfirmedFollower(t *testing.T, env *testEnv, f *v1Fixture) {
	f.IS = apitest.String(t, env.mustAPI(201, "POST", "/incidents/"+f.I+"/subscribers", map[string]any{"subscriber": map[string]any{
		"email": "follow@example.com"}}), "id")
}

// v1PrepActiveMaintenance starts a maintenance that is in progress now.
func v1PrepActiveMaintenance(t *testing.T, env *testEnv, f *v1Fixture) {
	now := env.clock.Now()
	env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "Failover", "status": "in_progress",
		"scheduled_for": now.Add(-time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(time.Hour).Format(time.RFC3339)}})
}

// v1PrepUnsubscribed unsubscribes S.
func v1PrepUnsubscribed(t *testing.T, env *testEnv, f *v1Fixture) {
	env.mustAPI(200, "DELETE", "/subscribers/"+f.S, nil)
}

// v1Cases lists every v1 operation.
func v1Cases() []v1Case {
	return []v1Case{
		{route: "GET /pages", path: "/pages", want: 200, shape: v1PageShape, list: true},
		{route: "GET /pages/:page_id", path: "/pages/{P}", want: 200, shape: v1PageShape},
		{route: "PATCH /pages/:page_id", path: "/pages/{P}", body: `{"page":{"name":"Acme"}}`, want: 200, shape: v1PageShape,
			malformed: true, invalid: `{"page":{"time_zone":"Mars/Olympus_Mons"}}`, invalidField: "time_zone"},
		{route: "PUT /pages/:page_id", path: "/pages/{P}", body: `{"page":{"name":"Acme"}}`, want: 200, shape: v1PageShape, malformed: true},

		{route: "GET /pages/:page_id/components", path: "/pages/{P}/components", want: 200, shape: v1ManagedComponentShape, list: true},
		{route: "POST /pages/:page_id/components", path: "/pages/{P}/components", body: `{"component":{"name":"CDN"}}`, want: 201, shape: v1ManagedComponentShape,
			malformed: true, invalid: `{"component":{"name":"x","status":"on_fire"}}`, invalidField: "status"},
		{route: "GET /pages/:page_id/components/:id", path: "/pages/{P}/components/{A}", want: 200, shape: v1ManagedComponentShape,
			missing: "/pages/{P}/components/" + v1Missing},
		{route: "PATCH /pages/:page_id/components/:id", path: "/pages/{P}/components/{A}", body: `{"component":{"status":"major_outage"}}`, want: 200,
			shape: v1ManagedComponentShape, missing: "/pages/{P}/components/" + v1Missing, malformed: true},
		{route: "PUT /pages/:page_id/components/:id", path: "/pages/{P}/components/{A}", body: `{"component":{"name":"API v2"}}`, want: 200,
			shape: v1ManagedComponentShape, missing: "/pages/{P}/components/" + v1Missing, malformed: true},
		{route: "DELETE /pages/:page_id/components/:id", path: "/pages/{P}/components/{A}", want: 204,
			missing: "/pages/{P}/components/" + v1Missing},
		{route: "GET /pages/:page_id/components/:id/uptime", path: "/pages/{P}/components/{A}/uptime", want: 200, shape: v1UptimeShape,
			missing: "/pages/{P}/components/" + v1Missing + "/uptime"},

		{route: "GET /pages/:page_id/component-groups", path: "/pages/{P}/component-groups", want: 200, shape: v1GroupShape, list: true},
		{route: "POST /pages/:page_id/component-groups", path: "/pages/{P}/component-groups", body: `{"component_group":{"name":"Backend","components":["{A}"]}}`,
			want: 201, shape: v1GroupShape, malformed: true, invalid: `{"component_group":{"name":"x","components":["{G}"]}}`, invalidField: "components"},
		{route: "GET /pages/:page_id/component-groups/:id", path: "/pages/{P}/component-groups/{G}", want: 200, shape: v1GroupShape,
			missing: "/pages/{P}/component-groups/" + v1Missing},
		{route: "PATCH /pages/:page_id/component-groups/:id", path: "/pages/{P}/component-groups/{G}", body: `{"component_group":{"name":"Web tier"}}`,
			want: 200, shape: v1GroupShape, missing: "/pages/{P}/component-groups/" + v1Missing, malformed: true},
		{route: "PUT /pages/:page_id/component-groups/:id", path: "/pages/{P}/component-groups/{G}", body: `{"component_group":{"name":"Web tier"}}`,
			want: 200, shape: v1GroupShape, missing: "/pages/{P}/component-groups/" + v1Missing, malformed: true},
		{route: "DELETE /pages/:page_id/component-groups/:id", path: "/pages/{P}/component-groups/{G}", want: 200, shape: v1GroupShape,
			missing: "/pages/{P}/component-groups/" + v1Missing},
		{route: "GET /pages/:page_id/component-groups/:id/uptime", path: "/pages/{P}/component-groups/{G}/uptime", want: 200, shape: v1UptimeShape,
			missing: "/pages/{P}/component-groups/" + v1Missing + "/uptime"},

		{route: "GET /pages/:page_id/incidents", path: "/pages/{P}/incidents?page=0&per_page=2", want: 200, shape: v1IncidentShape, list: true},
		{route: "POST /pages/:page_id/incidents", path: "/pages/{P}/incidents",
			body: `{"incident":{"name":"Slow","components":{"{A}":"degraded_performance"},"metadata":{"jira":{"issue_id":"OPS-1"}}}}`,
			want: 201, shape: v1IncidentShape, malformed: true, invalid: `{"incident":{"name":"x","metadata":[1]}}`, invalidField: "metadata"},
		{route: "GET /pages/:page_id/incidents/unresolved", path: "/pages/{P}/incidents/unresolved", want: 200, shape: v1IncidentShape, list: true},
		{route: "GET /pages/:page_id/incidents/upcoming", path: "/pages/{P}/incidents/upcoming", want: 200, shape: v1IncidentShape, list: true},
		{route: "GET /pages/:page_id/incidents/scheduled", path: "/pages/{P}/incidents/scheduled", want: 200, shape: v1IncidentShape, list: true},
		{route: "GET /pages/:page_id/incidents/active_maintenance", path: "/pages/{P}/incidents/active_maintenance", prep: v1PrepActiveMaintenance, want: 200, shape: v1IncidentShape, list: true},
		{route: "GET /pages/:page_id/incidents/:id", path: "/pages/{P}/incidents/{I}", want: 200, shape: v1IncidentShape,
			missing: "/pages/{P}/incidents/" + v1Missing},
		{route: "PATCH /pages/:page_id/incidents/:id", path: "/pages/{P}/incidents/{I}", body: `{"incident":{"status":"identified","metadata":{"a":1}}}`,
			want: 200, shape: v1IncidentShape, missing: "/pages/{P}/incidents/" + v1Missing, malformed: true,
			invalid: `{"incident":{"status":"exploded"}}`, invalidField: "status"},
		{route: "PUT /pages/:page_id/incidents/:id", path: "/pages/{P}/incidents/{I}", body: `{"incident":{"status":"identified"}}`,
			want: 200, shape: v1IncidentShape, missing: "/pages/{P}/incidents/" + v1Missing, malformed: true},
		{route: "DELETE /pages/:page_id/incidents/:id", path: "/pages/{P}/incidents/{I}", want: 200, shape: v1IncidentShape,
			missing: "/pages/{P}/incidents/" + v1Missing},
		{route: "PATCH /pages/:page_id/incidents/:id/incident_updates/:update_id", path: "/pages/{P}/incidents/{I}/incident_updates/{U}",
			body: `{"incident_update":{"body":"Fixed text"}}`, want: 200, shape: v1UpdateShape,
			missing: "/pages/{P}/incidents/{I}/incident_updates/" + v1Missing, malformed: true,
			invalid: `{"incident_update":{"body":"  "}}`, invalidField: "body"},
		{route: "PUT /pages/:page_id/incidents/:id/incident_updates/:update_id", path: "/pages/{P}/incidents/{I}/incident_updates/{U}",
			body: `{"incident_update":{"body":"Fixed text"}}`, want: 200, shape: v1UpdateShape,
			missing: "/pages/{P}/incidents/" + v1Missing + "/incident_updates/{U}", malformed: true},
		{route: "GET /pages/:page_id/incidents/:id/postmortem", path: "/pages/{P}/incidents/{R}/postmortem", prep: v1PrepDraft, want: 200,
			shape: v1PostmortemShape, missing: "/pages/{P}/incidents/{I}/postmortem"},
		{route: "PUT /pages/:page_id/incidents/:id/postmortem", path: "/pages/{P}/incidents/{R}/postmortem",
			body: `{"postmortem":{"body_draft":"Root cause"}}`, want: 200, shape: v1PostmortemShape,
			missing: "/pages/{P}/incidents/" + v1Missing + "/postmortem", malformed: true},
		{route: "DELETE /pages/:page_id/incidents/:id/postmortem", path: "/pages/{P}/incidents/{R}/postmortem", prep: v1PrepPublished, want: 200,
			shape: v1PostmortemShape, missing: "/pages/{P}/incidents/{I}/postmortem"},
		{route: "PUT /pages/:page_id/incidents/:id/postmortem/publish", path: "/pages/{P}/incidents/{R}/postmortem/publish", prep: v1PrepDraft,
			body: `{"postmortem":{"notify_subscribers":false,"notify_twitter":false,"custom_tweet":""}}`, want: 200, shape: v1PostmortemShape,
			missing: "/pages/{P}/incidents/{I}/postmortem/publish", malformed: true},
		{route: "PUT /pages/:page_id/incidents/:id/postmortem/revert", path: "/pages/{P}/incidents/{R}/postmortem/revert", prep: v1PrepPublished,
			want: 200, shape: v1PostmortemShape, missing: "/pages/{P}/incidents/" + v1Missing + "/postmortem/revert"},
		{route: "GET /pages/:page_id/incidents/:id/notifications", path: "/pages/{P}/incidents/{I}/notifications", want: 200,
			shape: v1NotificationsShape, list: true, missing: "/pages/{P}/incidents/" + v1Missing + "/notifications"},

		{route: "GET /pages/:page_id/incident_templates", path: "/pages/{P}/incident_templates", want: 200, shape: v1TemplateShape, list: true},
		{route: "POST /pages/:page_id/incident_templates", path: "/pages/{P}/incident_templates",
			body: `{"template":{"name":"Down","title":"API down","component_ids":["{A}"]}}`, want: 201, shape: v1TemplateShape, malformed: true},
		{route: "GET /pages/:page_id/incident_templates/:id", path: "/pages/{P}/incident_templates/{T}", want: 200, shape: v1TemplateShape,
			missing: "/pages/{P}/incident_templates/" + v1Missing},
		{route: "PATCH /pages/:page_id/incident_templates/:id", path: "/pages/{P}/incident_templates/{T}", body: `{"template":{"title":"Very slow"}}`,
			want: 200, shape: v1TemplateShape, missing: "/pages/{P}/incident_templates/" + v1Missing, malformed: true},
		{route: "PUT /pages/:page_id/incident_templates/:id", path: "/pages/{P}/incident_templates/{T}", body: `{"template":{"title":"Very slow"}}`,
			want: 200, shape: v1TemplateShape, missing: "/pages/{P}/incident_templates/" + v1Missing, malformed: true},
		{route: "DELETE /pages/:page_id/incident_templates/:id", path: "/pages/{P}/incident_templates/{T}", want: 200, shape: v1TemplateShape,
			missing: "/pages/{P}/incident_templates/" + v1Missing},

		{route: "GET /pages/:page_id/subscribers", path: "/pages/{P}/subscribers?page=0", want: 200, shape: v1SubscriberShape, list: true},
		{route: "POST /pages/:page_id/subscribers", path: "/pages/{P}/subscribers", body: `{"subscriber":{"email":"new@example.com"}}`,
			want: 201, shape: v1SubscriberShape, malformed: true},
		{route: "GET /pages/:page_id/subscribers/:id", path: "/pages/{P}/subscribers/{S}", want: 200, shape: v1SubscriberShape,
			missing: "/pages/{P}/subscribers/" + v1Missing},
		{route: "DELETE /pages/:page_id/subscribers/:id", path: "/pages/{P}/subscribers/{S}", want: 200, shape: v1SubscriberShape,
			missing: "/pages/{P}/subscribers/" + v1Missing},
		{route: "GET /pages/:page_id/subscribers/export", path: "/pages/{P}/subscribers/export", want: 200, csv: true},
		{route: "POST /pages/:page_id/subscribers/import", path: "/pages/{P}/subscribers/import",
			body: "mode,address\nemail,imported@example.com\n", want: 201, shape: v1ImportShape},
		{route: "GET /pages/:page_id/subscribers/count", path: "/pages/{P}/subscribers/count", want: 200, shape: v1CountShape},
		{route: "GET /pages/:page_id/subscribers/histogram_by_state", path: "/pages/{P}/subscribers/histogram_by_state", want: 200,
			shape: v1HistogramShape},
		{route: "POST /pages/:page_id/subscribers/unsubscribe", path: "/pages/{P}/subscribers/unsubscribe",
			body: `{"subscribers":["{S}"],"skip_unsubscription_notification":true}`, want: 201, malformed: true},
		{route: "POST /pages/:page_id/subscribers/reactivate", path: "/pages/{P}/subscribers/reactivate",
			body: `{"subscribers":"{S}"}`, want: 201, malformed: true},
		{route: "POST /pages/:page_id/subscribers/resend_confirmation", path: "/pages/{P}/subscribers/resend_confirmation",
			body: `{"subscribers":"all","type":"email"}`, want: 201, malformed: true},
		{route: "PATCH /pages/:page_id/subscribers/:id", path: "/pages/{P}/subscribers/{S}", body: `{"component_ids":["{A}"]}`, want: 200,
			shape: v1SubscriberShape, missing: "/pages/{P}/subscribers/" + v1Missing, malformed: true},
		{route: "POST /pages/:page_id/subscribers/:id/resend_confirmation", prep: v1PrepUnconfirmed, path: "/pages/{P}/subscribers/{S}/resend_confirmation", want: 201,
			missing: "/pages/{P}/subscribers/" + v1Missing + "/resend_confirmation"},
		{route: "GET /pages/:page_id/subscribers/unsubscribed", path: "/pages/{P}/subscribers/unsubscribed?page=0", prep: v1PrepUnsubscribed, want: 200,
			shape: v1SubscriberShape, list: true},

		{route: "GET /pages/:page_id/incidents/:id/subscribers", path: "/pages/{P}/incidents/{I}/subscribers", prep: v1PrepFollower, want: 200,
			shape: v1SubscriberShape, list: true, missing: "/pages/{P}/incidents/" + v1Missing + "/subscribers"},
		{route: "POST /pages/:page_id/incidents/:id/subscribers", path: "/pages/{P}/incidents/{I}/subscribers",
			body: `{"subscriber":{"email":"follow@example.com","skip_confirmation_notification":true}}`, want: 201, shape: v1SubscriberShape,
			missing: "/pages/{P}/incidents/" + v1Missing + "/subscribers", malformed: true},
		{route: "GET /pages/:page_id/incidents/:id/subscribers/:subscriber_id", path: "/pages/{P}/incidents/{I}/subscribers/{IS}", prep: v1PrepFollower,
			want: 200, shape: v1SubscriberShape, missing: "/pages/{P}/incidents/{I}/subscribers/" + v1Missing},
		{route: "DELETE /pages/:page_id/incidents/:id/subscribers/:subscriber_id", path: "/pages/{P}/incidents/{I}/subscribers/{IS}", prep: v1PrepFollower,
			want: 200, shape: v1SubscriberShape, missing: "/pages/{P}/incidents/{I}/subscribers/" + v1Missing},
		{route: "POST /pages/:page_id/incidents/:id/subscribers/:subscriber_id/resend_confirmation", prep: v1PrepUnconfirmedFollower,
			path: "/pages/{P}/incidents/{I}/subscribers/{IS}/resend_confirmation", want: 201,
			missing: "/pages/{P}/incidents/{I}/subscribers/" + v1Missing + "/resend_confirmation"},

		{route: "GET /pages/:page_id/integrations", path: "/pages/{P}/integrations", want: 200, shape: v1IntegrationShape, list: true},
		{route: "POST /pages/:page_id/integrations", path: "/pages/{P}/integrations", body: `{"integration":{"name":"Grafana","kind":"grafana"}}`,
			want: 201, shape: v1IntegrationShape, malformed: true, invalid: `{"integration":{"name":"x","kind":"nagios"}}`, invalidField: "kind"},
		{route: "GET /pages/:page_id/integrations/:id", path: "/pages/{P}/integrations/{N}", want: 200, shape: v1IntegrationShape,
			missing: "/pages/{P}/integrations/" + v1Missing},
		{route: "PATCH /pages/:page_id/integrations/:id", path: "/pages/{P}/integrations/{N}", body: `{"integration":{"incident_mode":"publish"}}`,
			want: 200, shape: v1IntegrationShape, missing: "/pages/{P}/integrations/" + v1Missing, malformed: true,
			invalid: `{"integration":{"incident_mode":"auto"}}`, invalidField: "incident_mode"},
		{route: "DELETE /pages/:page_id/integrations/:id", path: "/pages/{P}/integrations/{N}", want: 200, shape: v1IntegrationShape,
			missing: "/pages/{P}/integrations/" + v1Missing},
		{route: "GET /pages/:page_id/integrations/:id/alerts", path: "/pages/{P}/integrations/{N}/alerts", prep: v1PrepAlert, want: 200,
			shape: v1AlertShape, list: true, missing: "/pages/{P}/integrations/" + v1Missing + "/alerts"},
		// Posting alerts is authenticated by the integration's token, so an
		// unknown integration is 401, as a wrong token (the cases' 404 check
		// does not apply).
		{route: "POST /integrations/:id/alerts", path: "/integrations/{N}/alerts?token={NT}", body: `{"component":"{A}","status":"major_outage"}`,
			want: 200, shape: v1AlertsShape, malformed: true, invalid: `{"component":"{A}","status":"on_fire"}`, invalidField: "status"},

		{route: "GET /pages/:page_id/metrics_providers", path: "/pages/{P}/metrics_providers", want: 200, shape: v1ProviderShape, list: true},
		{route: "POST /pages/:page_id/metrics_providers", path: "/pages/{P}/metrics_providers",
			body: `{"metrics_provider":{"type":"Datadog","api_key":"k","application_key":"a"}}`, want: 201, shape: v1ProviderShape,
			malformed: true, invalid: `{"metrics_provider":{"type":"Nagios"}}`, invalidField: "type"},
		{route: "GET /pages/:page_id/metrics_providers/:id", path: "/pages/{P}/metrics_providers/{MP}", want: 200, shape: v1ProviderShape,
			missing: "/pages/{P}/metrics_providers/" + v1Missing},
		{route: "PATCH /pages/:page_id/metrics_providers/:id", path: "/pages/{P}/metrics_providers/{MP}", body: `{"metrics_provider":{"disabled":true}}`,
			want: 200, shape: v1ProviderShape, missing: "/pages/{P}/metrics_providers/" + v1Missing, malformed: true,
			invalid: `{"metrics_provider":{"disabled":"perhaps"}}`, invalidField: "disabled"},
		{route: "PUT /pages/:page_id/metrics_providers/:id", path: "/pages/{P}/metrics_providers/{MP}", body: `{"metrics_provider":{"disabled":false}}`,
			want: 200, shape: v1ProviderShape, missing: "/pages/{P}/metrics_providers/" + v1Missing, malformed: true},
		{route: "DELETE /pages/:page_id/metrics_providers/:id", path: "/pages/{P}/metrics_providers/{MP}", want: 200, shape: v1ProviderShape,
			missing: "/pages/{P}/metrics_providers/" + v1Missing},
		{route: "GET /pages/:page_id/metrics_providers/:id/metrics", path: "/pages/{P}/metrics_providers/{MP}/metrics", want: 200,
			shape: v1MetricShape, list: true, missing: "/pages/{P}/metrics_providers/" + v1Missing + "/metrics"},
		{route: "POST /pages/:page_id/metrics_providers/:id/metrics", path: "/pages/{P}/metrics_providers/{MP}/metrics",
			body: `{"metric":{"name":"Errors","transform":"sum","suffix":"%","decimal_places":2,"y_axis_min":0,"y_axis_max":100,"display":true}}`,
			want: 201, shape: v1MetricShape, missing: "/pages/{P}/metrics_providers/" + v1Missing + "/metrics", malformed: true,
			invalid: `{"metric":{"name":"Errors","decimal_places":9}}`, invalidField: "decimal_places"},
		{route: "GET /pages/:page_id/metrics", path: "/pages/{P}/metrics", want: 200, shape: v1MetricShape, list: true},
		{route: "GET /pages/:page_id/metrics/:id", path: "/pages/{P}/metrics/{MM}", want: 200, shape: v1MetricShape,
			missing: "/pages/{P}/metrics/" + v1Missing},
		{route: "PATCH /pages/:page_id/metrics/:id", path: "/pages/{P}/metrics/{MM}", body: `{"metric":{"y_axis_hidden":true,"tooltip_description":"p50"}}`,
			want: 200, shape: v1MetricShape, missing: "/pages/{P}/metrics/" + v1Missing, malformed: true,
			invalid: `{"metric":{"transform":"median"}}`, invalidField: "transform"},
		{route: "PUT /pages/:page_id/metrics/:id", path: "/pages/{P}/metrics/{MM}", body: `{"metric":{"name":"p50 latency"}}`,
			want: 200, shape: v1MetricShape, missing: "/pages/{P}/metrics/" + v1Missing, malformed: true},
		{route: "DELETE /pages/:page_id/metrics/:id", path: "/pages/{P}/metrics/{MM}", want: 200, shape: v1MetricShape,
			missing: "/pages/{P}/metrics/" + v1Missing},
		{route: "POST /pages/:page_id/metrics/:id/data", path: "/pages/{P}/metrics/{MM}/data", body: `{"data":{"timestamp":{TS},"value":12.5}}`,
			want: 201, shape: v1PointDataShape, missing: "/pages/{P}/metrics/" + v1Missing + "/data", malformed: true,
			invalid: `{"data":{"timestamp":{TS}}}`, invalidField: "value"},
		// The answer is keyed by the metrics' ids (TestMetricsTerraformSequence
		// checks it); a bulk push naming an unknown metric is not found.
		{route: "POST /pages/:page_id/metrics/data", path: "/pages/{P}/metrics/data", body: `{"data":{"{MM}":[{"timestamp":{TS},"value":3}]}}`,
			want: 202, missing: "/pages/{P}/metrics/data",
			missingBody: `{"data":{"{MM}":[{"timestamp":{TS},"value":3}],"` + v1Missing + `":[{"timestamp":{TS},"value":4}]}}`, malformed: true,
			invalid: `{"data":{"{MM}":[{"timestamp":{TS},"value":3},{"value":3}]}}`, invalidField: "data.{MM}[1].timestamp"},
		{route: "DELETE /pages/:page_id/metrics/:id/data", path: "/pages/{P}/metrics/{MM}/data", want: 200, shape: v1MetricShape,
			missing: "/pages/{P}/metrics/" + v1Missing + "/data"},

		{route: "GET /pages/:page_id/status_embed_config", path: "/pages/{P}/status_embed_config", want: 200, shape: v1EmbedConfigShape},
		{route: "PATCH /pages/:page_id/status_embed_config", path: "/pages/{P}/status_embed_config",
			body: `{"status_embed_config":{"position":"bottom-left","incident_background_color":"#aa0000"}}`, want: 200, shape: v1EmbedConfigShape,
			malformed: true, invalid: `{"status_embed_config":{"position":"middle"}}`, invalidField: "position"},
		{route: "PUT /pages/:page_id/status_embed_config", path: "/pages/{P}/status_embed_config",
			body: `{"status_embed_config":{"position":"top-right"}}`, want: 200, shape: v1EmbedConfigShape, malformed: true},
	}
}

// v1Routes returns the v1 operations the app serves, as "METHOD path"
// below /api/v1 (HEAD, which Fiber adds to every GET, left out).
func v1Routes(env *testEnv) map[string]bool {
	out := map[string]bool{}
	for _, r := range env.fiber.GetRoutes(true) {
		if r.Method == "HEAD" || !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		out[r.Method+" "+strings.TrimPrefix(r.Path, "/api/v1")] = true
	}
	return out
}

// TestV1ConformanceCoversEveryRoute fails when a served v1 route has no
// case, or a case (not waiting for concurrent work) names a route that is
// not served.
func TestV1ConformanceCoversEveryRoute(t *testing.T) {
	served := v1Routes(newTestEnv(t))
	cased := map[string]bool{}
	for _, tc := range v1Cases() {
		if cased[tc.route] {
			t.Errorf("two cases for %s", tc.route)
		}
		cased[tc.route] = true
		if !served[tc.route] {
			t.Errorf("case %s names a route the app does not serve", tc.route)
		}
	}
	var uncovered []string
	for r := range served {
		if !cased[r] {
			uncovered = append(uncovered, r)
		}
	}
	sort.Strings(uncovered)
	for _, r := range uncovered {
		t.Errorf("v1 route %s has no case in v1Cases", r)
	}
}

// TestV1Conformance calls every operation as its case says, once as is and
// once with a .json suffix, each on a fresh page. On PostgreSQL it calls
// each as is only: the suffix is cut from the path before routing
// (internal/api's routes.go), so the call with it runs the same handler
// and the same SQL, and the SQLite pass proves the suffix for every route.
func TestV1Conformance(t *testing.T) {
	served := v1Routes(newTestEnv(t))
	suffixes := []string{"", ".json"}
	if testutil.Engine() == store.Postgres {
		suffixes = suffixes[:1]
	}
	for _, tc := range v1Cases() {
		t.Run(tc.route, func(t *testing.T) {
			if !served[tc.route] {
				t.Fatalf("%s is not served", tc.route)
			}
			t.Parallel()
			for _, suffix := range suffixes {
				t.Run("suffix="+suffix, func(t *testing.T) {
					env := newTestEnv(t)
					f := v1Seed(t, env)
					if tc.prep != nil {
						tc.prep(t, env, &f)
					}
					method, _, _ := strings.Cut(tc.route, " ")
					if suffix == "" {
						v1CheckErrors(t, env, f, tc, method)
					}
					v1CheckCall(t, env, f, tc, method, suffix)
				})
			}
		})
	}
}

// v1Request sends an authenticated request to path below /api/v1, with
// suffix added to its path (before any query).
func v1Request(env *testEnv, method, path, suffix, body string) response {
	env.t.Helper()
	p, q, hasQuery := strings.Cut(path, "?")
	target := "/api/v1" + p + suffix
	if hasQuery {
		target += "?" + q
	}
	var b any
	if body != "" {
		b = body
	}
	return env.do(method, target, b, "Authorization", "OAuth "+env.key, "Content-Type", "application/json")
}

// v1CheckErrors checks the case's unknown-id, malformed and invalid
// requests; each must change nothing, so they run before the valid one.
func v1CheckErrors(t *testing.T, env *testEnv, f v1Fixture, tc v1Case, method string) {
	t.Helper()
	if tc.missing != "" {
		body := tc.body
		if tc.missingBody != "" {
			body = tc.missingBody
		}
		apitest.WantError(t, v1Request(env, method, f.sub(tc.missing), "", f.sub(body)), 404, "")
	}
	if tc.malformed {
		apitest.WantError(t, v1Request(env, method, f.sub(tc.path), "", `{"oops":`), 400, "")
	}
	if tc.invalid != "" {
		apitest.WantError(t, v1Request(env, method, f.sub(tc.path), "", f.sub(tc.invalid)), 422, f.sub(tc.invalidField))
	}
}

// v1CheckCall sends the case's valid request and checks the answer.
func v1CheckCall(t *testing.T, env *testEnv, f v1Fixture, tc v1Case, method, suffix string) {
	t.Helper()
	res := v1Request(env, method, f.sub(tc.path), suffix, f.sub(tc.body))
	if res.Status != tc.want {
		t.Fatalf("%s %s%s: status %d, want %d; body %s", method, tc.path, suffix, res.Status, tc.want, res.Body)
	}
	ct := res.Header.Get("Content-Type")
	switch {
	case tc.want == 204:
		if len(res.Body) != 0 {
			t.Errorf("204 with body %q, want none", res.Body)
		}
	case tc.csv:
		if !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q, want text/csv", ct)
		}
	default:
		if !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
		var v any
		res.JSON(t, &v)
		if tc.shape != nil {
			checkV1Shape(t, tc.route+suffix, v, tc.shape, tc.list)
		}
		if tc.list {
			if items, _ := v.([]any); len(items) == 0 {
				t.Errorf("empty list: the fixture should give every list an item to check")
			}
		}
	}
}
