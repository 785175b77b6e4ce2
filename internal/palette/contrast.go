package palette

import (
	"fmt"
	"math"
	"strconv"
)

// MinContrast is WCAG 2's contrast ratio for body text at level AA.
const MinContrast = 4.5

// rgb is a colour's sRGB channels, from 0 to 1.
type rgb struct{ r, g, b float64 }

// parse reads a #rrggbb colour.
func parse(hex string) (rgb, bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return rgb{}, false
	}
	var ch [3]float64
	for i := range ch {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return rgb{}, false
		}
		ch[i] = float64(v) / 255
	}
	return rgb{ch[0], ch[1], ch[2]}, true
}

// hex writes c as #rrggbb, its channels clipped to the sRGB gamut.
func (c rgb) hex() string {
	byteOf := func(v float64) int { return int(math.Round(math.Min(1, math.Max(0, v)) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", byteOf(c.r), byteOf(c.g), byteOf(c.b))
}

// Valid reports whether s is a #rrggbb colour.
func Valid(s string) bool {
	_, ok := parse(s)
	return ok
}

func toLinear(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

func fromLinear(c float64) float64 {
	if c <= 0.0031308 {
		return c * 12.92
	}
	return 1.055*math.Pow(c, 1/2.4) - 0.055
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	return 0.2126*toLinear(c.r) + 0.7152*toLinear(c.g) + 0.0722*toLinear(c.b)
}

func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// Contrast is WCAG 2's contrast ratio of two #rrggbb colours, from 1 to
// 21; 0 when either is not such a colour.
func Contrast(a, b string) float64 {
	ca, okA := parse(a)
	cb, okB := parse(b)
	if !okA || !okB {
		return 0
	}
	return contrast(ca, cb)
}

// oklch is a colour in OKLCH (Björn Ottosson's Oklab, in polar form), the
// space in which CSS's relative colours clamp lightness.
type oklch struct{ l, c, h float64 }

func (c rgb) oklch() oklch {
	r, g, b := toLinear(c.r), toLinear(c.g), toLinear(c.b)
	l := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*b)
	m := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*b)
	s := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*b)
	L := 0.2104542553*l + 0.7936177850*m - 0.0040720468*s
	A := 1.9779984951*l - 2.4285922050*m + 0.4505937099*s
	B := 0.0259040371*l + 0.7827717662*m - 0.8086757660*s
	return oklch{L, math.Hypot(A, B), math.Atan2(B, A)}
}

// rgb converts back, without clipping: a channel outside [0, 1] is out of
// the sRGB gamut.
func (c oklch) rgb() rgb {
	A, B := c.c*math.Cos(c.h), c.c*math.Sin(c.h)
	l := math.Pow(c.l+0.3963377774*A+0.2158037573*B, 3)
	m := math.Pow(c.l-0.1055613458*A-0.0638541728*B, 3)
	s := math.Pow(c.l-0.0894841775*A-1.2914855480*B, 3)
	return rgb{
		fromLinear(4.0767416621*l - 3.3077115913*m + 0.2309699292*s),
		fromLinear(-1.2684380046*l + 2.6097574011*m - 0.3413193965*s),
		fromLinear(-0.0041960863*l - 0.7034186147*m + 1.7076147010*s),
	}
}

func (c rgb) inGamut() bool {
	const eps = 1e-6
	return c.r >= -eps && c.r <= 1+eps && c.g >= -eps && c.g <= 1+eps && c.b >= -eps && c.b <= 1+eps
}

// inGamut is c, its chroma reduced as little as it takes to fit sRGB (CSS
// Color 4's gamut mapping keeps lightness and hue the same way).
func (c oklch) inGamut() rgb {
	if out := c.rgb(); out.inGamut() {
		return out
	}
	lo, hi := 0.0, c.c
	for range 24 {
		mid := (lo + hi) / 2
		if (oklch{c.l, mid, c.h}).rgb().inGamut() {
			lo = mid
		} else {
			hi = mid
		}
	}
	return oklch{c.l, lo, c.h}.rgb()
}

// The page's rule for its accent colour, in OKLCH lightness: at most
// lightOnLight on a light background, at least lightOnDark on a dark one.
// A colour within roundoff of the bound meets it: writing a clamped
// colour as #rrggbb moves its lightness by up to about 0.003, and Readable
// of its own result must not move it again.
const (
	lightOnLight = 0.5
	lightOnDark  = 0.72
	roundoff     = 0.005
)

// Readable is accent (#rrggbb) as links and buttons show it on bg: its
// OKLCH lightness clamped as the page has always clamped it (at most 0.5
// on a light background, at least 0.72 on a dark one), hue kept, then moved
// further from bg's lightness, a step at a time, until text in it on bg
// reads at MinContrast or more. An accent that already reads well on bg is
// returned as it is (lower case). "" when accent or bg is not a #rrggbb
// colour.
//
// White text on a colour Readable gave for a light bg reads at
// MinContrast too, since white is lighter still: buttons in the accent
// colour take white text.
func Readable(accent, bg string) string {
	c, ok := parse(accent)
	back, okBg := parse(bg)
	if !ok || !okBg {
		return ""
	}
	lch := c.oklch()
	dark := back.luminance() < 0.18 // darker than mid grey: light text on it
	if contrast(c, back) >= MinContrast && (dark && lch.l >= lightOnDark-roundoff || !dark && lch.l <= lightOnLight+roundoff) {
		return c.hex()
	}
	step := -0.01
	if dark {
		lch.l, step = math.Max(lch.l, lightOnDark), 0.01
	} else {
		lch.l = math.Min(lch.l, lightOnLight)
	}
	for {
		out, _ := parse(lch.inGamut().hex())
		// Black on a light background and white on a dark one always
		// read: the loop ends there at the latest.
		if contrast(out, back) >= MinContrast || lch.l <= 0 || lch.l >= 1 {
			return out.hex()
		}
		lch.l = math.Min(1, math.Max(0, lch.l+step))
	}
}
