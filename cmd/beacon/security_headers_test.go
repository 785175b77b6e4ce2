package main

import (
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/subscribers"
)

// TestSecurityHeadersOnEveryRoute walks the registered route table (so a
// route added later is covered without editing this test) plus static
// files, the accent stylesheet and unmatched paths, under the default
// frame-ancestors and under an owner's list, and checks that every answer
// — 200s, redirects, 4xx alike — carries nosniff, a Referrer-Policy and a
// CSP without 'unsafe-inline' that ends with the configured
// frame-ancestors; HTML pages get the page policy.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	for _, tt := range []struct {
		name, ancestors, wantFrameOptions string
	}{
		{name: "default", ancestors: "", wantFrameOptions: "SAMEORIGIN"},
		{name: "none", ancestors: "'none'", wantFrameOptions: "DENY"},
		{name: "owner's list", ancestors: "'self'  https://intranet.example.com", wantFrameOptions: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, func(c *Config) {
				if tt.ancestors != "" {
					if err := parseFrameAncestors(&c.FrameAncestors, tt.ancestors); err != nil {
						t.Fatal(err)
					}
				}
				c.AccentColor = "#0a6b5e"
			})
			want := "frame-ancestors " + strings.Join(strings.Fields(tt.ancestors), " ")
			if tt.ancestors == "" {
				want = "frame-ancestors 'self'"
			}
			comp := apitest.String(t, e.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}), "id")
			inc := apitest.String(t, e.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
				"name": "Slow", "body": "Looking", "components": map[string]string{comp: "degraded_performance"}}}), "id")
			sub := apitest.String(t, e.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": map[string]any{
				"email": "reader@example.com", "skip_confirmation_notification": true}}), "id")
			params := map[string]string{
				"id": inc, "page_id": e.pageID, "token": e.app.subscribers.Link(subscribers.PurposeUnsubscribe, sub),
				"hex": "0a6b5e", "update_id": "zzzzzzzzzzzz",
			}
			param := regexp.MustCompile(`:(\w+)`)
			type request struct{ method, path string }
			var requests []request
			for _, r := range e.fiber.GetRoutes(true) {
				path := param.ReplaceAllStringFunc(r.Path, func(m string) string {
					if v, ok := params[m[1:]]; ok {
						return v
					}
					return "zzzzzzzzzzzz"
				})
				requests = append(requests, request{r.Method, strings.ReplaceAll(path, "*", "zzzz")})
			}
			requests = append(requests, request{"GET", "/static/beacon.css"}, request{"GET", "/static/beacon.js"},
				request{"GET", "/static/nothing-here.js"}, request{"GET", "/incidents/zzzzzzzzzzzz"},
				request{"GET", "/no/such/page"}, request{"GET", "/api/v2/nothing.json"})

			var html, public int
			for _, r := range requests {
				var res response
				if r.method == "POST" || r.method == "PUT" || r.method == "PATCH" {
					res = e.do(r.method, r.path, url.Values{}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
				} else {
					res = e.do(r.method, r.path, nil)
				}
				what := r.method + " " + r.path
				csp := res.Header.Get("Content-Security-Policy")
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("%s (%d): X-Content-Type-Options %q, want nosniff", what, res.Status, got)
				}
				if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
					t.Errorf("%s (%d): Content-Security-Policy %q, want one without unsafe-inline or unsafe-eval", what, res.Status, csp)
				}
				if strings.HasPrefix(r.path, "/console") {
					// The console sends its own, stricter headers.
					continue
				}
				public++
				if got := res.Header.Get("Referrer-Policy"); got != "strict-origin-when-cross-origin" {
					t.Errorf("%s (%d): Referrer-Policy %q, want strict-origin-when-cross-origin", what, res.Status, got)
				}
				if !strings.HasSuffix(csp, "; "+want) {
					t.Errorf("%s (%d): Content-Security-Policy %q, want it to end with %q", what, res.Status, csp, want)
				}
				isHTML := strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
				if isHTML {
					html++
					for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "base-uri 'none'"} {
						if !strings.Contains(csp, d+";") {
							t.Errorf("%s (%d): page CSP %q lacks %q", what, res.Status, csp, d)
						}
					}
					if got := res.Header.Get("X-Frame-Options"); got != tt.wantFrameOptions {
						t.Errorf("%s (%d): X-Frame-Options %q, want %q", what, res.Status, got, tt.wantFrameOptions)
					}
				} else {
					if got, want := csp, "default-src 'none'; "+want; got != want {
						t.Errorf("%s (%d, %s): CSP %q, want %q", what, res.Status, res.Header.Get("Content-Type"), got, want)
					}
					if got := res.Header.Get("X-Frame-Options"); got != "" {
						t.Errorf("%s (%d): X-Frame-Options %q on a response that is not a page", what, res.Status, got)
					}
				}
			}
			// The walk reached the pages: /, an incident, history, the
			// subscribe, unsubscribe and not-found screens at least.
			t.Logf("%d requests, %d public answers, %d of them pages", len(requests), public, html)
			if html < 6 || public < 30 {
				t.Errorf("checked %d public answers, %d of them pages: the walk missed routes", public, html)
			}
		})
	}
}

// TestAccentStylesheet: the page links its accent colour as a stylesheet
// instead of an inline <style>, and the stylesheet says that colour, and
// the colour links show in each scheme (internal/palette's Readable: a
// light colour is darkened on the light scheme).
func TestAccentStylesheet(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.AccentColor = "#0A6B5E" })
	page := string(e.do("GET", "/", nil).Body)
	if !strings.Contains(page, `<link rel="stylesheet" href="/static/accent/0A6B5E.css">`) || strings.Contains(page, "<style") {
		t.Errorf("the page does not link its accent stylesheet, or still has an inline style:\n%s", page)
	}
	for _, tt := range []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{path: "/static/accent/0A6B5E.css", wantStatus: 200,
			wantBody: ":root{--brand:#0a6b5e;--link:#0a6b5e}\n@media (prefers-color-scheme: dark){:root{--link:#65b6a7}}\n"},
		{path: "/static/accent/ffd700.css", wantStatus: 200,
			wantBody: ":root{--brand:#ffd700;--link:#756200}\n@media (prefers-color-scheme: dark){:root{--link:#ffd700}}\n"},
		{path: "/static/accent/12345g.css", wantStatus: 404},
		{path: "/static/accent/1234567.css", wantStatus: 404},
		{path: "/static/accent/" + url.PathEscape("123;}*{") + ".css", wantStatus: 404},
	} {
		res := e.do("GET", tt.path, nil)
		if res.Status != tt.wantStatus {
			t.Errorf("GET %s: status %d, want %d", tt.path, res.Status, tt.wantStatus)
			continue
		}
		if tt.wantStatus != 200 {
			continue
		}
		if string(res.Body) != tt.wantBody || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
			t.Errorf("GET %s: %s %q, want text/css %q", tt.path, res.Header.Get("Content-Type"), res.Body, tt.wantBody)
		}
		if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want immutable", tt.path, got)
		}
	}
}

func TestFrameAncestorsSetting(t *testing.T) {
	for _, tt := range []struct {
		name, value, want string
		wantErr           bool
	}{
		{name: "default", value: "", want: "'self'"},
		{name: "none", value: "'none'", want: "'none'"},
		{name: "owner's hosts", value: " 'self'   https://intranet.example.com *.example.org https: ", want: "'self' https://intranet.example.com *.example.org https:"},
		{name: "blank", value: "   ", wantErr: true},
		{name: "another directive", value: "'self'; script-src *", wantErr: true},
		{name: "another policy", value: "'self', https://x.example.com", wantErr: true},
		{name: "header injection", value: "'self'\r\nSet-Cookie: a=b", wantErr: true},
		{name: "tab", value: "'self'\thttps://x.example.com", wantErr: true},
		{name: "NUL", value: "'self'\x00", wantErr: true},
		{name: "non-ASCII host", value: "https://exämple.com", wantErr: true},
		{name: "unsafe keyword", value: "'unsafe-inline'", wantErr: true},
		{name: "none with others", value: "'none' https://x.example.com", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig("test", nil, func(k string) string {
				if k == "BEACON_FRAME_ANCESTORS" {
					return tt.value
				}
				return ""
			}, io.Discard, nil)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "BEACON_FRAME_ANCESTORS") {
					t.Errorf("BEACON_FRAME_ANCESTORS=%q: error %v, want one naming the variable", tt.value, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("BEACON_FRAME_ANCESTORS=%q: %v", tt.value, err)
			}
			if cfg.FrameAncestors != tt.want {
				t.Errorf("BEACON_FRAME_ANCESTORS=%q: %q, want %q", tt.value, cfg.FrameAncestors, tt.want)
			}
		})
	}
}
