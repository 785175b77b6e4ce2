package chart

import (
	"math"
	"strings"
	"testing"
	"time"
)

// BenchmarkChart measures drawing one chart with every bucket full, for
// each period the public page offers (the metrics package's steps: a day
// of 5-minute buckets, a week of hours, a month of 4-hour buckets). The
// figures are recorded in docs/BENCHMARKS.md, never asserted.
//
//	go test ./internal/chart -run '^$' -bench Chart -benchmem
func BenchmarkChart(b *testing.B) {
	loc := newYork(b)
	for _, p := range []struct {
		name string
		step time.Duration
		n    int
	}{
		{"day", 5 * time.Minute, 288},
		{"week", time.Hour, 168},
		{"month", 4 * time.Hour, 180},
	} {
		s := Series{ID: "m1", Name: "API response time", Suffix: "ms", Decimals: 1, Period: p.name,
			From: start, To: start.Add(time.Duration(p.n) * p.step), Step: p.step, Loc: loc}
		for i := range p.n {
			v := 120 + 40*math.Sin(float64(i)/float64(p.n)*2*math.Pi) + float64(i%7)
			s.Points = append(s.Points, Point{Time: start.Add(time.Duration(i) * p.step), Avg: v, Min: v - 15, Max: v + 30 + float64(i%11), Count: 10})
		}
		b.Run(p.name, func(b *testing.B) {
			var sb strings.Builder
			for b.Loop() {
				sb.Reset()
				Write(&sb, s)
			}
			b.ReportMetric(float64(sb.Len()), "bytes")
		})
	}
}
