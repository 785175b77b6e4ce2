package components

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// Interval is a span of time a component spent in one status. End is nil for
// the current, open interval.
type Interval struct {
	Status Status
	Start  time.Time
	End    *time.Time
}

// History returns the intervals of component id that overlap [from, to), in
// time order.
func (s *Service) History(ctx context.Context, id string, from, to time.Time) ([]Interval, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT status, started_at, ended_at FROM component_status_intervals
		WHERE component_id = ? AND started_at < ? AND (ended_at IS NULL OR ended_at > ?)
		ORDER BY started_at, id`, id, store.FormatTime(to), store.FormatTime(from))
	if err != nil {
		return nil, fmt.Errorf("components: history of %s: %w", id, err)
	}
	defer rows.Close()
	out := []Interval{}
	for rows.Next() {
		var iv Interval
		if err := rows.Scan(&iv.Status, store.Time(&iv.Start), store.OptTime(&iv.End)); err != nil {
			return nil, fmt.Errorf("components: history of %s: %w", id, err)
		}
		out = append(out, iv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("components: history of %s: %w", id, err)
	}
	return out, nil
}

// PartialOutageWeight is the share of partial-outage time counted as
// downtime, as Statuspage does.
const PartialOutageWeight = 0.3

// Day is one calendar day of a component's uptime in the page's time zone.
type Day struct {
	Date string // YYYY-MM-DD
	// NoData is true for days before the component's history starts (or
	// after now): they have no uptime.
	NoData bool
	// Tracked is how much of the day is covered by history: 24 hours
	// (23 or 25 on a DST change) for a whole past day, less for today or for
	// the day history starts.
	Tracked     time.Duration
	MajorOutage time.Duration
	PartialOut  time.Duration
	Degraded    time.Duration
	Maintenance time.Duration
}

// Downtime is major outage time plus 0.3 × partial outage time.
func (d Day) Downtime() time.Duration {
	return d.MajorOutage + time.Duration(PartialOutageWeight*float64(d.PartialOut))
}

// Percent is the day's uptime percentage (100 for a day without data).
func (d Day) Percent() float64 { return percent(d.Tracked, d.Downtime()) }

// Uptime is a component's uptime over a range of days.
type Uptime struct {
	ComponentID string
	Days        []Day
	Tracked     time.Duration
	MajorOutage time.Duration
	PartialOut  time.Duration
}

// Downtime is major outage time plus 0.3 × partial outage time.
func (u Uptime) Downtime() time.Duration {
	return u.MajorOutage + time.Duration(PartialOutageWeight*float64(u.PartialOut))
}

// Percent is the uptime over all tracked time, rounded to two decimals; 100
// when nothing was tracked.
func (u Uptime) Percent() float64 { return percent(u.Tracked, u.Downtime()) }

// Last is the uptime over the last n of u's days (all of them when it has
// fewer), weighted as Percent weighs them: what a phone's shorter row of
// bars says.
func (u Uptime) Last(n int) Uptime {
	if n < len(u.Days) {
		u.Days = u.Days[len(u.Days)-max(n, 0):]
	}
	u.sum()
	return u
}

// Span is u over its days i up to j (u.Days[i:j]), totalled as Percent
// totals them: a month of a year's uptime is the Uptime of that month.
func (u Uptime) Span(i, j int) Uptime {
	u.Days = u.Days[i:j]
	u.sum()
	return u
}

func percent(tracked, down time.Duration) float64 {
	if tracked <= 0 {
		return 100
	}
	p := float64(tracked-down) / float64(tracked) * 100
	return math.Round(p*100) / 100
}

// Uptime computes the daily uptime of component id for the calendar days
// first through last (inclusive, in loc), up to now. History starts at the
// component's start_date when set (time before its first recorded status
// counts as operational) and otherwise at its creation.
func (s *Service) Uptime(ctx context.Context, id string, first, last time.Time, loc *time.Location, now time.Time) (Uptime, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Uptime{}, err
	}
	if c.Group {
		return Uptime{}, invalid("id", "%s is a group; uptime is kept per component", id)
	}
	first, end, err := dayRange(first, last, loc)
	if err != nil {
		return Uptime{}, err
	}
	intervals, err := s.History(ctx, id, first, end)
	if err != nil {
		return Uptime{}, err
	}
	return compute(c, intervals, first, end, loc, now), nil
}

// UptimeMany is Uptime for several components at once: what the public
// page needs to draw every component's bars. The page is rebuilt after every
// change and once a minute, while a component's history rarely changes and
// its past days never do; so the history of the range and the days already
// over are kept in memory per component, and a call reads one version row
// per component, reloads the history only of those whose version moved (see
// migration 0003) and computes only the days still running.
func (s *Service) UptimeMany(ctx context.Context, comps []Component, first, last time.Time, loc *time.Location, now time.Time) (map[string]Uptime, error) {
	first, end, err := dayRange(first, last, loc)
	if err != nil {
		return nil, err
	}
	histories, err := s.uptime.load(ctx, s.db.Read, comps, first, end, loc)
	if err != nil {
		return nil, fmt.Errorf("components: uptime: %w", err)
	}
	out := make(map[string]Uptime, len(comps))
	for _, c := range comps {
		if !c.Group {
			out[c.ID] = histories.uptime(c, now)
		}
	}
	return out, nil
}

// uptimeCache keeps, for one range of days, each component's history and
// the days of it already computed that can no longer change.
type uptimeCache struct {
	// readIntervals is the query of rangeHistory.read, built for the
	// database's engine.
	readIntervals string

	mu     sync.Mutex
	cur    *rangeHistory
	loaded int // components whose history was read by the last load, for tests
}

// readIntervalsQuery is uptimeCache.readIntervals for db.
func readIntervalsQuery(db *store.DB) string {
	return `SELECT component_id, status, started_at, ended_at FROM component_status_intervals
		WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?) AND component_id IN (SELECT c.value FROM ` + db.JSONArray("c") + `)
		ORDER BY component_id, started_at, id`
}

// rangeHistory is the history of every component over one range of days.
type rangeHistory struct {
	first, end time.Time
	loc        *time.Location
	days       []dayBounds
	byID       map[string]*componentHistory
}

// componentHistory is one component's intervals over the range, as of
// version, and the days computed from them that had ended when computed.
type componentHistory struct {
	version   int64
	intervals []Interval

	mu        sync.Mutex // guards what follows: concurrent callers share it
	dataStart time.Time  // what done was computed with
	done      []Day      // the range's first len(done) days
}

// dayBounds is one calendar day in the page's zone.
type dayBounds struct {
	start, end time.Time
	date       string
}

// DayStart is the first instant of day y-m-d in loc: midnight, or the end
// of the clock's jump where daylight time begins at midnight (in
// America/Santiago, 2026-09-06 begins at 01:00; time.Date answers 23:00
// the day before, which would make a day end where it began).
func DayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); t.Day() != want.Day() {
		_, t = t.ZoneBounds()
	}
	return t
}

func newDays(first, end time.Time, loc *time.Location) []dayBounds {
	var days []dayBounds
	for dayStart := first; dayStart.Before(end); {
		dayEnd := DayStart(dayStart.Year(), dayStart.Month(), dayStart.Day()+1, loc)
		days = append(days, dayBounds{start: dayStart, end: dayEnd, date: dayStart.Format(time.DateOnly)})
		dayStart = dayEnd
	}
	return days
}

// load returns the histories of comps over [first, end), reading from the
// database only the components whose history version differs from the
// cached one (all of them when the range changed). Versions and intervals
// are read in one transaction, so they agree.
func (uc *uptimeCache) load(ctx context.Context, db *sql.DB, comps []Component, first, end time.Time, loc *time.Location) (*rangeHistory, error) {
	uc.mu.Lock()
	defer uc.mu.Unlock()
	// One snapshot for both reads (PostgreSQL's default isolation would
	// give each statement its own).
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT component_id, version FROM component_history_versions`)
	if err != nil {
		return nil, err
	}
	versions := map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return nil, err
		}
		versions[id] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	old := uc.cur
	if old == nil || !old.first.Equal(first) || !old.end.Equal(end) || old.loc.String() != loc.String() {
		old = nil
	}
	next := &rangeHistory{first: first, end: end, loc: loc, byID: make(map[string]*componentHistory, len(comps))}
	if old != nil {
		next.days = old.days
	} else {
		next.days = newDays(first, end, loc)
	}
	var stale []string
	for _, c := range comps {
		if c.Group {
			continue
		}
		v := versions[c.ID]
		if old != nil {
			if h, ok := old.byID[c.ID]; ok && h.version == v {
				next.byID[c.ID] = h
				continue
			}
		}
		next.byID[c.ID] = &componentHistory{version: v, intervals: []Interval{}}
		stale = append(stale, c.ID)
	}
	uc.loaded = len(stale)
	if len(stale) > 0 {
		if err := next.read(ctx, tx, uc.readIntervals, stale); err != nil {
			return nil, err
		}
	}
	uc.cur = next
	return next, nil
}

// read loads the intervals of components ids over the range.
func (r *rangeHistory) read(ctx context.Context, tx *sql.Tx, query string, ids []string) error {
	rows, err := tx.QueryContext(ctx, query, store.FormatTime(r.end), store.FormatTime(r.first), store.IDList(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var iv Interval
		if err := rows.Scan(&id, &iv.Status, store.Time(&iv.Start), store.OptTime(&iv.End)); err != nil {
			return err
		}
		h := r.byID[id]
		h.intervals = append(h.intervals, iv)
	}
	return rows.Err()
}

// uptime computes c's uptime at now, reusing the days already over.
func (r *rangeHistory) uptime(c Component, now time.Time) Uptime {
	h := r.byID[c.ID]
	ds := dataStart(c, h.intervals, r.loc)
	h.mu.Lock()
	done := h.done
	if !h.dataStart.Equal(ds) || len(done) > 0 && now.Before(r.days[len(done)-1].end) {
		done = nil
	}
	h.mu.Unlock()

	u := Uptime{ComponentID: c.ID, Days: make([]Day, len(r.days))}
	copy(u.Days, done)
	computeDays(u.Days[len(done):], r.days[len(done):], h.intervals, ds, now)
	u.sum()

	// Days that ended before now will not change until the history does.
	over := firstEndingAfter(r.days, now)
	if over > len(done) {
		h.mu.Lock()
		h.done, h.dataStart = slices.Clone(u.Days[:over]), ds
		h.mu.Unlock()
	}
	return u
}

// dayRange turns the calendar days first..last into [start, end) in loc.
func dayRange(first, last time.Time, loc *time.Location) (time.Time, time.Time, error) {
	start := DayStart(first.Year(), first.Month(), first.Day(), loc)
	end := DayStart(last.Year(), last.Month(), last.Day()+1, loc)
	if !end.After(start) {
		return start, end, invalid("end", "must not be before start")
	}
	if end.Sub(start) > 3700*24*time.Hour {
		return start, end, invalid("start", "range is limited to ten years")
	}
	return start, end, nil
}

// dataStart is when c's history starts: its start_date when set (time
// before its first recorded status counts as operational), otherwise its
// creation or its first interval, whichever is earlier.
func dataStart(c Component, intervals []Interval, loc *time.Location) time.Time {
	ds := c.CreatedAt
	if c.StartDate != "" {
		if d, err := time.ParseInLocation(time.DateOnly, c.StartDate, loc); err == nil {
			return d
		}
		return ds
	}
	if len(intervals) > 0 && intervals[0].Start.Before(ds) {
		ds = intervals[0].Start
	}
	return ds
}

// compute splits c's history intervals over the days of [first, end).
func compute(c Component, intervals []Interval, first, end time.Time, loc *time.Location, now time.Time) Uptime {
	days := newDays(first, end, loc)
	u := Uptime{ComponentID: c.ID, Days: make([]Day, len(days))}
	computeDays(u.Days, days, intervals, dataStart(c, intervals, loc), now)
	u.sum()
	return u
}

// computeDays fills out[i] with the time intervals spent in each status
// during days[i], counting only time from dataStart to now. Intervals are
// visited once each, together with the days they overlap.
func computeDays(out []Day, days []dayBounds, intervals []Interval, dataStart, now time.Time) {
	type span struct{ from, to time.Time }
	spans := make([]span, len(days))
	for i, d := range days {
		out[i] = Day{Date: d.date}
		from, to := later(d.start, dataStart), earlier(d.end, now)
		if !to.After(from) {
			out[i].NoData = true
			continue
		}
		out[i].Tracked = to.Sub(from)
		spans[i] = span{from, to}
	}
	for _, iv := range intervals {
		ivEnd := now
		if iv.End != nil {
			ivEnd = *iv.End
		}
		// Days that end by the interval's start, or start at or after its
		// end, cannot overlap it.
		i := firstEndingAfter(days, iv.Start)
		for ; i < len(days) && days[i].start.Before(ivEnd); i++ {
			if out[i].NoData {
				continue
			}
			overlap := earlier(ivEnd, spans[i].to).Sub(later(iv.Start, spans[i].from))
			if overlap <= 0 {
				continue
			}
			switch iv.Status {
			case MajorOutage:
				out[i].MajorOutage += overlap
			case PartialOutage:
				out[i].PartialOut += overlap
			case DegradedPerformance:
				out[i].Degraded += overlap
			case UnderMaintenance:
				out[i].Maintenance += overlap
			}
		}
	}
}

// sum totals u's days.
func (u *Uptime) sum() {
	u.Tracked, u.MajorOutage, u.PartialOut = 0, 0, 0
	for _, d := range u.Days {
		u.Tracked += d.Tracked
		u.MajorOutage += d.MajorOutage
		u.PartialOut += d.PartialOut
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Combine adds up several components' uptime over the same days, for a
// group: the percentage weighs each member by the time it was tracked.
func Combine(id string, parts ...Uptime) Uptime {
	out := Uptime{ComponentID: id}
	for _, u := range parts {
		out.Tracked += u.Tracked
		out.MajorOutage += u.MajorOutage
		out.PartialOut += u.PartialOut
		for i, d := range u.Days {
			if i >= len(out.Days) {
				out.Days = append(out.Days, Day{Date: d.Date, NoData: true})
			}
			if d.NoData {
				continue
			}
			o := &out.Days[i]
			o.NoData = false
			o.Tracked += d.Tracked
			o.MajorOutage += d.MajorOutage
			o.PartialOut += d.PartialOut
			o.Degraded += d.Degraded
			o.Maintenance += d.Maintenance
		}
	}
	return out
}

// firstEndingAfter returns the index of the first of days (in order) that
// ends after t, or len(days).
func firstEndingAfter(days []dayBounds, t time.Time) int {
	i, _ := slices.BinarySearchFunc(days, t, func(d dayBounds, t time.Time) int {
		if d.end.After(t) {
			return 1
		}
		return -1
	})
	return i
}
