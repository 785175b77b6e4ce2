package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/testutil"
)

// procEvent is what a calendar application keeps of a maintenance's event.
type procEvent struct {
	UID, Sequence, Status, Start, End, Summary string
}

// calendar fetches path as a subscribed calendar application would, with
// the ETag it holds (if any), and returns the event of maintenance id, the
// ETag, and the status (304, with no event, when nothing changed).
func (s *procServer) calendar(path, id, etag string) (ev procEvent, tag string, code int) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.url(path), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := procClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	switch {
	case res.StatusCode == 304:
		return procEvent{}, res.Header.Get("ETag"), 304
	case res.StatusCode != 200:
		s.t.Fatalf("GET %s: status %d: %s", path, res.StatusCode, body)
	case res.Header.Get("Content-Type") != "text/calendar; charset=utf-8":
		s.t.Errorf("GET %s: Content-Type %q", path, res.Header.Get("Content-Type"))
	}
	cal := testutil.ParseICalendar(s.t, body)
	for _, e := range cal.Events() {
		if !strings.HasPrefix(e.Props.Get("UID").Value, id+"@") {
			continue
		}
		raw := func(name string) string { return e.Props.Get(name).Value }
		return procEvent{UID: raw("UID"), Sequence: raw("SEQUENCE"), Status: raw("STATUS"), Start: raw("DTSTART"), End: raw("DTEND"),
			Summary: testutil.ICalText(s.t, e.Props, "SUMMARY")}, res.Header.Get("ETag"), 200
	}
	s.t.Fatalf("GET %s: no event of %s in\n%s", path, id, body)
	return
}

// TestProcessMaintenanceCalendar follows a maintenance through the real
// binary's calendar: a reschedule through the API raises its SEQUENCE
// under the same UID, a restart changes neither (nor the calendar's ETag,
// so a subscribed application is answered 304), and a cancellation makes
// it CANCELLED with SEQUENCE raised again.
func TestProcessMaintenanceCalendar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The page's address stays put across the restart, as in production:
	// by default it would follow the listening port, which changes.
	s := procStart(t, dir, "BEACON_BASE_URL=https://status.example.com")
	key := procAPIKey(t, dir)
	s.login(key)
	comp := s.createComponent("API")
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	name := `Database upgrade; v16, \ 数据库维护` + strings.Repeat("🛠", 30)
	m := s.createMaintenance(name, start, start.Add(2*time.Hour), []string{comp})
	ics := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

	ev, _, _ := s.calendar("/maintenance.ics", m.ID, "")
	uid := m.ID + "@status.example.com"
	if want := (procEvent{UID: uid, Sequence: "0", Status: "CONFIRMED", Start: ics(start), End: ics(start.Add(2 * time.Hour)), Summary: name}); ev != want {
		t.Errorf("new: %+v, want %+v", ev, want)
	}

	moved := start.Add(24 * time.Hour)
	s.api(200, "PATCH", "/incidents/"+m.ID, map[string]any{"incident": map[string]any{
		"scheduled_for": moved.Format(time.RFC3339), "scheduled_until": moved.Add(3 * time.Hour).Format(time.RFC3339)}}, nil)
	want := procEvent{UID: uid, Sequence: "1", Status: "CONFIRMED", Start: ics(moved), End: ics(moved.Add(3 * time.Hour)), Summary: name}
	ev, etag, _ := s.calendar("/maintenance.ics", m.ID, "")
	if ev != want {
		t.Errorf("rescheduled: %+v, want %+v", ev, want)
	}

	s.kill()
	s = procStart(t, dir, "BEACON_BASE_URL=https://status.example.com")
	s.login(key)
	if _, _, code := s.calendar("/maintenance.ics", m.ID, etag); code != 304 {
		t.Errorf("after a restart: status %d for the calendar's ETag, want 304", code)
	}
	for _, path := range []string{"/maintenance.ics", "/maintenance.ics?component=" + comp, "/incidents/" + m.ID + ".ics"} {
		if ev, _, _ := s.calendar(path, m.ID, ""); ev != want {
			t.Errorf("%s after a restart: %+v, want %+v", path, ev, want)
		}
	}

	s.api(200, "PATCH", "/incidents/"+m.ID, map[string]any{"incident": map[string]any{
		"status": "completed", "body": "This scheduled maintenance has been cancelled."}}, nil)
	want.Status, want.Sequence = "CANCELLED", "2"
	if ev, _, _ := s.calendar("/maintenance.ics", m.ID, ""); ev != want {
		t.Errorf("cancelled: %+v, want %+v", ev, want)
	}
}
