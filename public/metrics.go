package public

import (
	"context"
	"errors"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beacon-status/beacon/internal/chart"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/metrics"
)

// System metrics on "/": a chart per displayed metric, drawn by
// internal/chart, over a day on "/" and over a week or a month on
// "/?metrics=week" and "/?metrics=month" (links: no script needed), each
// page rendered once into the snapshot ("/" with it, the others on
// demand).
//
// Charts follow the data at most once a minute. Data points pushed do not
// mark the snapshot stale (the metrics service calls changed for its
// providers and metrics, not for their data); they move the service's
// DataVersion, and so does any change another replica commits
// (metrics.Service.OutsideChange). The cache keeps each period's charts (a chartSet) from one
// snapshot to the next, and draws them again
//   - at once when the displayed metrics or the page's zone changed (such a
//     change marks the snapshot stale), and
//   - otherwise only once they are chartsTTL old, and then only if the data
//     moved or the period's window moved on by a bucket.
//
// A snapshot whose "/" shows charts younger than chartsTTL expires when
// they come of that age, so a point pushed shows on "/" within a minute of
// the charts' drawing, with no rebuild for each point.

// chartsTTL is how long charts are shown without looking at new data.
const chartsTTL = time.Minute

// chartSet is one period's charts of the displayed metrics.
type chartSet struct {
	// key says what was drawn: the metrics as displayed and the zone.
	key  string
	html template.HTML
	data int64     // the metrics' DataVersion when drawn
	at   time.Time // when drawn
	next time.Time // when the window moves on by a bucket
}

// chartSets keeps the charts of each period and language across
// snapshots.
type chartSets struct {
	mu   sync.Mutex
	sets map[chartsFor]*chartSet
}

// chartsFor is what a chartSet is drawn for.
type chartsFor struct {
	period metrics.Period
	lang   string
}

// charts returns the charts of period for the snapshot's displayed
// metrics, drawn again only when stale (see above); nil when none is
// displayed.
func (c *cache) charts(ctx context.Context, s *snapshot, period metrics.Period, lang *i18n.Lang) (*chartSet, error) {
	if len(s.metrics) == 0 {
		return nil, nil
	}
	key := chartsKey(s.metrics, s.page.TimeZone)
	c.chartSets.mu.Lock()
	defer c.chartSets.mu.Unlock()
	now := c.now()
	data := c.metrics.DataVersion()
	set := chartsFor{period, lang.Code()}
	if cs := c.chartSets.sets[set]; cs != nil && cs.key == key &&
		(now.Sub(cs.at) < chartsTTL || cs.data == data && now.Before(cs.next)) {
		return cs, nil
	}
	cs := &chartSet{key: key, data: data, at: now, next: now.Add(24 * time.Hour)}
	var b strings.Builder
	loc := s.page.Location()
	for _, m := range s.metrics {
		series, err := c.metrics.Series(ctx, m.ID, period)
		if errors.Is(err, metrics.ErrNotFound) { // deleted since: the snapshot is stale
			continue
		}
		if err != nil {
			return nil, err
		}
		drawn := chart.Metric(series, loc)
		drawn.Lang = lang
		chart.Write(&b, drawn)
		b.WriteByte('\n')
		if series.Step > 0 {
			if next := series.From.Add((now.Sub(series.From)/series.Step + 1) * series.Step); next.Before(cs.next) {
				cs.next = next
			}
		}
	}
	cs.html = template.HTML(b.String())
	if c.chartSets.sets == nil {
		c.chartSets.sets = map[chartsFor]*chartSet{}
	}
	c.chartSets.sets[set] = cs
	return cs, nil
}

// chartsKey writes what of the metrics a chart shows, and the zone.
func chartsKey(list []metrics.Metric, zone string) string {
	var b strings.Builder
	b.WriteString(zone)
	bound := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	for _, m := range list {
		b.WriteString(strconv.Quote(m.ID) + strconv.Quote(m.Name) + strconv.Quote(m.Suffix) + strconv.Quote(m.TooltipDescription) +
			strconv.Itoa(m.DecimalPlaces) + bound(m.YAxisMin) + bound(m.YAxisMax) + strconv.FormatBool(m.YAxisHidden))
	}
	return b.String()
}

// metricsView is the page's "System metrics" section.
type metricsView struct {
	Periods []periodLink
	Charts  template.HTML
}

// periodLink is one of the section's choices of period.
type periodLink struct {
	Label, URL string
	Current    bool
}

// metricsSection is the section showing cs, the charts of period; nil
// without charts.
func metricsSection(period metrics.Period, cs *chartSet, lang *i18n.Lang) *metricsView {
	if cs == nil {
		return nil
	}
	v := &metricsView{Charts: cs.html}
	for _, p := range metrics.Periods {
		url := "/?metrics=" + string(p) + "#metrics"
		if p == metrics.Day {
			url = "/#metrics"
		}
		v.Periods = append(v.Periods, periodLink{Label: lang.T("page.period_" + string(p)), URL: url, Current: p == period})
	}
	return v
}

// metricsPeriod reads ?metrics= on "/": the period of its charts, Day
// without one; ok is false for a value that is not a period (not found,
// so the pages kept per period stay three).
func metricsPeriod(q string) (p metrics.Period, ok bool) {
	if q == "" {
		return metrics.Day, true
	}
	for _, p := range metrics.Periods {
		if string(p) == q {
			return p, true
		}
	}
	return "", false
}
