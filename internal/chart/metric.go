package chart

import (
	"time"

	"github.com/beacon-status/beacon/metrics"
)

// Metric is the chart of the metric series s (s.Metric names and formats
// it), to draw in the zone loc: on the public page and in the console alike.
func Metric(s metrics.Series, loc *time.Location) Series {
	m := s.Metric
	out := Series{ID: m.ID, Name: m.Name, Description: m.TooltipDescription, Suffix: m.Suffix, Decimals: m.DecimalPlaces,
		YMin: m.YAxisMin, YMax: m.YAxisMax, YHidden: m.YAxisHidden, Period: string(s.Period), From: s.From, To: s.To, Step: s.Step,
		Loc: loc, Points: make([]Point, len(s.Points))}
	for i, a := range s.Points {
		out.Points[i] = Point{Time: a.Time, Avg: a.Avg(), Min: a.Min, Max: a.Max, Count: a.Count}
	}
	return out
}
