package integrations_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/integrations"
)

// firing is one firing alert of a notification: its fingerprint, name and
// component.
type firing struct{ fp, name, component string }

// notification is an Alertmanager (version "4") or Grafana (version "1")
// notification of one group holding alerts, truncated alerts left out.
func notification(version string, truncated int, alerts ...firing) string {
	type al struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt"`
		EndsAt      string            `json:"endsAt"`
		Fingerprint string            `json:"fingerprint"`
	}
	m := map[string]any{"version": version, "groupKey": "{}:{team=\"api\"}", "status": "firing", "receiver": "beacon",
		"truncatedAlerts": truncated}
	list := []al{}
	for _, a := range alerts {
		list = append(list, al{Status: "firing", Labels: map[string]string{"alertname": a.name, "beacon_component": a.component,
			"severity": "critical"}, Annotations: map[string]string{}, StartsAt: "2026-03-10T11:00:00Z", EndsAt: "0001-01-01T00:00:00Z",
			Fingerprint: a.fp})
	}
	m["alerts"] = list
	if version == "1" {
		m["orgId"], m["title"], m["state"], m["message"] = 1, "[FIRING]", "alerting", ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Each Alertmanager or Grafana notification holds its group's whole alert
// set: an alert it no longer names has resolved, even without
// send_resolved. A truncated notification names only some: the rest stay
// as they were.
func TestNotificationIsTheGroupsAlerts(t *testing.T) {
	for kind, version := range map[integrations.Kind]string{integrations.Alertmanager: "4", integrations.Grafana: "1"} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t)
			it := e.integration(kind, integrations.Input{})
			api1, api2, web := firing{"a1", "Errors", "API"}, firing{"a2", "Latency", "API"}, firing{"w1", "Errors", "Web"}
			e.receive(it, notification(version, 0, api1, api2))
			e.wantStatus(e.api, components.MajorOutage)
			e.receive(it, notification(version, 0, api1, web))
			e.wantStatus(e.api, components.MajorOutage)
			e.wantStatus(e.web, components.MajorOutage)
			// Truncated: api1 and web are not named, and stay firing.
			e.receive(it, notification(version, 2, api2))
			e.wantStatus(e.api, components.MajorOutage)
			e.wantStatus(e.web, components.MajorOutage)
			// Whole again: only web fires; API's alerts have resolved.
			res := e.receive(it, notification(version, 0, web))
			e.wantStatus(e.api, components.Operational)
			e.wantStatus(e.web, components.MajorOutage)
			if got := res.Alerts[0].Outcome; !strings.Contains(got, "2 alerts the payload no longer names taken as resolved") {
				t.Errorf("log %q, want the alerts no longer named said resolved", got)
			}
			d, err := e.svc.Drafts(e.ctx)
			if err != nil || len(d) != 1 || !slices.Equal(d[0].Alerts, []string{"Errors"}) || len(d[0].Components) != 1 {
				t.Errorf("drafts %+v, %v; want one, of web's alert", d, err)
			}
		})
	}
}

// Truncated notifications merge into the group's alerts, which keep at
// most 1,000: beyond, those seen firing longest ago are dropped.
func TestGroupAlertsBounded(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Alertmanager, integrations.Input{})
	var many []firing
	for i := range 1000 {
		many = append(many, firing{fmt.Sprintf("fp%04d", i), fmt.Sprintf("A%04d", i), "API"})
	}
	e.receive(it, notification("4", 5, many...))
	e.clock.Advance(1)
	res := e.receive(it, notification("4", 1000, firing{"fp0000", "A0000", "API"}, firing{"zz", "B", "Web"}))
	if got := res.Alerts[0].Outcome; !strings.Contains(got, "more than 1000 firing alerts: the 1 seen longest ago dropped") {
		t.Errorf("log %q, want the dropped alert said", got)
	}
	d, err := e.svc.Drafts(e.ctx)
	if err != nil || len(d) != 1 {
		t.Fatalf("drafts %+v, %v; want one", d, err)
	}
	if n := len(d[0].Alerts); n != 1000 {
		t.Errorf("%d alerts kept, want 1000", n)
	}
	for name, want := range map[string]bool{"A0000": true, "A0001": false, "A0002": true, "B": true} {
		if got := slices.Contains(d[0].Alerts, name); got != want {
			t.Errorf("alert %s kept: %v, want %v (A0000 was seen again, A0001 is the oldest)", name, got, want)
		}
	}
}
