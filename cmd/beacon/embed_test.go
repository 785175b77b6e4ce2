package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/settings"
)

// The status embed config's API tests are in internal/api; the script a
// site includes is served by the public site, its config changed through
// the API.

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
