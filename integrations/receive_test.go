package integrations_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/notifier"
)

// The recorded fixtures, from the formats' documented shapes: firing opens
// one incident on the component the label names, with the severity's
// status; resolved restores it and resolves the incident.
func TestFixturesOpenAndResolve(t *testing.T) {
	for _, tc := range []struct {
		kind   integrations.Kind
		prefix string
		status components.Status
		alerts int
	}{
		{integrations.Alertmanager, "alertmanager", components.MajorOutage, 2},
		{integrations.Grafana, "grafana", components.DegradedPerformance, 1},
		{integrations.Generic, "generic", components.MajorOutage, 1},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			e := newEnv(t)
			it := e.integration(tc.kind, integrations.Input{IncidentMode: ptr(integrations.ModePublish)})
			res := e.receive(it, tc.prefix+"-firing.json")
			if len(res.Alerts) != tc.alerts {
				t.Errorf("logged %d alerts, want %d: %+v", len(res.Alerts), tc.alerts, res.Alerts)
			}
			e.wantStatus(e.api, tc.status)
			e.wantStatus(e.web, components.Operational)
			list := e.incidents()
			if len(list) != 1 || list[0].Status != incidents.Investigating {
				t.Fatalf("incidents %+v, want one investigating", list)
			}
			if tc.kind == integrations.Generic && list[0].Name != "API unreachable" {
				t.Errorf("name %q, want the generic alert's title", list[0].Name)
			}
			if tc.kind != integrations.Generic && strings.Contains(list[0].Name, "High") {
				t.Errorf("name %q carries the alert's name, which is the monitoring's, not the page's", list[0].Name)
			}
			if got := res.Changes; len(got) != 1 || got[0].Action != "integration: open incident" || got[0].Target != list[0].ID {
				t.Errorf("changes %+v, want the incident opened", got)
			}
			e.clock.Advance(10 * time.Minute)
			res = e.receive(it, tc.prefix+"-resolved.json")
			e.wantStatus(e.api, components.Operational)
			if in := e.incidents()[0]; in.Status != incidents.Resolved {
				t.Errorf("incident %s, want resolved", in.Status)
			}
			if got := res.Changes; len(got) != 1 || got[0].Action != "integration: resolve incident" {
				t.Errorf("changes %+v, want the incident resolved", got)
			}
			if n, _ := e.told(notifier.IncidentCreated); n != 1 {
				t.Errorf("%d incident_created events notify, want 1", n)
			}
			if n, _ := e.told(notifier.IncidentResolved); n != 1 {
				t.Errorf("%d incident_resolved events notify, want 1", n)
			}
		})
	}
}

// Firing five times is one incident; each further alert of the group
// attaches to it and says so in the log.
func TestFurtherAlertsAttach(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Alertmanager, integrations.Input{IncidentMode: ptr(integrations.ModePublish)})
	var last integrations.Result
	for range 5 {
		last = e.receive(it, "alertmanager-firing.json")
		e.clock.Advance(time.Second)
	}
	list := e.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents, want 1", len(list))
	}
	if n := len(list[0].Updates); n != 1 {
		t.Errorf("%d updates, want 1: repeats change nothing", n)
	}
	if len(last.Changes) != 0 {
		t.Errorf("a repeat made changes %+v", last.Changes)
	}
	if got := last.Alerts[0].Outcome; !strings.Contains(got, "attached to incident") || last.Alerts[0].IncidentID != list[0].ID {
		t.Errorf("log %+v, want attached to the incident", last.Alerts[0])
	}
	// A further alert of the same group (the group's next notification:
	// its alerts so far and the new one) moves its component within the
	// incident; the first alerts still hold theirs.
	var next map[string]any
	if err := json.Unmarshal(fixture(t, "alertmanager-firing.json"), &next); err != nil {
		t.Fatal(err)
	}
	var web struct{ Alerts []any }
	if err := json.Unmarshal([]byte(am("firing", "", "ffff", "Web", "warning")), &web); err != nil {
		t.Fatal(err)
	}
	next["alerts"] = append(next["alerts"].([]any), web.Alerts...)
	body, err := json.Marshal(next)
	if err != nil {
		t.Fatal(err)
	}
	e.receive(it, string(body))
	e.wantStatus(e.web, components.DegradedPerformance)
	e.wantStatus(e.api, components.MajorOutage)
	if list = e.incidents(); len(list) != 1 || len(list[0].Updates) != 2 {
		t.Fatalf("incidents %d, updates %d: want the web alert added to the one incident", len(list), len(list[0].Updates))
	}
	logged, err := e.svc.Alerts(e.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 13 {
		t.Errorf("%d logged alerts, want 13 (2 × 5, then the next notification's 2 + 1)", len(logged))
	}
}

// Draft mode (the default) sets the component and proposes an incident
// that staff publish; its alerts then attach to the published incident.
func TestDraftIsPublishedByStaff(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Alertmanager, integrations.Input{})
	e.receive(it, "alertmanager-firing.json")
	e.wantStatus(e.api, components.MajorOutage)
	if n := len(e.incidents()); n != 0 {
		t.Fatalf("%d incidents before publishing, want 0", n)
	}
	drafts, err := e.svc.Drafts(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 1 || drafts[0].Title != "API: Major Outage" || drafts[0].Alerts[0] != "HighErrorRate" {
		t.Fatalf("drafts %+v, want one for API", drafts)
	}
	e.receive(it, "alertmanager-firing.json") // attaches to the draft
	if d, _ := e.svc.Drafts(e.ctx); len(d) != 1 {
		t.Fatalf("%d drafts after a repeat, want 1", len(d))
	}
	in, err := e.svc.PublishDraft(e.ctx, drafts[0].ID, "Errors on the API", "We are looking into it.", true)
	if err != nil {
		t.Fatal(err)
	}
	if in.Impact != components.ImpactCritical || len(in.ComponentIDs) != 1 {
		t.Errorf("published %+v, want critical on API", in)
	}
	if d, _ := e.svc.Drafts(e.ctx); len(d) != 0 {
		t.Errorf("drafts %+v after publishing, want none", d)
	}
	if _, err := e.svc.PublishDraft(e.ctx, drafts[0].ID, "Again", "", true); !errors.Is(err, integrations.ErrNotFound) {
		t.Errorf("publishing twice: %v, want not found", err)
	}
	e.receive(it, "alertmanager-resolved.json")
	if got := e.incidents(); len(got) != 1 || got[0].Status != incidents.Resolved {
		t.Errorf("incidents %+v, want the published one resolved", got)
	}
	e.wantStatus(e.api, components.Operational)
}

// A draft whose alerts resolve before staff publish it goes away, and the
// component is restored; a dismissed draft leaves the statuses to alerts.
func TestDraftResolvedOrDismissed(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{})
	e.receive(it, "generic-firing.json")
	e.clock.Advance(time.Hour)
	e.receive(it, "generic-resolved.json")
	e.wantStatus(e.api, components.Operational)
	if d, _ := e.svc.Drafts(e.ctx); len(d) != 0 {
		t.Errorf("drafts %+v, want none", d)
	}
	e.receive(it, generic("Web", "partial_outage", "web"))
	d, _ := e.svc.Drafts(e.ctx)
	if len(d) != 1 {
		t.Fatalf("drafts %+v, want one", d)
	}
	if err := e.svc.DismissDraft(e.ctx, d[0].ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.svc.Drafts(e.ctx); len(d) != 0 {
		t.Errorf("drafts %+v after dismissing, want none", d)
	}
	e.receive(it, generic("Web", "major_outage", "web"))
	e.wantStatus(e.web, components.MajorOutage)
	e.receive(it, generic("Web", "resolved", "web"))
	e.wantStatus(e.web, components.Operational)
	if n := len(e.incidents()); n != 0 {
		t.Errorf("%d incidents, want none", n)
	}
}

// With auto_resolve off, resolved alerts restore the component and leave
// the incident open for staff.
func TestResolvedLeftToStaff(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{IncidentMode: ptr(integrations.ModePublish), AutoResolve: ptr(false)})
	e.receive(it, "generic-firing.json")
	res := e.receive(it, "generic-resolved.json")
	e.wantStatus(e.api, components.Operational)
	if in := e.incidents()[0]; in.Status.Closed() {
		t.Errorf("incident %s, want it left open", in.Status)
	}
	if !strings.Contains(res.Alerts[0].Outcome, "left incident") {
		t.Errorf("outcome %q, want it to say the incident was left open", res.Alerts[0].Outcome)
	}
}

// A component is restored only when nothing else holds it: another
// firing group, another open incident, or a status staff set since.
func TestRestoreRespectsOthers(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{})
	e.receive(it, generic("API", "major_outage", "one"))
	e.receive(it, generic("API", "major_outage", "two"))
	e.receive(it, generic("API", "resolved", "one"))
	e.wantStatus(e.api, components.MajorOutage) // "two" still fires
	e.receive(it, generic("API", "resolved", "two"))
	e.wantStatus(e.api, components.Operational)

	e.receive(it, generic("Web", "partial_outage", "web"))
	if _, err := e.comps.Update(e.ctx, e.web, components.Input{Status: ptr(components.DegradedPerformance)}); err != nil {
		t.Fatal(err)
	}
	e.receive(it, generic("Web", "resolved", "web"))
	e.wantStatus(e.web, components.DegradedPerformance) // staff's, not the alert's

	if _, err := e.incs.Create(e.ctx, incidents.NewIncident{Name: "By hand", Components: map[string]components.Status{e.api: components.MajorOutage}}); err != nil {
		t.Fatal(err)
	}
	e.receive(it, generic("API", "major_outage", "three"))
	e.receive(it, generic("API", "resolved", "three"))
	e.wantStatus(e.api, components.MajorOutage) // the open incident's
}

// Mapping: a label (or the table) names the component by table key, id or
// name; the severity label picks the status by the table, others the
// default; what maps to nothing is ignored and logged as such.
func TestMapping(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Alertmanager, integrations.Input{
		ComponentLabel: ptr("service"), SeverityLabel: ptr("level"),
		Components:    &map[string]string{"frontend": e.web},
		Severities:    &map[string]components.Status{"page": components.PartialOutage, "ticket": components.Operational},
		DefaultStatus: ptr(components.DegradedPerformance),
	})
	post := func(labels string) integrations.Logged {
		t.Helper()
		body := `{"version":"4","groupKey":"g` + strings.ReplaceAll(labels, `"`, `'`) + `","status":"firing","alerts":[{"status":"firing","labels":{` + labels + `},"fingerprint":"x"}]}`
		return e.receive(it, body).Alerts[0]
	}
	for _, tc := range []struct {
		labels  string
		comp    string
		want    components.Status
		ignored string
	}{
		{`"service":"frontend","level":"page"`, e.web, components.PartialOutage, ""},
		{`"service":"` + e.api + `","level":"PAGE"`, e.api, components.PartialOutage, ""},
		{`"service":"web","level":"unknown"`, e.web, components.DegradedPerformance, ""},
		{`"service":"api"`, e.api, components.DegradedPerformance, ""},
		{`"service":"api","level":"ticket"`, "", "", `severity "ticket" changes nothing`},
		{`"beacon_component":"api"`, "", "", "no service label"},
		{`"service":"billing"`, "", "", `no component is named "billing"`},
	} {
		got := post(tc.labels)
		if tc.ignored != "" {
			if !strings.Contains(got.Outcome, tc.ignored) {
				t.Errorf("%s: outcome %q, want %q", tc.labels, got.Outcome, tc.ignored)
			}
			continue
		}
		if strings.HasPrefix(got.Outcome, "ignored") {
			t.Errorf("%s: ignored: %s", tc.labels, got.Outcome)
		}
		e.wantStatus(tc.comp, tc.want)
		if _, err := e.comps.Update(e.ctx, tc.comp, components.Input{Status: ptr(components.Operational)}); err != nil {
			t.Fatal(err)
		}
	}
}

// A group that fires again within the flap window after resolving reopens
// its incident without telling subscribers again, and its next resolution
// is quiet too; still firing when the window ends, it is told. After the
// window, a new firing is a new incident, told.
func TestFlapWindow(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{IncidentMode: ptr(integrations.ModePublish)})
	e.receive(it, "generic-firing.json")
	e.clock.Advance(30 * time.Second)
	e.receive(it, "generic-resolved.json")
	e.clock.Advance(30 * time.Second)
	res := e.receive(it, "generic-firing.json")
	if !strings.Contains(res.Alerts[0].Outcome, "flap window") {
		t.Errorf("outcome %q, want the flap said", res.Alerts[0].Outcome)
	}
	e.wantStatus(e.api, components.MajorOutage)
	list := e.incidents()
	if len(list) != 1 || list[0].Status != incidents.Investigating {
		t.Fatalf("incidents %+v, want the one incident reopened", list)
	}
	e.clock.Advance(30 * time.Second)
	e.receive(it, "generic-resolved.json")
	e.wantStatus(e.api, components.Operational)
	want := map[notifier.EventKind][2]int{
		notifier.IncidentCreated:        {1, 0},
		notifier.IncidentResolved:       {1, 1},
		notifier.IncidentUpdated:        {0, 1},
		notifier.ComponentStatusChanged: {2, 2},
	}
	for kind, w := range want {
		if n, q := e.told(kind); n != w[0] || q != w[1] {
			t.Errorf("%s: %d told, %d quiet; want %d, %d", kind, n, q, w[0], w[1])
		}
	}

	// Firing again within the window and staying: quiet, then told once the
	// window is over.
	e.clock.Advance(30 * time.Second)
	e.receive(it, "generic-firing.json")
	if n, err := e.svc.RunDue(e.ctx, nil); err != nil || n != 0 {
		t.Fatalf("RunDue within the window: %d, %v; want nothing due", n, err)
	}
	e.clock.Advance(integrations.DefaultFlapWindow)
	if n, err := e.svc.RunDue(e.ctx, nil); err != nil || n != 1 {
		t.Fatalf("RunDue after the window: %d, %v; want 1", n, err)
	}
	if n, q := e.told(notifier.IncidentUpdated); n != 1 || q != 2 {
		t.Errorf("incident_updated: %d told, %d quiet; want the flap that stayed told once", n, q)
	}
	if n, _ := e.svc.RunDue(e.ctx, nil); n != 0 {
		t.Errorf("RunDue again handled %d, want 0", n)
	}
	e.receive(it, "generic-resolved.json")
	if n, _ := e.told(notifier.IncidentResolved); n != 2 {
		t.Errorf("%d resolutions told, want 2: the told flap's end is told", n)
	}

	// Past the window: a new incident, told.
	e.clock.Advance(integrations.DefaultFlapWindow + time.Second)
	e.receive(it, "generic-firing.json")
	if n := len(e.incidents()); n != 2 {
		t.Errorf("%d incidents, want a second one after the window", n)
	}
	if n, _ := e.told(notifier.IncidentCreated); n != 2 {
		t.Errorf("%d creations told, want 2", n)
	}
}

// A payload that cannot be read, or that does not match the integration's
// kind, is refused with the field at fault and changes nothing but the
// integration's log.
func TestRefusedPayloadsChangeNothing(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Alertmanager, integrations.Input{IncidentMode: ptr(integrations.ModePublish)})
	generic := e.integration(integrations.Generic, integrations.Input{})
	for _, tc := range []struct {
		name      string
		it        integrations.Integration
		body      string
		malformed bool
		field     string
	}{
		{"empty", it, "  ", true, ""},
		{"not JSON", it, `{"version":"4",`, true, ""},
		{"an array", it, `[1]`, true, ""},
		{"grafana to alertmanager", it, "grafana-firing.json", false, "version"},
		{"old version", it, `{"version":"3","status":"firing","alerts":[]}`, false, "version"},
		{"bad status", it, `{"version":"4","status":"burning","alerts":[{"status":"firing"}]}`, false, "status"},
		{"no alerts", it, `{"version":"4","status":"firing","alerts":[]}`, false, "alerts"},
		{"alerts not a list", it, `{"version":"4","status":"firing","alerts":{}}`, false, "alerts"},
		{"bad alert status", it, `{"version":"4","status":"firing","alerts":[{"status":"on"}]}`, false, "alerts"},
		{"bad time", it, `{"version":"4","status":"firing","alerts":[{"status":"firing","startsAt":"yesterday"}]}`, false, "alerts"},
		{"generic without component", generic, `{"status":"major_outage"}`, false, "component"},
		{"generic maintenance", generic, `{"component":"API","status":"under_maintenance"}`, false, "status"},
		{"generic two-line title", generic, `{"component":"API","status":"firing","title":"a\nb"}`, false, "title"},
	} {
		_, err := e.svc.Receive(e.ctx, tc.it, fixture(t, tc.body))
		var m *integrations.MalformedError
		if tc.malformed {
			if !errors.As(err, &m) {
				t.Errorf("%s: %v, want malformed", tc.name, err)
			}
			continue
		}
		var v *integrations.ValidationError
		if !errors.As(err, &v) || v.Field != tc.field {
			t.Errorf("%s: %v, want a validation error on %s", tc.name, err, tc.field)
		}
	}
	e.wantStatus(e.api, components.Operational)
	if n := len(e.incidents()); n != 0 {
		t.Errorf("%d incidents, want none", n)
	}
	if e.changed != 0 {
		t.Errorf("%d changes told, want none", e.changed)
	}
	logged, _ := e.svc.Alerts(e.ctx, it.ID)
	if len(logged) != 10 || logged[0].Status != "refused" || !strings.Contains(logged[0].Name, "startsAt") {
		t.Errorf("log %+v, want the 10 refusals, newest first, each saying why", logged)
	}
}

// Tokens: a wrong token, another integration's, an unknown id or a
// rotated-away token are all refused alike.
func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	kind, name := integrations.Generic, "one"
	it, token, err := e.svc.Create(e.ctx, integrations.Input{Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "bi_") || !strings.HasPrefix(token, it.TokenPrefix) || len(token) != 35 {
		t.Errorf("token %q (prefix %q), want bi_ and 32 characters", token, it.TokenPrefix)
	}
	other := e.integration(integrations.Generic, integrations.Input{})
	_, rotated, err := e.svc.RotateToken(e.ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The token with its last character changed (to one it is not).
	wrong := token[:len(token)-1] + map[bool]string{false: "x", true: "y"}[strings.HasSuffix(token, "x")]
	for _, tc := range []struct{ id, token string }{
		{it.ID, wrong}, {it.ID, ""}, {it.ID, rotated}, {"zzzzzzzzzzzz", token}, {"../" + it.ID, token},
		{it.ID, token + token + token},
	} {
		if _, err := e.svc.Authenticate(e.ctx, tc.id, tc.token); !errors.Is(err, integrations.ErrUnauthorized) {
			t.Errorf("Authenticate(%q, %q): %v, want unauthorized", tc.id, tc.token, err)
		}
	}
	if got, err := e.svc.Authenticate(e.ctx, other.ID, rotated); err != nil || got.ID != other.ID {
		t.Errorf("the rotated token: %v", err)
	}
}

// The log keeps each integration's last 50 alerts.
func TestLogKeepsFifty(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{})
	for i := range 60 {
		e.receive(it, `{"component":"API","status":"firing","title":"n`+string(rune('a'+i%26))+`","dedupe_key":"k"}`)
	}
	logged, err := e.svc.Alerts(e.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 50 || logged[0].Name != "n"+string(rune('a'+59%26)) {
		t.Errorf("%d logged, newest %q; want 50, newest last", len(logged), logged[0].Name)
	}
}

// Integrations refuse fields they cannot use, naming them, and keep what
// they are given.
func TestCreateAndUpdate(t *testing.T) {
	e := newEnv(t)
	kind := integrations.Grafana
	for _, tc := range []struct {
		in    integrations.Input
		field string
	}{
		{integrations.Input{Kind: &kind}, "name"},
		{integrations.Input{Name: ptr("x")}, "kind"},
		{integrations.Input{Name: ptr("x"), Kind: ptr(integrations.Kind("nagios"))}, "kind"},
		{integrations.Input{Name: ptr("a\x1bb"), Kind: &kind}, "name"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, ComponentLabel: ptr("1abc")}, "component_label"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, Components: &map[string]string{"api": "zzzzzzzzzzzz"}}, "components"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, Severities: &map[string]components.Status{"x": components.UnderMaintenance}}, "severities"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, DefaultStatus: ptr(components.Status("down"))}, "default_status"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, IncidentMode: ptr(integrations.Mode("auto"))}, "incident_mode"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, TemplateID: ptr("zzzzzzzzzzzz")}, "template_id"},
		{integrations.Input{Name: ptr("x"), Kind: &kind, FlapWindow: ptr(2 * time.Hour)}, "flap_window"},
	} {
		_, _, err := e.svc.Create(e.ctx, tc.in)
		wantValidation(t, err, tc.field)
	}
	it := e.integration(kind, integrations.Input{Name: ptr("Grafana")})
	if it.ComponentLabel != "beacon_component" || it.IncidentMode != integrations.ModeDraft || !it.AutoResolve ||
		it.FlapWindow != 2*time.Minute || it.Severities["critical"] != components.MajorOutage {
		t.Errorf("defaults %+v", it)
	}
	_, _, err := e.svc.Create(e.ctx, integrations.Input{Name: ptr("Grafana"), Kind: &kind})
	wantValidation(t, err, "name")
	up, err := e.svc.Update(e.ctx, it.ID, integrations.Input{Components: &map[string]string{"fe": e.web}, FlapWindow: ptr(time.Duration(0))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Get(e.ctx, it.ID)
	if err != nil || got.Components["fe"] != e.web || got.FlapWindow != 0 || up.Name != "Grafana" {
		t.Errorf("after update %+v, %v", got, err)
	}
	if err := e.svc.Delete(e.ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Get(e.ctx, it.ID); !errors.Is(err, integrations.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

// A published incident takes its words from the integration's template.
func TestPublishWithTemplate(t *testing.T) {
	e := newEnv(t)
	tpl, err := e.incs.CreateTemplate(e.ctx, incidents.TemplateInput{Name: ptr("Errors"), Title: ptr("Elevated errors"),
		Body: ptr("Some requests fail."), Status: ptr(incidents.Identified)})
	if err != nil {
		t.Fatal(err)
	}
	it := e.integration(integrations.Alertmanager, integrations.Input{IncidentMode: ptr(integrations.ModePublish), TemplateID: &tpl.ID})
	e.receive(it, "alertmanager-firing.json")
	in := e.incidents()[0]
	if in.Name != "Elevated errors" || in.Status != incidents.Identified || in.Updates[0].Body != "Some requests fail." {
		t.Errorf("incident %q %s %q, want the template's", in.Name, in.Status, in.Updates[0].Body)
	}
}

// Alert groups are kept while they matter: one that never fired is not
// stored; one resolved more than 30 days ago is forgotten, and its next
// alert opens a new incident.
func TestGroupsKept(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{IncidentMode: ptr(integrations.ModePublish), AutoResolve: ptr(false)})
	count := func() int {
		var n int
		if err := e.db.Read.QueryRow(`SELECT COUNT(*) FROM integration_groups`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.receive(it, generic("API", "resolved", "never-fired"))
	e.receive(it, generic("Nothing", "major_outage", "ignored"))
	if n := count(); n != 0 {
		t.Errorf("%d groups stored for alerts that never fired", n)
	}
	e.receive(it, "generic-firing.json")
	e.receive(it, "generic-resolved.json") // the incident is left open
	e.clock.Advance(29 * 24 * time.Hour)
	e.receive(it, generic("Web", "resolved", "other"))
	e.receive(it, "generic-firing.json")
	if n := len(e.incidents()); n != 1 {
		t.Errorf("%d incidents: within 30 days the group's alerts attach to the incident left open", n)
	}
	e.receive(it, "generic-resolved.json")
	e.clock.Advance(31 * 24 * time.Hour)
	e.receive(it, generic("Web", "resolved", "other"))
	if n := count(); n != 0 {
		t.Errorf("%d groups kept after 31 days", n)
	}
	e.receive(it, "generic-firing.json")
	if n := len(e.incidents()); n != 2 {
		t.Errorf("%d incidents, want a new one for the forgotten group", n)
	}
}

// The same alert posted to several replicas at once (a monitoring system
// with several receivers, or retrying) opens one incident and resolves it
// once: each payload applies in a transaction that sees the others'.
func TestReceiveConcurrently(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{IncidentMode: ptr(integrations.ModePublish)})
	other := integrations.NewService(e.db, e.comps, e.incs, e.clock.Now, nil)
	for _, payload := range []string{"generic-firing.json", "generic-resolved.json"} {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			svc := e.svc
			if i%2 == 1 {
				svc = other
			}
			wg.Go(func() {
				if _, err := svc.Receive(e.ctx, it, fixture(t, payload)); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("%s: %v", payload, err)
		}
		e.clock.Advance(time.Minute)
	}
	list := e.incidents()
	if len(list) != 1 || list[0].Status != incidents.Resolved {
		t.Fatalf("%d incidents, want one, resolved", len(list))
	}
	for kind, want := range map[notifier.EventKind]int{notifier.IncidentCreated: 1, notifier.IncidentResolved: 1,
		notifier.IncidentUpdated: 0, notifier.ComponentStatusChanged: 2} {
		if n, q := e.told(kind); n+q != want {
			t.Errorf("%d %s events, want %d", n+q, kind, want)
		}
	}
	e.wantStatus(e.api, components.Operational)
	var groups int
	if err := e.db.Read.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM integration_groups`).Scan(&groups); err != nil {
		t.Fatal(err)
	}
	if groups != 1 {
		t.Errorf("%d alert groups, want 1", groups)
	}
}
