package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// The seeded page: 50 components, 30 of them in 5 groups of 6, and 20
// incidents, 3 of them unresolved, every one with several updates.
const (
	seedComponents = 50
	seedGroups     = 5
	seedPerGroup   = 6
	seedIncidents  = 20
	seedUnresolved = 3
	// seedMetrics are displayed metrics, each with a day of data every
	// 30 s: "/" shows their charts.
	seedMetrics = 3
)

type seedStats struct {
	components, groups, incidents, unresolved, updates int
	metrics, points                                    int
}

// api is a management API client for one page.
type api struct {
	base, key, page string
	client          *http.Client
}

func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "OAuth "+a.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode response: %w", method, path, err)
		}
	}
	return nil
}

type idOnly struct {
	ID string `json:"id"`
}

var (
	areas    = []string{"API", "Dashboard", "Authentication", "Webhooks", "Search", "Billing", "Notifications", "Storage", "CDN", "Email delivery"}
	regions  = []string{"EU West", "EU Central", "US East", "US West", "Asia Pacific"}
	causes   = []string{"elevated error rates", "increased latency", "failed deployments", "delayed processing", "intermittent timeouts"}
	progress = []string{
		"We have identified the cause and are rolling out a fix.",
		"A fix has been deployed and we are monitoring the results.",
		"Error rates are back to normal; we continue to watch closely.",
	}
)

// seed fills the page behind base with the benchmark's data.
func seed(ctx context.Context, base, key string) (seedStats, error) {
	var st seedStats
	a := &api{base: base, key: key, client: &http.Client{Timeout: 10 * time.Second}}
	var status struct {
		Page struct {
			ID string `json:"id"`
		} `json:"page"`
	}
	if err := getJSON(ctx, a.client, base+"/api/v2/status.json", &status); err != nil {
		return st, err
	}
	if status.Page.ID == "" {
		return st, fmt.Errorf("status.json has no page id")
	}
	a.page = "/api/v1/pages/" + status.Page.ID

	ids := make([]string, 0, seedComponents)
	for i := range seedComponents {
		name := fmt.Sprintf("%s %s", areas[i%len(areas)], regions[i/len(areas)%len(regions)])
		var c idOnly
		err := a.do(ctx, http.MethodPost, a.page+"/components", map[string]any{"component": map[string]any{
			"name":        name,
			"description": fmt.Sprintf("%s served from the %s region.", areas[i%len(areas)], regions[i/len(areas)%len(regions)]),
			"status":      "operational",
			"showcase":    true,
		}}, &c)
		if err != nil {
			return st, err
		}
		ids = append(ids, c.ID)
		st.components++
	}
	for g := range seedGroups {
		members := ids[g*seedPerGroup : (g+1)*seedPerGroup]
		err := a.do(ctx, http.MethodPost, a.page+"/component-groups", map[string]any{"component_group": map[string]any{
			"name":       fmt.Sprintf("Platform %s", regions[g%len(regions)]),
			"components": members,
		}}, nil)
		if err != nil {
			return st, err
		}
		st.groups++
	}

	// Resolved incidents first, so the unresolved ones are the newest.
	for i := range seedIncidents {
		resolve := i < seedIncidents-seedUnresolved
		affected := map[string]string{
			ids[(i*7)%seedComponents]:   "partial_outage",
			ids[(i*7+3)%seedComponents]: "degraded_performance",
		}
		area := areas[i%len(areas)]
		var in idOnly
		err := a.do(ctx, http.MethodPost, a.page+"/incidents", map[string]any{"incident": map[string]any{
			"name":       fmt.Sprintf("%s: %s", area, causes[i%len(causes)]),
			"status":     "investigating",
			"body":       fmt.Sprintf("We are investigating %s affecting %s for some customers.", causes[i%len(causes)], area),
			"components": affected,
		}}, &in)
		if err != nil {
			return st, err
		}
		st.incidents++
		st.updates++
		steps := []string{"identified", "monitoring"}
		if resolve {
			steps = append(steps, "resolved")
		}
		for k, s := range steps {
			body := map[string]any{"status": s, "body": progress[k%len(progress)]}
			if s == "resolved" {
				fixed := map[string]string{}
				for id := range affected {
					fixed[id] = "operational"
				}
				body["components"] = fixed
				body["body"] = "This incident has been resolved."
			}
			if err := a.do(ctx, http.MethodPatch, a.page+"/incidents/"+in.ID, map[string]any{"incident": body}, nil); err != nil {
				return st, err
			}
			st.updates++
		}
		if !resolve {
			st.unresolved++
		}
	}
	return st, seedMetricData(ctx, a, &st)
}

// seedMetricData creates seedMetrics displayed metrics of a Self provider
// and pushes a day of noisy values every 30 s to each, in one bulk request.
func seedMetricData(ctx context.Context, a *api, st *seedStats) error {
	var prov idOnly
	if err := a.do(ctx, http.MethodPost, a.page+"/metrics_providers", map[string]any{"metrics_provider": map[string]any{"type": "Self"}}, &prov); err != nil {
		return err
	}
	data := map[string][]map[string]any{}
	now := time.Now().Unix() / 30 * 30
	for i, m := range []struct{ name, suffix string }{{"API response time", "ms"}, {"Error rate", "%"}, {"Queue depth", ""}}[:seedMetrics] {
		var metric idOnly
		err := a.do(ctx, http.MethodPost, a.page+"/metrics_providers/"+prov.ID+"/metrics", map[string]any{"metric": map[string]any{
			"name": m.name, "suffix": m.suffix, "display": true, "decimal_places": i}}, &metric)
		if err != nil {
			return err
		}
		st.metrics++
		r := rand.New(rand.NewPCG(uint64(i), 1))
		for k := range 2880 {
			data[metric.ID] = append(data[metric.ID], map[string]any{"timestamp": now - int64(k)*30, "value": 100 + 20*r.NormFloat64()})
			st.points++
		}
	}
	return a.do(ctx, http.MethodPost, a.page+"/metrics/data", map[string]any{"data": data}, nil)
}

func getJSON(ctx context.Context, client *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// checkSummary makes sure the body measured is the page seeded.
func checkSummary(body []byte, st seedStats) error {
	var s struct {
		Components []struct {
			Group bool `json:"group"`
		} `json:"components"`
		Incidents []struct {
			IncidentUpdates []json.RawMessage `json:"incident_updates"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("summary.json: %w", err)
	}
	groups := 0
	for _, c := range s.Components {
		if c.Group {
			groups++
		}
	}
	if len(s.Components)-groups != st.components || groups != st.groups || len(s.Incidents) != st.unresolved {
		return fmt.Errorf("summary.json has %d components, %d groups, %d incidents; want %d, %d, %d",
			len(s.Components)-groups, groups, len(s.Incidents), st.components, st.groups, st.unresolved)
	}
	return nil
}

// checkPage makes sure the page measured is the page seeded: an HTML
// document naming every component and the unresolved incidents.
func checkPage(r response, st seedStats) error {
	if !strings.HasPrefix(r.contentType, "text/html") {
		return fmt.Errorf("/: Content-Type %q, want text/html", r.contentType)
	}
	body := string(r.body)
	if n := strings.Count(body, `<li class="component">`); n != st.components {
		return fmt.Errorf("/ lists %d components, want %d", n, st.components)
	}
	if n := strings.Count(body, `<ol class="bars"`); n != st.components {
		return fmt.Errorf("/ draws bars for %d components, want %d", n, st.components)
	}
	if n := strings.Count(body, `<article class="card`); n != st.unresolved {
		return fmt.Errorf("/ shows %d active incidents, want %d", n, st.unresolved)
	}
	if n := strings.Count(body, `<figure class="chart"`); n != st.metrics {
		return fmt.Errorf("/ draws %d charts, want %d", n, st.metrics)
	}
	return nil
}
