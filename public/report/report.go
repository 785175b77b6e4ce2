// Package report is the public uptime report, /uptime: each showcase
// component's uptime per calendar month of the page's time zone over the
// last reportMonths months, the incidents that touched it each month, its
// SLA target and the months below it, and the page's overall figure (the
// components' time weighed together, as a group's uptime is). ?month=YYYY-MM
// shows one month with its days and incidents in detail; ?format=csv and
// ?format=json give the same figures to spreadsheets and scripts.
//
// A month's figure is components.Uptime over that month, which is what
// /api/v1/pages/{id}/components/{id}/uptime?start=&end= answers for it:
// one computation per component over the whole range, cut into months
// (Uptime.Span). The public site (package public) mounts the route and
// gives the report its snapshot through Site: each form is rendered once
// per snapshot and served from memory, like the pages.
package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/templates"
)

// Snapshot is what a rendering reads of the public site's snapshot.
type Snapshot struct {
	Page components.Page
	// Components are the page's components and groups, in page order.
	Components []components.Component
	// At is the moment the snapshot shows.
	At time.Time
	// Lang is the page's default language.
	Lang *i18n.Lang
	// Head returns the layout data of a page titled title, in lang.
	Head func(title string, lang *i18n.Lang) frame.Head
	// Lazy returns what the snapshot keeps under key, rendering it with
	// render the first time: a rendering lasts until the next snapshot.
	Lazy func(key string, render func() (*web.Resource, error)) (*web.Resource, error)
}

// Site is what the report reads of the public site.
type Site interface {
	// Snapshot returns the current snapshot.
	Snapshot(ctx context.Context) (Snapshot, error)
}

// Deps are what the report uses.
type Deps struct {
	Site Site
	// Replies answer a refused request with a short page.
	Replies frame.Replies
	// Languages choose the language of the page (not of the CSV and
	// JSON forms, which are data).
	Languages  frame.Languages
	Templates  *templates.Set
	Components *components.Service
	Incidents  *incidents.Service
	// BaseURL is the page's public address, for the incidents' links in
	// the CSV and JSON forms.
	BaseURL string
	// CacheControl is the Cache-Control of the cached responses.
	CacheControl []byte
}

// Report serves the uptime report.
type Report struct {
	d Deps
}

// New returns the report on d.
func New(d Deps) *Report { return &Report{d: d} }

// Routes adds the report's route to app.
func (h *Report) Routes(app fiber.Router) { app.Get("/uptime", h.get) }

// render is one rendering of the report from one snapshot.
type render struct {
	d    Deps
	s    Snapshot
	loc  *time.Location
	lang *i18n.Lang
}

// reportMonths is how many months the report covers.
const reportMonths = 12

// reportReaders is how many components' uptime a rendering reads at
// once, on the database's read pool (at least 4 connections).
const reportReaders = 4

// spanLimit is how many incidents a rendering reads at most: those that
// started before the range's end, so later ones never push a month's out.
const spanLimit = 5000

// reportOldest is how many months back ?month= may reach: ten years, the
// uptime API's longest range.
const reportOldest = 120

// reportFormat is how the report is answered: "html", "csv" or "json".
type reportFormat string

const (
	reportHTML reportFormat = "html"
	reportCSV  reportFormat = "csv"
	reportJSON reportFormat = "json"
)

// reportQuery is what a request asks of the report.
type reportQuery struct {
	format reportFormat
	// month is the first day of the month asked for, in the page's zone;
	// zero for the last reportMonths months.
	month time.Time
}

// key names the query's rendering in the snapshot's page cache.
func (q reportQuery) key() string {
	m := "year"
	if !q.month.IsZero() {
		m = q.month.Format("2006-01")
	}
	return "uptime:" + m + ":" + string(q.format)
}

// readReportQuery reads ?format= and ?month=, refusing values it does not
// know with the field to blame (in English: the JSON error callers read)
// and, for people, the message id and values that say it in their
// language.
func readReportQuery(c *fiber.Ctx, now time.Time, loc *time.Location) (reportQuery, *reportRefusal) {
	q := reportQuery{format: reportFormat(c.Query("format", string(reportHTML)))}
	if q.format != reportHTML && q.format != reportCSV && q.format != reportJSON {
		q.format = reportHTML
		return q, &reportRefusal{ErrorBody: web.ErrorBody{Field: "format", Message: "format must be csv or json (or absent for the page)"}}
	}
	m := c.Query("month")
	if m == "" {
		return q, nil
	}
	cur := now.In(loc)
	newest := components.DayStart(cur.Year(), cur.Month(), 1, loc)
	oldest := components.DayStart(cur.Year(), cur.Month()-(reportOldest-1), 1, loc)
	// Parsed in UTC, then started in the page's zone: a month may begin
	// after midnight (daylight time from midnight).
	month, err := time.Parse("2006-01", m)
	month = components.DayStart(month.Year(), month.Month(), 1, loc)
	if err != nil || len(m) != len("2006-01") || month.Before(oldest) || month.After(newest) {
		return q, &reportRefusal{ErrorBody: web.ErrorBody{Field: "month", Message: fmt.Sprintf("month must be a month formatted YYYY-MM, from %s to %s",
			oldest.Format("2006-01"), newest.Format("2006-01"))}, oldest: oldest, newest: newest}
	}
	q.month = month
	return q, nil
}

// reportRefusal is a report query refused.
type reportRefusal struct {
	web.ErrorBody
	// oldest and newest are the months a report may be asked for, when
	// the month was refused.
	oldest, newest time.Time
}

// in says the refusal in lang.
func (r *reportRefusal) in(lang *i18n.Lang) string {
	if r.Field == "month" {
		return lang.F("report.bad_month", "Oldest", lang.Date(i18n.MonthYear, r.oldest), "Newest", lang.Date(i18n.MonthYear, r.newest))
	}
	return lang.T("report.bad_format")
}

// uptimeReport holds the figures of one report, which every format shows.
type uptimeReport struct {
	page components.Page
	loc  *time.Location
	at   time.Time
	// single is set for one month, shown with its days.
	single      bool
	first, last time.Time     // the first and the last day
	months      []reportMonth // oldest first
	overall     reportLine
	lines       []reportLine
}

// reportMonth is one calendar month of the report.
type reportMonth struct {
	start, end time.Time // [start, end) in the page's zone
	// from and to index its days in the range's Uptime.Days.
	from, to int
}

func (m reportMonth) key() string { return m.start.Format("2006-01") }

// reportLine is one component's figures, or the page's overall ones.
type reportLine struct {
	comp  components.Component // zero on the overall line
	group string               // the name of its group, if any
	total components.Uptime
	// months and incidents go with the report's months: the incidents
	// that affected the component while open during that month.
	months    []components.Uptime
	incidents [][]incidents.Span
}

// missed reports whether month i is below the line's SLA target.
func (l reportLine) missed(i int) bool { return l.comp.MissedSLA(l.months[i]) }

// uptimeReport computes the report of the last reportMonths months, or of
// the one month month when it is not zero.
func (v *render) uptimeReport(ctx context.Context, month time.Time) (*uptimeReport, error) {
	r := &uptimeReport{page: v.s.Page, loc: v.loc, at: v.s.At, single: !month.IsZero()}
	newest := month
	if month.IsZero() {
		cur := r.at.In(v.loc)
		newest = components.DayStart(cur.Year(), cur.Month(), 1, v.loc)
		month = components.DayStart(cur.Year(), cur.Month()-(reportMonths-1), 1, v.loc)
	}
	r.first, r.last = month, components.DayStart(newest.Year(), newest.Month()+1, 0, v.loc)
	day := 0
	for m := month; !m.After(newest); m = components.DayStart(m.Year(), m.Month()+1, 1, v.loc) {
		end := components.DayStart(m.Year(), m.Month()+1, 1, v.loc)
		n := time.Date(m.Year(), m.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		r.months = append(r.months, reportMonth{start: m, end: end, from: day, to: day + n})
		day += n
	}
	var comps []components.Component
	groups := map[string]string{}
	for _, comp := range v.s.Components {
		if comp.Group {
			groups[comp.ID] = comp.Name
		}
		if !comp.Group && comp.Showcase {
			comps = append(comps, comp)
		}
	}
	// The reads run side by side on the read pool: the incidents, and
	// each component's uptime over the whole range.
	var spans []incidents.Span
	ups := make([]components.Uptime, len(comps))
	reads := []func() error{func() error {
		var err error
		spans, err = v.d.Incidents.Spans(ctx, r.first, r.months[len(r.months)-1].end, spanLimit)
		return err
	}}
	for w := range reportReaders {
		reads = append(reads, func() error {
			for i := w; i < len(comps); i += reportReaders {
				var err error
				if ups[i], err = v.d.Components.Uptime(ctx, comps[i].ID, r.first, r.last, v.loc, r.at); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := frame.Parallel(reads...); err != nil {
		return nil, err
	}
	// The incidents (not maintenance) by component, newest first.
	byComp := map[string][]incidents.Span{}
	for _, sp := range spans {
		if sp.Kind == incidents.KindIncident {
			for _, id := range sp.ComponentIDs {
				byComp[id] = append(byComp[id], sp)
			}
		}
	}
	perMonth := make([][]components.Uptime, len(r.months))
	for ci, comp := range comps {
		u := ups[ci]
		line := reportLine{comp: comp, group: groups[comp.GroupID], total: u}
		for i, m := range r.months {
			mu := u.Span(m.from, m.to)
			line.months = append(line.months, mu)
			line.incidents = append(line.incidents, openDuring(byComp[comp.ID], m.start, m.end, r.at))
			perMonth[i] = append(perMonth[i], mu)
		}
		r.lines = append(r.lines, line)
	}
	r.overall.total = components.Combine("", ups...)
	if len(comps) == 0 {
		// No component to combine: the overall line still has the range's
		// days, without data, as every other line does.
		for i := range day {
			d := time.Date(r.first.Year(), r.first.Month(), r.first.Day()+i, 0, 0, 0, 0, time.UTC)
			r.overall.total.Days = append(r.overall.total.Days, components.Day{Date: d.Format(time.DateOnly), NoData: true})
		}
	}
	for i := range r.months {
		r.overall.months = append(r.overall.months, components.Combine("", perMonth[i]...))
	}
	return r, nil
}

// openDuring lists the spans that were open at some time in [start, end).
func openDuring(spans []incidents.Span, start, end, now time.Time) []incidents.Span {
	var out []incidents.Span
	for _, sp := range spans {
		resolved := now
		if sp.ResolvedAt != nil {
			resolved = *sp.ResolvedAt
		}
		if sp.StartedAt.Before(end) && !resolved.Before(start) {
			out = append(out, sp)
		}
	}
	return out
}

// uptimePage renders the report of q in its format.
func (v *render) uptimePage(ctx context.Context, q reportQuery) (*web.Resource, error) {
	r, err := v.uptimeReport(ctx, q.month)
	if err != nil {
		return nil, err
	}
	switch q.format {
	case reportCSV:
		b, err := r.csv(v.d.BaseURL)
		return web.NewResource(b), err
	case reportJSON:
		b, err := json.Marshal(r.json(v.d.BaseURL))
		return web.NewResource(b), err
	}
	var buf bytes.Buffer
	if err := v.d.Templates.In(v.lang).HTML(&buf, "pages/uptime.html", v.uptimeView(r)); err != nil {
		return nil, fmt.Errorf("render uptime: %w", err)
	}
	// As the pages: html/template passes control characters, which a
	// name written before names were checked may hold.
	return web.NewResource(chars.CleanBytes(buf.Bytes())), nil
}

// percent writes x percent with digits decimals (-1: as few as say it
// exactly) as the page shows it: "99.95 %".
func (v *render) percent(x float64, digits int) string {
	return v.lang.F("report.percent", "Number", v.lang.Decimal(x, digits))
}

// percentText is a figure as the page shows it: "99.95 %".
func (v *render) percentText(u components.Uptime) string {
	if u.Tracked <= 0 {
		return v.lang.T("report.no_data")
	}
	return v.percent(u.Percent(), 2)
}

// linePercentText is a month's figure on line l: beside an SLA target, as
// the target is compared with it (components.Component.SLAPercent).
func (v *render) linePercentText(l reportLine, u components.Uptime) string {
	if u.Tracked <= 0 || l.comp.SLATarget == nil {
		return v.percentText(u)
	}
	return v.percent(l.comp.SLAPercent(u), l.comp.SLADecimals())
}

// targetText is an SLA target as the page shows it: "99.9 %".
func (v *render) targetText(t *float64) string {
	if t == nil {
		return ""
	}
	return v.percent(*t, -1)
}

// uptimeView is the report page's data.
type uptimeView struct {
	frame.Head
	// Month names the month of a one-month report.
	Month string
	// Intro is the first sentence saying what the report shows.
	Intro template.HTML
	// SoFar is the report's moment when the range runs up to now.
	SoFar *frame.Stamp
	// Newer and Older link the next and previous months of a one-month
	// report; CSV and JSON the report in those forms.
	Newer, Older, CSV, JSON string
	Overall                 uptimeLineView
	Lines                   []uptimeLineView
}

// uptimeLineView is one component's part of the page, or the overall one.
type uptimeLineView struct {
	ID, Name, Group string
	Total           string
	Target          string
	// Missed counts the months below the target, Months the months with
	// data.
	Missed, Months int
	Rows           []uptimeRowView
	// Days are the days with downtime, in a one-month report.
	Days []uptimeDayView
}

// uptimeRowView is one month of a line: newest first.
type uptimeRowView struct {
	Name, Link, Percent, Downtime string
	NoData, Missed                bool
	Incidents                     []uptimeIncidentView
}

type uptimeIncidentView struct {
	Name, URL         string
	Started, Resolved *frame.Stamp
}

type uptimeDayView struct {
	Date, Percent, Downtime string
}

func (v *render) uptimeView(r *uptimeReport) uptimeView {
	lang, zone := v.lang, template.HTMLEscapeString(r.page.TimeZone)
	view := uptimeView{}
	query := ""
	if r.single {
		view.Month = lang.Date(i18n.MonthYear, r.first)
		view.Intro = template.HTML(lang.F("report.intro_month_html", "Month", template.HTMLEscapeString(view.Month), "Zone", zone))
		view.Head = v.s.Head(lang.F("report.title_month", "Month", view.Month), lang)
		query = "&month=" + r.first.Format("2006-01")
		view.Languages = frame.Picker(lang, query[1:])
		cur := r.at.In(r.loc)
		if older := components.DayStart(r.first.Year(), r.first.Month()-1, 1, r.loc); !older.Before(components.DayStart(cur.Year(), cur.Month()-(reportOldest-1), 1, r.loc)) {
			view.Older = "/uptime?month=" + older.Format("2006-01")
		}
		if next := r.first.AddDate(0, 1, 0); !next.After(r.at) {
			view.Newer = "/uptime?month=" + next.Format("2006-01")
		}
	} else {
		rng := lang.F("report.range", "From", lang.Date(i18n.MonthYear, r.first), "To", lang.Date(i18n.MonthYear, r.last))
		view.Intro = template.HTML(lang.F("report.intro_year_html", "Range", template.HTMLEscapeString(rng), "Zone", zone))
		view.Head = v.s.Head(lang.T("report.title"), lang)
	}
	if !r.last.AddDate(0, 0, 1).Before(r.at) {
		at := frame.StampIn(r.at, v.loc, lang)
		view.SoFar = &at
	}
	view.CSV, view.JSON = "/uptime?format=csv"+query, "/uptime?format=json"+query
	view.Overall = v.uptimeLine(r, r.overall)
	for _, l := range r.lines {
		view.Lines = append(view.Lines, v.uptimeLine(r, l))
	}
	return view
}

func (v *render) uptimeLine(r *uptimeReport, l reportLine) uptimeLineView {
	out := uptimeLineView{ID: l.comp.ID, Name: l.comp.Name, Group: l.group, Total: v.percentText(l.total), Target: v.targetText(l.comp.SLATarget)}
	for i := len(r.months) - 1; i >= 0; i-- {
		m, u := r.months[i], l.months[i]
		row := uptimeRowView{Name: v.lang.Date(i18n.MonthYear, m.start), Link: "/uptime?month=" + m.key(), Percent: v.linePercentText(l, u),
			Downtime: v.lang.Duration(u.Downtime()), NoData: u.Tracked <= 0, Missed: l.missed(i)}
		if !row.NoData {
			out.Months++
		}
		if row.Missed {
			out.Missed++
		}
		if l.incidents != nil {
			for _, sp := range l.incidents[i] {
				iv := uptimeIncidentView{Name: sp.Name, URL: "/incidents/" + sp.ID}
				if r.single {
					st := frame.StampIn(sp.StartedAt, v.loc, v.lang)
					iv.Started = &st
					if sp.ResolvedAt != nil {
						res := frame.StampIn(*sp.ResolvedAt, v.loc, v.lang)
						iv.Resolved = &res
					}
				}
				row.Incidents = append(row.Incidents, iv)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	// The months before the component's history say nothing: the page
	// leaves them out (the CSV and JSON keep every month).
	for len(out.Rows) > 1 && out.Rows[len(out.Rows)-1].NoData {
		out.Rows = out.Rows[:len(out.Rows)-1]
	}
	if r.single {
		for _, d := range l.total.Days {
			if down := d.Downtime(); !d.NoData && down > 0 {
				date, _ := time.ParseInLocation(time.DateOnly, d.Date, r.loc)
				out.Days = append(out.Days, uptimeDayView{Date: v.lang.Date(i18n.WeekdayDay, date),
					Percent: v.percent(d.Percent(), 2), Downtime: v.lang.Duration(down)})
			}
		}
	}
	return out
}

// reportCSVHeader is the CSV form's first row.
var reportCSVHeader = []string{"period", "component_id", "component", "group", "uptime_percentage",
	"major_outage_seconds", "partial_outage_seconds", "sla_target", "below_target", "incidents"}

// csv writes the report as CSV: a row per component (the overall figure
// first, as "All components") and month, oldest first; a one-month report
// adds a row per day after each month's row.
func (r *uptimeReport) csv(baseURL string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true // RFC 4180
	rows := [][]string{reportCSVHeader}
	figures := func(u components.Uptime) []string {
		if u.Tracked <= 0 {
			return []string{"", "", ""}
		}
		return []string{strconv.FormatFloat(u.Percent(), 'f', 2, 64), strconv.FormatInt(int64(u.MajorOutage.Seconds()), 10),
			strconv.FormatInt(int64(u.PartialOut.Seconds()), 10)}
	}
	for _, l := range append([]reportLine{r.overall}, r.lines...) {
		name, target := "All components", ""
		if l.comp.ID != "" {
			name = l.comp.Name
			if l.comp.SLATarget != nil {
				target = strconv.FormatFloat(*l.comp.SLATarget, 'f', -1, 64)
			}
		}
		for i, m := range r.months {
			below := ""
			if target != "" && l.months[i].Tracked > 0 {
				below = map[bool]string{true: "yes", false: "no"}[l.missed(i)]
			}
			var names []string
			if l.incidents != nil {
				for _, sp := range l.incidents[i] {
					names = append(names, sp.Name+" ("+baseURL+"/incidents/"+sp.ID+")")
				}
			}
			row := append([]string{m.key(), l.comp.ID, chars.CSVCell(name), chars.CSVCell(l.group)}, figures(l.months[i])...)
			if target != "" && l.months[i].Tracked > 0 {
				row[4] = strconv.FormatFloat(l.comp.SLAPercent(l.months[i]), 'f', l.comp.SLADecimals(), 64)
			}
			rows = append(rows, append(row, target, below, chars.CSVCell(strings.Join(names, "; "))))
			if r.single {
				for _, d := range l.total.Days[m.from:m.to] {
					day := components.Uptime{Tracked: d.Tracked, MajorOutage: d.MajorOutage, PartialOut: d.PartialOut}
					row := append([]string{d.Date, l.comp.ID, chars.CSVCell(name), chars.CSVCell(l.group)}, figures(day)...)
					rows = append(rows, append(row, target, "", ""))
				}
			}
		}
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("uptime report: csv: %w", err)
	}
	return buf.Bytes(), nil
}

// reportJSONBody is the JSON form of the report.
type reportJSONBody struct {
	Page struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		URL      string `json:"url"`
		TimeZone string `json:"time_zone"`
	} `json:"page"`
	RangeStart string            `json:"range_start"`
	RangeEnd   string            `json:"range_end"`
	Overall    reportJSONOverall `json:"overall"`
	Components []reportJSONLine  `json:"components"`
}

// reportJSONFigures are the figures of a span of time, named as the uptime
// API names them; the percentage is null when there is no data.
type reportJSONFigures struct {
	UptimePercentage *float64 `json:"uptime_percentage"`
	MajorOutage      int64    `json:"major_outage"`
	PartialOutage    int64    `json:"partial_outage"`
}

// reportJSONPeriod is one month's figures.
type reportJSONPeriod struct {
	Month      string `json:"month"`
	RangeStart string `json:"range_start"`
	RangeEnd   string `json:"range_end"`
	reportJSONFigures
}

type reportJSONOverall struct {
	reportJSONFigures
	Months []reportJSONPeriod `json:"months"`
}

type reportJSONLine struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Group     *string  `json:"group"`
	SLATarget *float64 `json:"sla_target"`
	reportJSONFigures
	Months []reportJSONMonth `json:"months"`
	// Days are a one-month report's days.
	Days []reportJSONDay `json:"days,omitempty"`
}

type reportJSONMonth struct {
	reportJSONPeriod
	// BelowTarget is null without a target or without data.
	BelowTarget *bool             `json:"below_target"`
	Incidents   []reportJSONEvent `json:"incidents"`
}

type reportJSONEvent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

type reportJSONDay struct {
	Date string `json:"date"`
	reportJSONFigures
}

func jsonFigures(u components.Uptime) reportJSONFigures {
	f := reportJSONFigures{MajorOutage: int64(u.MajorOutage.Seconds()), PartialOutage: int64(u.PartialOut.Seconds())}
	if u.Tracked > 0 {
		p := u.Percent()
		f.UptimePercentage = &p
	}
	return f
}

func (r *uptimeReport) json(baseURL string) reportJSONBody {
	var body reportJSONBody
	body.Page.ID, body.Page.Name, body.Page.URL, body.Page.TimeZone = r.page.ID, r.page.Name, r.page.URL, r.page.TimeZone
	body.RangeStart, body.RangeEnd = r.first.Format(time.DateOnly), r.last.Format(time.DateOnly)
	period := func(i int, u components.Uptime) reportJSONPeriod {
		m := r.months[i]
		return reportJSONPeriod{Month: m.key(), RangeStart: m.start.Format(time.DateOnly), RangeEnd: m.end.AddDate(0, 0, -1).Format(time.DateOnly),
			reportJSONFigures: jsonFigures(u)}
	}
	body.Overall.reportJSONFigures = jsonFigures(r.overall.total)
	for i, u := range r.overall.months {
		body.Overall.Months = append(body.Overall.Months, period(i, u))
	}
	body.Components = []reportJSONLine{}
	for _, l := range r.lines {
		line := reportJSONLine{ID: l.comp.ID, Name: l.comp.Name, SLATarget: l.comp.SLATarget, reportJSONFigures: jsonFigures(l.total)}
		if l.group != "" {
			line.Group = &l.group
		}
		for i, u := range l.months {
			jm := reportJSONMonth{reportJSONPeriod: period(i, u), Incidents: []reportJSONEvent{}}
			if l.comp.SLATarget != nil && u.Tracked > 0 {
				below := l.missed(i)
				jm.BelowTarget = &below
			}
			for _, sp := range l.incidents[i] {
				jm.Incidents = append(jm.Incidents, reportJSONEvent{ID: sp.ID, Name: sp.Name, URL: baseURL + "/incidents/" + sp.ID})
			}
			line.Months = append(line.Months, jm)
		}
		if r.single {
			for _, d := range l.total.Days {
				line.Days = append(line.Days, reportJSONDay{Date: d.Date,
					reportJSONFigures: jsonFigures(components.Uptime{Tracked: d.Tracked, MajorOutage: d.MajorOutage, PartialOut: d.PartialOut})})
			}
		}
		body.Components = append(body.Components, line)
	}
	return body
}

// get serves the uptime report.
func (h *Report) get(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s, err := h.d.Site.Snapshot(ctx)
	if err != nil {
		return err
	}
	q, bad := readReportQuery(c, s.At, s.Page.Location())
	if bad != nil {
		if q.format == reportJSON || frame.WantsJSON(c) {
			return c.Status(fiber.StatusBadRequest).JSON(bad.ErrorBody)
		}
		lang, err := h.d.Replies.Lang(c)
		if err != nil {
			return err
		}
		return h.d.Replies.Message(c, fiber.StatusBadRequest, lang.T("report.bad_request"), bad.in(lang))
	}
	// The page is in the visitor's language; CSV and JSON are data, the
	// same for all.
	lang, key := s.Lang, q.key()
	if q.format == reportHTML {
		lang = h.d.Languages.Choose(c, s.Lang)
		key += ":" + lang.Code()
	}
	r, err := s.Lazy(key, func() (*web.Resource, error) {
		return (&render{d: h.d, s: s, loc: s.Page.Location(), lang: lang}).uptimePage(ctx, q)
	})
	if err != nil {
		return err
	}
	switch q.format {
	case reportCSV:
		name := "uptime"
		if !q.month.IsZero() {
			name += "-" + q.month.Format("2006-01")
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
		return r.Send(c, "text/csv; charset=utf-8", h.d.CacheControl)
	case reportJSON:
		web.AllowAnyOrigin(c)
		return r.Send(c, fiber.MIMEApplicationJSONCharsetUTF8, h.d.CacheControl)
	}
	remembered := h.d.Languages.Remember(c, lang)
	err = r.Send(c, fiber.MIMETextHTMLCharsetUTF8, h.d.CacheControl)
	frame.Headers(c, lang, remembered)
	return err
}
