package i18n

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// English writes every date style as Beacon wrote it with Go's layouts
// before it had languages, byte for byte, so no page or email changes.
func TestEnglishDatesAsBefore(t *testing.T) {
	en := mustLoad(t).Default()
	layouts := map[DateStyle]string{
		Day: "Jan 2, 2006", MonthYear: "January 2006", WeekdayDay: "Mon, Jan 2", DayMonth: "Jan 2", WeekdayNum: "Mon 2",
		Stamp: "Jan 2, 2006 - 15:04 MST", DateTime: "Jan 2, 2006 15:04 MST", DateTimeNoZone: "Jan 2, 2006 15:04",
		DayTime: "Jan 2, 15:04", DayTimeZone: "Jan 2, 15:04 MST", DayTimeCompact: "Jan 2 15:04", Clock: "15:04",
	}
	if len(layouts) != len(DateStyles) {
		t.Fatalf("%d layouts for %d styles", len(layouts), len(DateStyles))
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Every day of a year, at an hour that moves, in two zones: every
	// month and weekday name, one and two digit days and hours.
	start := time.Date(2025, 12, 31, 0, 7, 0, 0, time.UTC)
	for i := range 367 {
		at := start.Add(time.Duration(i)*24*time.Hour + time.Duration(i%24)*time.Hour)
		for _, loc := range []*time.Location{time.UTC, paris} {
			for style, layout := range layouts {
				if got, want := en.Date(style, at.In(loc)), at.In(loc).Format(layout); got != want {
					t.Fatalf("Date(%s, %v) = %q, want %q", style, at.In(loc), got, want)
				}
			}
		}
	}
}

// Each language's dates at one instant, as its readers write them.
func TestDates(t *testing.T) {
	c := mustLoad(t)
	at := time.Date(2026, 3, 10, 9, 5, 0, 0, time.UTC) // a Tuesday
	tests := []struct {
		code                       string
		stamp, day, month, weekday string
	}{
		{"en", "Mar 10, 2026 - 09:05 UTC", "Mar 10, 2026", "March 2026", "Tue, Mar 10"},
		{"de", "10. März 2026, 09:05 UTC", "10. März 2026", "März 2026", "Di., 10. März"},
		{"fr", "10 mars 2026, 09:05 UTC", "10 mars 2026", "mars 2026", "mar. 10 mars"},
		{"es", "10 mar 2026, 09:05 UTC", "10 mar 2026", "marzo de 2026", "mar, 10 mar"},
		{"pt-BR", "10 de mar. de 2026 09:05 UTC", "10 de mar. de 2026", "março de 2026", "ter., 10 de mar."},
		{"ja", "2026年3月10日 09:05 UTC", "2026年3月10日", "2026年3月", "3月10日(火)"},
		{"ar", "10 مارس 2026، 09:05 UTC", "10 مارس 2026", "مارس 2026", "الثلاثاء، 10 مارس"},
	}
	if len(tests) != len(c.Langs()) {
		t.Errorf("%d cases for %d languages", len(tests), len(c.Langs()))
	}
	for _, tt := range tests {
		l, ok := c.Lookup(tt.code)
		if !ok {
			t.Errorf("no %s", tt.code)
			continue
		}
		for style, want := range map[DateStyle]string{Stamp: tt.stamp, Day: tt.day, MonthYear: tt.month, WeekdayDay: tt.weekday} {
			if got := l.Date(style, at); got != want {
				t.Errorf("%s Date(%s) = %q, want %q", tt.code, style, got, want)
			}
		}
		if got := l.Date("nope", at); got != "⟦date.nope⟧" {
			t.Errorf("%s: an unknown style gives %q, want a marker", tt.code, got)
		}
	}
}

// oracleTag is the tag x/text formats numbers for as Beacon does: Arabic
// with Latin digits.
func oracleTag(l *Lang) language.Tag {
	if l.Code() == "ar" {
		return language.MustParse("ar-u-nu-latn")
	}
	return l.Tag()
}

// Numbers and percentages are written with CLDR's symbols, as x/text's
// printer writes them.
func TestNumbersMatchCLDR(t *testing.T) {
	for _, l := range mustLoad(t).Langs() {
		p := message.NewPrinter(oracleTag(l))
		for _, tt := range []struct {
			x      float64
			digits int
		}{{0.5, 3}, {99.95, 2}, {1234.5, 2}, {12345.5, 1}, {1234567, 0}, {-1234.5, 1}, {7, 0}} {
			want := p.Sprintf(fmt.Sprintf("%%.%df", tt.digits), tt.x)
			if got := l.Decimal(tt.x, tt.digits); got != want {
				t.Errorf("%s Decimal(%v, %d) = %q, want %q", l.Code(), tt.x, tt.digits, got, want)
			}
		}
		for _, tt := range []struct {
			x      float64
			digits int
		}{{99.95, 2}, {100, 0}, {12.5, 1}} {
			want := p.Sprint(number.Percent(tt.x/100, number.Scale(tt.digits)))
			if got := l.Percent(tt.x, tt.digits); got != want {
				t.Errorf("%s Percent(%v, %d) = %q, want %q", l.Code(), tt.x, tt.digits, got, want)
			}
		}
	}
}

// English lists and durations read as the pages wrote them.
func TestListsAndDurations(t *testing.T) {
	c := mustLoad(t)
	en, de, ar, ja := c.Get("en"), c.Get("de"), c.Get("ar"), c.Get("ja")
	for _, tt := range []struct {
		l     *Lang
		items []string
		want  string
	}{
		{en, nil, ""}, {en, []string{"API"}, "API"}, {en, []string{"API", "Web"}, "API and Web"},
		{en, []string{"API", "Web", "DB", "CDN"}, "API, Web, DB, and CDN"},
		{de, []string{"API", "Web", "DB"}, "API, Web und DB"},
		{ar, []string{"API", "Web", "DB"}, "API وWeb وDB"},
		{ja, []string{"API", "Web"}, "API、Web"},
		{en, []string{"{1}", "{0}"}, "{1} and {0}"},
	} {
		if got := tt.l.List(tt.items); got != tt.want {
			t.Errorf("%s List(%q) = %q, want %q", tt.l.Code(), tt.items, got, tt.want)
		}
	}
	for _, tt := range []struct {
		l    *Lang
		d    time.Duration
		want string
	}{
		{en, 72 * time.Minute, "1 h 12 min"}, {en, 2 * time.Hour, "2 h"}, {en, 5 * time.Minute, "5 min"},
		{en, 20 * time.Second, "less than a minute"}, {en, 90 * time.Second, "2 min"},
		{de, 72 * time.Minute, "1 Std. 12 Min."},
		{ja, 72 * time.Minute, "1時間12分"},
		{ar, 2*time.Hour + 3*time.Minute, "ساعتان و3 دقائق"}, {ar, 11 * time.Minute, "11 دقيقة"},
		{en, 50 * time.Hour, "50 h"}, {de, 50*time.Hour + time.Minute, "50 Std. 1 Min."},
	} {
		for range 2 { // the second from the memo
			if got := tt.l.Duration(tt.d); got != tt.want {
				t.Errorf("%s Duration(%v) = %q, want %q", tt.l.Code(), tt.d, got, tt.want)
			}
		}
	}
}

// Messages: plain, with data, with a count, and domain values by kind.
func TestMessages(t *testing.T) {
	c := mustLoad(t)
	en, de := c.Default(), c.Get("de")
	for _, tt := range []struct{ got, want string }{
		{en.Enum("component", "partial_outage"), "Partial Outage"},
		{de.Enum("component", "partial_outage"), "Teilweiser Ausfall"},
		{en.Enum("indicator", "All Systems Operational"), "All Systems Operational"},
		{de.Enum("indicator", "Service Under Maintenance"), "Dienst wird gewartet"},
		{de.Enum("incident", "in_progress"), "Wird durchgeführt"},
		{de.Enum("channel", "email"), "E-Mail"},
		{de.Enum("component", "exploded"), "⟦status.component.exploded⟧"},
		{de.T("status.update"), "Aktualisierung"},
		{de.F("duration.join", "Hours", "A", "Minutes", "B"), "A B"},
		{de.F("duration.join", "Hours"), "⟦duration.join⟧"},
		{de.N("duration.minutes", 3), "3 Min."},
		{de.T("no.such.id"), "⟦no.such.id⟧"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// N does not write into the caller's slice.
	kv := make([]any, 0, 4)
	_ = de.N("duration.minutes", 3, kv...)
	if len(kv[:cap(kv)]) == 4 && kv[:cap(kv)][0] != nil {
		t.Error("N wrote into the caller's arguments")
	}
}

// A file whose conventions are incomplete or malformed does not load.
func TestConventionsChecked(t *testing.T) {
	en, err := locales.ReadFile("locales/en.toml")
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"short month list":  {`"November", "December"]`, `"November"]`},
		"unknown token":     {`day = "{MMM} {d}, {y}"`, `day = "{MMM} {D}, {y}"`},
		"missing style":     {`time = "{HH}:{mm}"`, ``},
		"unknown style":     {`time = "{HH}:{mm}"`, "time = \"{HH}:{mm}\"\nnoon = \"{HH}\""},
		"direction":         {`dir = "ltr"`, `dir = "left"`},
		"percent":           {`percent = "{n}%"`, `percent = "%"`},
		"list":              {`two = "{0} and {1}"`, `two = "{0} and"`},
		"no decimal symbol": {`decimal = "."`, `decimal = ""`},
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(string(en), edit[0], edit[1], 1)
			if body == string(en) {
				t.Fatalf("%q not found", edit[0])
			}
			if _, err := load(fstest.MapFS{"locales/en.toml": {Data: []byte(body)}}); err == nil {
				t.Error("load succeeded, want an error")
			} else {
				t.Log(err)
			}
		})
	}
}
