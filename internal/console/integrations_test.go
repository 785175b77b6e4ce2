package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
)

// newIntegrationURL is the address a created integration's page shows once.
var newIntegrationURL = regexp.MustCompile(`id="new-url">([^<]+)<`)

// An admin creates an integration (its address with the token shown
// once), maps a label value to a component and sees its alerts; a
// responder sees the list and the log, publishes an alert's draft, but
// cannot create, edit or delete integrations.
func TestConsoleIntegrations(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	f := newConsoleFixture(t, e)
	admin, responder := e.newStaff(accounts.Admin), e.newStaff(accounts.Responder)
	form := url.Values{"kind": {"alertmanager"}, "name": {"Prometheus"}, "incident_mode": {"draft"}, "template_id": {""},
		"auto_resolve": {"1"}, "component_label": {"service"}, "components": {"frontend = Website\n"},
		"severity_label": {"severity"}, "severities": {"critical = major_outage\nwarning = degraded_performance"},
		"default_status": {"partial_outage"}, "flap_window": {"120"}}

	// Refused forms say why and create nothing.
	bad := clone(form)
	bad.Set("components", "frontend = Nothing")
	res := admin.MustPost(422, "/console/integrations", bad)
	if !strings.Contains(consoletest.Body(res), "no component is named") || !strings.Contains(string(res.Body), "frontend = Nothing") {
		t.Errorf("refused form: %s", consoletest.Body(res))
	}
	if list, _ := e.svc.Integrations.List(ctx); len(list) != 0 {
		t.Fatalf("a refused form created %+v", list)
	}
	responder.MustPost(403, "/console/integrations", clone(form))

	res = admin.MustPost(201, "/console/integrations", clone(form))
	m := newIntegrationURL.FindStringSubmatch(string(res.Body))
	if m == nil {
		t.Fatalf("no address shown: %s", consoletest.Body(res))
	}
	u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	list, _ := e.svc.Integrations.List(ctx)
	if len(list) != 1 || list[0].Components["frontend"] != f.web || list[0].DefaultStatus != components.PartialOutage {
		t.Fatalf("created %+v", list)
	}
	it := list[0]
	if _, err := e.svc.Integrations.Authenticate(ctx, it.ID, u.Query().Get("token")); err != nil {
		t.Errorf("the shown address's token: %v", err)
	}
	if page := admin.Get("/console/integrations"); strings.Contains(string(page.Body), u.Query().Get("token")) {
		t.Error("the token is shown again")
	}

	// An alert opens a draft; the responder publishes it.
	body := `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Slow","service":"frontend","severity":"warning"},"fingerprint":"f"}]}`
	if _, err := e.svc.Integrations.Receive(ctx, it, []byte(body)); err != nil {
		t.Fatal(err)
	}
	page := responder.Get("/console/integrations")
	if page.Status != 200 || !strings.Contains(string(page.Body), "Website: Degraded Performance") || strings.Contains(string(page.Body), "New integration") {
		t.Errorf("responder's list: %s", consoletest.Body(page))
	}
	if page := responder.Get("/console"); !strings.Contains(string(page.Body), "1 draft incident from alerts") {
		t.Errorf("the dashboard does not point at the draft: %s", consoletest.Body(page))
	}
	drafts, _ := e.svc.Integrations.Drafts(ctx)
	if len(drafts) != 1 {
		t.Fatalf("drafts %+v", drafts)
	}
	res = responder.MustPost(303, "/console/integrations/drafts/"+drafts[0].ID+"/publish", url.Values{
		"name": {"Slow pages"}, "body": {"Pages load slowly."}, "deliver_notifications": {"1"}})
	loc := res.Header.Get("Location")
	in, err := e.svc.Incidents.Get(ctx, strings.TrimPrefix(loc, "/console/incidents/"))
	if err != nil || in.Name != "Slow pages" || in.Impact != components.ImpactMinor {
		t.Fatalf("published %+v (%v), from %s", in, err, loc)
	}
	audit, _ := e.svc.Accounts.Audit(ctx, 0, 1)
	if len(audit) != 1 || audit[0].Actor != "user "+responder.User.Email || audit[0].Target != in.ID {
		t.Errorf("audit %+v, want the responder's publication", audit)
	}

	// The integration's page: its alerts, with what Beacon did; the mapping
	// form for admins only.
	page = responder.Get("/console/integrations/" + it.ID)
	if page.Status != 200 || !strings.Contains(string(page.Body), "opened a draft incident") || strings.Contains(string(page.Body), "Save integration") {
		t.Errorf("responder's integration page: %s", consoletest.Body(page))
	}
	if page := admin.Get("/console/integrations/" + it.ID); !strings.Contains(string(page.Body), "frontend = Website") {
		t.Errorf("admin's integration page: %s", consoletest.Body(page))
	}
	responder.MustPost(403, "/console/integrations/"+it.ID, clone(form))
	form.Set("flap_window", "soon")
	admin.MustPost(422, "/console/integrations/"+it.ID, clone(form))
	form.Set("flap_window", "0")
	form.Set("incident_mode", "publish")
	admin.MustPost(303, "/console/integrations/"+it.ID, clone(form))
	if got, _ := e.svc.Integrations.Get(ctx, it.ID); got.FlapWindow != 0 || got.IncidentMode != integrations.ModePublish || got.Kind != integrations.Alertmanager {
		t.Errorf("saved %+v", got)
	}

	res = admin.MustPost(200, "/console/integrations/"+it.ID+"/token", url.Values{})
	if m := newIntegrationURL.FindStringSubmatch(string(res.Body)); m == nil || strings.Contains(m[1], u.Query().Get("token")) {
		t.Errorf("new token: %s", consoletest.Body(res))
	}
	if _, err := e.svc.Integrations.Authenticate(ctx, it.ID, u.Query().Get("token")); err == nil {
		t.Error("the old token still works")
	}
	responder.MustPost(403, "/console/integrations/"+it.ID+"/delete", url.Values{})
	admin.MustPost(303, "/console/integrations/"+it.ID+"/delete", url.Values{})
	if list, _ := e.svc.Integrations.List(ctx); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}

// clone copies a form, which a post fills with its sender's CSRF token.
func clone(form url.Values) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	return out
}
