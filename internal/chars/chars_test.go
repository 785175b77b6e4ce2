package chars

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line string // part of CheckLine's error; "" means accepted
		text string // part of CheckText's error; "" means accepted
	}{
		{"plain", "API and website", "", ""},
		{"unicode", "Ünïcødé ✓ 日本語 🚀 مرحبا", "", ""},
		{"combining marks", "z\u0301\u0302a\u0304", "", ""},
		{"replacement character", "a\ufffdb", "", ""},
		{"private use and astral", "\ue000 \U0001F680 \U0010FFFD", "", ""},
		{"bidi marks", "abc\u200fdef\u200e\u061c", "", ""},
		{"zero width space and BOM", "a\u200bb\ufeff", "", ""},
		{"tab", "a\tb", "single line", ""},
		{"LF", "a\nb", "single line", ""},
		{"CRLF", "a\r\nb", "single line", ""},
		{"line separator", "a\u2028b", "single line", ""},
		{"NUL", "a\x00b", "U+0000", "U+0000"},
		{"SOH", "a\u0001b", "U+0001", "U+0001"},
		{"escape sequence", "\u001b[31mred", "U+001B", "U+001B"},
		{"vertical tab", "a\vb", "control", "control"},
		{"form feed", "a\fb", "control", "control"},
		{"DEL", "a\u007fb", "U+007F", "U+007F"},
		{"NEL", "a\u0085b", "U+0085", "U+0085"},
		{"C1 last", "a\u009fb", "U+009F", "U+009F"},
		{"U+FFFE", "a\ufffeb", "U+FFFE", "U+FFFE"},
		{"U+FFFF", "a\uffffb", "U+FFFF", "U+FFFF"},
		{"U+FDD0", "a\ufdd0b", "noncharacter", "noncharacter"},
		{"plane 16 noncharacter", "a\U0010FFFFb", "U+10FFFF", "U+10FFFF"},
		{"right-to-left override", "\u202egnp.exe", "U+202E", ""},
		{"left-to-right embedding", "a\u202ab", "bidirectional", ""},
		{"first strong isolate", "a\u2068b", "bidirectional", ""},
		{"invalid UTF-8", "a\xffb", "UTF-8", "UTF-8"},
		{"surrogate in UTF-8", "a\xed\xa0\x80b", "UTF-8", "UTF-8"},
		{"truncated sequence", "a\xe2\x82", "UTF-8", "UTF-8"},
		{"entity text", "&#1; &#x1b; ]]> <![CDATA[", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				fn   func(string) error
				name string
				want string
			}{{CheckLine, "CheckLine", tc.line}, {CheckText, "CheckText", tc.text}} {
				err := c.fn(tc.in)
				switch {
				case c.want == "" && err != nil:
					t.Errorf("%s(%q): got %v, want nil", c.name, tc.in, err)
				case c.want != "" && err == nil:
					t.Errorf("%s(%q): got nil, want an error mentioning %q", c.name, tc.in, c.want)
				case c.want != "" && !strings.Contains(err.Error(), c.want):
					t.Errorf("%s(%q): got %q, want it to mention %q", c.name, tc.in, err, c.want)
				}
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "We are investigating.", "We are investigating.", "We are investigating."},
		{"tab and LF kept", "a\tb\nc", "a\tb\nc", "a b c"},
		{"CRLF", "a\r\nb\r\n", "a\nb\n", "a b "},
		{"lone CR", "a\rb", "a\nb", "a b"},
		{"CR CR LF", "a\r\r\nb", "a\n\nb", "a  b"},
		{"C0 removed", "a\x00b\x01c\x1bd", "abcd", "abcd"},
		{"ANSI colour", "\u001b[31mred\u001b[0m", "[31mred[0m", "[31mred[0m"},
		{"DEL and C1", "a\x7fb\u0085c\u009fd", "abcd", "abcd"},
		{"noncharacters", "a\ufffeb\uffffc\ufdd0d\U0001FFFEe", "abcde", "abcde"},
		{"invalid UTF-8", "a\xffb\xed\xa0\x80c", "abc", "abc"},
		{"bidi override", "a\u202eb\u2066c", "a\u202eb\u2066c", "abc"},
		{"line separator", "a\u2028b", "a\u2028b", "a b"},
		{"kept as written", "]]> <![CDATA[ &#1; 🚀", "]]> <![CDATA[ &#1; 🚀", "]]> <![CDATA[ &#1; 🚀"},
		{"only controls", "\x01\x02", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.text {
				t.Errorf("Clean(%q): got %q, want %q", tc.in, got, tc.text)
			}
			if got := string(CleanBytes([]byte(tc.in))); got != tc.text {
				t.Errorf("CleanBytes(%q): got %q, want %q", tc.in, got, tc.text)
			}
			if got := CleanLine(tc.in); got != tc.line {
				t.Errorf("CleanLine(%q): got %q, want %q", tc.in, got, tc.line)
			}
			if err := CheckText(Clean(tc.in)); err != nil {
				t.Errorf("CheckText(Clean(%q)): %v", tc.in, err)
			}
			if err := CheckLine(CleanLine(tc.in)); err != nil {
				t.Errorf("CheckLine(CleanLine(%q)): %v", tc.in, err)
			}
		})
	}
}

// TestCleanIsXMLAndHTML walks every code point (and stray bytes) through
// Clean and checks that what is left is an XML 1.0 Char and no HTML parse
// error: the promise the feeds and pages rely on.
func TestCleanIsXMLAndHTML(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue // not encodable; stray bytes below stand in for them
		}
		all.WriteRune(r)
	}
	all.WriteString("\xed\xa0\x80\xff\xc0\x80")
	got := Clean(all.String())
	if !utf8.ValidString(got) {
		t.Fatal("Clean left invalid UTF-8")
	}
	for _, r := range got {
		xmlChar := r == 0x9 || r == 0xa || r == 0xd || r >= 0x20 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
		if !xmlChar || r == '\r' {
			t.Errorf("%U survived Clean: not an XML Char", r)
		}
		htmlError := r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f || r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe
		if htmlError {
			t.Errorf("%U survived Clean: an HTML parse error", r)
		}
	}
	// Removed: C0 but tab, LF and CR (which became LF), DEL and C1, and
	// the 66 noncharacters.
	if want := 0x110000 - 0x800 - 29 - 33 - 66; utf8.RuneCountInString(got) != want {
		t.Errorf("Clean kept %d code points, want %d", utf8.RuneCountInString(got), want)
	}
	// And a strict XML parser reads it back in an element.
	var doc bytes.Buffer
	doc.WriteString("<a>")
	if err := xml.EscapeText(&doc, []byte(got)); err != nil {
		t.Fatal(err)
	}
	doc.WriteString("</a>")
	d := xml.NewDecoder(&doc)
	var text []byte
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("strict XML decoder: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text = append(text, cd...)
		}
	}
	if string(text) != got {
		t.Error("the XML read back differs from the cleaned text")
	}
}

// TestCleanUnchangedNoCopy checks the fast path: text that needs no
// change is returned as it is.
func TestCleanUnchangedNoCopy(t *testing.T) {
	b := []byte("<p>All systems operational — ✓</p>\n")
	if got := CleanBytes(b); &got[0] != &b[0] || len(got) != len(b) {
		t.Error("CleanBytes copied text that needed no change")
	}
	s := strings.Repeat("plain text ", 100)
	if n := testing.AllocsPerRun(100, func() { _ = Clean(s); _ = CleanLine(s) }); n != 0 {
		t.Errorf("Clean and CleanLine of clean text: %v allocations, want 0", n)
	}
}
