package public

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/public/signup"
)

// The public pages are rendered from the cached snapshot: "/", the feeds
// and the badge when the snapshot is built, incident and history pages on
// first request, and all of them kept (with gzip and an ETag) until the
// next change.

// UptimeDays is how many daily bars the page shows.
const UptimeDays = 90

// pastDays is how many days of past incidents "/" lists.
const pastDays = 7

// historyMonths is how many months one history page covers.
const historyMonths = 3

// stamp is a time as the page shows it (frame.Stamp).
type stamp = frame.Stamp

func (v *pageRender) stamp(t time.Time) stamp { return frame.StampIn(t, v.loc, v.lang) }

type updateView struct {
	Label string
	Body  template.HTML
	At    stamp
}

type incidentView struct {
	ID           string
	Name         string
	URL          string
	Impact       string
	Maintenance  bool
	Status       string
	StatusLabel  string
	Closed       bool
	Window       *[2]stamp
	Latest       *updateView
	Updates      []updateView
	Affected     string // "A, B, and C"
	Postmortem   template.HTML
	PostmortemAt *stamp
	// PostmortemDraft marks Postmortem as an unpublished draft, shown to
	// staff who opened the page with the postmortem's preview key.
	PostmortemDraft bool
	Started         stamp
	// Resolved is when the incident was resolved (the maintenance
	// completed), and Duration how long it lasted; nil while it is open.
	Resolved *stamp
	Duration string
}

type componentView struct {
	ID          string
	Name        string
	Description string
	Status      string
	StatusLabel string
	Group       bool
	Open        bool
	Members     []componentView
	// Bars is the rendered list of daily bars: 90 per component are most
	// of the page, written here rather than by the template engine, whose
	// reflection would make them most of the rebuild time.
	Bars template.HTML
}

type pastDayView struct {
	Date      string
	Incidents []incidentView
}

type indexView struct {
	head
	// Legend is the bars' legend, in the words of their tooltips.
	Legend      []legendKey
	Status      components.PageStatus
	Active      []incidentView
	Maintenance []incidentView
	Components  []componentView
	Past        []pastDayView
	UpdatedAt   stamp
	HasBars     bool
	// Metrics are the charts of the displayed metrics (metrics.go); nil
	// without any.
	Metrics *metricsView
}

type incidentPageView struct {
	head
	Incident incidentView
	// Follow is the "Get updates on this incident" form; nil when the
	// incident is over or no channel is configured (public/signup/follow.go).
	Follow *signup.FollowForm
}

type monthView struct {
	Name      string
	Incidents []incidentView
}

type historyView struct {
	head
	Months []monthView
	Page   int
	Newer  string
	Older  string
	// Component is the component the history is filtered by, nil for the
	// whole page; Choices are those it can be filtered by.
	Component *components.Component
	Choices   []components.Component
}

// pageRender renders pages for one snapshot, in one language.
type pageRender struct {
	c    *cache
	s    *snapshot
	lang *i18n.Lang
	loc  *time.Location
	byID map[string]components.Component
}

func newPageRender(c *cache, s *snapshot, lang *i18n.Lang) *pageRender {
	return &pageRender{c: c, s: s, lang: lang, loc: s.page.Location(), byID: s.byID}
}

// html renders the page template name in v's language; size is a guess
// at its length.
func (v *pageRender) html(name string, data any, size int) (*web.Resource, error) {
	var buf bytes.Buffer
	buf.Grow(size)
	if err := v.c.templates.In(v.lang).HTML(&buf, "pages/"+name+".html", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	// html/template escapes markup but passes control characters, which
	// HTML parses as errors; a row written before names were checked may
	// hold them.
	return web.NewResource(chars.CleanBytes(buf.Bytes())), nil
}

// markdown renders staff-written Markdown through the cache kept across
// snapshots.
func (v *pageRender) markdown(src string) template.HTML {
	return v.c.markdown.render(src, v.c.templates.Markdown)
}

// markdownCache keeps rendered Markdown from one snapshot to the next: a
// change alters one incident, and the page's other update bodies need not
// be parsed and sanitised again. It holds what the last two snapshots used.
type markdownCache struct {
	mu        sync.Mutex
	prev, cur map[string]template.HTML
}

func (m *markdownCache) render(src string, render func(string) template.HTML) template.HTML {
	m.mu.Lock()
	out, ok := m.cur[src]
	if !ok {
		if out, ok = m.prev[src]; ok {
			m.cur[src] = out
		}
	}
	m.mu.Unlock()
	if ok {
		return out
	}
	out = render(src)
	m.mu.Lock()
	if m.cur == nil {
		m.cur = map[string]template.HTML{}
	}
	m.cur[src] = out
	m.mu.Unlock()
	return out
}

// rotate starts a new generation: entries the next snapshot does not use
// are dropped the time after.
func (m *markdownCache) rotate() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prev, m.cur = m.cur, make(map[string]template.HTML, len(m.cur))
}

func (v *pageRender) head(title string) head {
	h := pageHead(v.s, title, v.lang)
	h.Description = v.lang.F("page.meta_description", "Name", h.PageName, "Status", v.lang.Enum("indicator", v.s.status.Description))
	return h
}

func (v *pageRender) incident(in incidents.Incident, full bool) incidentView {
	out := incidentView{ID: in.ID, Name: in.Name, URL: "/incidents/" + in.ID, Impact: string(in.Impact),
		Maintenance: in.Kind == incidents.KindMaintenance, Status: string(in.Status), StatusLabel: v.lang.Enum("incident", string(in.Status)),
		Closed: in.Status.Closed(), Started: v.stamp(in.StartedAt)}
	if in.ScheduledFor != nil {
		out.Window = &[2]stamp{v.stamp(*in.ScheduledFor), v.stamp(*in.ScheduledUntil)}
	}
	if in.ResolvedAt != nil && out.Closed {
		at := v.stamp(*in.ResolvedAt)
		out.Resolved = &at
		// A backfilled incident is entered resolved when it started: how
		// long it lasted is not known.
		if d := in.ResolvedAt.Sub(in.StartedAt); d > 0 {
			out.Duration = v.lang.Duration(d)
		}
	}
	// Affected components in page order, whatever order they were named in.
	listed := make(map[string]bool, len(in.ComponentIDs))
	for _, id := range in.ComponentIDs {
		listed[id] = true
	}
	var affected []string
	for _, c := range v.s.components {
		if listed[c.ID] {
			name := c.Name
			if g, ok := v.byID[c.GroupID]; ok {
				name = g.Name + " - " + c.Name
			}
			affected = append(affected, name)
		}
	}
	out.Affected = v.lang.List(affected)
	for i, u := range in.Updates {
		label := v.lang.T("status.update")
		if !incidents.UpdateRepeats(in, i) {
			label = v.lang.Enum("incident", string(u.Status))
		}
		uv := updateView{Label: label, Body: v.markdown(u.Body), At: v.stamp(u.DisplayAt)}
		if i == 0 {
			out.Latest = &uv
		}
		if !full {
			break
		}
		out.Updates = append(out.Updates, uv)
	}
	if full && in.Postmortem.PublishedAt != nil {
		out.Postmortem = v.markdown(in.Postmortem.Body)
		at := v.stamp(*in.Postmortem.PublishedAt)
		out.PostmortemAt = &at
	}
	return out
}

// phoneDays is how many of the bars a phone shows (beacon.css hides the
// others below 600 px).
const phoneDays = 30

// dayStatus is one status of a day's bar: its class (colour), the id of
// its words (page.bar.<id>) and how long the day spent in it.
type dayStatus struct {
	class, word string
	d           time.Duration
}

// dayStatuses are the statuses a bar tells apart, worst first: the bar
// takes the colour of the worst one the day saw, and its tooltip lists
// them in this order, so that the colour is the tooltip's first entry.
func dayStatuses(d components.Day) [4]dayStatus {
	return [...]dayStatus{
		{"major", "major", d.MajorOutage},
		{"partial", "partial", d.PartialOut},
		{"degraded", "degraded", d.Degraded},
		{"maint", "maintenance", d.Maintenance},
	}
}

// barClass colours a day by the worst status it saw, as Statuspage does:
// red for a major outage, orange for a partial one, yellow for degraded
// performance, blue for maintenance alone, green for none, grey without
// data.
func barClass(d components.Day) string {
	if d.NoData {
		return "nodata"
	}
	for _, s := range dayStatuses(d) {
		if s.d > 0 {
			return s.class
		}
	}
	return "ok"
}

// legendKey is one colour of the bars' legend.
type legendKey struct{ Class, Label string }

// legend is the bars' legend in lang, in the words of their tooltips.
func legend(lang *i18n.Lang) []legendKey {
	return []legendKey{{"ok", lang.T("page.bar.ok")}, {"degraded", lang.T("page.bar.degraded")},
		{"partial", lang.T("page.bar.partial")}, {"major", lang.T("page.bar.major")},
		{"maint", lang.T("page.bar.maintenance")}, {"nodata", lang.T("page.bar.no_data")}}
}

// barDays are the days of the uptime bars, shared by every component, and
// the words of their tooltips and axis in the page's language: found once
// per page, not once per bar.
type barDays struct {
	lang   *i18n.Lang
	starts []time.Time // midnight in the page's zone
	labels []string    // "Jan 2, 2006"
	// words are the statuses' words by class; ok and nodata too.
	words map[string]string
	// caption is the figure's caption cut where the component's name
	// (nameMark) and the number of days (daysMark) go.
	caption        []string
	related, today string
}

// The marks a message is found with where bars put markup or a name.
const (
	nameMark = "\x00"
	daysMark = "\x01"
)

func newBarDays(days []components.Day, loc *time.Location, lang *i18n.Lang) barDays {
	bd := barDays{lang: lang, starts: make([]time.Time, len(days)), labels: make([]string, len(days)), words: map[string]string{},
		related: lang.T("page.related"), today: lang.T("page.today")}
	for i, d := range days {
		bd.starts[i], _ = time.ParseInLocation(time.DateOnly, d.Date, loc)
		bd.labels[i] = lang.Date(i18n.Day, bd.starts[i])
	}
	for _, k := range legend(lang) {
		bd.words[k.Class] = k.Label
	}
	// The caption holds the name and the days' markup: the message is
	// found once with marks in their places, cut there.
	caption := lang.F("page.bars_caption", "Name", nameMark, "Days", daysMark)
	for caption != "" {
		i := strings.IndexAny(caption, nameMark+daysMark)
		if i < 0 {
			bd.caption = append(bd.caption, caption)
			break
		}
		if i > 0 {
			bd.caption = append(bd.caption, caption[:i])
		}
		bd.caption, caption = append(bd.caption, caption[i:i+1]), caption[i+1:]
	}
	return bd
}

// relatedByDay lists, per component and bar day, the names of the
// incidents and maintenances that touched that day, newest first: every
// calendar day from the midnight of the day one started until it ended (one
// that crosses midnight after less than a day belongs to both days).
func (bd barDays) relatedByDay(spans []incidents.Span, loc *time.Location, now time.Time) map[string][][]string {
	related := map[string][][]string{}
	for _, in := range spans {
		end := now
		if in.ResolvedAt != nil {
			end = *in.ResolvedAt
		}
		st := in.StartedAt.In(loc)
		first := components.DayStart(st.Year(), st.Month(), st.Day(), loc)
		i, _ := slices.BinarySearchFunc(bd.starts, first, time.Time.Compare)
		for ; i < len(bd.starts) && (bd.starts[i].Equal(first) || bd.starts[i].Before(end)); i++ {
			for _, id := range in.ComponentIDs {
				days := related[id]
				if days == nil {
					days = make([][]string, len(bd.starts))
					related[id] = days
				}
				days[i] = append(days[i], in.Name)
			}
		}
	}
	return related
}

// barsHTML writes a component's bars: a figure whose ordered list holds
// each day as a coloured item with a tooltip in plain text (read by screen
// readers, shown on hover and focus without script; days worth a look can
// take the focus), and under it the axis — the first day's distance, the
// uptime percentage, "Today" — for all the days and for a phone's last
// phoneDays (beacon.css shows one or the other). The figure's caption,
// for screen readers only, names it (through aria-labelledby: Chromium
// does not name a figure after its figcaption) with the number of days
// shown; a name on the <ol> itself is one html-validate refuses. 90 bars
// per component are most of the page, so they are written here rather
// than by the template engine, whose reflection would make them most of
// the rebuild time.
func (bd barDays) barsHTML(b *strings.Builder, id, name string, u components.Uptime, related [][]string) {
	esc := html.EscapeString
	lang := bd.lang
	phone := min(phoneDays, len(u.Days))
	b.WriteString(`<figure class="uptime" aria-labelledby="bars-`)
	b.WriteString(esc(id))
	b.WriteString(`">
<figcaption class="vh" id="bars-`)
	b.WriteString(esc(id))
	b.WriteString(`">`)
	for _, part := range bd.caption {
		switch part {
		case nameMark:
			b.WriteString(esc(name))
		case daysMark:
			b.WriteString(`<span class="on-wide">`)
			b.WriteString(esc(lang.N("page.days", len(u.Days))))
			b.WriteString(`</span> <span class="on-phone">`)
			b.WriteString(esc(lang.N("page.days", phone)))
			b.WriteString(`</span>`)
		default:
			b.WriteString(esc(part))
		}
	}
	b.WriteString(`</figcaption>
<ol class="bars">
`)
	for i, d := range u.Days {
		class := barClass(d)
		var names []string
		if i < len(related) {
			names = related[i]
		}
		b.WriteString(`<li class="`)
		b.WriteString(class)
		b.WriteString(`"`)
		if class != "ok" && class != "nodata" || len(names) > 0 {
			b.WriteString(` tabindex="0"`)
		}
		b.WriteString(`><span class="tip"><b>`)
		if i < len(bd.labels) {
			b.WriteString(bd.labels[i])
		}
		b.WriteString(`</b> `)
		switch class {
		case "nodata", "ok":
			b.WriteString(bd.words[class])
		default:
			sep := ""
			for _, s := range dayStatuses(d) {
				if s.d > 0 {
					b.WriteString(sep)
					b.WriteString(bd.words[s.class])
					b.WriteString(" ")
					b.WriteString(lang.Duration(s.d))
					sep = ", "
				}
			}
		}
		if len(names) > 0 {
			b.WriteString(`<span class="rel"> `)
			b.WriteString(bd.related)
			b.WriteString(` `)
			for j, n := range names {
				if j > 0 {
					b.WriteString(`; `)
				}
				b.WriteString(esc(n))
			}
			b.WriteString(`</span>`)
		}
		b.WriteString("</span></li>\n")
	}
	b.WriteString(`</ol>
<p class="axis"><span class="on-wide">`)
	b.WriteString(esc(lang.N("page.days_ago", len(u.Days))))
	b.WriteString(`</span> <span class="on-phone">`)
	b.WriteString(esc(lang.N("page.days_ago", phone)))
	b.WriteString(`</span> <span class="on-wide">`)
	b.WriteString(esc(lang.F("page.uptime", "Number", lang.Decimal(u.Percent(), 2))))
	b.WriteString(`</span> <span class="on-phone">`)
	b.WriteString(esc(lang.F("page.uptime", "Number", lang.Decimal(u.Last(phoneDays).Percent(), 2))))
	b.WriteString(`</span> <span>`)
	b.WriteString(esc(bd.today))
	b.WriteString(`</span></p>
</figure>`)
}

// index renders "/" with charts, the metrics' over period.
func (v *pageRender) index(period metrics.Period, charts *chartSet) (*web.Resource, error) {
	s := v.s
	now := s.at
	h := v.head(v.lang.F("page.title_home", "Name", s.page.Name))
	h.Home = true
	if period != metrics.Day {
		h.Languages = frame.Picker(v.lang, "metrics="+string(period))
	}
	view := indexView{head: h, Legend: legend(v.lang), Status: s.status, UpdatedAt: v.stamp(s.updatedAt),
		Metrics: metricsSection(period, charts, v.lang)}
	for _, in := range s.unresolved {
		view.Active = append(view.Active, v.incident(in, false))
	}
	for _, in := range append(append([]incidents.Incident{}, s.active...), s.upcoming...) {
		view.Maintenance = append(view.Maintenance, v.incident(in, false))
	}

	// The bars: every component's written into one builder, each row's
	// Bars a substring of it (the builder never changes what it wrote).
	var bd barDays
	for _, u := range s.uptime {
		bd = newBarDays(u.Days, v.loc, v.lang)
		break
	}
	related := bd.relatedByDay(s.recent, v.loc, now)
	var bars strings.Builder
	bars.Grow(len(s.uptime) * (len(bd.labels)*110 + 400))

	var rows []componentView
	var group *componentView
	for _, c := range s.components {
		row := componentView{ID: c.ID, Name: c.Name, Description: c.Description, Status: string(c.Status), StatusLabel: v.lang.Enum("component", string(c.Status)), Group: c.Group}
		if !c.Group && c.Showcase {
			if u, ok := s.uptime[c.ID]; ok {
				from := bars.Len()
				bd.barsHTML(&bars, c.ID, c.Name, u, related[c.ID])
				row.Bars = template.HTML(bars.String()[from:])
				view.HasBars = true
			}
		}
		switch {
		case c.Group:
			rows = append(rows, row)
			group = &rows[len(rows)-1]
		case c.GroupID != "" && group != nil && group.ID == c.GroupID:
			if c.OnlyShowIfDegraded && c.Status == components.Operational {
				continue
			}
			group.Members = append(group.Members, row)
			group.Open = group.Open || c.Status != components.Operational
		default:
			if c.OnlyShowIfDegraded && c.Status == components.Operational {
				continue
			}
			rows = append(rows, row)
		}
	}
	// A group with nothing to show is not shown.
	view.Components = slices.DeleteFunc(rows, func(r componentView) bool { return r.Group && len(r.Members) == 0 })

	today := now.In(v.loc)
	for i := range pastDays {
		day := components.DayStart(today.Year(), today.Month(), today.Day()-i, v.loc)
		pd := pastDayView{Date: v.lang.Date(i18n.Day, day)}
		for _, in := range s.lastDays {
			st := in.StartedAt.In(v.loc)
			if in.Kind == incidents.KindMaintenance && in.Status == incidents.Scheduled {
				continue
			}
			if st.Year() == day.Year() && st.YearDay() == day.YearDay() {
				pd.Incidents = append(pd.Incidents, v.incident(in, true))
			}
		}
		view.Past = append(view.Past, pd)
	}
	// The bars and charts are most of the page: size the buffer once for
	// them.
	size := bars.Len() + 64<<10
	if charts != nil {
		size += len(charts.html)
	}
	return v.html("index", view, size)
}

func (v *pageRender) incidentPage(in incidents.Incident) (*web.Resource, error) {
	iv := v.incident(in, true)
	return v.html("incident", incidentPageView{head: v.head(in.Name), Incident: iv, Follow: v.c.channels.FollowForm(in)}, 0)
}

// incidentPreview is the incident page with the postmortem's draft in
// place of what is published.
func (v *pageRender) incidentPreview(in incidents.Incident) (*web.Resource, error) {
	iv := v.incident(in, true)
	iv.Postmortem, iv.PostmortemAt, iv.PostmortemDraft = v.markdown(in.Postmortem.Draft), nil, true
	return v.html("incident", incidentPageView{head: v.head(in.Name), Incident: iv}, 0)
}

// historyPage renders page n (from 1) of the history: historyMonths months
// per page, newest first; only the incidents that affected comp when it is
// not nil.
func (v *pageRender) historyPage(ctx context.Context, n int, comp *components.Component) (*web.Resource, error) {
	now := v.s.at.In(v.loc)
	top := components.DayStart(now.Year(), now.Month()-time.Month((n-1)*historyMonths), 1, v.loc)
	view := historyView{head: v.head(v.lang.T("page.incident_history")), Page: n, Component: comp}
	for _, c := range v.s.components {
		if !c.Group {
			view.Choices = append(view.Choices, c)
		}
	}
	query, compID := "", ""
	own := url.Values{} // the picker's links keep the page and component
	if n > 1 {
		own.Set("page", strconv.Itoa(n))
	}
	if comp != nil {
		compID = comp.ID
		query = "&component=" + url.QueryEscape(comp.ID)
		view.FeedQuery = "?component=" + url.QueryEscape(comp.ID)
		own.Set("component", comp.ID)
	}
	view.Languages = frame.Picker(v.lang, own.Encode())
	from := top.AddDate(0, -(historyMonths - 1), 0)
	list, err := v.c.incidents.List(ctx, incidents.Filter{From: from, To: top.AddDate(0, 1, 0), ComponentID: compID, Limit: 10000})
	if err != nil {
		return nil, err
	}
	for m := range historyMonths {
		month := top.AddDate(0, -m, 0)
		mv := monthView{Name: v.lang.Date(i18n.MonthYear, month)}
		for _, in := range list {
			st := in.StartedAt.In(v.loc)
			if st.Year() == month.Year() && st.Month() == month.Month() && !(in.Kind == incidents.KindMaintenance && in.Status == incidents.Scheduled) {
				mv.Incidents = append(mv.Incidents, v.incident(in, false))
			}
		}
		view.Months = append(view.Months, mv)
	}
	if n > 1 {
		view.Newer = "/history?page=" + strconv.Itoa(n-1) + query
	}
	older, err := v.c.incidents.Count(ctx, incidents.Filter{To: from, ComponentID: compID})
	if err != nil {
		return nil, err
	}
	if older > 0 {
		view.Older = "/history?page=" + strconv.Itoa(n+1) + query
	}
	return v.html("history", view, 0)
}

// pageCache holds the lazily rendered pages of one snapshot.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]*web.Resource
	// size is the bytes of the pages' bodies, bounded by maxLazyBytes.
	size int
	// rendering holds the renders under way, by key: a request for a page
	// being rendered waits for that render, not for the others.
	rendering map[string]*render
	// previewKeys holds each rendered incident's postmortem preview key,
	// recorded as its page renders, so that a guessed ?preview_key= is
	// refused from memory instead of costing a database read.
	previewKeys map[string]string
}

// render is one lazy render under way; done closes when r and err are set.
type render struct {
	done chan struct{}
	r    *web.Resource
	err  error
}

// errRenderFailed is what waiters get when a render panicked.
var errRenderFailed = errors.New("public: the page's render failed")

// lazy returns the page the snapshot keeps under key, rendering it on the
// first request. The lock guards the map only: a slow render (an old
// month's uptime report, an incident read from the database) holds up the
// requests for its own key, never the others. A render that failed because
// its request went away is not handed to the requests waiting on it: they
// render again themselves.
func (s *snapshot) lazy(key string, fn func() (*web.Resource, error)) (*web.Resource, error) {
	lp := &s.lazyPages
	for {
		lp.mu.Lock()
		if r, ok := lp.pages[key]; ok {
			lp.mu.Unlock()
			return r, nil
		}
		if w, ok := lp.rendering[key]; ok {
			lp.mu.Unlock()
			<-w.done
			if errors.Is(w.err, context.Canceled) || errors.Is(w.err, context.DeadlineExceeded) {
				continue
			}
			return w.r, w.err
		}
		w := &render{done: make(chan struct{}), err: errRenderFailed}
		if lp.rendering == nil {
			lp.rendering = map[string]*render{}
		}
		lp.rendering[key] = w
		lp.mu.Unlock()
		return lp.run(key, w, fn)
	}
}

// run renders w under key and keeps what it made.
func (lp *pageCache) run(key string, w *render, fn func() (*web.Resource, error)) (*web.Resource, error) {
	defer func() {
		lp.mu.Lock()
		delete(lp.rendering, key)
		if w.err == nil {
			if lp.pages == nil {
				lp.pages = map[string]*web.Resource{}
			}
			if lp.size+len(w.r.Body()) > maxLazyBytes {
				clear(lp.pages)
				clear(lp.previewKeys)
				lp.size = 0
			}
			if old, ok := lp.pages[key]; ok {
				lp.size -= len(old.Body())
			}
			lp.pages[key] = w.r
			lp.size += len(w.r.Body())
		}
		lp.mu.Unlock()
		close(w.done)
	}()
	w.r, w.err = fn()
	return w.r, w.err
}

const htmlType = fiber.MIMETextHTMLCharsetUTF8

// maxLazyBytes bounds the pages rendered on demand that a snapshot keeps,
// by the bytes of their bodies (their gzip forms add about a fifth): past
// it they are all dropped and rendered again as asked. Every page of
// history per component, in every language, is bounded by the data but
// not by much: 50 components × 40 pages of history × 7 languages is
// 14,000 pages of some 20 KB.
const maxLazyBytes = 32 << 20

// pages serves what the snapshot holds or renders on demand: the status
// page, incident pages, history, feeds, badge and API v2.
type pages struct {
	cache     *cache
	incidents *incidents.Service
	// cacheControl is the Cache-Control value of the cached responses, as
	// bytes once rather than converted on every request.
	cacheControl []byte
	reply        frame.Replies
	langs        frame.Languages
}

// sendPage sends a page r in lang: Vary and Content-Language say so.
func (p *pages) sendPage(c *fiber.Ctx, r *web.Resource, lang *i18n.Lang) error {
	remembered := p.langs.Remember(c, lang)
	err := r.Send(c, htmlType, p.cacheControl)
	frame.Headers(c, lang, remembered)
	return err
}

func (p *pages) index(c *fiber.Ctx) error {
	ctx := c.UserContext()
	period, ok := metricsPeriod(c.Query("metrics"))
	if !ok {
		return p.reply.NotFound(c, metrics.ErrNotFound)
	}
	s, err := p.cache.get(ctx)
	if err != nil {
		return err
	}
	if len(s.metrics) == 0 {
		period = metrics.Day
	}
	lang := p.langs.Choose(c, s.lang)
	if period == metrics.Day && lang == s.lang {
		return p.sendPage(c, s.index, lang)
	}
	// "/" in another language or with the charts of a week or a month,
	// once per snapshot.
	r, err := s.lazy("index:"+string(period)+":"+lang.Code(), func() (*web.Resource, error) {
		charts, err := p.cache.charts(ctx, s, period, lang)
		if err != nil {
			return nil, err
		}
		return newPageRender(p.cache, s, lang).index(period, charts)
	})
	if err != nil {
		return err
	}
	return p.sendPage(c, r, lang)
}

func (p *pages) incident(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s, err := p.cache.get(ctx)
	if err != nil {
		return err
	}
	id := c.Params("id")
	lang := p.langs.Choose(c, s.lang)
	r, err := s.lazy("incident:"+id+":"+lang.Code(), func() (*web.Resource, error) {
		in, err := p.incidents.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if in.Postmortem.Exists() {
			s.lazyPages.mu.Lock()
			if s.lazyPages.previewKeys == nil {
				s.lazyPages.previewKeys = map[string]string{}
			}
			s.lazyPages.previewKeys[id] = in.Postmortem.PreviewKey
			s.lazyPages.mu.Unlock()
		}
		return newPageRender(p.cache, s, lang).incidentPage(in)
	})
	if err != nil {
		return p.reply.NotFound(c, err)
	}
	if key := c.Query("preview_key"); key != "" && s.previewKeyMatches(id, key) {
		r, ok, err := p.incidentPreview(ctx, s, id, key, lang)
		if err != nil {
			return p.reply.NotFound(c, err)
		}
		if ok {
			c.Set("X-Robots-Tag", "noindex")
			p.langs.Remember(c, lang)
			err := r.Send(c, htmlType, []byte("private, no-store"))
			frame.Headers(c, lang, false)
			return err
		}
	}
	return p.sendPage(c, r, lang)
}

// previewKeyMatches reports whether key is the preview key recorded when
// incident id's page was rendered.
func (s *snapshot) previewKeyMatches(id, key string) bool {
	s.lazyPages.mu.Lock()
	want, ok := s.lazyPages.previewKeys[id]
	s.lazyPages.mu.Unlock()
	return ok && want != "" && subtle.ConstantTimeCompare([]byte(key), []byte(want)) == 1
}

// incidentPreview renders the incident page with the postmortem's draft
// for whoever has its preview key; ok is false when the key does not match
// (the visitor gets the ordinary page). Previews are rendered for each
// request and never cached.
func (p *pages) incidentPreview(ctx context.Context, s *snapshot, id, key string, lang *i18n.Lang) (r *web.Resource, ok bool, err error) {
	in, err := p.incidents.Get(ctx, id)
	if err != nil {
		return nil, false, err
	}
	pm := in.Postmortem
	if !pm.Exists() || subtle.ConstantTimeCompare([]byte(key), []byte(pm.PreviewKey)) != 1 {
		return nil, false, nil
	}
	r, err = newPageRender(p.cache, s, lang).incidentPreview(in)
	return r, err == nil, err
}

func (p *pages) history(c *fiber.Ctx) error {
	ctx := c.UserContext()
	n, err := web.QueryInt(c, "page", 1, 1, 1000)
	if err != nil {
		return p.reply.NotFound(c, err)
	}
	s, err := p.cache.get(ctx)
	if err != nil {
		return err
	}
	comp, ok := s.filterComponent(c)
	if !ok {
		return p.reply.NotFound(c, incidents.ErrNotFound)
	}
	lang := p.langs.Choose(c, s.lang)
	key := "history:" + lang.Code() + ":" + strconv.Itoa(n)
	if comp != nil {
		key += ":" + comp.ID
	}
	r, err := s.lazy(key, func() (*web.Resource, error) {
		return newPageRender(p.cache, s, lang).historyPage(ctx, n, comp)
	})
	if err != nil {
		return err
	}
	return p.sendPage(c, r, lang)
}

// filterComponent reads ?component=ID, the component a history page or
// feed is filtered by: nil without one. ok is false for an id that names
// no component of the page (or a group): those are not found, so the
// pages cached per component stay as few as the components.
func (s *snapshot) filterComponent(c *fiber.Ctx) (comp *components.Component, ok bool) {
	id := c.Query("component")
	if id == "" {
		return nil, true
	}
	found, ok := s.byID[id]
	if !ok || found.Group {
		return nil, false
	}
	return &found, true
}
