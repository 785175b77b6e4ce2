package chart

import (
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/i18n"
)

// scale maps values to the plot's height: lo at the bottom, hi at the top,
// with labelled ticks at round steps.
type scale struct {
	lo, hi float64
	ticks  []float64
	// decimals is how many places the ticks need.
	decimals int
}

// fit returns the value axis for the buckets: the forced ends, or else the
// data's range with zero in it (a response time's chart starts at 0),
// widened to round steps. ok is false without data.
func fit(buckets []*Point, forcedLo, forcedHi *float64) (sc scale, ok bool) {
	lo, hi := 0.0, 0.0
	for _, p := range buckets {
		if p != nil {
			lo, hi, ok = min(lo, p.Min, p.Avg), max(hi, p.Max, p.Avg), true
		}
	}
	if !ok {
		return scale{}, false
	}
	if forcedLo != nil && finite(*forcedLo) {
		lo = *forcedLo
	}
	if forcedHi != nil && finite(*forcedHi) {
		hi = *forcedHi
	}
	if !(hi > lo) { // a flat line at zero, or forced ends the wrong way round
		hi = lo + max(1, math.Abs(lo)/1e6)
	}
	step := niceStep((hi - lo) / 4)
	// Ends not forced move out to the next round step.
	if forcedLo == nil {
		lo = math.Floor(lo/step+1e-9) * step
	}
	if forcedHi == nil {
		hi = math.Ceil(hi/step-1e-9) * step
	}
	sc = scale{lo: lo, hi: hi, decimals: decimalsOf(step)}
	// At most 5 ticks fit; the bound holds also where floating point
	// cannot tell k from k+1.
	first := math.Ceil(lo/step - 1e-9)
	for k := range 6 {
		t := (first + float64(k)) * step
		if !(t <= hi+step*1e-9) {
			break
		}
		sc.ticks = append(sc.ticks, t)
	}
	return sc, true
}

// niceStep is the round number (1, 2 or 5 times a power of ten) at or
// above x.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, f := range []float64{1, 2, 5} {
		if x <= f*p*(1+1e-9) {
			return f * p
		}
	}
	return 10 * p
}

// decimalsOf is how many decimal places write step exactly (up to 6).
func decimalsOf(step float64) int {
	for d := range 6 {
		v := step * math.Pow(10, float64(d))
		if math.Abs(v-math.Round(v)) < 1e-6*v {
			return d
		}
	}
	return 6
}

// y is v's height in the viewBox, clamped not far past its edges (the
// plot clips what lies beyond them).
func (sc scale) y(v float64) int {
	y := math.Round(plotHeight * (sc.hi - v) / (sc.hi - sc.lo))
	if math.IsNaN(y) { // values near the ends of float64's range
		return plotHeight / 2
	}
	return int(min(max(y, -plotHeight), 2*plotHeight))
}

// labels writes the value axis: each tick's label at its height.
func (sc scale) labels(b *strings.Builder, label func(float64) string) {
	texts := make([]string, len(sc.ticks))
	widest := 0
	for i, t := range sc.ticks {
		texts[i] = label(t)
		widest = max(widest, len([]rune(texts[i])))
	}
	// About 7.5 px a character at the labels' 13 px, and a gap of 6 px
	// before the plot.
	width := widest*15/2 + 8
	b.WriteString(`<svg class="ylab" width="`)
	b.WriteString(strconv.Itoa(width))
	b.WriteString(`" aria-hidden="true">`)
	for i, t := range sc.ticks {
		b.WriteString(`<text x="`)
		b.WriteString(strconv.Itoa(width - 6))
		b.WriteString(`" y="`)
		b.WriteString(percent(float64(sc.y(t)) / plotHeight))
		b.WriteString(`">`)
		b.WriteString(texts[i])
		b.WriteString(`</text>`)
	}
	b.WriteString("</svg>\n")
}

// grid writes a horizontal line at each tick.
func (sc scale) grid(b *strings.Builder, width int) {
	b.WriteString(`<path class="grid" d="`)
	for _, t := range sc.ticks {
		b.WriteString("M0 ")
		b.WriteString(strconv.Itoa(sc.y(t)))
		b.WriteString("H")
		b.WriteString(strconv.Itoa(width))
	}
	b.WriteString(`"/>`)
}

// paths writes the band (each bucket's lowest to highest, where any
// bucket has a range) and the line through the averages, both broken
// where buckets are empty. A bucket alone between empty ones is a dot (in
// a path of its own, drawn thicker): a subpath of no length, which round
// caps draw.
func paths(b *strings.Builder, buckets []*Point, sc scale) {
	x := func(i int) string { return strconv.Itoa(i*bucketWidth + bucketWidth/2) }
	// step moves one bucket right or left (dx) and by dy: "h10" when level.
	step := func(b *strings.Builder, dx, dy int) {
		if dy == 0 {
			b.WriteString("h" + strconv.Itoa(dx))
			return
		}
		b.WriteString("l" + strconv.Itoa(dx) + " " + strconv.Itoa(dy))
	}
	var band, line, dots strings.Builder
	ranged := false
	for _, p := range buckets {
		ranged = ranged || p != nil && p.Max > p.Min
	}
	for i := 0; i < len(buckets); {
		if buckets[i] == nil {
			i++
			continue
		}
		j := i
		for j < len(buckets) && buckets[j] != nil {
			j++
		}
		run := buckets[i:j]
		if len(run) > 1 {
			line.WriteString("M" + x(i) + " " + strconv.Itoa(sc.y(run[0].Avg)))
		}
		for k := 1; k < len(run); k++ {
			step(&line, bucketWidth, sc.y(run[k].Avg)-sc.y(run[k-1].Avg))
		}
		if len(run) == 1 {
			dots.WriteString("M" + x(i) + " " + strconv.Itoa(sc.y(run[0].Avg)) + "h0")
		}
		if ranged && len(run) > 1 {
			band.WriteString("M" + x(i) + " " + strconv.Itoa(sc.y(run[0].Max)))
			for k := 1; k < len(run); k++ {
				step(&band, bucketWidth, sc.y(run[k].Max)-sc.y(run[k-1].Max))
			}
			band.WriteString("L" + x(j-1) + " " + strconv.Itoa(sc.y(run[len(run)-1].Min)))
			for k := len(run) - 2; k >= 0; k-- {
				step(&band, -bucketWidth, sc.y(run[k].Min)-sc.y(run[k+1].Min))
			}
			band.WriteString("Z")
		}
		i = j
	}
	if band.Len() > 0 {
		b.WriteString(`<path class="band" d="`)
		b.WriteString(band.String())
		b.WriteString(`"/>`)
	}
	for _, p := range []struct {
		class string
		d     *strings.Builder
	}{{"line", &line}, {"dots", &dots}} {
		if p.d.Len() > 0 {
			b.WriteString(`<path class="` + p.class + `" d="`)
			b.WriteString(p.d.String())
			b.WriteString(`"/>`)
		}
	}
}

// percent writes a fraction as an SVG percentage: "37.5%".
func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*10000)/100, 'f', -1, 64) + "%"
}

// timeAxis writes the time axis under the plot: labels at round times in
// loc — every 3 hours over a day (those between the 6-hourly ones have the
// class "odd", which a phone hides), every midnight over a week (every
// other one "odd"), every Monday over a longer span. Labels too near
// either end are left out.
func timeAxis(b *strings.Builder, from, to time.Time, loc *time.Location, lang *i18n.Lang) {
	b.WriteString(`<svg class="xlab" aria-hidden="true">`)
	span := to.Sub(from)
	if span > 0 {
		f := from.In(loc)
		var t time.Time
		var next func(time.Time) time.Time
		layout := "Mon 2"
		switch {
		case span <= 36*time.Hour:
			t = time.Date(f.Year(), f.Month(), f.Day(), f.Hour()-f.Hour()%3, 0, 0, 0, loc)
			next = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+3, 0, 0, 0, loc) }
			layout = "15:04"
		// Days start where components.DayStart says: a missing midnight
		// would make a next day the same day.
		case span <= 10*24*time.Hour:
			t = components.DayStart(f.Year(), f.Month(), f.Day(), loc)
			next = func(t time.Time) time.Time { return components.DayStart(t.Year(), t.Month(), t.Day()+1, loc) }
		default:
			t = components.DayStart(f.Year(), f.Month(), f.Day()-(int(f.Weekday())+6)%7, loc)
			next = func(t time.Time) time.Time { return components.DayStart(t.Year(), t.Month(), t.Day()+7, loc) }
			layout = "Jan 2"
		}
		for k := 0; t.Before(to); t, k = next(t), k+1 {
			frac := float64(t.Sub(from)) / float64(span)
			if frac < 0.03 || frac > 0.97 {
				continue
			}
			odd := k%2 == 1
			if layout == "15:04" {
				odd = t.Hour()%6 != 0
			} else if layout == "Jan 2" {
				odd = false
			}
			b.WriteString(`<text`)
			if odd {
				b.WriteString(` class="odd"`)
			}
			b.WriteString(` x="`)
			b.WriteString(percent(frac))
			b.WriteString(`" y="14">`)
			b.WriteString(axisLabel(t, layout, lang))
			b.WriteString(`</text>`)
		}
	}
	b.WriteString("</svg>\n")
}

// axisLabel writes t as the axis does, in layout ("15:04", "Mon 2",
// "Jan 2"): in lang's date styles, or as layout says without one.
func axisLabel(t time.Time, layout string, lang *i18n.Lang) string {
	if lang == nil {
		return t.Format(layout)
	}
	switch layout {
	case "15:04":
		return lang.Date(i18n.Clock, t)
	case "Mon 2":
		return html.EscapeString(lang.Date(i18n.WeekdayNum, t))
	}
	return html.EscapeString(lang.Date(i18n.DayMonth, t))
}
