package incidents_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/beacon-status/beacon/incidents"
)

func TestTemplates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	api := e.component("API", "")
	web := e.component("Web", "")

	tests := []struct {
		name  string
		in    incidents.TemplateInput
		field string
	}{
		{"no name", incidents.TemplateInput{Title: ptr("Slow API")}, "name"},
		{"blank title", incidents.TemplateInput{Name: ptr("slow"), Title: ptr("  ")}, "title"},
		{"bad status", incidents.TemplateInput{Name: ptr("slow"), Title: ptr("Slow"), Status: ptr(incidents.Status("broken"))}, "update_status"},
		{"unknown component", incidents.TemplateInput{Name: ptr("slow"), Title: ptr("Slow"), ComponentIDs: &[]string{"nope"}}, "component_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateTemplate(ctx, tt.in)
			if got := validationField(err); got != tt.field {
				t.Errorf("field = %q (%v), want %q", got, err, tt.field)
			}
		})
	}

	tpl, err := e.svc.CreateTemplate(ctx, incidents.TemplateInput{Name: ptr("Slow API"), Title: ptr("Elevated API latency"),
		Body: ptr("We are looking into **slow** responses."), ComponentIDs: &[]string{api, web}})
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Status != incidents.Investigating || !tpl.DeliverNotifications {
		t.Errorf("defaults: %+v", tpl)
	}
	tpl, err = e.svc.UpdateTemplate(ctx, tpl.ID, incidents.TemplateInput{Status: ptr(incidents.Identified), DeliverNotifications: ptr(false)})
	if err != nil || tpl.Status != incidents.Identified || tpl.DeliverNotifications || tpl.Title != "Elevated API latency" {
		t.Fatalf("update = %+v, %v", tpl, err)
	}
	// A deleted component drops out of the template.
	if err := e.comps.Delete(ctx, web); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Template(ctx, tpl.ID)
	if err != nil || !slices.Equal(got.ComponentIDs, []string{api}) {
		t.Errorf("after deleting a component: %v, %v", got.ComponentIDs, err)
	}
	list, _ := e.svc.Templates(ctx)
	if len(list) != 1 {
		t.Errorf("templates = %d, want 1", len(list))
	}
	if err := e.svc.DeleteTemplate(ctx, tpl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Template(ctx, tpl.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

// TestTemplatesByName checks the list's order: by name ignoring the case
// of ASCII letters (the order staff see in the console), on both engines.
func TestTemplatesByName(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"database", "API", "Zone down", "api latency", "Émission", "bridge"} {
		if _, err := e.svc.CreateTemplate(e.ctx, incidents.TemplateInput{Name: ptr(name), Title: ptr(name)}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.svc.Templates(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tpl := range list {
		got = append(got, tpl.Name)
	}
	if want := []string{"API", "api latency", "bridge", "database", "Zone down", "Émission"}; !slices.Equal(got, want) {
		t.Errorf("Templates = %q, want %q", got, want)
	}
}
