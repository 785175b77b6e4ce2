package chart

import (
	"testing"
	"time"

	"github.com/beacon-status/beacon/metrics"
)

// Metric draws a series as its metric says: name, tooltip, suffix,
// decimals and y axis from s.Metric, buckets from s.
func TestMetric(t *testing.T) {
	lo, hi := 0.0, 500.0
	from := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	s := metrics.Series{Metric: metrics.Metric{ID: "m1", Name: "Queue length", TooltipDescription: "Jobs waiting", Suffix: "jobs",
		DecimalPlaces: 2, YAxisMin: &lo, YAxisMax: &hi, YAxisHidden: true}, Period: metrics.Day, From: from, To: from.Add(24 * time.Hour),
		Step: 5 * time.Minute, Points: []metrics.Aggregate{{Time: from, Min: 1, Max: 3, Sum: 4, Count: 2}}}
	got := Metric(s, time.UTC)
	if got.ID != "m1" || got.Name != "Queue length" || got.Description != "Jobs waiting" || got.Suffix != "jobs" || got.Decimals != 2 ||
		got.YMin != &lo || got.YMax != &hi || !got.YHidden || got.Period != "day" || got.Step != 5*time.Minute ||
		len(got.Points) != 1 || got.Points[0] != (Point{Time: from, Avg: 2, Min: 1, Max: 3, Count: 2}) {
		t.Errorf("Metric(%+v) = %+v", s, got)
	}
}
