package templates_test

import (
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/templates"
)

// TestMarkdownDropsControlCharacters: whatever a body holds, raw or as a
// character reference, the HTML has no control character, noncharacter or
// stray byte (each an HTML parse error, and fatal in a feed's CDATA).
func TestMarkdownDropsControlCharacters(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, want string
	}{
		{"raw C0", "a\u0001b\u001b[31mc\u0000d", "<p>ab[31mcd</p>\n"},
		{"raw DEL and C1", "a\u007fb\u0085c", "<p>abc</p>\n"},
		{"raw noncharacter", "a\ufffeb", "<p>ab</p>\n"},
		{"invalid UTF-8", "a\xffb", "<p>ab</p>\n"},
		{"decimal reference", "a &#1; b", "<p>a  b</p>\n"},
		{"hex reference", "a &#x1b; b &#x85; c &#xFFFE; d", "<p>a  b  c  d</p>\n"},
		{"CDATA text", "]]> <![CDATA[ x", "<p>]]&gt; &lt;![CDATA[ x</p>\n"},
		{"reference in code is text", "`&#1;`", "<p><code>&amp;#1;</code></p>\n"},
		{"CRLF", "one\r\ntwo", "<p>one\ntwo</p>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(s.Markdown(tc.src))
			if got != tc.want {
				t.Errorf("Markdown(%q): got %q, want %q", tc.src, got, tc.want)
			}
			if clean := chars.Clean(got); clean != got {
				t.Errorf("Markdown(%q) = %q holds characters Clean removes", tc.src, got)
			}
			if strings.Contains(got, "\r") {
				t.Errorf("Markdown(%q) = %q holds a CR", tc.src, got)
			}
		})
	}
}
