package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/metrics"
)

// demoClock is a clock the demo moves through the past, so that the
// example's history is written by the same code paths as real changes.
type demoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *demoClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// runDemo fills an empty database with a small, lived-in example page.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("demo", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	clock := &demoClock{t: time.Now()}
	a, err := commandApp(ctx, cfg, newLogger(cfg, stderr), clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.components.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return errors.New("demo: the database already has components; the demo only fills an empty page")
	}
	if err := seedDemo(ctx, a, clock, time.Now().UTC()); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "demo data written to %s: start the server with `beacon serve` and open %s\n", a.db.Path(), cfg.BaseURL)
	return nil
}

// seedDemo writes the example as if it had happened over the 90 days
// before now.
func seedDemo(ctx context.Context, a *app, clock *demoClock, now time.Time) error {
	day := func(d int, hour, minute int) time.Time {
		t := now.AddDate(0, 0, d)
		return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, time.UTC)
	}
	clock.set(day(-92, 9, 0))

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
		c, err := a.components.Create(ctx, components.Input{Name: &name, Description: &desc})
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
		if _, err := a.components.CreateGroup(ctx, components.GroupInput{Name: &name, Members: &members}); err != nil {
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
			clock.set(st.at)
			if i == 0 {
				in, err := a.incidents.Create(ctx, incidents.NewIncident{Name: p.name, Status: st.status, Body: st.body, Components: st.set})
				if err != nil {
					return err
				}
				id = in.ID
				continue
			}
			status, body := st.status, st.body
			if _, err := a.incidents.Update(ctx, id, incidents.Change{Status: &status, Body: &body, Components: st.set}); err != nil {
				return err
			}
		}
	}

	// A maintenance that ran on its own, twenty days ago.
	clock.set(day(-24, 10, 0))
	from, until := day(-20, 2, 0), day(-20, 4, 0)
	_, err := a.incidents.Create(ctx, incidents.NewIncident{
		Name: "Database upgrade", Body: "We will upgrade our primary database. The API may be briefly read-only.",
		ComponentIDs: []string{ids["API"], ids["Dashboard"]}, ScheduledFor: &from, ScheduledUntil: &until,
	})
	if err != nil {
		return err
	}
	for _, t := range []time.Time{from.Add(-incidents.ReminderLead), from, until} {
		clock.set(t)
		if _, err := a.incidents.RunDue(ctx); err != nil {
			return err
		}
	}

	// An incident in progress now.
	clock.set(now.Add(-25 * time.Minute))
	active, err := a.incidents.Create(ctx, incidents.NewIncident{
		Name: "Increased latency for webhook deliveries", Body: "Webhook deliveries are taking longer than usual. We are investigating.",
		Components: map[string]components.Status{ids["Webhooks"]: components.DegradedPerformance},
	})
	if err != nil {
		return err
	}
	clock.set(now.Add(-9 * time.Minute))
	identified, body := incidents.Identified, "A slow downstream DNS resolver is delaying connections. We are switching resolvers."
	if _, err := a.incidents.Update(ctx, active.ID, incidents.Change{Status: &identified, Body: &body}); err != nil {
		return err
	}

	// And one coming up.
	clock.set(now.Add(-2 * time.Hour))
	from, until = day(3, 2, 0), day(3, 3, 30)
	_, err = a.incidents.Create(ctx, incidents.NewIncident{
		Name: "Network maintenance", Body: "Our hosting provider will replace core network equipment. Brief connection resets are possible.",
		ComponentIDs: []string{ids["API"], ids["Website"], ids["CDN"]}, ScheduledFor: &from, ScheduledUntil: &until,
	})
	if err != nil {
		return err
	}
	clock.set(now)
	return seedDemoMetrics(ctx, a, now)
}

// seedDemoMetrics charts two metrics over the last week, one point a
// minute up to now: the API's response time with its daily rhythm, and webhook
// delivery time rising with the incident in progress.
func seedDemoMetrics(ctx context.Context, a *app, now time.Time) error {
	provider, err := a.systemMetrics.CreateProvider(ctx, metrics.ProviderInput{Type: new(metrics.Self)})
	if err != nil {
		return err
	}
	shapes := []struct {
		name, suffix string
		decimals     int
		value        func(t time.Time, i int) float64
	}{
		{"API response time", " ms", 0, func(t time.Time, i int) float64 {
			return 120 + 35*math.Sin(2*math.Pi*float64(t.Hour()*60+t.Minute())/1440) + float64(i*7919%23)
		}},
		{"Webhook delivery time", " s", 1, func(t time.Time, i int) float64 {
			if late := t.Sub(now.Add(-25 * time.Minute)); late > 0 {
				return 1.2 + late.Minutes()/4
			}
			return 0.8 + float64(i*104729%9)/20
		}},
	}
	points := map[string][]metrics.Point{}
	for _, sh := range shapes {
		m, err := a.systemMetrics.Create(ctx, provider.ID, metrics.MetricInput{Name: &sh.name, Suffix: &sh.suffix, DecimalPlaces: &sh.decimals})
		if err != nil {
			return err
		}
		for i, t := 0, now.Add(-7*24*time.Hour+time.Hour); !t.After(now); i, t = i+1, t.Add(time.Minute) {
			points[m.ID] = append(points[m.ID], metrics.Point{Time: t, Value: sh.value(t, i)})
		}
	}
	for id, list := range points {
		for len(list) > 0 {
			n := min(len(list), metrics.MaxPointsPerRequest)
			if _, err := a.systemMetrics.AddPoints(ctx, map[string][]metrics.Point{id: list[:n]}); err != nil {
				return err
			}
			list = list[n:]
		}
	}
	return nil
}
