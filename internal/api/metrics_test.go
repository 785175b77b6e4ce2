package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/metrics"
)

// oauth sends method to path below /api/v1/pages/{page_id} as Terraform's
// Statuspage provider and older scripts do: the key in an
// "Authorization: OAuth" header, the path with a .json suffix, and a body
// (a string) without any Content-Type.
func (e *testEnv) oauth(want int, method, path, body string) map[string]any {
	e.t.Helper()
	var b any
	if body != "" {
		b = body
	}
	res := e.do(method, "/api/v1/pages/"+e.pageID+path+".json", b, "Authorization", "OAuth "+e.key)
	if res.Status != want {
		e.t.Fatalf("%s %s.json: status %d, want %d; body %s", method, path, res.Status, want, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s.json: Content-Type %q", method, path, ct)
	}
	if strings.HasPrefix(strings.TrimSpace(string(res.Body)), "[") {
		return map[string]any{"list": apitest.Array(e.t, res)}
	}
	return apitest.Object(e.t, res)
}

// lastPoint is the metric's most recent point, read from the service.
func (e *testEnv) lastPoint(id string) (metrics.Point, bool) {
	e.t.Helper()
	p, ok, err := e.svc.Metrics.Last(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p, ok
}

// TestMetricsTerraformSequence is what `terraform apply` and a pushing
// script do with statuspage_metrics_provider and statuspage_metric: create
// a provider, create a metric, push points one by one and in bulk, read,
// update, reset and delete — every request with Authorization: OAuth, a
// .json suffix and a body without Content-Type. Every change but the
// pushed points is in the audit log.
func TestMetricsTerraformSequence(t *testing.T) {
	env := newTestEnv(t)
	now := env.clock.Now()

	prov := env.oauth(201, "POST", "/metrics_providers",
		`{"metrics_provider":{"type":"Self","metric_base_uri":"","email":"","password":"","api_key":"","api_token":"","application_key":""}}`)
	pid, _ := prov["id"].(string)
	if prov["type"] != "Self" || prov["disabled"] != false || prov["page_id"] != env.pageID || pid == "" {
		t.Fatalf("provider %v", prov)
	}

	m := env.oauth(201, "POST", "/metrics_providers/"+pid+"/metrics", `{"metric":{"name":"API latency","metric_identifier":"",
		"transform":"average","application_id":"","suffix":"ms","y_axis_min":0,"y_axis_max":"","y_axis_hidden":false,
		"display":true,"decimal_places":1,"tooltip_description":"Median time to answer"}}`)
	mid, _ := m["id"].(string)
	want := map[string]any{"metrics_provider_id": pid, "name": "API latency", "suffix": "ms", "y_axis_min": 0.0, "y_axis_max": nil,
		"display": true, "decimal_places": 1.0, "tooltip_description": "Median time to answer", "most_recent_data_at": nil}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("created metric: %s = %v, want %v", k, m[k], v)
		}
	}

	// One point: answered as stored, cast to its 30-second slot.
	at := now.Add(-2 * time.Minute).Truncate(metrics.Slot).Add(7 * time.Second)
	got := env.oauth(201, "POST", "/metrics/"+mid+"/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":120.5}}`, at.Unix()))
	data, _ := got["data"].(map[string]any)
	if slot := at.Add(-7 * time.Second).Unix(); data == nil || data["value"] != 120.5 || int64(data["timestamp"].(float64)) != slot {
		t.Errorf("single point answered %v, want value 120.5 at %d, the nearest slot", got, slot)
	}
	if p, ok := env.lastPoint(mid); !ok || p.Value != 120.5 {
		t.Errorf("after the single point the last is %+v, %v", p, ok)
	}

	// Two more in bulk, the later one last.
	later := now.Add(-30 * time.Second)
	early := now.Add(-2 * time.Minute).Truncate(metrics.Slot).Add(20 * time.Second) // stored in the next slot
	bulk := env.oauth(202, "POST", "/metrics/data", fmt.Sprintf(`{"data":{%q:[{"timestamp":%d,"value":99},{"timestamp":%d,"value":101.25}]}}`,
		mid, early.Unix(), later.Unix()))
	if echo, _ := bulk[mid].([]any); len(echo) != 2 || echo[0].(map[string]any)["timestamp"] != float64(early.Unix()+10) {
		t.Errorf("bulk push answered %v, want its first point at %d, the nearest slot", bulk, early.Unix()+10)
	}
	if p, ok := env.lastPoint(mid); !ok || p.Value != 101.25 {
		t.Errorf("after the bulk push the last is %+v, %v; want 101.25", p, ok)
	}

	// Read it back, alone, in the list and under its provider.
	m = env.oauth(200, "GET", "/metrics/"+mid, "")
	if m["most_recent_data_at"] == nil {
		t.Errorf("most_recent_data_at is null after points: %v", m)
	}
	for _, path := range []string{"/metrics", "/metrics_providers/" + pid + "/metrics"} {
		list := env.oauth(200, "GET", path, "")["list"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != mid {
			t.Errorf("GET %s: %v, want the metric", path, list)
		}
	}
	if list := env.oauth(200, "GET", "/metrics_providers", "")["list"].([]any); len(list) != 1 {
		t.Errorf("providers %v", list)
	}

	// Update: PATCH the metric (null clears the y-axis minimum), PUT the
	// provider.
	m = env.oauth(200, "PATCH", "/metrics/"+mid, `{"metric":{"name":"Latency","y_axis_min":null,"suffix":" ms","decimal_places":0}}`)
	if m["name"] != "Latency" || m["y_axis_min"] != nil || m["suffix"] != " ms" || m["decimal_places"] != 0.0 || m["display"] != true {
		t.Errorf("patched metric %v", m)
	}
	env.oauth(200, "PUT", "/metrics/"+mid, `{"metric":{"display":false}}`)
	if prov = env.oauth(200, "PUT", "/metrics_providers/"+pid, `{"metrics_provider":{"disabled":true}}`); prov["disabled"] != true {
		t.Errorf("put provider %v", prov)
	}

	// Reset: the metric stays, without data.
	if m = env.oauth(200, "DELETE", "/metrics/"+mid+"/data", ""); m["id"] != mid {
		t.Errorf("reset answered %v", m)
	}
	if p, ok := env.lastPoint(mid); ok {
		t.Errorf("after the reset the last point is %+v", p)
	}

	// Delete the metric, then the provider.
	if m = env.oauth(200, "DELETE", "/metrics/"+mid, ""); m["id"] != mid || m["name"] != "Latency" {
		t.Errorf("delete answered %v", m)
	}
	env.oauth(404, "GET", "/metrics/"+mid, "")
	if prov = env.oauth(200, "DELETE", "/metrics_providers/"+pid, ""); prov["id"] != pid {
		t.Errorf("delete answered %v", prov)
	}
	env.oauth(404, "GET", "/metrics_providers/"+pid, "")

	// The audit log: every change to providers and metrics and the reset,
	// by the key; no pushed point.
	log, err := env.svc.Accounts.Audit(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		if e.Actor != "API key test" {
			t.Errorf("audit entry %+v: want the API key named test", e)
		}
		actions = append(actions, e.Action+" "+e.Target)
	}
	slices.Reverse(actions) // oldest first
	wantActions := []string{
		"api: POST metrics_providers " + pid,
		"api: POST metrics_providers/:id/metrics " + mid,
		"api: PATCH metrics/:id " + mid,
		"api: PUT metrics/:id " + mid,
		"api: PUT metrics_providers/:id " + pid,
		"api: DELETE metrics/:id/data " + mid,
		"api: DELETE metrics/:id " + mid,
		"api: DELETE metrics_providers/:id " + pid,
	}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("audit log\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(wantActions, "\n"))
	}
}

// TestMetricsProviderCredentials: credentials are taken, stored and never
// answered, by any endpoint; providers of other types are stored.
func TestMetricsProviderCredentials(t *testing.T) {
	env := newTestEnv(t)
	const secret = "hunter2-secret"
	for _, typ := range []string{"Pingdom", "NewRelic", "Librato", "Datadog"} {
		res := env.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": typ,
			"email": "ops@example.com", "password": secret, "api_key": secret, "api_token": secret, "application_key": secret,
			"metric_base_uri": "https://api.example.com"}})
		id := apitest.String(t, res, "id")
		env.mustAPI(200, "PATCH", "/metrics_providers/"+id, map[string]any{"metrics_provider": map[string]any{"password": secret + "2"}})
		for _, body := range [][]byte{res.Body, env.mustAPI(200, "GET", "/metrics_providers/"+id, nil).Body,
			env.mustAPI(200, "GET", "/metrics_providers", nil).Body} {
			if strings.Contains(string(body), secret) || strings.Contains(string(body), "ops@example.com") {
				t.Errorf("%s: a credential is answered: %s", typ, body)
			}
		}
		if got := apitest.String(t, res, "type"); got != typ {
			t.Errorf("type %q, want %q", got, typ)
		}
	}
}

// TestMetricsHostileInput: each refused request answers its status,
// naming the field, and writes nothing.
func TestMetricsHostileInput(t *testing.T) {
	env := newTestEnv(t)
	now := env.clock.Now()
	pid := apitest.String(t, env.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Self"}}), "id")
	mid := apitest.String(t, env.mustAPI(201, "POST", "/metrics_providers/"+pid+"/metrics",
		map[string]any{"metric": map[string]any{"name": "Errors"}}), "id")
	ts := now.Add(-time.Minute).Unix()
	many := make([]string, 10_001)
	for i := range many {
		many[i] = fmt.Sprintf(`{"timestamp":%d,"value":%d}`, now.Add(-time.Duration(i)*time.Second).Unix(), i)
	}
	before := metricsState(env)
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"malformed provider", "POST", "/metrics_providers", `{"metrics_provider":`, 400, ""},
		{"provider without type", "POST", "/metrics_providers", `{"metrics_provider":{}}`, 422, "type"},
		{"unknown provider type", "POST", "/metrics_providers", `{"metrics_provider":{"type":"Nagios"}}`, 422, "type"},
		{"disabled not a flag", "PATCH", "/metrics_providers/" + pid, `{"metrics_provider":{"disabled":"maybe"}}`, 422, "disabled"},
		{"unknown provider", "GET", "/metrics_providers/" + apitest.MissingID, "", 404, ""},
		{"update unknown provider", "PATCH", "/metrics_providers/" + apitest.MissingID, `{"metrics_provider":{"disabled":true}}`, 404, ""},
		{"delete unknown provider", "DELETE", "/metrics_providers/" + apitest.MissingID, "", 404, ""},
		{"metrics of unknown provider", "GET", "/metrics_providers/" + apitest.MissingID + "/metrics", "", 404, ""},
		{"metric for unknown provider", "POST", "/metrics_providers/" + apitest.MissingID + "/metrics", `{"metric":{"name":"x"}}`, 404, ""},
		{"malformed metric", "POST", "/metrics_providers/" + pid + "/metrics", `{"metric":{"name":`, 400, ""},
		{"metric without name", "POST", "/metrics_providers/" + pid + "/metrics", `{"metric":{"suffix":"ms"}}`, 422, "name"},
		{"name too long", "POST", "/metrics_providers/" + pid + "/metrics", `{"metric":{"name":"` + strings.Repeat("n", 256) + `"}}`, 422, "name"},
		{"name with a control character", "PATCH", "/metrics/" + mid, `{"metric":{"name":"x\u001b[31m"}}`, 422, "name"},
		{"suffix with a bidi override", "PATCH", "/metrics/" + mid, `{"metric":{"suffix":"ms\u202e"}}`, 422, "suffix"},
		{"tooltip with a newline", "PATCH", "/metrics/" + mid, `{"metric":{"tooltip_description":"a\nb"}}`, 422, "tooltip_description"},
		{"suffix too long", "PATCH", "/metrics/" + mid, `{"metric":{"suffix":"` + strings.Repeat("s", 33) + `"}}`, 422, "suffix"},
		{"decimal places 7", "PATCH", "/metrics/" + mid, `{"metric":{"decimal_places":7}}`, 422, "decimal_places"},
		{"decimal places -1", "PATCH", "/metrics/" + mid, `{"metric":{"decimal_places":-1}}`, 422, "decimal_places"},
		{"decimal places a word", "PATCH", "/metrics/" + mid, `{"metric":{"decimal_places":"two"}}`, 422, "decimal_places"},
		{"y axis a word", "PATCH", "/metrics/" + mid, `{"metric":{"y_axis_max":"high"}}`, 422, "y_axis_max"},
		{"unknown transform", "PATCH", "/metrics/" + mid, `{"metric":{"transform":"median"}}`, 422, "transform"},
		{"unknown metric", "GET", "/metrics/" + apitest.MissingID, "", 404, ""},
		{"update unknown metric", "PUT", "/metrics/" + apitest.MissingID, `{"metric":{"name":"x"}}`, 404, ""},
		{"delete unknown metric", "DELETE", "/metrics/" + apitest.MissingID, "", 404, ""},
		{"reset unknown metric", "DELETE", "/metrics/" + apitest.MissingID + "/data", "", 404, ""},
		{"paging", "GET", "/metrics?page=-1", "", 422, "page"},

		{"point to unknown metric", "POST", "/metrics/" + apitest.MissingID + "/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":1}}`, ts), 404, ""},
		{"malformed point", "POST", "/metrics/" + mid + "/data", `{"data":{"timestamp":`, 400, ""},
		{"point without timestamp", "POST", "/metrics/" + mid + "/data", `{"data":{"value":1}}`, 422, "timestamp"},
		{"point without value", "POST", "/metrics/" + mid + "/data", fmt.Sprintf(`{"data":{"timestamp":%d}}`, ts), 422, "value"},
		{"value a word", "POST", "/metrics/" + mid + "/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":"lots"}}`, ts), 422, "value"},
		{"value out of range", "POST", "/metrics/" + mid + "/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":1e400}}`, ts), 422, "value"},
		{"timestamp a date", "POST", "/metrics/" + mid + "/data", `{"data":{"timestamp":"2026-03-10T12:00:00Z","value":1}}`, 422, "timestamp"},
		{"timestamp huge", "POST", "/metrics/" + mid + "/data", `{"data":{"timestamp":1e300,"value":1}}`, 422, "timestamp"},
		{"timestamp negative", "POST", "/metrics/" + mid + "/data", `{"data":{"timestamp":-5,"value":1}}`, 422, "timestamp"},
		{"timestamp in the future", "POST", "/metrics/" + mid + "/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":1}}`, now.Add(6*time.Minute).Unix()), 422, "timestamp"},
		{"timestamp too old", "POST", "/metrics/" + mid + "/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":1}}`, now.Add(-8*24*time.Hour).Unix()), 422, "timestamp"},

		{"bulk naming an unknown metric", "POST", "/metrics/data", fmt.Sprintf(`{"data":{%q:[{"timestamp":%d,"value":1}],%q:[{"timestamp":%d,"value":2}]}}`,
			mid, ts, apitest.MissingID, ts), 404, ""},
		{"bulk with a bad point", "POST", "/metrics/data", fmt.Sprintf(`{"data":{%q:[{"timestamp":%d,"value":1},{"timestamp":%d}]}}`, mid, ts, ts), 422, "data." + mid + "[1].value"},
		{"bulk with a point in the future", "POST", "/metrics/data", fmt.Sprintf(`{"data":{%q:[{"timestamp":%d,"value":1},{"timestamp":%d,"value":1}]}}`,
			mid, ts, now.Add(time.Hour).Unix()), 422, "data." + mid + "[1].timestamp"},
		{"bulk too many points", "POST", "/metrics/data", fmt.Sprintf(`{"data":{%q:[%s]}}`, mid, strings.Join(many, ",")), 422, "data"},
		{"bulk empty", "POST", "/metrics/data", `{"data":{}}`, 422, "data"},
		{"bulk not a map of lists", "POST", "/metrics/data", `{"data":{"x":5}}`, 422, ""},
		{"bulk malformed", "POST", "/metrics/data", `{"data":{`, 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			apitest.WantError(t, env.api(tc.method, tc.path, body), tc.status, tc.field)
			if after := metricsState(env); after != before {
				t.Errorf("state changed:\n%s\nwant\n%s", after, before)
			}
		})
	}
	if _, ok := env.lastPoint(mid); ok {
		t.Error("a refused request stored a point")
	}
	// Without a key nothing is answered.
	if res := env.do("GET", "/api/v1/pages/"+env.pageID+"/metrics", nil); res.Status != 401 {
		t.Errorf("without a key: %d", res.Status)
	}
	if res := env.do("POST", "/api/v1/pages/"+env.pageID+"/metrics/"+mid+"/data", fmt.Sprintf(`{"data":{"timestamp":%d,"value":1}}`, ts)); res.Status != 401 {
		t.Errorf("a point without a key: %d", res.Status)
	}
}

// metricsState is everything the API shows of providers and metrics.
func metricsState(env *testEnv) string {
	env.t.Helper()
	return string(env.mustAPI(200, "GET", "/metrics_providers", nil).Body) + string(env.mustAPI(200, "GET", "/metrics", nil).Body)
}

// TestMetricsFormEncoded: Statuspage's clients may send form-encoded
// bodies (metric[name]=…), numbers and flags as text.
func TestMetricsFormEncoded(t *testing.T) {
	env := newTestEnv(t)
	pid := apitest.String(t, env.mustAPI(201, "POST", "/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Self"}}), "id")
	res := inputPost(env, "POST", "/metrics_providers/"+pid+"/metrics", "application/x-www-form-urlencoded",
		"metric[name]=Queue+length&metric[decimal_places]=2&metric[display]=true&metric[y_axis_max]=500&metric[suffix]=+jobs")
	if res.Status != 201 {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	m := apitest.Object(t, res)
	for k, want := range map[string]any{"name": "Queue length", "decimal_places": 2.0, "display": true, "y_axis_max": 500.0, "suffix": " jobs"} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
}
