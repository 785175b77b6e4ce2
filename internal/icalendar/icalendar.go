// Package icalendar writes the maintenance calendar: a page's scheduled
// maintenances as iCalendar (RFC 5545) events, which calendar applications
// subscribe to by URL or import one at a time.
//
// It is the one package that uses github.com/arran4/golang-ical, which
// escapes TEXT values and folds lines at 75 octets without splitting a
// UTF-8 sequence. What that library leaves to its caller is done here: it
// passes a carriage return through as it is, so every text is cleaned
// first (internal/chars), and it ends lines with LF unless asked for CRLF.
package icalendar

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
)

// Recent is how long a maintenance stays in the calendar after it was
// completed or cancelled, as Statuspage keeps recent maintenance on its
// page: long enough for every subscribed calendar to see the change.
const Recent = 30 * 24 * time.Hour

// MaxEvents bounds the calendar: the maintenances with the soonest windows.
const MaxEvents = 1000

// refresh is how often a subscribed calendar should fetch the calendar
// again (REFRESH-INTERVAL, and X-PUBLISHED-TTL for the applications that
// read only that).
const refresh = "PT1H"

// Filter selects the maintenances the calendar lists at now: every one not
// completed (scheduled, in progress or verifying), and those completed or
// cancelled within Recent, soonest window first.
func Filter(now time.Time) incidents.Filter {
	return incidents.Filter{Kind: incidents.KindMaintenance, From: now.Add(-Recent), Upcoming: true, Limit: MaxEvents}
}

// Affecting returns the maintenances of list that affect any of the
// components ids, and those that name no component: a maintenance of the
// whole page concerns every component, as its notifications go to every
// subscriber.
func Affecting(list []incidents.Incident, ids []string) []incidents.Incident {
	var out []incidents.Incident
	for _, in := range list {
		if len(in.ComponentIDs) == 0 || slices.ContainsFunc(in.ComponentIDs, func(id string) bool { return slices.Contains(ids, id) }) {
			out = append(out, in)
		}
	}
	return out
}

// Scope reads the query ?component=ID,… of a filtered calendar: the ids
// sorted and without repeats, none for the whole page. ok is false when an
// id names no component of byID, or a group.
func Scope(query string, byID map[string]components.Component) (ids []string, ok bool) {
	if query == "" {
		return nil, true
	}
	for id := range strings.SplitSeq(query, ",") {
		id = strings.TrimSpace(id)
		if c, known := byID[id]; !known || c.Group {
			return nil, false
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), true
}

// Renderer writes the calendars of one page.
type Renderer struct {
	pageName string
	baseURL  string
	// host is the page's host name: the right-hand side of every UID.
	host string
	byID map[string]components.Component
	// plainText renders an update's Markdown as plain text.
	plainText func(markdown string) string
	// lang is the language of the calendar's texts (SUMMARY and
	// DESCRIPTION; property names and values stay as RFC 5545 has them).
	lang *i18n.Lang
}

// NewRenderer returns a renderer for page at baseURL (without a trailing
// slash), whose components are all; plainText renders staff-written
// Markdown as plain text (templates.Set.PlainText); its texts are in lang.
func NewRenderer(page components.Page, baseURL string, all []components.Component, plainText func(string) string, lang *i18n.Lang) *Renderer {
	host := "beacon.invalid"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return &Renderer{pageName: chars.CleanLine(page.Name), baseURL: baseURL, host: host, byID: components.ByID(all), plainText: plainText, lang: lang}
}

// UID is the event id of maintenance id: the same for as long as the page
// keeps its host name, whatever else changes.
func (r *Renderer) UID(id string) string { return id + "@" + r.host }

// Calendar renders list as the page's maintenance calendar. scope, when
// not empty, lists the ids of the components the calendar is filtered by,
// which its name and description then say.
func (r *Renderer) Calendar(list []incidents.Incident, scope []string) []byte {
	name, desc := r.lang.F("calendar.name", "Page", r.pageName), r.lang.F("calendar.summary", "Page", r.pageName)
	if len(scope) > 0 {
		names := make([]string, len(scope))
		for i, id := range scope {
			names[i] = r.componentName(id)
		}
		name = r.lang.F("calendar.name_scope", "Page", r.pageName, "Components", strings.Join(names, ", "))
		desc = r.lang.F("calendar.summary_scope", "Page", r.pageName, "Components", strings.Join(names, r.lang.T("calendar.or")))
	}
	cal := r.calendar(name, desc)
	for _, in := range list {
		r.addEvent(cal, in)
	}
	return serialize(cal)
}

// Event renders maintenance in as a calendar of its own, for a calendar
// application to import.
func (r *Renderer) Event(in incidents.Incident) []byte {
	cal := r.calendar(chars.CleanLine(in.Name), r.lang.F("calendar.summary", "Page", r.pageName))
	r.addEvent(cal, in)
	return serialize(cal)
}

func (r *Renderer) calendar(name, desc string) *ics.Calendar {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Beacon//Maintenance calendar//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(name) // NAME and X-WR-CALNAME
	cal.SetXWRCalDesc(desc)
	cal.SetRefreshInterval(refresh)
	cal.SetXPublishedTTL(refresh)
	return cal
}

// addEvent adds in as a VEVENT, times in UTC.
func (r *Renderer) addEvent(cal *ics.Calendar, in incidents.Incident) {
	if in.ScheduledFor == nil || in.ScheduledUntil == nil {
		return // not a maintenance: nothing to put in a calendar
	}
	link := r.baseURL + "/incidents/" + in.ID
	e := cal.AddEvent(r.UID(in.ID))
	// DTSTAMP is the last change rather than the moment of writing, so
	// that the calendar's bytes, and its ETag, change only with the data.
	e.SetDtStampTime(in.UpdatedAt)
	e.SetCreatedTime(in.CreatedAt)
	e.SetLastModifiedAt(in.UpdatedAt)
	e.SetSequence(in.Sequence)
	e.SetStartAt(*in.ScheduledFor)
	e.SetEndAt(*in.ScheduledUntil)
	e.SetSummary(chars.CleanLine(in.Name))
	e.SetDescription(r.description(in, link))
	e.SetURL(link)
	status := ics.ObjectStatusConfirmed
	if in.Cancelled() {
		status = ics.ObjectStatusCancelled
	}
	e.SetStatus(status)
	// A maintenance is something to know about, not a meeting: it does
	// not make the subscriber busy.
	e.SetTimeTransparency(ics.TransparencyTransparent)
}

// description is the event's text: the latest update with its status,
// the affected components and the link, in plain text.
func (r *Renderer) description(in incidents.Incident, link string) string {
	var b strings.Builder
	if len(in.Updates) > 0 {
		label := r.lang.Enum("incident", string(in.Updates[0].Status))
		if in.Cancelled() {
			label = r.lang.T("calendar.cancelled")
		}
		b.WriteString(r.lang.F("calendar.update", "Label", label, "Body", r.plainText(in.Updates[0].Body)) + "\n\n")
	}
	if len(in.ComponentIDs) > 0 {
		names := make([]string, len(in.ComponentIDs))
		for i, id := range in.ComponentIDs {
			names[i] = r.componentName(id)
		}
		b.WriteString(r.lang.F("calendar.affected", "Names", strings.Join(names, ", ")) + "\n\n")
	}
	b.WriteString(link)
	return chars.Clean(b.String())
}

// componentName is a component's name as the page shows it, with its
// group's: "Backend - API".
func (r *Renderer) componentName(id string) string {
	c, ok := r.byID[id]
	if !ok {
		return id
	}
	name := chars.CleanLine(c.Name)
	if g, ok := r.byID[c.GroupID]; ok {
		name = chars.CleanLine(g.Name) + " - " + name
	}
	return name
}

// serialize writes cal with CRLF line ends, as RFC 5545 requires.
func serialize(cal *ics.Calendar) []byte {
	var buf bytes.Buffer
	// Writing to a bytes.Buffer does not fail.
	_ = cal.SerializeTo(&buf, ics.WithNewLineWindows)
	return buf.Bytes()
}
