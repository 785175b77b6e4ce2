package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
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
	log, err := env.app.accounts.Audit(context.Background(), 0, 20)
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

// TestEmbedScriptServed checks what a site including the script receives:
// JavaScript other origins may load, with the config baked in, validators
// that change with the config, and a gzip form under 5 KB.
func TestEmbedScriptServed(t *testing.T) {
	env := newTestEnv(t)
	res := env.do("GET", "/embed/script.js", nil)
	if res.Status != 200 {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	for name, want := range map[string]string{
		"Content-Type":                 "text/javascript; charset=utf-8",
		"Access-Control-Allow-Origin":  "*",
		"X-Content-Type-Options":       "nosniff",
		"Cross-Origin-Resource-Policy": "cross-origin",
		"Cache-Control":                env.app.cfg.PageCache,
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	body := string(res.Body)
	defaults, _ := json.Marshal(settings.DefaultEmbed())
	if !strings.Contains(body, "})("+string(defaults)+");") {
		t.Errorf("the script does not end with the default config %s", defaults)
	}
	// Hosts with a strict Content-Security-Policy must be able to run it,
	// and remote text must never be parsed as HTML.
	for _, banned := range []string{"eval(", "Function(", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "setAttribute(\"style\"", ".cssText"} {
		if strings.Contains(body, banned) {
			t.Errorf("the script uses %s", banned)
		}
	}

	etag := res.Header.Get("ETag")
	if head := env.do("HEAD", "/embed/script.js", nil); head.Status != 200 || head.Header.Get("ETag") != etag || len(head.Body) != 0 {
		t.Errorf("HEAD: status %d, ETag %q, %d body bytes; want 200, %q and no body", head.Status, head.Header.Get("ETag"), len(head.Body), etag)
	}
	if res := env.do("GET", "/embed/script.js", nil, "If-None-Match", etag); res.Status != 304 {
		t.Errorf("with If-None-Match of the current ETag: status %d, want 304", res.Status)
	}

	gz := env.do("GET", "/embed/script.js", nil, "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", gz.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(zr); err != nil || plain.String() != body {
		t.Errorf("the gzip form does not hold the script (err %v)", err)
	}
	const limit = 5 * 1024
	if n := len(gz.Body); n >= limit {
		t.Errorf("gzipped script is %d bytes, want under %d", n, limit)
	}
	t.Logf("script: %d bytes, %d gzipped", len(res.Body), len(gz.Body))

	// A change to the config is in the next answer, under a new ETag.
	env.mustAPI(200, "PATCH", "/status_embed_config", map[string]any{"position": "top-right", "incident_background_color": "#5a1e82"})
	res = env.do("GET", "/embed/script.js", nil, "If-None-Match", etag)
	if res.Status != 200 || res.Header.Get("ETag") == etag {
		t.Fatalf("after a config change: status %d, ETag %q (was %q), want 200 and a new ETag", res.Status, res.Header.Get("ETag"), etag)
	}
	for _, want := range []string{`"position":"top-right"`, `"incident_background_color":"#5a1e82"`} {
		if !strings.Contains(string(res.Body), want) {
			t.Errorf("after the change the script lacks %s", want)
		}
	}
}
