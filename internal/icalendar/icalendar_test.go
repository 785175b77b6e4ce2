package icalendar_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/icalendar"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/templates"
)

// The calendars are read back by testutil.ParseICalendar, with another
// library than the one that writes them and a strict check of the lines.

func parse(t testing.TB, body []byte) *ical.Calendar { return testutil.ParseICalendar(t, body) }

func text(t testing.TB, props ical.Props, name string) string {
	return testutil.ICalText(t, props, name)
}

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// hostile are names written to break a calendar: line breaks that would
// start a property or a component of their own, every character TEXT
// escapes, and long runs of multibyte characters that a fold at 75 octets
// must not split.
var hostile = []string{
	"Upgrade\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected",
	`Commas, semicolons; and \backslashes\ \n \, \;`,
	"Colons: \"quotes\" <tags> & 'apostrophes'\ttab",
	strings.Repeat("数据库维护🛠️", 40),
	strings.Repeat("é", 100) + strings.Repeat("👩‍👩‍👧‍👦", 20),
	"x" + strings.Repeat("€", 74), // a fold falls inside the first euro sign unless it is kept whole
	"Lone\rCR and lone\nLF and a bell\a and a nul\x00",
}

func renderer(t testing.TB, comps []components.Component) *icalendar.Renderer {
	t.Helper()
	tpl, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	return icalendar.NewRenderer(components.Page{Name: "Acme; Inc, \\ \"Status\"\r\nX-INJECTED:1"}, "https://status.example.com:8443",
		comps, tpl.PlainText, tpl.Lang())
}

func maintenance(id, name, body string, seq int, comps ...string) incidents.Incident {
	from, until := t0.Add(24*time.Hour), t0.Add(26*time.Hour)
	return incidents.Incident{ID: id, Kind: incidents.KindMaintenance, Name: name, Status: incidents.Scheduled,
		CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0, ScheduledFor: &from, ScheduledUntil: &until, Sequence: seq,
		ComponentIDs: comps, Updates: []incidents.Update{{Status: incidents.Scheduled, Body: body}}}
}

// TestHostileNames writes a calendar whose page, components, maintenance
// names and update bodies are hostile and reads each back as it was
// written (once cleaned of what no page may carry), one event per
// maintenance.
func TestHostileNames(t *testing.T) {
	comps := []components.Component{{ID: "grp", Name: "Back;end,\r\n", Group: true}}
	var list []incidents.Incident
	for i, name := range hostile {
		id := fmt.Sprintf("m%d", i)
		comps = append(comps, components.Component{ID: "c" + id, Name: name, GroupID: "grp"})
		list = append(list, maintenance(id, name, "**Body** of "+name+"\n\n- one; two, three \\", i, "c"+id))
	}
	r := renderer(t, comps)
	tpl, _ := templates.Load()
	body := r.Calendar(list, []string{"cm0", "cm3"})
	cal := parse(t, body)

	group := chars.CleanLine(comps[0].Name) + " - "
	wantName := chars.CleanLine(`Acme; Inc, \ "Status"`+"\r\nX-INJECTED:1") + " maintenance: " + group + chars.CleanLine(hostile[0]) + ", " + group + hostile[3]
	if got := text(t, cal.Props, "X-WR-CALNAME"); got != wantName {
		t.Errorf("X-WR-CALNAME %q, want %q", got, wantName)
	}
	if got := text(t, cal.Props, "NAME"); got != wantName {
		t.Errorf("NAME %q, want %q", got, wantName)
	}
	if cal.Props.Get("X-INJECTED") != nil {
		t.Error("the page's name added a property of its own")
	}
	events := cal.Events()
	if len(events) != len(list) {
		t.Fatalf("%d events, want %d", len(events), len(list))
	}
	for i, ev := range events {
		in := list[i]
		if got, want := text(t, ev.Props, "SUMMARY"), chars.CleanLine(in.Name); got != want {
			t.Errorf("event %d: SUMMARY %q, want %q", i, got, want)
		}
		if strings.ContainsAny(text(t, ev.Props, "SUMMARY"), "\r\n") {
			t.Errorf("event %d: SUMMARY holds a line break", i)
		}
		desc := text(t, ev.Props, "DESCRIPTION")
		want := "Scheduled: " + tpl.PlainText(in.Updates[0].Body) + "\n\nAffected components: " + group + chars.CleanLine(in.Name) +
			".\n\nhttps://status.example.com:8443/incidents/" + in.ID
		if desc != want {
			t.Errorf("event %d: DESCRIPTION\n%q, want\n%q", i, desc, want)
		}
		if got, want := text(t, ev.Props, "UID"), in.ID+"@status.example.com"; got != want {
			t.Errorf("event %d: UID %q, want %q", i, got, want)
		}
	}
}

// TestEvent checks every property of one event and of its calendar: times
// in UTC, the sequence, the status (CANCELLED for a maintenance completed
// before its window), the link, and the hints to calendar applications.
func TestEvent(t *testing.T) {
	r := renderer(t, nil)
	m := maintenance("abc123", "Database upgrade", "We will upgrade the database.", 3)
	zone := time.FixedZone("UTC+5", 5*3600)
	start := m.ScheduledFor.In(zone)
	m.ScheduledFor = &start
	cancelled := maintenance("def456", "Cache flush", "Not needed after all.", 1)
	cancelled.Status, cancelled.ResolvedAt = incidents.Completed, &t0
	cancelled.Updates[0].Status = incidents.Completed

	for _, tt := range []struct {
		name   string
		in     incidents.Incident
		status string
		desc   string
	}{
		{"scheduled", m, "CONFIRMED", "Scheduled: We will upgrade the database."},
		{"cancelled", cancelled, "CANCELLED", "Cancelled: Not needed after all."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := r.Event(tt.in)
			cal := parse(t, body)
			for prop, want := range map[string]string{"VERSION": "2.0", "METHOD": "PUBLISH", "CALSCALE": "GREGORIAN",
				"PRODID": "-//Beacon//Maintenance calendar//EN", "REFRESH-INTERVAL": "PT1H", "X-PUBLISHED-TTL": "PT1H"} {
				if p := cal.Props.Get(prop); p == nil || p.Value != want {
					t.Errorf("calendar %s: %v, want %q", prop, p, want)
				}
			}
			if p := cal.Props.Get("REFRESH-INTERVAL"); p != nil && p.Params.Get("VALUE") != "DURATION" {
				t.Errorf("REFRESH-INTERVAL's VALUE is %q, want DURATION", p.Params.Get("VALUE"))
			}
			if got := text(t, cal.Props, "X-WR-CALNAME"); got != tt.in.Name {
				t.Errorf("X-WR-CALNAME %q, want %q", got, tt.in.Name)
			}
			events := cal.Events()
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			ev := events[0]
			raw := map[string]string{}
			for name, props := range ev.Props {
				raw[name] = props[0].Value
			}
			want := map[string]string{
				"UID": tt.in.ID + "@status.example.com", "SEQUENCE": fmt.Sprint(tt.in.Sequence), "STATUS": tt.status,
				"DTSTART": "20260311T120000Z", "DTEND": "20260311T140000Z",
				"DTSTAMP": "20260310T120000Z", "LAST-MODIFIED": "20260310T120000Z", "CREATED": "20260310T110000Z",
				"URL": "https://status.example.com:8443/incidents/" + tt.in.ID, "TRANSP": "TRANSPARENT",
			}
			for name, w := range want {
				if raw[name] != w {
					t.Errorf("%s %q, want %q", name, raw[name], w)
				}
			}
			start, err := ev.DateTimeStart(nil)
			if err != nil || !start.Equal(*tt.in.ScheduledFor) {
				t.Errorf("DTSTART reads %v (%v), want %v", start, err, tt.in.ScheduledFor)
			}
			if got := text(t, ev.Props, "DESCRIPTION"); !strings.HasPrefix(got, tt.desc+"\n\n") {
				t.Errorf("DESCRIPTION %q, want it to start with %q", got, tt.desc)
			}
		})
	}
}

// TestAffecting checks the component filter: maintenances of any of the
// ids, and those of the whole page.
func TestAffecting(t *testing.T) {
	list := []incidents.Incident{maintenance("a", "A", "", 0, "api"), maintenance("b", "B", "", 0, "db"),
		maintenance("c", "C", "", 0, "api", "db"), maintenance("d", "D", "", 0), maintenance("e", "E", "", 0, "web")}
	for _, tt := range []struct {
		ids  []string
		want []string
	}{
		{[]string{"api"}, []string{"a", "c", "d"}},
		{[]string{"db", "api"}, []string{"a", "b", "c", "d"}},
		{[]string{"nothing"}, []string{"d"}},
	} {
		var got []string
		for _, in := range icalendar.Affecting(list, tt.ids) {
			got = append(got, in.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Affecting(%q) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}

// TestEmpty checks that a calendar without maintenance still parses.
func TestEmpty(t *testing.T) {
	cal := parse(t, renderer(t, nil).Calendar(nil, nil))
	if n := len(cal.Events()); n != 0 {
		t.Errorf("%d events, want none", n)
	}
}
