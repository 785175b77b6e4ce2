package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
)

// TestConsoleNewIncidentTemplateID posts the new-incident form with a
// template id: a known one is accepted, one that names no template (a
// deleted template, or a hand-edited form) is refused with 422 and the
// reason on the form, and nothing is created.
func TestConsoleNewIncidentTemplateID(t *testing.T) {
	e := newTestEnv(t)
	user := e.newStaff(accounts.Admin)
	ctx := context.Background()
	name, title := "Database slow", "Database slow"
	tpl, err := e.svc.Incidents.CreateTemplate(ctx, incidents.TemplateInput{Name: &name, Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		list, err := e.svc.Incidents.List(ctx, incidents.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	for _, tt := range []struct {
		name, templateID string
		want             int
		wantShown        []string
		wantCreated      int
	}{
		{name: "no template", templateID: "", want: http.StatusSeeOther, wantCreated: 1},
		{name: "known template", templateID: tpl.ID, want: http.StatusSeeOther, wantCreated: 1},
		{name: "unknown template", templateID: "zzzzzzzzzzzz", want: http.StatusUnprocessableEntity,
			wantShown: []string{"The incident was not posted: template_id names no template", "Typed name kept"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			res := user.Post("/console/incidents", url.Values{"name": {"Typed name kept"}, "status": {"investigating"},
				"body": {"Looking into it."}, "template_id": {tt.templateID}})
			if res.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.want, consoletest.Body(res))
			}
			for _, want := range tt.wantShown {
				if !strings.Contains(string(res.Body), want) {
					t.Errorf("the form shown again does not say %q: %s", want, consoletest.Body(res))
				}
			}
			if tt.want == http.StatusUnprocessableEntity && strings.Contains(string(res.Body), `value="`+tt.templateID+`"`) {
				t.Errorf("the form shown again still carries template_id %s, so posting it again would fail again", tt.templateID)
			}
			if got := count() - before; got != tt.wantCreated {
				t.Errorf("%d incidents created, want %d", got, tt.wantCreated)
			}
		})
	}
}
