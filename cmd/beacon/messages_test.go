package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/templates"
)

// TestEmailLayoutMatchesFullRendering checks that an email filled into the
// once-per-event layout is the email the templates give for the same
// links, including content that html/template escapes.
func TestEmailLayoutMatchesFullRendering(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{"https://status.example.com", "https://example.com/status?x=1&y=<2>"} {
		m := messages{a: &app{cfg: Config{BaseURL: base}, templates: set}}
		v := mailView{
			Subject: "[Acme] Investigating: <b>API</b> & more", PageName: `Acme "Status"`, PageURL: base,
			Headline: "New incident", Color: "#d1242f", IncidentName: "API <errors> & 'quotes'",
			IncidentURL: base + "/incidents/abc", StatusLabel: "Investigating", Time: "Mar 10, 2026 - 13:00 CET",
			Body:       "We are **investigating**.\n\n<script>alert(1)</script> [link](https://example.com/?a=1&b=2)",
			Components: []componentLine{{"API", "Partial Outage"}, {"Web & <CDN>", ""}},
		}
		l := m.layout(v, "email/incident")
		if l == nil {
			t.Fatalf("base %s: no layout", base)
		}
		for _, tok := range [][2]string{
			{url.QueryEscape("manage.sub_1.0.mac-_AbC"), url.PathEscape("unsubscribe.sub_1.0.mac~x")},
			{url.QueryEscape("manage.a/b+c=d"), url.PathEscape("unsubscribe.a b")},
		} {
			full := v
			full.ManageURL = base + manageLinkPath + tok[0]
			full.UnsubscribeURL = base + unsubscribeLinkPath + tok[1]
			want, err := m.email(full, "email/incident")
			if err != nil {
				t.Fatal(err)
			}
			if !l.fits(tok[0], tok[1]) {
				// Such tokens are rendered whole; Beacon's never are.
				if !strings.ContainsAny(tok[0]+tok[1], "+=/ ") {
					t.Errorf("tokens %q do not fit", tok)
				}
				continue
			}
			got := l.fill(tok[0], tok[1])
			if got.TextBody() != want.Text || got.HTMLBody() != want.HTML || got.Subject != want.Subject {
				t.Errorf("base %s, tokens %q: layout differs from the full rendering:\n--- got\n%s\n--- want\n%s", base, tok, got.HTMLBody(), want.HTML)
			}
			for _, link := range []string{full.ManageURL, full.UnsubscribeURL} {
				if !strings.Contains(got.TextBody(), link) {
					t.Errorf("text lacks %s", link)
				}
			}
		}
	}
}

// TestViewCacheFollowsSnapshot checks that event views are kept for one
// snapshot version only: a change (a new version) empties the cache, a
// snapshot rebuilt because it expired (the same version) does not.
func TestViewCacheFollowsSnapshot(t *testing.T) {
	var c *viewCache
	if _, ok := c.get(&snapshot{}, 1); ok {
		t.Error("a nil cache returned a view")
	}
	c = &viewCache{}
	s1, s2 := &snapshot{version: 1}, &snapshot{version: 2}
	ev := &eventView{}
	c.put(s1, 1, ev)
	c.put(s1, 2, nil) // the incident is gone
	if got, ok := c.get(s1, 1); !ok || got != ev {
		t.Errorf("get(s1, 1) = %p, %v; want %p, true", got, ok, ev)
	}
	if got, ok := c.get(s1, 2); !ok || got != nil {
		t.Errorf("get(s1, 2) = %p, %v; want nil, true", got, ok)
	}
	if got, ok := c.get(&snapshot{version: 1}, 1); !ok || got != ev {
		t.Error("a snapshot rebuilt without a change lost the views")
	}
	if _, ok := c.get(s2, 1); ok {
		t.Error("a view made from another snapshot was returned")
	}
	c.put(s2, 3, ev)
	if _, ok := c.get(s1, 1); ok {
		t.Error("views of the old snapshot survived a new one")
	}
}
