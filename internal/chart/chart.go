// Package chart draws a metric's series for the public page: HTML with
// inline SVG, written on the server, readable without script, in the
// page's colours in either scheme.
//
// A chart is a figure. Its caption names the metric and sums the period up
// (the latest value, the average and the highest); its plot is an SVG of
// the average (a line) and each bucket's range from lowest to highest (a
// faint band), stretched to the width of the page (the strokes do not
// scale); the line breaks where buckets are empty. The axes' labels are
// SVGs without a viewBox whose text sits at percentages of their width or
// height, so the labels keep their size whatever the width. Over the plot
// an ordered list holds one item per bucket, side by side: an item with
// data holds its tooltip in plain text ("Mar 10 14:05 · 123 ms", read by
// screen readers and shown on hover, and on focus for the latest and the
// highest points, which take the focus); an empty bucket's item is hidden
// from assistive technology. Colours are the stylesheet's: the SVG has
// classes only (beacon.css, "Charts").
//
// Metric fills a Series from a metric of the metrics package, for the
// public page and the console alike.
package chart

import (
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
)

// Point is one bucket's aggregate.
type Point struct {
	// Time is the bucket's start.
	Time          time.Time
	Avg, Min, Max float64
	// Count is how many values the bucket holds; it weighs the bucket in
	// the period's average (0 counts as 1).
	Count int64
}

// Series is what a chart shows: one metric over one period, in buckets
// of Step from From to To.
type Series struct {
	// ID tells the chart apart on its page: element ids derive from it
	// (letters, digits, "-" and "_" of it; the metrics' ids are those).
	ID          string
	Name        string
	Description string
	// Suffix follows every value ("ms"); Decimals is how many decimal
	// places values are written with.
	Suffix   string
	Decimals int
	// YMin and YMax force the value axis's ends (nil: fitted to the data,
	// with zero included); YHidden leaves its labels out.
	YMin, YMax *float64
	YHidden    bool
	// Period is the caption's word for the span ("day": "over the last
	// day").
	Period   string
	From, To time.Time
	Step     time.Duration
	// Loc is the time zone the times are written in (the page's).
	Loc *time.Location
	// Points are the buckets with data, any order; a bucket without data
	// is absent.
	Points []Point
	// Lang is the language of the caption, tooltips and axis (the
	// [chart] messages and date styles); nil writes them in English
	// without the catalogue. Period is then read as a [chart] period id.
	Lang *i18n.Lang
}

// Geometry of the plot's viewBox: a bucket is bucketWidth wide, the
// height plotHeight. Coordinates are whole numbers.
const (
	bucketWidth = 10
	plotHeight  = 1000
	// maxBuckets bounds the width whatever the series says.
	maxBuckets = 2000
)

// Write writes the chart of s to b.
func Write(b *strings.Builder, s Series) {
	esc := func(v string) string { return html.EscapeString(chars.CleanLine(v)) }
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	n := 0
	if s.Step > 0 && s.To.After(s.From) {
		n = min(int(s.To.Sub(s.From)/s.Step), maxBuckets)
	}
	buckets := make([]*Point, n)
	for i := range s.Points {
		p := &s.Points[i]
		if n == 0 || p.Time.Before(s.From) || !finite(p.Avg, p.Min, p.Max) {
			continue
		}
		if j := int(p.Time.Sub(s.From) / s.Step); j < n {
			buckets[j] = p
		}
	}
	sum := summarise(buckets)
	nums := numeralsOf(s.Lang)
	value := func(v float64, decimals int) string { return esc(nums.value(v, decimals, s.Suffix)) }

	id := "chart-" + idSafe(s.ID)
	b.WriteString(`<figure class="chart" aria-labelledby="`)
	b.WriteString(id)
	b.WriteString(`">
<figcaption id="`)
	b.WriteString(id)
	b.WriteString(`"><span class="name">`)
	b.WriteString(esc(s.Name))
	b.WriteString(`</span> <span class="sum">`)
	if l := s.Lang; l != nil {
		period := l.T("chart.period_" + s.Period)
		if sum.points == 0 {
			b.WriteString(esc(l.F("chart.no_data_over", "Period", period)))
		} else {
			b.WriteString(esc(l.F("chart.summary", "Latest", nums.value(sum.latest, s.Decimals, s.Suffix),
				"Average", nums.value(sum.avg, s.Decimals, s.Suffix), "Highest", nums.value(sum.highest, s.Decimals, s.Suffix), "Period", period)))
		}
	} else if sum.points == 0 {
		b.WriteString(`No data over the last `)
		b.WriteString(esc(s.Period))
	} else {
		b.WriteString(`Latest `)
		b.WriteString(value(sum.latest, s.Decimals))
		b.WriteString(`, average `)
		b.WriteString(value(sum.avg, s.Decimals))
		b.WriteString(`, highest `)
		b.WriteString(value(sum.highest, s.Decimals))
		b.WriteString(` over the last `)
		b.WriteString(esc(s.Period))
	}
	b.WriteString(`</span>`)
	if s.Description != "" {
		b.WriteString(` <span class="desc">`)
		b.WriteString(esc(s.Description))
		b.WriteString(`</span>`)
	}
	b.WriteString("</figcaption>\n")

	scale, ok := fit(buckets, s.YMin, s.YMax)
	showY := ok && !s.YHidden
	if showY {
		b.WriteString(`<div class="plot">` + "\n")
		scale.labels(b, func(v float64) string { return value(v, scale.decimals) })
	} else {
		b.WriteString(`<div class="plot no-y">` + "\n")
	}
	b.WriteString(`<div class="area">` + "\n")
	if sum.points == 0 {
		noData := "No data"
		if s.Lang != nil {
			noData = esc(s.Lang.T("chart.no_data"))
		}
		b.WriteString(`<p class="nodata">` + noData + `</p>` + "\n")
	} else {
		b.WriteString(`<svg viewBox="0 0 `)
		b.WriteString(strconv.Itoa(n * bucketWidth))
		b.WriteString(` `)
		b.WriteString(strconv.Itoa(plotHeight))
		b.WriteString(`" preserveAspectRatio="none" aria-hidden="true">`)
		scale.grid(b, n*bucketWidth)
		paths(b, buckets, scale)
		b.WriteString("</svg>\n")
		b.WriteString(`<ol class="points">` + "\n")
		for i, p := range buckets {
			if p == nil {
				b.WriteString(`<li aria-hidden="true"></li>` + "\n")
				continue
			}
			b.WriteString(`<li`)
			if i == sum.last || i == sum.top {
				b.WriteString(` tabindex="0"`)
			}
			b.WriteString(`><span>`)
			if s.Lang != nil {
				b.WriteString(s.Lang.Date(i18n.DayTimeCompact, p.Time.In(loc)))
			} else {
				b.WriteString(p.Time.In(loc).Format("Jan 2 15:04"))
			}
			b.WriteString(` · `)
			b.WriteString(value(p.Avg, s.Decimals))
			b.WriteString("</span></li>\n")
		}
		b.WriteString("</ol>\n")
	}
	b.WriteString("</div>\n")
	timeAxis(b, s.From, s.To, loc, s.Lang)
	b.WriteString("</div>\n</figure>")
}

// HTML returns the chart of s.
func HTML(s Series) string {
	var b strings.Builder
	Write(&b, s)
	return b.String()
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// summary is what the caption says of a series, and which points take the
// focus.
type summary struct {
	points               int
	latest, avg, highest float64
	// last and top are the indexes of the latest bucket and of the one
	// with the highest average; -1 without data.
	last, top int
}

func summarise(buckets []*Point) summary {
	sum := summary{last: -1, top: -1}
	// The average is kept as a running mean, which no sum of values near
	// float64's limits overflows.
	var weight float64
	for i, p := range buckets {
		if p == nil {
			continue
		}
		w := float64(max(p.Count, 1))
		weight += w
		sum.avg += p.Avg*(w/weight) - sum.avg*(w/weight)
		if sum.points == 0 || p.Max > sum.highest {
			sum.highest = p.Max
		}
		if sum.top < 0 || p.Avg > buckets[sum.top].Avg {
			sum.top = i
		}
		sum.points++
		sum.last, sum.latest = i, p.Avg
	}
	return sum
}

// Value writes v as charts show it, and the console too: with decimals
// places (0–6), never as "-0", then a space and the suffix, trimmed, if
// there is one ("120 ms"). It is text: escape it for HTML.
func Value(v float64, decimals int, suffix string) string {
	out := strconv.FormatFloat(v, 'f', min(max(decimals, 0), 6), 64)
	if strings.Trim(out, "-0.") == "" {
		out = strings.TrimPrefix(out, "-")
	}
	if suffix = strings.TrimSpace(suffix); suffix != "" {
		out += " " + suffix
	}
	return out
}

// ValueIn writes v as Value does, with lang's decimal sign and minus:
// "1,5 ms" in German. nil lang writes it as Value does.
func ValueIn(lang *i18n.Lang, v float64, decimals int, suffix string) string {
	return numeralsOf(lang).value(v, decimals, suffix)
}

// numerals are the symbols a language writes a chart's numbers with: its
// decimal sign and its minus. Digits are not grouped, in any language:
// the charts never grouped them in English ("1234 ms"), whose output
// stays as it was, and an axis label kept short leaves the plot its
// width. The zero value is Value's ("." and "-").
type numerals struct{ decimal, minus string }

// numeralsOf reads lang's symbols off the numbers it writes, once a chart.
func numeralsOf(lang *i18n.Lang) numerals {
	if lang == nil {
		return numerals{}
	}
	half := lang.Decimal(0.5, 1) // "0,5"
	return numerals{decimal: strings.TrimSuffix(strings.TrimPrefix(half, "0"), "5"),
		minus: strings.TrimSuffix(lang.Decimal(-1, 0), "1")}
}

// value writes v as Value does, in n's symbols. The suffix is written as
// it is: only the number, before Value's space, is the language's.
func (n numerals) value(v float64, decimals int, suffix string) string {
	out := Value(v, decimals, suffix)
	if n == (numerals{}) || n == (numerals{".", "-"}) {
		return out
	}
	num, rest, hasSuffix := strings.Cut(out, " ")
	num = strings.Replace(num, ".", n.decimal, 1)
	if strings.HasPrefix(num, "-") {
		num = n.minus + num[1:]
	}
	if hasSuffix {
		return num + " " + rest
	}
	return num
}

// idSafe keeps of id what an element id may hold in any context (letters,
// digits, "-" and "_"); the others become "_".
func idSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, id)
}
