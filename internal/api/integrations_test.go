package api_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
)

// integrationKeys are the exact keys of an integration; token and url are
// shown when the token is made.
var integrationKeys = []string{"id", "name", "kind", "token_prefix", "alerts_url", "component_label", "components",
	"severity_label", "severities", "default_status", "incident_mode", "template_id", "auto_resolve", "flap_window",
	"created_at", "updated_at", "last_alert_at"}

// newIntegration creates one through the API and returns its answer and
// the path (with token) to post alerts to.
func newIntegration(t *testing.T, env *testEnv, body string) (map[string]any, string) {
	t.Helper()
	it := apitest.Object(t, env.mustAPI(201, "POST", "/integrations", body))
	u, err := url.Parse(it["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme+"://"+u.Host != "http://localhost:8080" {
		t.Errorf("url %s, want one on the base URL", u)
	}
	return it, u.RequestURI()
}

func TestIntegrationsCRUD(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	it, post := newIntegration(t, env, `{"integration":{"name":"Prometheus","kind":"alertmanager","incident_mode":"publish",
		"components":{"api":"`+f.A+`"},"severities":{"critical":"major_outage","page":"partial_outage"},"flap_window":60}}`)
	if got, want := apitest.Keys(it), apitest.Sorted(append(integrationKeys, "token", "url")...); apitest.JSON(t, got) != apitest.JSON(t, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	token := it["token"].(string)
	if !strings.HasPrefix(token, it["token_prefix"].(string)) || post != "/api/v1/integrations/"+it["id"].(string)+"/alerts?token="+token {
		t.Errorf("token %q, prefix %v, path %q", token, it["token_prefix"], post)
	}
	if it["flap_window"] != 60.0 || it["incident_mode"] != "publish" || it["component_label"] != "beacon_component" || it["template_id"] != nil {
		t.Errorf("created %v", it)
	}
	id := it["id"].(string)

	list := apitest.Array(t, env.mustAPI(200, "GET", "/integrations", nil))
	got := list[0].(map[string]any)
	if len(list) != 1 || got["token"] != nil || got["url"] != nil {
		t.Errorf("list %v: want one, without its token", list)
	}
	if g := apitest.Object(t, env.mustAPI(200, "GET", "/integrations/"+id, nil)); g["token"] != nil || g["name"] != "Prometheus" {
		t.Errorf("get %v", g)
	}
	up := apitest.Object(t, env.mustAPI(200, "PATCH", "/integrations/"+id, `{"integration":{"incident_mode":"draft","severities":null}}`))
	if up["incident_mode"] != "draft" || up["severities"].(map[string]any)["warning"] != "degraded_performance" || up["token"] != nil {
		t.Errorf("patched %v", up)
	}
	rotated := apitest.Object(t, env.mustAPI(200, "PATCH", "/integrations/"+id, `{"integration":{"rotate_token":true}}`))
	if rotated["token"] == nil || rotated["token"] == token {
		t.Errorf("rotated %v, want a new token", rotated)
	}
	apitest.WantError(t, env.do("POST", post, `{}`), 401, "")

	for _, tc := range []struct{ method, path, body, field string }{
		{"POST", "/integrations", `{"integration":{"name":"x","kind":"nagios"}}`, "kind"},
		{"POST", "/integrations", `{"integration":{"kind":"generic"}}`, "name"},
		{"POST", "/integrations", `{"integration":{"name":"x","kind":"generic","components":{"a":"` + f.G + `"}}}`, "components"},
		{"POST", "/integrations", `{"integration":{"name":"x","kind":"generic","flap_window":-1}}`, "flap_window"},
		{"POST", "/integrations", `{"integration":{"name":"x","kind":"generic","severities":{"critical":"on_fire"}}}`, "severities"},
		{"POST", "/integrations", `{"integration":{"name":"Prometheus","kind":"generic"}}`, "name"},
		{"PATCH", "/integrations/" + id, `{"integration":{"kind":"generic"}}`, "kind"},
		{"PATCH", "/integrations/" + id, `{"integration":{"auto_resolve":"maybe"}}`, "auto_resolve"},
	} {
		apitest.WantError(t, env.api(tc.method, tc.path, tc.body), 422, tc.field)
	}
	apitest.WantError(t, env.api("GET", "/integrations/"+apitest.MissingID, nil), 404, "")
	apitest.WantError(t, env.api("POST", "/integrations", `{"integration":`), 400, "")

	del := apitest.Object(t, env.mustAPI(200, "DELETE", "/integrations/"+id, nil))
	if del["id"] != id {
		t.Errorf("deleted %v", del)
	}
	apitest.WantError(t, env.api("GET", "/integrations/"+id, nil), 404, "")
	// Creating and changing integrations is audited as the key that did it.
	log, err := env.svc.Accounts.Audit(context.Background(), 0, 20)
	if err != nil || len(log) < 4 || log[len(log)-1].Actor != "API key test" {
		t.Errorf("audit %+v, %v", log, err)
	}
}

// Alerts posted to the integration's URL change the page, are audited as
// the integration and logged; its token is taken from the query or a
// Bearer header; anything else is refused, changing nothing.
func TestReceiveAlerts(t *testing.T) {
	env := newTestEnv(t)
	f := env.seed()
	it, post := newIntegration(t, env, `{"integration":{"name":"Prom","kind":"alertmanager","incident_mode":"publish"}}`)
	id, token := it["id"].(string), it["token"].(string)
	bare := "/api/v1/integrations/" + id + "/alerts"
	firing, err := os.ReadFile("../../integrations/testdata/alertmanager-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	env.mustAPI(200, "PATCH", "/components/"+f.A, `{"component":{"status":"operational"}}`)
	before := len(env.events())

	// Refused: nothing changes, nothing is audited.
	for _, tc := range []struct {
		name    string
		target  string
		body    string
		headers []string
		status  int
	}{
		{"no token", bare, string(firing), nil, 401},
		{"wrong token", bare + "?token=" + token[:len(token)-2] + "aa", string(firing), nil, 401},
		{"an API key", bare, string(firing), []string{"Authorization", "Bearer " + env.key}, 401},
		{"unknown integration", "/api/v1/integrations/" + apitest.MissingID + "/alerts?token=" + token, string(firing), nil, 401},
		{"not JSON", post, "{", nil, 400},
		{"wrong version", post, `{"version":"1","status":"firing","alerts":[{"status":"firing"}]}`, nil, 422},
		{"too large", post, `{"version":"4","x":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 413},
	} {
		res := env.do("POST", tc.target, tc.body, tc.headers...)
		apitest.WantError(t, res, tc.status, "")
		if tc.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
	if got := env.componentStatus(f.A); got != "operational" {
		t.Errorf("after refusals: status %s", got)
	}
	if n := len(env.events()); n != before {
		t.Errorf("refusals wrote %d events", n-before)
	}
	if res := env.do("POST", post, `{"version":"4","status":"firing","alerts":[]}`); res.Status != 422 || !strings.Contains(string(res.Body), `"field":"alerts"`) {
		t.Errorf("empty alerts: %d %s", res.Status, res.Body)
	}

	// Accepted, with the token as a Bearer header.
	res := env.do("POST", bare, strings.ReplaceAll(string(firing), `"API"`, `"`+f.A+`"`), "Authorization", "Bearer "+token)
	if res.Status != 200 {
		t.Fatalf("post: %d %s", res.Status, res.Body)
	}
	body := apitest.Object(t, res)
	alerts := body["alerts"].([]any)
	if len(alerts) != 2 || !strings.Contains(alerts[0].(map[string]any)["outcome"].(string), "opened incident") {
		t.Errorf("answer %s", res.Body)
	}
	if got := env.componentStatus(f.A); got != "major_outage" {
		t.Errorf("status %s, want major_outage", got)
	}
	log, err := env.svc.Accounts.Audit(context.Background(), 0, 1)
	if err != nil || len(log) != 1 || log[0].Actor != "integration Prom" || log[0].Action != "integration: open incident" {
		t.Errorf("audit %+v, %v; want the incident opened by integration Prom", log, err)
	}
	logged := apitest.Array(t, env.mustAPI(200, "GET", "/integrations/"+id+"/alerts", nil))
	if len(logged) != 5 || logged[0].(map[string]any)["status"] != "firing" || logged[2].(map[string]any)["status"] != "refused" {
		t.Errorf("logged %v: want the 2 alerts over 3 refused payloads", logged)
	}
}

// Each integration posts at most the API's rate.
func TestReceiveRateLimited(t *testing.T) {
	env := newTestEnv(t, envOptions{rate: 1, burst: 2})
	_, post := newIntegration(t, env, `{"integration":{"name":"g","kind":"generic"}}`)
	for i, want := range []int{200, 200, 429} {
		res := env.do("POST", post, `{"component":"nothing","status":"resolved"}`)
		if res.Status != want {
			t.Errorf("post %d: %d, want %d", i, res.Status, want)
		}
		if want == 429 && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}
