// Package demo writes Beacon's example page into an empty database: groups
// and components with 90 days of history, resolved incidents, one in
// progress, a maintenance done and one coming, and a week of two system
// metrics. It writes through the services, with a clock moved through the
// past, so the history is made by the same code paths as real changes.
package demo

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/metrics"
)

// Services are the services the demo writes through; they must read the
// time from the Clock given to Seed.
type Services struct {
	Components *components.Service
	Incidents  *incidents.Service
	Metrics    *metrics.Service
}

// Clock is the clock Seed moves through the past.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the time the clock shows.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Seed writes the example as if it had happened over the 90 days
// before now.
func Seed(ctx context.Context, a Services, clock *Clock, now time.Time) error {
	day := func(d int, hour, minute int) time.Time {
		t := now.AddDate(0, 0, d)
		return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, time.UTC)
	}
	clock.Set(day(-92, 9, 0))

	ids := map[string]string{}
	layout := []struct{ group, name, desc string }{
		{"", "Website", "The marketing site and documentation."},
		{"Platform", "API", "The public REST API."},
		{"Platform", "Dashboard", "The web dashboard."},
		{"Platform", "Search", "Search across projects."},
		{"Notifications", "Email delivery", ""},
		{"Notifications", "SMS delivery", ""},
		{"Notifications", "Webhooks", ""},
		{"", "CDN", "Static assets and downloads."},
	}
	groups := map[string][]string{}
	for _, l := range layout {
		name, desc := l.name, l.desc
		c, err := a.Components.Create(ctx, components.Input{Name: &name, Description: &desc})
		if err != nil {
			return err
		}
		ids[l.name] = c.ID
		if l.group != "" {
			groups[l.group] = append(groups[l.group], c.ID)
		}
	}
	for _, g := range []string{"Platform", "Notifications"} {
		name, members := g, groups[g]
		if _, err := a.Components.CreateGroup(ctx, components.GroupInput{Name: &name, Members: &members}); err != nil {
			return err
		}
	}

	type step struct {
		at     time.Time
		status incidents.Status
		body   string
		set    map[string]components.Status
	}
	past := []struct {
		name  string
		steps []step
	}{
		{"Elevated API error rates", []step{
			{day(-62, 14, 5), incidents.Investigating, "We are seeing elevated error rates on API requests and are investigating.", map[string]components.Status{ids["API"]: components.PartialOutage}},
			{day(-62, 14, 31), incidents.Identified, "A faulty configuration change to the load balancers has been identified and is being rolled back.", nil},
			{day(-62, 14, 58), incidents.Monitoring, "The rollback is complete and error rates are back to normal. We are monitoring.", map[string]components.Status{ids["API"]: components.Operational}},
			{day(-62, 15, 40), incidents.Resolved, "This incident has been resolved.", nil},
		}},
		{"Search results delayed", []step{
			{day(-35, 8, 10), incidents.Investigating, "New documents take longer than usual to appear in search results.", map[string]components.Status{ids["Search"]: components.DegradedPerformance}},
			{day(-35, 11, 20), incidents.Resolved, "The indexing backlog has been processed. Search is up to date.", nil},
		}},
		{"Dashboard unavailable", []step{
			{day(-12, 19, 2), incidents.Investigating, "The dashboard fails to load for all users. We are investigating.", map[string]components.Status{ids["Dashboard"]: components.MajorOutage, ids["API"]: components.DegradedPerformance}},
			{day(-12, 19, 15), incidents.Identified, "An expired certificate on an internal service is the cause. A new certificate is being deployed.", nil},
			{day(-12, 19, 41), incidents.Monitoring, "The dashboard is loading again. We are monitoring closely.", map[string]components.Status{ids["Dashboard"]: components.Operational, ids["API"]: components.Operational}},
			{day(-12, 20, 30), incidents.Resolved, "This incident has been resolved. We have added alerts on certificate expiry for every internal service.", nil},
		}},
		{"Delayed email notifications", []step{
			{day(-3, 6, 45), incidents.Investigating, "Some notification emails are arriving up to 30 minutes late.", map[string]components.Status{ids["Email delivery"]: components.DegradedPerformance}},
			{day(-3, 8, 50), incidents.Resolved, "Our email provider has cleared its queue and emails are delivered on time again.", map[string]components.Status{ids["Email delivery"]: components.Operational}},
		}},
	}
	for _, p := range past {
		var id string
		for i, st := range p.steps {
			clock.Set(st.at)
			if i == 0 {
				in, err := a.Incidents.Create(ctx, incidents.NewIncident{Name: p.name, Status: st.status, Body: st.body, Components: st.set})
				if err != nil {
					return err
				}
				id = in.ID
				continue
			}
			status, body := st.status, st.body
			if _, err := a.Incidents.Update(ctx, id, incidents.Change{Status: &status, Body: &body, Components: st.set}); err != nil {
				return err
			}
		}
	}

	// A maintenance that ran on its own, twenty days ago.
	clock.Set(day(-24, 10, 0))
	from, until := day(-20, 2, 0), day(-20, 4, 0)
	_, err := a.Incidents.Create(ctx, incidents.NewIncident{
		Name: "Database upgrade", Body: "We will upgrade our primary database. The API may be briefly read-only.",
		ComponentIDs: []string{ids["API"], ids["Dashboard"]}, ScheduledFor: &from, ScheduledUntil: &until,
	})
	if err != nil {
		return err
	}
	for _, t := range []time.Time{from.Add(-incidents.ReminderLead), from, until} {
		clock.Set(t)
		if _, err := a.Incidents.RunDue(ctx); err != nil {
			return err
		}
	}

	// An incident in progress now.
	clock.Set(now.Add(-25 * time.Minute))
	active, err := a.Incidents.Create(ctx, incidents.NewIncident{
		Name: "Increased latency for webhook deliveries", Body: "Webhook deliveries are taking longer than usual. We are investigating.",
		Components: map[string]components.Status{ids["Webhooks"]: components.DegradedPerformance},
	})
	if err != nil {
		return err
	}
	clock.Set(now.Add(-9 * time.Minute))
	identified, body := incidents.Identified, "A slow downstream DNS resolver is delaying connections. We are switching resolvers."
	if _, err := a.Incidents.Update(ctx, active.ID, incidents.Change{Status: &identified, Body: &body}); err != nil {
		return err
	}

	// And one coming up.
	clock.Set(now.Add(-2 * time.Hour))
	from, until = day(3, 2, 0), day(3, 3, 30)
	_, err = a.Incidents.Create(ctx, incidents.NewIncident{
		Name: "Network maintenance", Body: "Our hosting provider will replace core network equipment. Brief connection resets are possible.",
		ComponentIDs: []string{ids["API"], ids["Website"], ids["CDN"]}, ScheduledFor: &from, ScheduledUntil: &until,
	})
	if err != nil {
		return err
	}
	clock.Set(now)
	return seedMetrics(ctx, a, now)
}

// seedMetrics charts two metrics over the last week (or the raw
// retention, if shorter), one point a minute up to now: the API's response time with its daily rhythm, and webhook
// delivery time rising with the incident in progress.
func seedMetrics(ctx context.Context, a Services, now time.Time) error {
	provider, err := a.Metrics.CreateProvider(ctx, metrics.ProviderInput{Type: new(metrics.Self)})
	if err != nil {
		return err
	}
	shapes := []struct {
		name, suffix string
		decimals     int
		value        func(t time.Time, i int) float64
	}{
		{"API response time", "ms", 0, func(t time.Time, i int) float64 {
			return 120 + 35*math.Sin(2*math.Pi*float64(t.Hour()*60+t.Minute())/1440) + float64(i*7919%23)
		}},
		{"Webhook delivery time", "s", 1, func(t time.Time, i int) float64 {
			if late := t.Sub(now.Add(-25 * time.Minute)); late > 0 {
				return 1.2 + late.Minutes()/4
			}
			return 0.8 + float64(i*104729%9)/20
		}},
	}
	// A week, or what the raw retention in force keeps (older points are
	// refused).
	start := now.Add(-7*24*time.Hour + time.Hour)
	if kept := now.Add(-a.Metrics.RawRetention() + time.Minute); start.Before(kept) {
		start = kept
	}
	points := map[string][]metrics.Point{}
	for _, sh := range shapes {
		m, err := a.Metrics.Create(ctx, provider.ID, metrics.MetricInput{Name: &sh.name, Suffix: &sh.suffix, DecimalPlaces: &sh.decimals})
		if err != nil {
			return err
		}
		for i, t := 0, start; !t.After(now); i, t = i+1, t.Add(time.Minute) {
			points[m.ID] = append(points[m.ID], metrics.Point{Time: t, Value: sh.value(t, i)})
		}
	}
	for id, list := range points {
		for len(list) > 0 {
			n := min(len(list), metrics.MaxPointsPerRequest)
			if _, err := a.Metrics.AddPoints(ctx, map[string][]metrics.Point{id: list[:n]}); err != nil {
				return err
			}
			list = list[n:]
		}
	}
	return nil
}
