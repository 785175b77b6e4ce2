package api_test

import (
	"slices"
	"testing"

	"github.com/beacon-status/beacon/internal/statuspage"
)

// TestAPITemplatesListedByName: GET /incident_templates lists templates
// by name ignoring the case of ASCII letters alone, the same on both
// engines (lower() folds only those on SQLite and under PostgreSQL's "C"
// collation; a locale's collation would ignore "_" and fold "Ä"), and
// templates whose names differ only in case by id.
func TestAPITemplatesListedByName(t *testing.T) {
	env := newTestEnv(t)
	ids := map[string]string{}
	for _, name := range []string{"beta", "Ärger", "Zeta", "alpha 2", "_draft", "Alpha", "DEPLOY", "deploy"} {
		var got statuspage.Template
		env.mustAPI(201, "POST", "/incident_templates", map[string]any{"template": map[string]any{
			"name": name, "title": "Title of " + name, "body": "Body."}}).JSON(t, &got)
		ids[name] = got.ID
	}
	deploys := []string{"DEPLOY", "deploy"}
	if ids["deploy"] < ids["DEPLOY"] {
		deploys = []string{"deploy", "DEPLOY"}
	}
	want := slices.Concat([]string{"_draft", "Alpha", "alpha 2", "beta"}, deploys, []string{"Zeta", "Ärger"})
	var list []statuspage.Template
	env.mustAPI(200, "GET", "/incident_templates", nil).JSON(t, &list)
	var got []string
	for _, tpl := range list {
		got = append(got, tpl.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("GET /incident_templates: %q, want %q", got, want)
	}
}
