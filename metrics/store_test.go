package metrics_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/metrics"
)

func TestProviders(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	_, err := e.svc.CreateProvider(e.ctx, metrics.ProviderInput{})
	wantInvalid(t, err, "type")
	_, err = e.svc.CreateProvider(e.ctx, metrics.ProviderInput{Type: ptr(metrics.ProviderType("Nagios"))})
	wantInvalid(t, err, "type")
	_, err = e.svc.CreateProvider(e.ctx, metrics.ProviderInput{Type: ptr(metrics.Datadog), APIKey: ptr(strings.Repeat("k", 256))})
	wantInvalid(t, err, "api_key")
	_, err = e.svc.CreateProvider(e.ctx, metrics.ProviderInput{Type: ptr(metrics.Datadog), MetricBaseURI: ptr("a\x00b")})
	wantInvalid(t, err, "metric_base_uri")
	if e.changed != 0 || e.count(`SELECT COUNT(*) FROM metrics_providers`) != 0 {
		t.Fatalf("refused providers were written (%d changes)", e.changed)
	}

	dd, err := e.svc.CreateProvider(e.ctx, metrics.ProviderInput{Type: ptr(metrics.Datadog), APIKey: ptr("key1"),
		ApplicationKey: ptr("app1"), MetricBaseURI: ptr("https://api.datadoghq.com")})
	if err != nil {
		t.Fatal(err)
	}
	if dd.Type != metrics.Datadog || dd.MetricBaseURI != "https://api.datadoghq.com" || dd.Disabled || dd.Fetched() ||
		!dd.CreatedAt.Equal(t0) || len(dd.ID) != 12 {
		t.Errorf("created %+v", dd)
	}
	self := e.provider()
	if !self.Fetched() {
		t.Error("a Self provider's data is not marked as reaching Beacon")
	}
	if e.changed != 2 {
		t.Errorf("%d changes reported, want 2", e.changed)
	}

	// An update leaves the credentials it does not name.
	e.clock.Advance(time.Minute)
	got, err := e.svc.UpdateProvider(e.ctx, dd.ID, metrics.ProviderInput{Disabled: ptr(true), APIKey: ptr("key2")})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Disabled || got.Type != metrics.Datadog || !got.UpdatedAt.Equal(t0.Add(time.Minute)) || !got.CreatedAt.Equal(t0) {
		t.Errorf("updated %+v", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM metrics_providers WHERE api_key = 'key2' AND application_key = 'app1'`); n != 1 {
		t.Error("the update did not keep the credentials it did not name")
	}
	_, err = e.svc.UpdateProvider(e.ctx, dd.ID, metrics.ProviderInput{Type: ptr(metrics.ProviderType("self"))})
	wantInvalid(t, err, "type")
	_, err = e.svc.UpdateProvider(e.ctx, "nope", metrics.ProviderInput{Disabled: ptr(true)})
	wantNotFound(t, err)

	if got, err := e.svc.Provider(e.ctx, dd.ID); err != nil || got != (metrics.Provider{ID: dd.ID, Type: metrics.Datadog, Disabled: true,
		MetricBaseURI: dd.MetricBaseURI, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)}) {
		t.Errorf("Provider: %+v, %v", got, err)
	}
	// Oldest first, and those made at the same time in id order: the same
	// order on every engine.
	late := e.provider()
	list, err := e.svc.Providers(e.ctx)
	want := []string{min(dd.ID, self.ID), max(dd.ID, self.ID), late.ID}
	if err != nil || len(list) != 3 || list[0].ID != want[0] || list[1].ID != want[1] || list[2].ID != want[2] {
		t.Errorf("Providers: %+v, %v; want ids %v", list, err, want)
	}

	// Deleting a provider takes its metrics and their data.
	m := e.metric("Latency", self.ID)
	other := e.metric("Errors", dd.ID)
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: t0, Value: 1}); err != nil {
		t.Fatal(err)
	}
	v := e.svc.DataVersion()
	if err := e.svc.DeleteProvider(e.ctx, self.ID); err != nil {
		t.Fatal(err)
	}
	if e.svc.DataVersion() == v {
		t.Error("DataVersion did not move when a provider's data went")
	}
	_, err = e.svc.Get(e.ctx, m.ID)
	wantNotFound(t, err)
	if rows := e.dataRows(); rows != [3]int{} {
		t.Errorf("data rows left after deleting the provider: %v", rows)
	}
	if _, err := e.svc.Get(e.ctx, other.ID); err != nil {
		t.Errorf("another provider's metric: %v", err)
	}
	wantNotFound(t, e.svc.DeleteProvider(e.ctx, self.ID))
	_, err = e.svc.Provider(e.ctx, self.ID)
	wantNotFound(t, err)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, metrics.Config{})
	p := e.provider()
	for _, c := range []struct {
		field string
		in    metrics.MetricInput
	}{
		{"name", metrics.MetricInput{}},
		{"name", metrics.MetricInput{Name: ptr("  ")}},
		{"name", metrics.MetricInput{Name: ptr(strings.Repeat("é", 256))}},
		{"suffix", metrics.MetricInput{Name: ptr("x"), Suffix: ptr(strings.Repeat("s", 33))}},
		{"decimal_places", metrics.MetricInput{Name: ptr("x"), DecimalPlaces: ptr(7)}},
		{"decimal_places", metrics.MetricInput{Name: ptr("x"), DecimalPlaces: ptr(-1)}},
		{"transform", metrics.MetricInput{Name: ptr("x"), Transform: ptr(metrics.Transform("median"))}},
		{"y_axis_min", metrics.MetricInput{Name: ptr("x"), YAxisMin: ptr(ptr(math.NaN()))}},
		{"y_axis_max", metrics.MetricInput{Name: ptr("x"), YAxisMax: ptr(ptr(math.Inf(1)))}},
		{"y_axis_max", metrics.MetricInput{Name: ptr("x"), YAxisMax: ptr(ptr(1.0000001e15))}},
		{"y_axis_min", metrics.MetricInput{Name: ptr("x"), YAxisMin: ptr(ptr(-math.MaxFloat64))}},
		{"y_axis_max", metrics.MetricInput{Name: ptr("x"), YAxisMin: ptr(ptr(5.0)), YAxisMax: ptr(ptr(5.0))}},
		{"tooltip_description", metrics.MetricInput{Name: ptr("x"), TooltipDescription: ptr("a\u202eb")}},
		{"metric_identifier", metrics.MetricInput{Name: ptr("x"), Identifier: ptr(strings.Repeat("i", 256))}},
	} {
		_, err := e.svc.Create(e.ctx, p.ID, c.in)
		wantInvalid(t, err, c.field)
	}
	_, err := e.svc.Create(e.ctx, "nope", metrics.MetricInput{Name: ptr("x")})
	wantNotFound(t, err)
	if n := e.count(`SELECT COUNT(*) FROM metrics`); n != 0 {
		t.Fatalf("%d refused metrics written", n)
	}

	changes := e.changed
	m, err := e.svc.Create(e.ctx, p.ID, metrics.MetricInput{Name: ptr(" API latency "), Suffix: ptr("ms"), DecimalPlaces: ptr(2),
		YAxisMin: ptr(ptr(0.0)), Identifier: ptr("api.latency"), Transform: ptr(metrics.ResponseTime)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "API latency" || m.Suffix != "ms" || m.DecimalPlaces != 2 || m.YAxisMin == nil || *m.YAxisMin != 0 ||
		m.YAxisMax != nil || !m.Display || m.Transform != metrics.ResponseTime || m.ProviderID != p.ID || m.Identifier != "api.latency" {
		t.Errorf("created %+v", m)
	}
	if e.changed != changes+1 {
		t.Error("creating a metric reported no change")
	}
	got, err := e.svc.Get(e.ctx, m.ID)
	if err != nil || got.Name != m.Name || *got.YAxisMin != 0 || got.YAxisMax != nil || got.MostRecentDataAt != nil {
		t.Errorf("Get: %+v, %v", got, err)
	}

	// Defaults, and a hidden one.
	plain := e.metric("Plain", p.ID)
	if plain.Transform != metrics.Average || !plain.Display || plain.DecimalPlaces != 0 {
		t.Errorf("defaults: %+v", plain)
	}
	hidden, err := e.svc.Create(e.ctx, p.ID, metrics.MetricInput{Name: ptr("Hidden"), Display: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}

	// Update: nil leaves, a nil *float64 clears.
	e.clock.Advance(time.Hour)
	up, err := e.svc.Update(e.ctx, m.ID, metrics.MetricInput{YAxisMin: ptr((*float64)(nil)), YAxisMax: ptr(ptr(500.0)), Display: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if up.YAxisMin != nil || up.YAxisMax == nil || *up.YAxisMax != 500 || up.Display || up.Suffix != "ms" || !up.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("updated %+v", up)
	}
	_, err = e.svc.Update(e.ctx, m.ID, metrics.MetricInput{YAxisMin: ptr(ptr(600.0))})
	wantInvalid(t, err, "y_axis_max")
	_, err = e.svc.Update(e.ctx, "nope", metrics.MetricInput{})
	wantNotFound(t, err)
	if got, _ := e.svc.Get(e.ctx, m.ID); got.YAxisMin != nil || *got.YAxisMax != 500 || got.Display {
		t.Errorf("stored after update: %+v", got)
	}

	names := func(ms []metrics.Metric, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(e.svc.List(e.ctx)); got != "API latency,Plain,Hidden" {
		t.Errorf("List: %s", got)
	}
	if got := names(e.svc.Displayed(e.ctx)); got != "Plain" {
		t.Errorf("Displayed: %s", got)
	}
	if _, err := e.svc.Update(e.ctx, hidden.ID, metrics.MetricInput{Display: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Update(e.ctx, m.ID, metrics.MetricInput{Display: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if got := names(e.svc.Displayed(e.ctx)); got != "API latency,Plain,Hidden" {
		t.Errorf("Displayed keeps creation order, not update order: %s", got)
	}
	other := e.metric("Elsewhere")
	if got := names(e.svc.ProviderMetrics(e.ctx, p.ID)); got != "API latency,Plain,Hidden" {
		t.Errorf("ProviderMetrics: %s", got)
	}
	if got := names(e.svc.ProviderMetrics(e.ctx, other.ProviderID)); got != "Elsewhere" {
		t.Errorf("ProviderMetrics of the other: %s", got)
	}
	_, err = e.svc.ProviderMetrics(e.ctx, "nope")
	wantNotFound(t, err)

	// Delete takes the data.
	if _, err := e.svc.AddPoint(e.ctx, m.ID, metrics.Point{Time: e.clock.Now(), Value: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddPoint(e.ctx, plain.ID, metrics.Point{Time: e.clock.Now(), Value: 3}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(e.ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if rows := e.dataRows(); rows != [3]int{1, 1, 1} {
		t.Errorf("data rows after deleting one of two metrics: %v, want the other's only", rows)
	}
	wantNotFound(t, e.svc.Delete(e.ctx, m.ID))
	_, err = e.svc.Get(e.ctx, m.ID)
	wantNotFound(t, err)
}
