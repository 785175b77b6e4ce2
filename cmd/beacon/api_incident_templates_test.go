package main

import (
	"context"
	"strings"
	"testing"
)

// TestIncidentTemplatesAPI: the management API's incident templates, and
// their audit. It tests internal/api, not the console (it sat among the
// console's tests), and moves with the API's tests.
func TestIncidentTemplatesAPI(t *testing.T) {
	e := newTestEnv(t)
	comp := e.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}})
	var c struct{ ID string }
	comp.JSON(t, &c)
	res := e.api("POST", "/incident_templates", map[string]any{"template": map[string]any{"name": "Slow", "title": ""}})
	if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"title"`) {
		t.Errorf("blank title: %d %s", res.Status, res.Body)
	}
	res = e.mustAPI(201, "POST", "/incident_templates", map[string]any{"template": map[string]any{
		"name": "Slow", "title": "Slow API", "body": "Looking.", "update_status": "identified",
		"should_send_notifications": false, "component_ids": []string{c.ID}}})
	var tpl struct {
		ID                      string           `json:"id"`
		UpdateStatus            string           `json:"update_status"`
		ShouldSendNotifications bool             `json:"should_send_notifications"`
		GroupID                 *string          `json:"group_id"`
		Components              []map[string]any `json:"components"`
	}
	res.JSON(t, &tpl)
	if tpl.UpdateStatus != "identified" || tpl.ShouldSendNotifications || tpl.GroupID != nil || len(tpl.Components) != 1 || tpl.Components[0]["id"] != c.ID {
		t.Errorf("created = %s", res.Body)
	}
	e.mustAPI(200, "PATCH", "/incident_templates/"+tpl.ID, map[string]any{"template": map[string]any{"title": "Very slow API"}})
	res = e.mustAPI(200, "GET", "/incident_templates", nil)
	if !strings.Contains(string(res.Body), "Very slow API") {
		t.Errorf("list = %s", res.Body)
	}
	e.mustAPI(200, "DELETE", "/incident_templates/"+tpl.ID, nil)
	e.mustAPI(404, "GET", "/incident_templates/"+tpl.ID, nil)

	// API changes are audited with the key's name.
	log, _ := e.app.accounts.Audit(context.Background(), 0, 10)
	if len(log) < 3 || log[0].Actor != "API key test" || log[0].Action != "api: DELETE incident_templates/:id" || log[0].Target != tpl.ID {
		t.Errorf("audit log = %+v", log)
	}
}
