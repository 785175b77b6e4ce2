package components

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/beacon-status/beacon/internal/sqlite"
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
		ORDER BY started_at, id`, id, sqlite.FormatTime(to), sqlite.FormatTime(from))
	if err != nil {
		return nil, fmt.Errorf("components: history of %s: %w", id, err)
	}
	defer rows.Close()
	out := []Interval{}
	for rows.Next() {
		var iv Interval
		if err := rows.Scan(&iv.Status, sqlite.Time(&iv.Start), sqlite.OptTime(&iv.End)); err != nil {
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

// Percent is the uptime over all tracked time, rounded to two decimals; 100
// when nothing was tracked.
func (u Uptime) Percent() float64 {
	return percent(u.Tracked, u.MajorOutage+time.Duration(PartialOutageWeight*float64(u.PartialOut)))
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

// UptimeMany is Uptime for several components at once, with one query:
// what the public page needs to draw every component's bars.
func (s *Service) UptimeMany(ctx context.Context, comps []Component, first, last time.Time, loc *time.Location, now time.Time) (map[string]Uptime, error) {
	first, end, err := dayRange(first, last, loc)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT component_id, status, started_at, ended_at FROM component_status_intervals
		WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY component_id, started_at, id`,
		sqlite.FormatTime(end), sqlite.FormatTime(first))
	if err != nil {
		return nil, fmt.Errorf("components: uptime: %w", err)
	}
	defer rows.Close()
	byID := map[string][]Interval{}
	for rows.Next() {
		var id string
		var iv Interval
		if err := rows.Scan(&id, &iv.Status, sqlite.Time(&iv.Start), sqlite.OptTime(&iv.End)); err != nil {
			return nil, fmt.Errorf("components: uptime: %w", err)
		}
		byID[id] = append(byID[id], iv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("components: uptime: %w", err)
	}
	out := make(map[string]Uptime, len(comps))
	for _, c := range comps {
		if !c.Group {
			out[c.ID] = compute(c, byID[c.ID], first, end, loc, now)
		}
	}
	return out, nil
}

// dayRange turns the calendar days first..last into [start, end) in loc.
func dayRange(first, last time.Time, loc *time.Location) (time.Time, time.Time, error) {
	start := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	end := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc)
	if !end.After(start) {
		return start, end, invalid("end", "must not be before start")
	}
	if end.Sub(start) > 3700*24*time.Hour {
		return start, end, invalid("start", "range is limited to ten years")
	}
	return start, end, nil
}

// compute splits c's history intervals over the days of [first, end).
func compute(c Component, intervals []Interval, first, end time.Time, loc *time.Location, now time.Time) Uptime {
	dataStart := c.CreatedAt
	if c.StartDate != "" {
		if d, err := time.ParseInLocation(time.DateOnly, c.StartDate, loc); err == nil {
			dataStart = d
		}
	}
	if c.StartDate == "" && len(intervals) > 0 && intervals[0].Start.Before(dataStart) {
		dataStart = intervals[0].Start
	}

	u := Uptime{ComponentID: c.ID}
	for dayStart := first; dayStart.Before(end); {
		dayEnd := time.Date(dayStart.Year(), dayStart.Month(), dayStart.Day()+1, 0, 0, 0, 0, loc)
		day := Day{Date: dayStart.Format(time.DateOnly)}
		from, to := later(dayStart, dataStart), earlier(dayEnd, now)
		if !to.After(from) {
			day.NoData = true
		} else {
			day.Tracked = to.Sub(from)
			for _, iv := range intervals {
				ivEnd := now
				if iv.End != nil {
					ivEnd = *iv.End
				}
				overlap := earlier(ivEnd, to).Sub(later(iv.Start, from))
				if overlap <= 0 {
					continue
				}
				switch iv.Status {
				case MajorOutage:
					day.MajorOutage += overlap
				case PartialOutage:
					day.PartialOut += overlap
				case DegradedPerformance:
					day.Degraded += overlap
				case UnderMaintenance:
					day.Maintenance += overlap
				}
			}
			u.Tracked += day.Tracked
			u.MajorOutage += day.MajorOutage
			u.PartialOut += day.PartialOut
		}
		u.Days = append(u.Days, day)
		dayStart = dayEnd
	}
	return u
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
