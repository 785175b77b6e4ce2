package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/twiliotest"
)

// Who hears what: which subscribers each kind of change reaches, by
// channel and component.

// TestNotifyWhoHearsWhat runs the same scenario under each value of
// BEACON_SMS_EVENTS, read through the real configuration loader: unset, it
// must send SMS for every incident change, as email does.
func TestNotifyWhoHearsWhat(t *testing.T) {
	for _, tt := range []struct {
		name, smsEvents string
		wantAll         bool
	}{
		{name: "default", smsEvents: "", wantAll: true},
		{name: "all", smsEvents: "all", wantAll: true},
		{name: "key", smsEvents: "key", wantAll: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig("test", nil, func(k string) string {
				if k == "BEACON_SMS_EVENTS" {
					return tt.smsEvents
				}
				return ""
			}, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.SMSAllUpdates != tt.wantAll {
				t.Fatalf("BEACON_SMS_EVENTS=%q: SMSAllUpdates %v, want %v", tt.smsEvents, cfg.SMSAllUpdates, tt.wantAll)
			}
			ntWhoHearsWhat(t, cfg.SMSAllUpdates)
		})
	}
}

func ntWhoHearsWhat(t *testing.T, smsAll bool) {
	n := ntNew(t, func(c *Config) { c.SMSAllUpdates = smsAll })
	if got := n.app.inForce.Notify().SMSAllUpdates; got != smsAll {
		t.Fatalf("SMS for every update in force: %v, want %v", got, smsAll)
	}
	a := n.component("API")
	b := n.component("Website")
	grp := apitest.String(t, n.mustAPI(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{"name": "Frontend", "components": []string{b}}}), "id")

	n.subscriber(map[string]any{"email": "all@example.com"})
	n.subscriber(map[string]any{"email": "a@example.com", "component_ids": []string{a}})
	n.subscriber(map[string]any{"email": "group@example.com", "component_ids": []string{grp}}) // a group stands for its members
	n.subscriber(map[string]any{"phone_number": ntPhone1})
	n.subscriber(map[string]any{"phone_number": ntPhone2, "component_ids": []string{a}})
	n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/all"})
	n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/a", "component_ids": []string{a}})
	// Nobody hears about anything once they have left, before they
	// confirm, or while quarantined.
	gone := n.subscriber(map[string]any{"email": "gone@example.com"})
	n.mustAPI(200, "DELETE", "/subscribers/"+gone["id"].(string), nil)
	n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": "pending@example.com"}})
	if res := n.form("/subscribe", url.Values{"email": {"formpending@example.com"}}); res.Status != 202 {
		t.Fatalf("public sign-up: status %d", res.Status)
	}
	bad := n.subscriber(map[string]any{"phone_number": ntPhone3})
	n.tw.FailTo(ntPhone3, twiliotest.Error{Status: 400, Code: 21211})
	n.incident(map[string]any{"name": "Quarantine the bad number", "body": "x", "deliver_notifications": true})
	n.round()
	if got := n.state(bad["id"].(string)); got != "quarantined" {
		t.Fatalf("number refused with 21211: state %s, want quarantined", got)
	}
	// The confirmation emails went out; from now on rounds count only
	// notifications.
	n.round()

	everyone := map[string]int{"email:all@example.com": 1, "email:a@example.com": 1, "email:group@example.com": 1,
		"sms:" + ntPhone1: 1, "sms:" + ntPhone2: 1, "webhook:/all": 1, "webhook:/a": 1}
	smsUpdate := 0
	if smsAll {
		smsUpdate = 1
	}

	// An incident touching only B.
	onB := n.incident(map[string]any{"name": "Website slow", "body": "Looking", "component_ids": []string{b}})
	ntWant(t, "incident on B", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: 1, "webhook:/all": 1})
	n.patch(onB, map[string]any{"status": "identified", "body": "Found it"})
	ntWant(t, "update on B", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: smsUpdate, "webhook:/all": 1})
	n.patch(onB, map[string]any{"status": "monitoring", "body": "Fix deployed", "deliver_notifications": false})
	ntWant(t, "update on B without notifications", n.round(), nil)
	n.patch(onB, map[string]any{"status": "resolved", "body": "Fixed"})
	ntWant(t, "resolution on B", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: 1, "webhook:/all": 1})

	// An incident touching no component reaches every subscriber.
	none := n.incident(map[string]any{"name": "Everything is slow", "body": "Looking"})
	ntWant(t, "incident on no component", n.round(), everyone)
	n.patch(none, map[string]any{"body": "Still looking"})
	want := maps.Clone(everyone)
	want["sms:"+ntPhone1], want["sms:"+ntPhone2] = smsUpdate, smsUpdate
	ntWant(t, "update on no component", n.round(), want)

	// deliver_notifications:false on create: nobody.
	quiet := n.incident(map[string]any{"name": "Quiet", "body": "Shh", "deliver_notifications": false, "component_ids": []string{a}})
	ntWant(t, "incident without notifications", n.round(), nil)
	if st := n.stats(quiet); len(st) != 1 || len(st[0].Channels) != 0 || !st[0].FannedOut {
		t.Errorf("incident without notifications: stats %+v, want one event fanned out to no channel", st)
	}

	// A component-only status change goes to webhooks alone, with
	// Statuspage's component_update payload.
	mark := n.hooks.count()
	n.mustAPI(200, "PATCH", "/components/"+a, map[string]any{"component": map[string]any{"status": "major_outage"}})
	ntWant(t, "component status change", n.round(), map[string]int{"webhook:/all": 1, "webhook:/a": 1})
	for _, r := range n.hooks.received(mark) {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("payload to %s: %v", r.Path, err)
		}
		if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, []string{"component", "component_update", "meta", "page"}) {
			t.Errorf("component change to %s: keys %v, want component, component_update, meta, page", r.Path, got)
		}
		var cu struct {
			OldStatus   string `json:"old_status"`
			NewStatus   string `json:"new_status"`
			ComponentID string `json:"component_id"`
			ID          string `json:"id"`
			CreatedAt   string `json:"created_at"`
		}
		var comp struct{ ID, Name, Status string }
		_ = json.Unmarshal(p["component_update"], &cu)
		_ = json.Unmarshal(p["component"], &comp)
		if cu.OldStatus != "operational" || cu.NewStatus != "major_outage" || cu.ComponentID != a || cu.ID == "" || cu.CreatedAt == "" {
			t.Errorf("component_update to %s: %s", r.Path, p["component_update"])
		}
		if comp.ID != a || comp.Name != "API" || comp.Status != "major_outage" {
			t.Errorf("component to %s: %s", r.Path, p["component"])
		}
	}
	// A component change with an incident: the incident notifies
	// everyone following A, and the webhooks also get the component
	// change.
	n.incident(map[string]any{"name": "API down", "body": "Down", "components": map[string]string{a: "partial_outage"}})
	ntWant(t, "incident changing A", n.round(), map[string]int{"email:all@example.com": 1, "email:a@example.com": 1,
		"sms:" + ntPhone1: 1, "sms:" + ntPhone2: 1, "webhook:/all": 2, "webhook:/a": 2})

	// A backfilled incident is history, not news.
	n.incident(map[string]any{"name": "Last week's outage", "backfilled": true,
		"backfill_date": n.clock.Now().Add(-7 * 24 * time.Hour).Format(time.RFC3339), "body": "It happened"})
	ntWant(t, "backfilled incident", n.round(), nil)

	// Maintenance: scheduling, start and completion are key moments for
	// SMS; a reminder or an update is not.
	now := n.clock.Now()
	m := n.incident(map[string]any{"name": "Database upgrade", "body": "Planned", "component_ids": []string{b},
		"scheduled_for": now.Add(2 * time.Hour).Format(time.RFC3339), "scheduled_until": now.Add(3 * time.Hour).Format(time.RFC3339)})
	onBKey := map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: 1, "webhook:/all": 1}
	ntWant(t, "maintenance scheduled", n.round(), onBKey)
	// Starting and completing also move B to under_maintenance and back,
	// a component change the webhooks hear about too.
	withChange := maps.Clone(onBKey)
	withChange["webhook:/all"] = 2
	mark = n.hooks.count()
	n.patch(m, map[string]any{"status": "in_progress", "body": "Started"})
	ntWant(t, "maintenance started", n.round(), withChange)
	if got := ntHookKinds(t, n.hooks.received(mark)); !slices.Equal(got, []string{"component_update", "incident"}) {
		t.Errorf("maintenance started: webhook payloads %v, want a component_update and an incident", got)
	}
	n.patch(m, map[string]any{"status": "verifying", "body": "Checking"})
	ntWant(t, "maintenance update", n.round(), map[string]int{"email:all@example.com": 1, "email:group@example.com": 1, "sms:" + ntPhone1: smsUpdate, "webhook:/all": 1})
	n.patch(m, map[string]any{"status": "completed", "body": "Done"})
	ntWant(t, "maintenance completed", n.round(), withChange)
}

// ntHookKinds returns, sorted, which of "incident" and "component_update"
// each webhook payload carries.
func ntHookKinds(t testing.TB, reqs []ntHookReq) []string {
	t.Helper()
	var out []string
	for _, r := range reqs {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("payload to %s: %v", r.Path, err)
		}
		for _, k := range []string{"incident", "component_update"} {
			if _, ok := p[k]; ok {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}
