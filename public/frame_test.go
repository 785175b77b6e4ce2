package public

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// pgRender writes n back as HTML, to compare two parts of pages.
func pgRender(t testing.TB, n *html.Node) string {
	t.Helper()
	var b bytes.Buffer
	if err := html.Render(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPagesFrame checks that every public page has one frame: the same
// header (brand, the "Subscribe to updates" button), the same container
// around the content and the footer, and the favicon link.
func TestPagesFrame(t *testing.T) {
	env := pgNewEnv(t)
	api := env.component(components.Input{Name: ptr("API"), Status: ptr(components.PartialOutage)})
	in := env.incident(incidents.NewIncident{Name: "Slow API", ComponentIDs: []string{api}})
	paths := []string{"/", "/incidents/" + in.ID, "/history", "/history?page=2", "/subscribe", "/incidents/zzzzzzzzzzzz"}
	var header, icon string
	for _, path := range paths {
		doc := pgParse(t, env.do("GET", path, "").Body)
		h := pgRender(t, pgOne(t, doc, pgSel("header", "site-header"), path+": headers"))
		if header == "" {
			header = h
		} else if h != header {
			t.Errorf("%s: header differs from /'s:\n%s\nwant\n%s", path, h, header)
		}
		button := pgOne(t, doc, pgSel("a", "subscribe-link"), path+": subscribe buttons")
		if href, _ := pgAttr(button, "href"); href != "/subscribe" || pgText(button) != "Subscribe to updates" {
			t.Errorf("%s: subscribe button %q links to %q", path, pgText(button), href)
		}
		if cls, _ := pgAttr(pgOne(t, doc, pgSel("main"), path+": mains"), "class"); cls != "wrap" {
			t.Errorf("%s: <main class=%q>, want the one container every page has (wrap)", path, cls)
		}
		for _, n := range pgAll(doc, func(n *html.Node) bool { return n.Type == html.ElementNode }) {
			if cls, _ := pgAttr(n, "class"); slices.Contains(strings.Fields(cls), "narrow") {
				t.Errorf("%s: <%s class=%q>: a narrower frame than /'s", path, n.Data, cls)
			}
		}
		link := pgOne(t, doc, pgWithAttr("link", "rel", "icon"), path+": icon links")
		href, _ := pgAttr(link, "href")
		if typ, _ := pgAttr(link, "type"); typ != "image/svg+xml" || !strings.HasPrefix(href, "/favicon.svg?") {
			t.Errorf("%s: icon link %q (%s), want the SVG favicon", path, href, typ)
		}
		if icon == "" {
			icon = href
		} else if href != icon {
			t.Errorf("%s: icon %q, / links %q", path, href, icon)
		}
	}
	if icon != "/favicon.svg?s=major" {
		t.Errorf("icon link %q, want it to name the indicator (major)", icon)
	}
}

// TestPagesFavicon checks the favicon in each indicator's colour, served
// from the snapshot with an ETag at /favicon.svg and /favicon.ico, and
// that its link changes with the colour.
func TestPagesFavicon(t *testing.T) {
	tests := []struct {
		status    components.Status
		indicator string
		colour    string
	}{
		{components.Operational, "none", "#1a7f37"},
		{components.DegradedPerformance, "minor", "#9a6700"},
		{components.PartialOutage, "major", "#bc4c00"},
		{components.MajorOutage, "critical", "#cf222e"},
		{components.UnderMaintenance, "maintenance", "#0969da"},
	}
	for _, tt := range tests {
		t.Run(tt.indicator, func(t *testing.T) {
			env := pgNewEnv(t)
			env.component(components.Input{Name: ptr("API"), Status: ptr(tt.status)})
			doc := pgParse(t, pgGet(env, "/").Body)
			if href, _ := pgAttr(pgOne(t, doc, pgWithAttr("link", "rel", "icon"), "icon links"), "href"); href != "/favicon.svg?s="+tt.indicator {
				t.Errorf("icon link %q, want /favicon.svg?s=%s", href, tt.indicator)
			}
			for _, path := range []string{"/favicon.svg", "/favicon.svg?s=" + tt.indicator, "/favicon.ico"} {
				res := env.do("GET", path, "")
				if res.Status != 200 {
					t.Fatalf("%s: status %d, want 200", path, res.Status)
				}
				if res.Header.Get("ETag") == "" {
					t.Errorf("%s: no ETag: not served from the snapshot", path)
				}
				svg := pgBadge(t, res)
				if !slices.Contains(svg.fills, tt.colour) {
					t.Errorf("%s fills %q, want %s among them", path, svg.fills, tt.colour)
				}
			}
		})
	}
}
