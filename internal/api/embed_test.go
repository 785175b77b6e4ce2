package api_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
)

// embedFields are the StatusEmbedConfig object's fields in Statuspage's
// spec (reference §1(g)).
var embedFields = []string{"page_id", "position", "incident_background_color", "incident_text_color",
	"maintenance_background_color", "maintenance_text_color"}

// embedConfig reads a StatusEmbedConfig body, checking it has exactly
// Statuspage's fields.
func embedConfig(t *testing.T, res response) map[string]string {
	t.Helper()
	var m map[string]string
	res.JSON(t, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(embedFields))
	if !slices.Equal(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	return m
}

func TestEmbedConfigDefaults(t *testing.T) {
	env := newTestEnv(t)
	got := embedConfig(t, env.mustAPI(200, "GET", "/status_embed_config", nil))
	d := settings.DefaultEmbed()
	want := map[string]string{"page_id": env.pageID, "position": "bottom-left",
		"incident_background_color": d.IncidentBackgroundColor, "incident_text_color": d.IncidentTextColor,
		"maintenance_background_color": d.MaintenanceBackgroundColor, "maintenance_text_color": d.MaintenanceTextColor}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestEmbedConfigChanges sends each change as clients do — wrapped or not,
// JSON or form, PATCH or PUT — to one page, each case starting where the
// previous one ended, and reads the result back.
func TestEmbedConfigChanges(t *testing.T) {
	env := newTestEnv(t)
	form := "application/x-www-form-urlencoded"
	steps := []struct {
		name        string
		method      string
		body        any // a string is sent as a form
		want        map[string]string
		contentType string
	}{
		{name: "wrapped JSON", method: "PATCH",
			body: map[string]any{"status_embed_config": map[string]any{"position": "top-right", "incident_background_color": "#AA0000"}},
			want: map[string]string{"position": "top-right", "incident_background_color": "#aa0000", "incident_text_color": "#ffffff"}},
		{name: "bare JSON", method: "PATCH",
			body: map[string]any{"maintenance_text_color": "#000000"},
			want: map[string]string{"position": "top-right", "incident_background_color": "#aa0000", "maintenance_text_color": "#000000"}},
		{name: "form", method: "PATCH", contentType: form,
			body: url.Values{"status_embed_config[position]": {"top-left"}, "status_embed_config[incident_text_color]": {"#fafafa"}}.Encode(),
			want: map[string]string{"position": "top-left", "incident_text_color": "#fafafa", "maintenance_text_color": "#000000"}},
		{name: "PUT changes only what it names", method: "PUT",
			body: map[string]any{"status_embed_config": map[string]any{"maintenance_background_color": "#123456"}},
			want: map[string]string{"position": "top-left", "maintenance_background_color": "#123456", "incident_background_color": "#aa0000"}},
		{name: "null and empty return to the default", method: "PATCH",
			body: map[string]any{"status_embed_config": map[string]any{"position": nil, "incident_background_color": ""}},
			want: map[string]string{"position": "bottom-left", "incident_background_color": settings.DefaultEmbed().IncidentBackgroundColor}},
	}
	for _, st := range steps {
		var headers []string
		if st.contentType != "" {
			headers = []string{"Content-Type", st.contentType}
		}
		res := env.api(st.method, "/status_embed_config", st.body, headers...)
		if res.Status != 200 {
			t.Fatalf("%s: status %d, want 200; body %s", st.name, res.Status, res.Body)
		}
		for _, got := range []map[string]string{embedConfig(t, res), embedConfig(t, env.mustAPI(200, "GET", "/status_embed_config", nil))} {
			for k, v := range st.want {
				if got[k] != v {
					t.Errorf("%s: %s = %q, want %q", st.name, k, got[k], v)
				}
			}
		}
	}

	// Every change is in the audit log, by the key that made it.
	log, err := env.svc.Accounts.Audit(context.Background(), 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		if strings.HasSuffix(e.Action, " status_embed_config") {
			actions = append(actions, e.Action)
			if !strings.Contains(e.Actor, "test") || e.Target != env.pageID {
				t.Errorf("audit entry %+v: want the API key named test as actor and the page as target", e)
			}
		}
	}
	if len(actions) != len(steps) {
		t.Errorf("audit log has %d status_embed_config changes (%v), want %d", len(actions), actions, len(steps))
	}
}

func TestEmbedConfigRefused(t *testing.T) {
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"unknown corner", map[string]any{"status_embed_config": map[string]any{"position": "center"}}, "position"},
		{"colour name", map[string]any{"status_embed_config": map[string]any{"incident_background_color": "red"}}, "incident_background_color"},
		{"short colour", map[string]any{"incident_text_color": "#fff"}, "incident_text_color"},
		{"CSS smuggled in a colour", map[string]any{"maintenance_background_color": "#000000;}:host{display:none"}, "maintenance_background_color"},
		{"colour as a number", map[string]any{"maintenance_text_color": 123456}, "maintenance_text_color"},
		{"good field beside a bad one", map[string]any{"position": "top-left", "incident_text_color": "white"}, "incident_text_color"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			res := env.api("PATCH", "/status_embed_config", tc.body)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != tc.field {
				t.Errorf("status %d field %q, want 422 field %q; body %s", res.Status, e.Field, tc.field, res.Body)
			}
			got := embedConfig(t, env.mustAPI(200, "GET", "/status_embed_config", nil))
			if got["position"] != "bottom-left" || got["incident_text_color"] != settings.DefaultEmbed().IncidentTextColor {
				t.Errorf("a refused change was written: %v", got)
			}
		})
	}
	env := newTestEnv(t)
	if res := env.do("GET", "/api/v1/pages/"+env.pageID+"/status_embed_config", nil); res.Status != 401 {
		t.Errorf("without a key: status %d, want 401", res.Status)
	}
}
