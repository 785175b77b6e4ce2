package testutil

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"

	ical "github.com/emersion/go-ical"
)

// ParseICalendar reads an iCalendar body the way a strict calendar
// application would: with another library than the one Beacon writes it
// with (github.com/emersion/go-ical's decoder), after checking what that
// decoder forgives (CheckICalendarLines) and that every TEXT value escapes
// its commas and semicolons. It fails the test on the first fault.
func ParseICalendar(t testing.TB, body []byte) *ical.Calendar {
	t.Helper()
	if err := CheckICalendarLines(body); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	for _, comp := range append([]*ical.Component{cal.Component}, cal.Children...) {
		for name, props := range comp.Props {
			for _, p := range props {
				if err := checkICalText(name, p.Value); err != nil {
					t.Errorf("%s %s: %v", comp.Name, name, err)
				}
			}
		}
	}
	return cal
}

// CheckICalendarLines reports the first line of body that does not end
// with CRLF, is longer than 75 octets, is not UTF-8 on its own (a fold
// that split a character), or holds a control character other than a tab,
// as RFC 5545 §3.1 and §3.3.11 require.
func CheckICalendarLines(body []byte) error {
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		return fmt.Errorf("does not end with CRLF")
	}
	for i, line := range bytes.Split(body[:len(body)-2], []byte("\r\n")) {
		switch {
		case bytes.ContainsAny(line, "\r\n"):
			return fmt.Errorf("line %d holds a bare CR or LF: %q", i+1, line)
		case len(line) > 75:
			return fmt.Errorf("line %d is %d octets long, more than 75: %q", i+1, len(line), line)
		case !utf8.Valid(line):
			return fmt.Errorf("line %d is not UTF-8 on its own (a fold split a character): %q", i+1, line)
		case bytes.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 }):
			return fmt.Errorf("line %d holds a control character: %q", i+1, line)
		}
	}
	return nil
}

// icalTextProps are the TEXT properties Beacon's calendars hold.
var icalTextProps = []string{"SUMMARY", "DESCRIPTION", "NAME", "X-WR-CALNAME", "X-WR-CALDESC", "UID"}

// checkICalText refuses a TEXT value with a comma or semicolon that is not
// escaped (go-ical's decoder splits at commas but takes semicolons as they
// are).
func checkICalText(name, raw string) error {
	if !slices.Contains(icalTextProps, name) {
		return nil
	}
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case ',', ';':
			return fmt.Errorf("unescaped %q at %d in %q", raw[i], i, raw)
		}
	}
	return nil
}

// ICalText returns the TEXT property name of props, unescaped, failing
// the test when it is missing or malformed.
func ICalText(t testing.TB, props ical.Props, name string) string {
	t.Helper()
	p := props.Get(name)
	if p == nil {
		t.Fatalf("no %s property", name)
	}
	s, err := p.Text()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}
