package main

import (
	"fmt"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
)

// The public uptime report (/uptime) against the management API's uptime
// endpoint: for every component and month the report shows, and for a
// month's days, the figures must be those the API answers for the same
// dates. The page is in New York, so months begin at local midnight.

// urReport is the part of /uptime?format=json the comparison reads.
type urReport struct {
	RangeStart string `json:"range_start"`
	RangeEnd   string `json:"range_end"`
	Overall    struct {
		urFigures
		Months []urMonth `json:"months"`
	} `json:"overall"`
	Components []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		urFigures
		Months []urMonth `json:"months"`
		Days   []struct {
			Date string `json:"date"`
			urFigures
		} `json:"days"`
	} `json:"components"`
}

type urFigures struct {
	UptimePercentage *float64 `json:"uptime_percentage"`
	MajorOutage      int64    `json:"major_outage"`
	PartialOutage    int64    `json:"partial_outage"`
}

type urMonth struct {
	Month      string `json:"month"`
	RangeStart string `json:"range_start"`
	RangeEnd   string `json:"range_end"`
	urFigures
	Incidents []struct{ ID, Name string } `json:"incidents"`
}

// urScene builds, through the management API, a year of history on a
// page in New York, and leaves the clock at 2026-11-20 12:00 UTC:
//
//   - API (from 2025-10-01): a major outage across New Year's midnight in
//     New York (3 h in December, 2 h in January), a partial outage across
//     the end of March (1 h in March, 5 h in April), 4 h under maintenance
//     in June (which does not count) and degraded performance in May
//     (which does not either);
//   - Database, created in the middle of June 2026 with an SLA target of
//     99.95: an hour of major outage in July, and a partial outage still
//     open now;
//   - Queue (from 2025-10-01, its uptime counted from 2026-02-10);
//   - Wiki, which shows no uptime, down for a day in August;
//   - the group Everything of API, Database and Queue, whose uptime is
//     the page's overall figure.
func urScene(t *testing.T) (e *testEnv, ids map[string]string) {
	t.Helper()
	e = newTestEnv(t)
	ids = map[string]string{}
	at := func(s string) {
		t.Helper()
		when, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set(when)
	}
	e.mustAPI(200, "PATCH", "", map[string]any{"page": map[string]any{"time_zone": "America/New_York"}})
	create := func(name string, fields map[string]any) {
		t.Helper()
		fields["name"] = name
		ids[name] = apitest.String(t, e.mustAPI(201, "POST", "/components", map[string]any{"component": fields}), "id")
	}
	status := func(name, st string) {
		t.Helper()
		e.mustAPI(200, "PATCH", "/components/"+ids[name], map[string]any{"component": map[string]any{"status": st}})
	}
	incident := func(name, comp, st string) {
		t.Helper()
		ids[name] = apitest.String(t, e.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
			"name": name, "body": "Looking into it.", "components": map[string]string{ids[comp]: st}}}), "id")
	}
	resolve := func(name, comp string) {
		t.Helper()
		e.mustAPI(200, "PATCH", "/incidents/"+ids[name], map[string]any{"incident": map[string]any{
			"status": "resolved", "body": "Fixed.", "components": map[string]string{ids[comp]: "operational"}}})
	}

	at("2025-10-01T12:00:00Z")
	create("API", map[string]any{})
	create("Queue", map[string]any{"start_date": "2026-02-10"})
	create("Wiki", map[string]any{"showcase": false})
	at("2026-01-01T02:00:00Z") // 21:00 on New Year's Eve in New York
	incident("New Year outage", "API", "major_outage")
	at("2026-01-01T07:00:00Z")
	resolve("New Year outage", "API")
	at("2026-04-01T03:00:00Z") // 23:00 on 31 March in New York
	incident("Slow API", "API", "partial_outage")
	at("2026-04-01T09:00:00Z")
	resolve("Slow API", "API")
	at("2026-05-12T10:00:00Z")
	status("API", "degraded_performance")
	at("2026-05-12T16:00:00Z")
	status("API", "operational")
	at("2026-06-06T06:00:00Z")
	status("API", "under_maintenance")
	at("2026-06-06T10:00:00Z")
	status("API", "operational")
	at("2026-06-15T18:00:00Z")
	create("Database", map[string]any{"sla_target": 99.95})
	at("2026-07-10T14:00:00Z")
	incident("Database down", "Database", "major_outage")
	at("2026-07-10T15:00:00Z")
	resolve("Database down", "Database")
	at("2026-08-03T00:00:00Z")
	status("Wiki", "major_outage")
	at("2026-08-04T00:00:00Z")
	status("Wiki", "operational")
	ids["Everything"] = apitest.String(t, e.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{
		"name": "Everything", "components": []string{ids["API"], ids["Database"], ids["Queue"]}}}), "id")
	at("2026-11-20T10:00:00Z")
	incident("Replication lag", "Database", "partial_outage")
	at("2026-11-20T12:00:00Z")
	return e, ids
}

// urAPI returns the uptime API's answer for a component (or, with group,
// a group) from start to end.
func urAPI(e *testEnv, id string, group bool, start, end string) statuspage.Uptime {
	e.t.Helper()
	kind := "/components/"
	if group {
		kind = "/component-groups/"
	}
	var u statuspage.Uptime
	e.mustAPI(200, "GET", kind+id+"/uptime?start="+start+"&end="+end, nil).JSON(e.t, &u)
	return u
}

// urSame reports how the report's figures differ from the API's, or "".
// A span without data has no percentage in the report; the API says 100
// with a warning.
func urSame(got urFigures, want statuspage.Uptime) string {
	if got.UptimePercentage == nil {
		if want.UptimePercentage != 100 || want.MajorOutage != 0 || want.PartialOutage != 0 || len(want.Warnings) == 0 {
			return fmt.Sprintf("no data, but the API says %v %% (major %d s, partial %d s, warnings %q)",
				want.UptimePercentage, want.MajorOutage, want.PartialOutage, want.Warnings)
		}
		return ""
	}
	if math.Abs(*got.UptimePercentage-want.UptimePercentage) >= 0.005 || got.MajorOutage != want.MajorOutage || got.PartialOutage != want.PartialOutage {
		return fmt.Sprintf("%v %% (major %d s, partial %d s), the API %v %% (major %d s, partial %d s)",
			*got.UptimePercentage, got.MajorOutage, got.PartialOutage, want.UptimePercentage, want.MajorOutage, want.PartialOutage)
	}
	return ""
}

func urText(f urFigures) string {
	if f.UptimePercentage == nil {
		return fmt.Sprintf("no data (major %d s, partial %d s)", f.MajorOutage, f.PartialOutage)
	}
	return fmt.Sprintf("%v %% (major %d s, partial %d s)", *f.UptimePercentage, f.MajorOutage, f.PartialOutage)
}

func urGet(e *testEnv, query string) urReport {
	e.t.Helper()
	res := e.do("GET", "/uptime?format=json"+query, nil)
	if res.Status != 200 {
		e.t.Fatalf("GET /uptime?format=json%s: status %d: %s", query, res.Status, res.Body)
	}
	var r urReport
	res.JSON(e.t, &r)
	return r
}

// TestUptimeReportMatchesAPI compares every figure of the 12-month report
// and of three one-month reports with the uptime API's.
func TestUptimeReportMatchesAPI(t *testing.T) {
	e, ids := urScene(t)
	year := urGet(e, "")
	if year.RangeStart != "2025-12-01" || year.RangeEnd != "2026-11-30" || len(year.Components) != 3 {
		t.Fatalf("the report covers %s to %s with %d components, want 2025-12-01 to 2026-11-30 and API, Queue, Database",
			year.RangeStart, year.RangeEnd, len(year.Components))
	}
	compared := 0
	for _, c := range year.Components {
		if d := urSame(c.urFigures, urAPI(e, c.ID, false, year.RangeStart, year.RangeEnd)); d != "" {
			t.Errorf("%s over the 12 months: %s", c.Name, d)
		}
		if len(c.Months) != 12 {
			t.Fatalf("%s: %d months, want 12", c.Name, len(c.Months))
		}
		for _, m := range c.Months {
			if d := urSame(m.urFigures, urAPI(e, c.ID, false, m.RangeStart, m.RangeEnd)); d != "" {
				t.Errorf("%s in %s: %s", c.Name, m.Month, d)
			}
			compared++
		}
	}
	if d := urSame(year.Overall.urFigures, urAPI(e, ids["Everything"], true, year.RangeStart, year.RangeEnd)); d != "" {
		t.Errorf("overall over the 12 months: %s", d)
	}
	for _, m := range year.Overall.Months {
		if d := urSame(m.urFigures, urAPI(e, ids["Everything"], true, m.RangeStart, m.RangeEnd)); d != "" {
			t.Errorf("overall in %s: %s", m.Month, d)
		}
	}

	// The figures the scene was built for, so that the comparison is not
	// between two figures that are both wrong (or both missing).
	months := map[string]map[string]urMonth{}
	for _, c := range year.Components {
		months[c.Name] = map[string]urMonth{}
		for _, m := range c.Months {
			months[c.Name][m.Month] = m
		}
	}
	for _, w := range []struct {
		comp, month    string
		major, partial int64
		percent        float64 // -1: no data
		incidents      int
	}{
		{"API", "2025-12", 3 * 3600, 0, 99.6, 1},       // 3 h of 744
		{"API", "2026-01", 2 * 3600, 0, 99.73, 1},      // 2 h of 744
		{"API", "2026-03", 0, 3600, 99.96, 1},          // 0.3 h of 743 (DST)
		{"API", "2026-04", 0, 5 * 3600, 99.79, 1},      // 1.5 h of 720
		{"API", "2026-05", 0, 0, 100, 0},               // degraded only
		{"API", "2026-06", 0, 0, 100, 0},               // maintenance only
		{"Database", "2026-05", 0, 0, -1, 0},           // before it existed
		{"Database", "2026-06", 0, 0, 100, 0},          // from the 15th
		{"Database", "2026-07", 3600, 0, 99.87, 1},     // 1 h of 744
		{"Database", "2026-11", 0, 2 * 3600, 99.87, 1}, // open: 0.6 h of 464 so far
		{"Queue", "2026-01", 0, 0, -1, 0},              // before its start date
		{"Queue", "2026-02", 0, 0, 100, 0},             // from the 10th
	} {
		m, ok := months[w.comp][w.month]
		switch {
		case !ok:
			t.Errorf("%s has no %s", w.comp, w.month)
		case w.percent < 0 && m.UptimePercentage != nil:
			t.Errorf("%s in %s: %v %%, want no data", w.comp, w.month, *m.UptimePercentage)
		case w.percent >= 0 && (m.UptimePercentage == nil || *m.UptimePercentage != w.percent || m.MajorOutage != w.major || m.PartialOutage != w.partial):
			t.Errorf("%s in %s: %s, want %v %% (major %d s, partial %d s)", w.comp, w.month, urText(m.urFigures), w.percent, w.major, w.partial)
		case len(m.Incidents) != w.incidents:
			t.Errorf("%s in %s: incidents %+v, want %d", w.comp, w.month, m.Incidents, w.incidents)
		}
	}

	// One month at a time, with its days.
	for _, month := range []string{"2025-12", "2026-04", "2026-11"} {
		r := urGet(e, "&month="+month)
		for _, c := range r.Components {
			if len(c.Months) != 1 || c.Months[0].Month != month {
				t.Fatalf("?month=%s: %s has months %+v", month, c.Name, c.Months)
			}
			want := urAPI(e, c.ID, false, c.Months[0].RangeStart, c.Months[0].RangeEnd)
			if d := urSame(c.Months[0].urFigures, want); d != "" {
				t.Errorf("?month=%s: %s: %s", month, c.Name, d)
			}
			if d := urSame(c.urFigures, want); d != "" {
				t.Errorf("?month=%s: %s's total: %s", month, c.Name, d)
			}
			for _, day := range c.Days {
				if d := urSame(day.urFigures, urAPI(e, c.ID, false, day.Date, day.Date)); d != "" {
					t.Errorf("%s on %s: %s", c.Name, day.Date, d)
				}
				compared++
			}
		}
	}
	t.Logf("%d figures compared with the uptime API", compared)
	if compared < 36+3*28 {
		t.Errorf("only %d figures compared", compared)
	}
}

// TestUptimeReportFollowsChanges: the report is served from memory with
// an ETag, and a change (a status, an SLA target) is in the next answer.
func TestUptimeReportFollowsChanges(t *testing.T) {
	e, ids := urScene(t)
	first := e.do("GET", "/uptime", nil)
	etag := first.Header.Get("ETag")
	if first.Status != 200 || etag == "" {
		t.Fatalf("GET /uptime: %d, ETag %q", first.Status, etag)
	}
	if res := e.do("GET", "/uptime", nil, "If-None-Match", etag); res.Status != 304 {
		t.Errorf("an unchanged report answered %d to its ETag, want 304", res.Status)
	}
	e.mustAPI(200, "PATCH", "/components/"+ids["API"], map[string]any{"component": map[string]any{"sla_target": 99.99}})
	res := e.do("GET", "/uptime?"+url.Values{"format": {"json"}}.Encode(), nil)
	var r struct {
		Components []struct {
			Name      string   `json:"name"`
			SLATarget *float64 `json:"sla_target"`
		} `json:"components"`
	}
	res.JSON(t, &r)
	if len(r.Components) == 0 || r.Components[0].Name != "API" || r.Components[0].SLATarget == nil || *r.Components[0].SLATarget != 99.99 {
		t.Errorf("after setting API's target the report says %+v", r.Components)
	}
	if res := e.do("GET", "/uptime", nil, "If-None-Match", etag); res.Status != 200 {
		t.Errorf("a changed report answered %d to the old ETag, want 200", res.Status)
	}
}
