package palette

import (
	"fmt"
	"math"
	"testing"

	"github.com/beacon-status/beacon/components"
)

func TestContrast(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#ffffff", "#000000", 21},
		{"#000000", "#ffffff", 21},
		{"#777777", "#777777", 1},
		{"#ffffff", "#767676", 4.54}, // the lightest grey that passes AA on white
		{"#ffffff", "#0969da", 5.19},
		{"#fff", "#000000", 0},
		{"#ffffff", "black", 0},
		{"#gggggg", "#000000", 0},
	}
	for _, tt := range tests {
		if got := Contrast(tt.a, tt.b); math.Abs(got-tt.want) > 0.02 {
			t.Errorf("Contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestPaletteReads checks the promise of the palette: each impact colour
// reads as text on the light background, and white text reads on it.
func TestPaletteReads(t *testing.T) {
	for _, c := range []string{OK, Minor, Major, Critical, Maintenance, Muted} {
		if got := Contrast(c, LightBackground); got < MinContrast {
			t.Errorf("%s on %s: %.2f:1, want at least %.1f:1", c, LightBackground, got, MinContrast)
		}
		if got := Contrast(c, "#ffffff"); got < MinContrast {
			t.Errorf("white on %s: %.2f:1, want at least %.1f:1", c, got, MinContrast)
		}
	}
}

func TestImpactAndIndicator(t *testing.T) {
	tests := []struct {
		i                components.Impact
		impact, indicate string
	}{
		{components.ImpactNone, Muted, OK},
		{components.ImpactMinor, Minor, Minor},
		{components.ImpactMajor, Major, Major},
		{components.ImpactCritical, Critical, Critical},
		{components.ImpactMaintenance, Maintenance, Maintenance},
		{"bogus", Muted, Muted},
	}
	for _, tt := range tests {
		if got := Impact(tt.i); got != tt.impact {
			t.Errorf("Impact(%q) = %s, want %s", tt.i, got, tt.impact)
		}
		if got := Indicator(tt.i); got != tt.indicate {
			t.Errorf("Indicator(%q) = %s, want %s", tt.i, got, tt.indicate)
		}
	}
}

// TestReadableKeepsWhatReads: an accent that already reads, and already
// meets the page's lightness rule, is left as it is.
func TestReadableKeepsWhatReads(t *testing.T) {
	for _, tt := range []struct{ accent, bg, want string }{
		{"#0a6b5e", LightBackground, "#0a6b5e"},
		{"#0A6B5E", "#ffffff", "#0a6b5e"},
		{"#1f2328", LightBackground, "#1f2328"},
		{"#8ab4f8", DarkSurface, "#8ab4f8"},
		{"#ffffff", DarkSurface, "#ffffff"},
		{"nope", LightBackground, ""},
		{"#0a6b5e", "", ""},
	} {
		if got := Readable(tt.accent, tt.bg); got != tt.want {
			t.Errorf("Readable(%s, %s) = %q, want %q", tt.accent, tt.bg, got, tt.want)
		}
	}
}

// TestReadableClampsLikeThePage: a light accent on the light background
// is brought to the page's OKLCH lightness of 0.5, keeping its hue; a dark
// one on the dark background up to 0.72.
func TestReadableClampsLikeThePage(t *testing.T) {
	for _, tt := range []struct {
		accent, bg string
		wantL      float64
	}{
		{"#e16f24", LightBackground, 0.5}, // orange
		{"#ff0000", LightBackground, 0.5},
		{"#2ea043", LightBackground, 0.5}, // green
		{"#0969da", DarkSurface, 0.72},
		{"#6e40c9", DarkSurface, 0.72}, // violet
	} {
		got := Readable(tt.accent, tt.bg)
		in, _ := parse(tt.accent)
		out, ok := parse(got)
		if !ok {
			t.Fatalf("Readable(%s) = %q", tt.accent, got)
		}
		a, b := in.oklch(), out.oklch()
		if math.Abs(b.l-tt.wantL) > 0.01 {
			t.Errorf("Readable(%s, %s) = %s: lightness %.3f, want %.2f", tt.accent, tt.bg, got, b.l, tt.wantL)
		}
		if dh := math.Abs(math.Remainder(a.h-b.h, 2*math.Pi)); dh > 0.05 {
			t.Errorf("Readable(%s, %s) = %s: hue moved by %.3f rad", tt.accent, tt.bg, got, dh)
		}
	}
}

// TestReadableAlwaysReads runs a grid of colours through both schemes'
// backgrounds, and greys nearer the middle where the page's lightness
// bound alone is not enough: every result reads at 4.5:1 on its
// background (and white on the light scheme's, for buttons), and is its
// own Readable.
func TestReadableAlwaysReads(t *testing.T) {
	for r := 0; r <= 255; r += 17 {
		for g := 0; g <= 255; g += 17 {
			for b := 0; b <= 255; b += 17 {
				accent := fmt.Sprintf("#%02x%02x%02x", r, g, b)
				for _, bg := range []string{LightBackground, "#ffffff", DarkSurface, "#0d1117", "#e0e0e0", "#3a3f47"} {
					got := Readable(accent, bg)
					if c := Contrast(got, bg); c < MinContrast {
						t.Fatalf("Readable(%s, %s) = %s: contrast %.2f:1", accent, bg, got, c)
					}
					if bg == LightBackground {
						if c := Contrast(got, "#ffffff"); c < MinContrast {
							t.Fatalf("white on Readable(%s) = %s: contrast %.2f:1", accent, got, c)
						}
					}
					if again := Readable(got, bg); again != got {
						t.Fatalf("Readable(%s, %s) = %s, but Readable(%s) = %s", accent, bg, got, got, again)
					}
				}
			}
		}
	}
}
