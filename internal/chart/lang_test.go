package chart

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/internal/i18n"
)

func catalogue(t *testing.T) *i18n.Catalogue {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestNumbersInLanguage: a German chart writes its numbers with a decimal
// comma everywhere one is read — caption, tooltips and the value axis —
// and an Arabic one its minus with the mark that keeps it before the
// digits; the suffix stays as the metric names it.
func TestNumbersInLanguage(t *testing.T) {
	cat := catalogue(t)
	s := short(t, map[int]float64{1: 1.5, 2: 1.75, 3: 1.25}, 0.1)
	s.Decimals = 2
	s.Lang = cat.Get("de")
	out := HTML(s)
	var caption, axis string
	walk(parse(t, out), func(n *html.Node) {
		switch {
		case n.Data == "figcaption":
			caption = text(n)
		case n.Data == "svg" && strings.Contains(attrOf(n, "class"), "ylab"):
			axis = text(n)
		}
	})
	if want := "Zuletzt 1,25 ms, Durchschnitt 1,50 ms, Höchstwert 1,85 ms"; !strings.Contains(caption, want) {
		t.Errorf("caption %q, want it to hold %q", caption, want)
	}
	tips, _ := points(t, out)
	if want := "10. März, 08:30 · 1,50 ms"; tips[1] != want {
		t.Errorf("tooltip %q, want %q", tips[1], want)
	}
	if !strings.Contains(axis, "0,5 ms") || strings.Contains(axis, ".") {
		t.Errorf("value axis reads %q, want German decimals (0,5 ms …)", axis)
	}

	for _, c := range []struct {
		lang     string
		v        float64
		decimals int
		suffix   string
		want     string
	}{
		{"de", 1.5, 1, "ms", "1,5 ms"},
		{"fr", -1234.5, 1, "req/s.", "-1234,5 req/s."}, // the suffix's dot is not a decimal sign
		{"ar", -1.5, 1, "ms", "\u200e-1.5 ms"},
		{"pt-BR", 99.95, 2, "%", "99,95 %"},
		{"ja", 0.5, 1, "", "0.5"},
		{"de", -0.04, 1, "ms", "0,0 ms"}, // never "-0", as Value
	} {
		if got := ValueIn(cat.Get(c.lang), c.v, c.decimals, c.suffix); got != c.want {
			t.Errorf("%s: ValueIn(%v, %d, %q) = %q, want %q", c.lang, c.v, c.decimals, c.suffix, got, c.want)
		}
	}
}

// TestEnglishNumbersAsBefore: in English, and without a language, a
// chart's numbers are Value's, byte for byte (ungrouped: "1234.5 ms"),
// as the pages' golden files hold them.
func TestEnglishNumbersAsBefore(t *testing.T) {
	en := catalogue(t).Get("en")
	for _, v := range []float64{0, 1.5, -2.25, 1234.5, -1e15, 0.001} {
		for _, d := range []int{0, 1, 3} {
			want := Value(v, d, "ms")
			if got := ValueIn(en, v, d, "ms"); got != want {
				t.Errorf("ValueIn(en, %v, %d) = %q, want %q", v, d, got, want)
			}
			if got := ValueIn(nil, v, d, "ms"); got != want {
				t.Errorf("ValueIn(nil, %v, %d) = %q, want %q", v, d, got, want)
			}
		}
	}
	s := short(t, map[int]float64{1: 1234.5, 2: 2.25}, 0.25)
	s.Decimals = 1
	nolang := HTML(s)
	s.Lang = en
	if out := HTML(s); !strings.Contains(out, "1234.5 ms") || strings.Count(out, " ms") != strings.Count(nolang, " ms") {
		t.Errorf("English chart's numbers differ from the chart without a language:\n%s", out)
	}
}

func attrOf(n *html.Node, key string) string {
	v, _ := attr(n, key)
	return v
}
