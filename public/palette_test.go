package public

import (
	"regexp"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/palette"
)

// TestStylesheetFollowsPalette: the colours beacon.css gives the page's
// impacts and backgrounds are internal/palette's, which the badge, the
// favicon, the accent stylesheet and the emails use: one palette, which the
// stylesheet cannot drift from.
func TestStylesheetFollowsPalette(t *testing.T) {
	css, err := static.ReadFile("static/beacon.css")
	if err != nil {
		t.Fatal(err)
	}
	// The light scheme is the first :root block, the dark one the :root
	// inside the prefers-color-scheme: dark query that follows it.
	text := string(css)
	light := text[:strings.Index(text, "@media (prefers-color-scheme: dark)")]
	dark := text[len(light):]
	dark = dark[:strings.Index(dark, "}")]
	value := func(block, name string) string {
		m := regexp.MustCompile(`--` + name + `:\s*(#[0-9a-fA-F]{6})`).FindStringSubmatch(block)
		if m == nil {
			t.Fatalf("beacon.css sets no --%s in\n%s", name, block)
		}
		return strings.ToLower(m[1])
	}
	for _, tt := range []struct{ block, name, want string }{
		{light, "ok", palette.OK},
		{light, "minor", palette.Minor},
		{light, "major", palette.Major},
		{light, "critical", palette.Critical},
		{light, "maint", palette.Maintenance},
		{light, "muted", palette.Muted},
		{light, "bg", palette.LightBackground},
		{dark, "card", palette.DarkSurface},
	} {
		if got := value(tt.block, tt.name); got != tt.want {
			t.Errorf("beacon.css --%s is %s, internal/palette says %s", tt.name, got, tt.want)
		}
	}
}
