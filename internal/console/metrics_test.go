package console_test

import (
	"context"
	"errors"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/metrics"
)

// TestConsoleMetrics walks the Metrics screens as an admin: create a Self
// provider and a stored Datadog one (its key never shown), a metric with
// its display settings, see its last point and its latest aggregates,
// edit it, reset its data (refused without the confirmation box), delete
// it and the provider. Refused forms show the field at fault and change
// nothing; responders are refused; every change is audited.
func TestConsoleMetrics(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	admin := e.newStaff(accounts.Admin)
	svc := e.svc.Metrics

	if body := admin.Get("/console/metrics").Body; !strings.Contains(string(body), "No providers yet") {
		t.Errorf("empty Metrics screen: %s", body)
	}
	admin.MustPost(303, "/console/metrics/providers", url.Values{"type": {"Self"}})
	admin.MustPost(303, "/console/metrics/providers", url.Values{"type": {"Datadog"}, "api_key": {"dd-secret-key"},
		"metric_base_uri": {"https://api.datadoghq.com"}})
	res := admin.MustPost(422, "/console/metrics/providers", url.Values{"type": {"Nagios"}})
	if !strings.Contains(string(res.Body), `id="provider_type"`) || !strings.Contains(string(res.Body), "field-error") {
		t.Errorf("unknown type: the form is not shown again with its error: %s", consoletest.Body(res))
	}
	providers, err := svc.Providers(ctx)
	if err != nil || len(providers) != 2 {
		t.Fatalf("providers %+v, %v; want Self and Datadog", providers, err)
	}
	self := providers[0]
	if self.Type != metrics.Self {
		self = providers[1]
	}
	list := string(admin.Get("/console/metrics").Body)
	if strings.Contains(list, "dd-secret-key") || !strings.Contains(list, "not fetched") {
		t.Errorf("the Datadog provider: its key shown, or not said to be stored only:\n%s", list)
	}

	// A metric; refused forms name their field and create nothing.
	form := func(kv ...string) url.Values {
		v := url.Values{"metrics_provider_id": {self.ID}, "name": {"API response time"}, "suffix": {"ms"}, "decimal_places": {"1"},
			"y_axis_min": {"0"}, "y_axis_max": {""}, "display": {"1"}, "tooltip_description": {"Median"}, "transform": {"average"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, bad := range []struct{ field, value, id string }{
		{"decimal_places", "9", "metric_decimal_places"},
		{"decimal_places", "two", "metric_decimal_places"},
		{"y_axis_min", "low", "metric_y_axis_min"},
		{"name", "", "metric_name"},
		{"suffix", strings.Repeat("s", 33), "metric_suffix"},
	} {
		res := admin.MustPost(422, "/console/metrics", form(bad.field, bad.value))
		if !strings.Contains(string(res.Body), `id="`+bad.id+`" `) || !strings.Contains(string(res.Body), `aria-invalid="true"`) {
			t.Errorf("%s=%q: field %s not marked: %s", bad.field, bad.value, bad.id, consoletest.Body(res))
		}
	}
	if all, _ := svc.List(ctx); len(all) != 0 {
		t.Fatalf("refused forms created %+v", all)
	}
	res = admin.MustPost(303, "/console/metrics", form())
	id := strings.TrimPrefix(res.Header.Get("Location"), "/console/metrics/")
	m, err := svc.Get(ctx, id)
	if err != nil || m.Name != "API response time" || m.Suffix != "ms" || m.DecimalPlaces != 1 || !m.Display ||
		m.YAxisMin == nil || *m.YAxisMin != 0 || m.YAxisMax != nil || m.TooltipDescription != "Median" {
		t.Fatalf("created %+v, %v", m, err)
	}

	// Its last point and latest aggregates.
	page := string(admin.Get("/console/metrics/" + id).Body)
	if !strings.Contains(page, "None yet") {
		t.Errorf("metric without data: %s", page)
	}
	now := e.clock.Now()
	for i, v := range []float64{180, 184.25} {
		if _, err := svc.AddPoint(ctx, id, metrics.Point{Time: now.Add(time.Duration(i-2) * time.Minute), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	page = html.UnescapeString(string(admin.Get("/console/metrics/" + id).Body))
	// One decimal place and the suffix; 184.25 rounds to even.
	if !strings.Contains(page, "<p>184.2 ms at 2026-03-10 11:59:00</p>") {
		t.Errorf("the last point is not shown as 184.2 ms at 11:59:00:\n%s", page)
	}
	// The public page's chart of the last day, with the bucket's tooltip.
	if !strings.Contains(page, `<figure class="chart"`) || !strings.Contains(page, "<svg") || !strings.Contains(page, "11:55") {
		t.Errorf("no chart of the last day:\n%s", page)
	}
	if !strings.Contains(page, "<tr><td>2026-03-10 11:55</td><td>182.1 ms</td><td>180.0 ms</td><td>184.2 ms</td><td>2</td></tr>") {
		t.Errorf("no row for the 5 minutes from 11:55 (average, minimum, maximum, points):\n%s", page)
	}
	if list := string(admin.Get("/console/metrics").Body); !strings.Contains(list, "/console/metrics/"+id) || !strings.Contains(list, "ms at ") {
		t.Errorf("the list does not show the metric with its last point:\n%s", list)
	}
	// In German, the numbers have a decimal comma: the last point, the
	// rows and the chart's tooltip (the time of day is the same).
	admin.MustPost(303, "/console/language", url.Values{"language": {"de"}})
	page = html.UnescapeString(string(admin.Get("/console/metrics/" + id).Body))
	for _, want := range []string{"<p>184,2 ms um 2026-03-10 11:59:00</p>", "<td>182,1 ms</td><td>180,0 ms</td><td>184,2 ms</td>", "11:55 · 182,1 ms"} {
		if !strings.Contains(page, want) {
			t.Errorf("German metric screen lacks %q:\n%s", want, page)
		}
	}
	admin.MustPost(303, "/console/language", url.Values{"language": {""}})

	// Edit: clearing the axis minimum lets the chart fit the data.
	admin.MustPost(303, "/console/metrics/"+id, form("name", "Latency", "y_axis_min", "", "display", "", "decimal_places", "0"))
	if m, _ = svc.Get(ctx, id); m.Name != "Latency" || m.YAxisMin != nil || m.Display || m.DecimalPlaces != 0 {
		t.Errorf("after editing: %+v", m)
	}
	admin.MustPost(422, "/console/metrics/"+id, form("decimal_places", "-1"))

	// Reset: refused without the box, then done.
	res = admin.MustPost(422, "/console/metrics/"+id+"/reset", url.Values{})
	if !strings.Contains(string(res.Body), "Nothing was deleted") {
		t.Errorf("reset without confirming: %s", consoletest.Body(res))
	}
	if _, ok, _ := svc.Last(ctx, id); !ok {
		t.Fatal("a reset without confirming deleted the data")
	}
	admin.MustPost(303, "/console/metrics/"+id+"/reset", url.Values{"confirm": {"1"}})
	if _, ok, _ := svc.Last(ctx, id); ok {
		t.Error("the data is still there after the reset")
	}

	// Responders see none of it.
	responder := e.newStaff(accounts.Responder)
	for _, path := range []string{"/console/metrics", "/console/metrics/" + id, "/console/metrics/providers/" + self.ID} {
		if res := responder.Get(path); res.Status != 403 {
			t.Errorf("responder GET %s: %d, want 403", path, res.Status)
		}
	}
	responder.MustPost(403, "/console/metrics/"+id+"/reset", url.Values{"confirm": {"1"}})
	if res := admin.Get("/console/metrics/providers/" + self.ID); res.Status != 200 || !strings.Contains(string(res.Body), "Latency") {
		t.Errorf("provider screen: %d %s", res.Status, consoletest.Body(res))
	}

	// Delete the metric, then the provider.
	admin.MustPost(303, "/console/metrics/"+id+"/delete", url.Values{})
	if _, err := svc.Get(ctx, id); !errors.Is(err, metrics.ErrNotFound) {
		t.Errorf("after deleting the metric: %v", err)
	}
	if res := admin.Get("/console/metrics/" + id); res.Status != 404 {
		t.Errorf("deleted metric's screen: %d", res.Status)
	}
	admin.MustPost(303, "/console/metrics/providers/"+self.ID+"/delete", url.Values{})
	if _, err := svc.Provider(ctx, self.ID); !errors.Is(err, metrics.ErrNotFound) {
		t.Errorf("after deleting the provider: %v", err)
	}

	log, err := e.svc.Accounts.Audit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, entry := range log {
		if strings.Contains(entry.Action, "metrics") {
			actions = append(actions, entry.Action)
		}
	}
	want := "console: POST metrics/providers/:id/delete|console: POST metrics/:id/delete|console: POST metrics/:id/reset|" +
		"console: POST metrics/:id|console: POST metrics|console: POST metrics/providers|console: POST metrics/providers"
	if got := strings.Join(actions, "|"); got != want {
		t.Errorf("audit log, newest first:\n%s\nwant\n%s", got, want)
	}
}
