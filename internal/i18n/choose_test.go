package i18n

import (
	"fmt"
	"testing"
)

func TestChoose(t *testing.T) {
	c := mustLoad(t)
	ch := NewChooser(c)
	de := c.Get("de")
	tests := []struct {
		name                  string
		query, cookie, header string
		def                   *Lang
		want                  string
	}{
		{"nothing: the page's default", "", "", "", de, "de"},
		{"query", "ja", "fr", "es", de, "ja"},
		{"query in another case", "pt-br", "", "", de, "pt-BR"},
		{"unknown query: the cookie", "xx", "fr", "es", de, "fr"},
		{"cookie over header", "", "fr", "es", de, "fr"},
		{"unknown cookie: the header", "", "klingon", "es", de, "es"},
		{"header best match", "", "", "de-CH, en;q=0.8", c.Default(), "de"},
		{"header weights", "", "", "de;q=0.5, ja;q=0.9", c.Default(), "ja"},
		{"pt is Brazilian Portuguese", "", "", "pt", c.Default(), "pt-BR"},
		{"pt-PT falls to pt-BR", "", "", "pt-PT", c.Default(), "pt-BR"},
		{"en-GB is English", "", "", "en-GB", de, "en"},
		{"Latin American Spanish", "", "", "es-419", c.Default(), "es"},
		{"Egyptian Arabic", "", "", "ar-EG,ar;q=0.9", c.Default(), "ar"},
		{"no language we have: the default", "", "", "zh-CN, zh;q=0.9", de, "de"},
		{"any language: the default", "", "", "*", de, "de"},
		{"junk header: the default", "", "", "en;q=x;;;,\x00", de, "de"},
		{"second choice we have", "", "", "zh, fr;q=0.5", de, "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second answer comes from the memo.
			for range 2 {
				got := ch.Choose([]byte(tt.query), []byte(tt.cookie), []byte(tt.header), tt.def)
				if got.Code() != tt.want {
					t.Fatalf("Choose(%q, %q, %q, %s) = %s, want %s", tt.query, tt.cookie, tt.header, tt.def.Code(), got.Code(), tt.want)
				}
			}
		})
	}
}

// The memo of headers stops growing at maxMemo; headers past it are
// still matched.
func TestChooseMemoBounded(t *testing.T) {
	c := mustLoad(t)
	ch := NewChooser(c)
	for i := range maxMemo + 50 {
		h := fmt.Sprintf("de-x-n%d", i)
		if l, ok := ch.Match([]byte(h)); !ok || l.Code() != "de" {
			t.Fatalf("Match(%q) = %v, %v; want de", h, l, ok)
		}
	}
	if n := len(*ch.memo.Load()); n > maxMemo {
		t.Errorf("memo holds %d headers, want at most %d", n, maxMemo)
	}
	// A browser's header after a flood of new ones is remembered again.
	header := []byte("fr-CA,fr;q=0.9")
	ch.Match(header)
	if n := testing.AllocsPerRun(10, func() { ch.Match(header) }); n != 0 {
		t.Errorf("Match allocates %v times for a header seen after %d others, want 0", n, maxMemo+50)
	}
}

// A repeated header costs no allocation.
func TestChooseRepeatedHeaderAllocs(t *testing.T) {
	c := mustLoad(t)
	ch := NewChooser(c)
	header := []byte("de-DE,de;q=0.9,en;q=0.8")
	ch.Choose(nil, nil, header, c.Default())
	if n := testing.AllocsPerRun(100, func() { ch.Choose(nil, nil, header, c.Default()) }); n != 0 {
		t.Errorf("Choose allocates %v times for a header it has seen, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { ch.Choose([]byte("fr"), nil, nil, c.Default()) }); n != 0 {
		t.Errorf("Choose allocates %v times for ?lang=fr, want 0", n)
	}
}

func BenchmarkChoose(b *testing.B) {
	c, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	ch := NewChooser(c)
	header := []byte("de-DE,de;q=0.9,en;q=0.8")
	for b.Loop() {
		ch.Choose(nil, nil, header, c.Default())
	}
}
