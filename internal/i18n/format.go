package i18n

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// conventions are a file's [meta], [date], [number] and [list] tables.
type conventions struct {
	Meta struct {
		Name string `toml:"name"`
		Dir  string `toml:"dir"`
	} `toml:"meta"`
	Date struct {
		Months        []string          `toml:"months"`
		MonthsShort   []string          `toml:"months_short"`
		WeekdaysShort []string          `toml:"weekdays_short"`
		Patterns      map[string]string `toml:"patterns"`
	} `toml:"date"`
	Number struct {
		Decimal string `toml:"decimal"`
		Group   string `toml:"group"`
		Minus   string `toml:"minus"`
		Percent string `toml:"percent"`
	} `toml:"number"`
	List struct {
		Two    string `toml:"two"`
		Start  string `toml:"start"`
		Middle string `toml:"middle"`
		End    string `toml:"end"`
	} `toml:"list"`
}

// compiled are a language's conventions, ready to apply.
type compiled struct {
	months, monthsShort, weekdaysShort []string
	dates                              map[DateStyle][]datePart
	decimal, group, minus              string
	percent                            string
	list                               [4]string // two, start, middle, end
}

// DateStyle names one of the ways the pages, messages and console write a
// time. Each language's [date.patterns] table has one pattern per style.
type DateStyle string

// The date styles, with the English each writes (which is what Beacon
// wrote before it had languages).
const (
	Day            DateStyle = "day"             // Jan 2, 2006
	MonthYear      DateStyle = "month_year"      // January 2006
	WeekdayDay     DateStyle = "weekday_day"     // Mon, Jan 2
	DayMonth       DateStyle = "day_month"       // Jan 2
	WeekdayNum     DateStyle = "weekday_num"     // Mon 2
	Stamp          DateStyle = "stamp"           // Jan 2, 2006 - 15:04 MST
	DateTime       DateStyle = "datetime"        // Jan 2, 2006 15:04 MST
	DateTimeNoZone DateStyle = "datetime_nozone" // Jan 2, 2006 15:04
	DayTime        DateStyle = "day_time"        // Jan 2, 15:04
	DayTimeZone    DateStyle = "day_time_zone"   // Jan 2, 15:04 MST
	DayTimeCompact DateStyle = "day_time_short"  // Jan 2 15:04
	Clock          DateStyle = "time"            // 15:04
)

// DateStyles are every style, which every file must define.
var DateStyles = []DateStyle{Day, MonthYear, WeekdayDay, DayMonth, WeekdayNum, Stamp, DateTime, DateTimeNoZone, DayTime,
	DayTimeZone, DayTimeCompact, Clock}

// datePart is a piece of a pattern: literal text, or a field token.
type datePart struct {
	text  string
	token string
}

// The tokens a pattern may hold, in braces: "{d}. {MMMM} {y}".
var dateTokens = []string{"d", "dd", "M", "MM", "MMM", "MMMM", "y", "EEE", "HH", "mm", "z"}

func (l *Lang) setConventions(c conventions) error {
	var errs []error
	need := func(table, key, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("[%s] %s is missing", table, key))
		}
	}
	l.name, l.dir = c.Meta.Name, c.Meta.Dir
	need("meta", "name", c.Meta.Name)
	if c.Meta.Dir != "ltr" && c.Meta.Dir != "rtl" {
		errs = append(errs, fmt.Errorf("[meta] dir is %q, want \"ltr\" or \"rtl\"", c.Meta.Dir))
	}
	d := c.Date
	for _, f := range []struct {
		key   string
		names []string
		n     int
	}{{"months", d.Months, 12}, {"months_short", d.MonthsShort, 12}, {"weekdays_short", d.WeekdaysShort, 7}} {
		if len(f.names) != f.n || slices.Contains(f.names, "") {
			errs = append(errs, fmt.Errorf("[date] %s has %d names, want %d", f.key, len(f.names), f.n))
		}
	}
	l.conv = compiled{months: d.Months, monthsShort: d.MonthsShort, weekdaysShort: d.WeekdaysShort, dates: map[DateStyle][]datePart{}}
	for _, s := range DateStyles {
		p, ok := d.Patterns[string(s)]
		if !ok {
			errs = append(errs, fmt.Errorf("[date.patterns] %s is missing", s))
			continue
		}
		parts, err := parseDatePattern(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("[date.patterns] %s: %w", s, err))
		}
		l.conv.dates[s] = parts
	}
	for k := range d.Patterns {
		if !slices.Contains(DateStyles, DateStyle(k)) {
			errs = append(errs, fmt.Errorf("[date.patterns] %s is not a date style", k))
		}
	}
	n := c.Number
	need("number", "decimal", n.Decimal)
	need("number", "group", n.Group)
	need("number", "minus", n.Minus)
	if !strings.Contains(n.Percent, "{n}") {
		errs = append(errs, errors.New("[number] percent must hold {n}"))
	}
	l.conv.decimal, l.conv.group, l.conv.minus, l.conv.percent = n.Decimal, n.Group, n.Minus, n.Percent
	li := c.List
	for i, p := range []string{li.Two, li.Start, li.Middle, li.End} {
		if !strings.Contains(p, "{0}") || !strings.Contains(p, "{1}") {
			errs = append(errs, fmt.Errorf("[list] %s must hold {0} and {1}", [4]string{"two", "start", "middle", "end"}[i]))
		}
		l.conv.list[i] = p
	}
	return errors.Join(errs...)
}

// parseDatePattern splits a pattern into its literal text and tokens.
func parseDatePattern(p string) ([]datePart, error) {
	var parts []datePart
	for p != "" {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			parts = append(parts, datePart{text: p})
			break
		}
		if i > 0 {
			parts = append(parts, datePart{text: p[:i]})
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed { in %q", p)
		}
		tok := p[i+1 : i+j]
		if !slices.Contains(dateTokens, tok) {
			return nil, fmt.Errorf("unknown token {%s}", tok)
		}
		parts = append(parts, datePart{token: tok})
		p = p[i+j+1:]
	}
	return parts, nil
}

// Date writes t in style, in t's own location (callers pass t.In(zone)).
// An unknown style gives a marker.
func (l *Lang) Date(style DateStyle, t time.Time) string {
	parts, ok := l.conv.dates[style]
	if !ok {
		return Missing("date." + string(style))
	}
	b := make([]byte, 0, 32)
	for _, p := range parts {
		switch p.token {
		case "":
			b = append(b, p.text...)
		case "d":
			b = strconv.AppendInt(b, int64(t.Day()), 10)
		case "dd":
			b = appendTwo(b, t.Day())
		case "M":
			b = strconv.AppendInt(b, int64(t.Month()), 10)
		case "MM":
			b = appendTwo(b, int(t.Month()))
		case "MMM":
			b = append(b, l.conv.monthsShort[t.Month()-1]...)
		case "MMMM":
			b = append(b, l.conv.months[t.Month()-1]...)
		case "y":
			b = strconv.AppendInt(b, int64(t.Year()), 10)
		case "EEE":
			b = append(b, l.conv.weekdaysShort[t.Weekday()]...)
		case "HH":
			b = appendTwo(b, t.Hour())
		case "mm":
			b = appendTwo(b, t.Minute())
		case "z":
			b = t.AppendFormat(b, "MST")
		}
	}
	return string(b)
}

func appendTwo(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// Month is the name of month m in full: "März".
func (l *Lang) Month(m time.Month) string { return l.conv.months[m-1] }

// Decimal writes x with digits decimals (-1: as few as say it exactly)
// in the language's symbols: 1234.5 is "1.234,5" in German.
func (l *Lang) Decimal(x float64, digits int) string {
	s := strconv.FormatFloat(x, 'f', digits, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteString(l.conv.minus)
	}
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(l.conv.group)
		}
		b.WriteByte(whole[i])
	}
	if hasFrac {
		b.WriteString(l.conv.decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// Percent writes x percent (99.95, not 0.9995) with digits decimals, as
// the language writes a percentage: "99,95 %" in German.
func (l *Lang) Percent(x float64, digits int) string {
	return strings.Replace(l.conv.percent, "{n}", l.Decimal(x, digits), 1)
}

// List joins items as the language lists them: "A, B, and C".
func (l *Lang) List(items []string) string {
	// Each pattern is cut where its placeholders are, so that an item
	// holding "{1}" is written as it is.
	join := func(p, a, b string) string {
		i, j := strings.Index(p, "{0}"), strings.Index(p, "{1}")
		if i < j {
			return p[:i] + a + p[i+3:j] + b + p[j+3:]
		}
		return p[:j] + b + p[j+3:i] + a + p[i+3:]
	}
	switch n := len(items); n {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return join(l.conv.list[0], items[0], items[1])
	default:
		s := join(l.conv.list[3], items[n-2], items[n-1])
		for i := n - 3; i >= 1; i-- {
			s = join(l.conv.list[2], items[i], s)
		}
		return join(l.conv.list[1], items[0], s)
	}
}

// Duration says a length of time, rounded to the minute, as a tooltip
// does: "1 h 12 min", "less than a minute".
func (l *Lang) Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	// A page's bars say many durations, mostly under a day or two: those
	// are remembered, as a message with a count costs microseconds.
	minutes := int(d.Minutes())
	if minutes >= 0 && minutes < maxMemoMinutes {
		if s, ok := l.durations.Load(minutes); ok {
			return s.(string)
		}
	}
	s := l.duration(d)
	if minutes >= 0 && minutes < maxMemoMinutes {
		l.durations.Store(minutes, s)
	}
	return s
}

// maxMemoMinutes bounds the durations a language remembers: two days.
const maxMemoMinutes = 48 * 60

func (l *Lang) duration(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h > 0 && m > 0:
		return l.F("duration.join", "Hours", l.N("duration.hours", h), "Minutes", l.N("duration.minutes", m))
	case h > 0:
		return l.N("duration.hours", h)
	case m > 0:
		return l.N("duration.minutes", m)
	}
	return l.T("duration.under_a_minute")
}
