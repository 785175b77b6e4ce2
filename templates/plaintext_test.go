package templates_test

import (
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/templates"
)

// TestPlainText checks that Markdown written by staff reads as plain text
// in an email's text part: no marks left, links with their address, lists
// and quotes kept, raw HTML and dangerous addresses dropped.
func TestPlainText(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"emphasis", "We are **investigating** _elevated_ ~~errors~~ in `api`.", "We are investigating elevated errors in api."},
		{"link", "See [the changelog](https://example.com/changes) for details.", "See the changelog (https://example.com/changes) for details."},
		{"link that is its address", "[https://example.com](https://example.com)", "https://example.com"},
		{"autolink", "Status at https://example.com/x now.", "Status at https://example.com/x now."},
		{"javascript link", "[click](javascript:alert(1))", "click"},
		{"escapes and entities", `1 \* 2 &amp; 3 &lt;x&gt; &#65;`, "1 * 2 & 3 <x> A"},
		{"paragraphs", "First line\nsame paragraph.\n\n\nSecond.", "First line\nsame paragraph.\n\nSecond."},
		{"hard break", "One  \nTwo", "One\nTwo"},
		{"tight list", "Affected:\n\n* API\n* **Web**\n  * CDN", "Affected:\n\n- API\n- Web\n  - CDN"},
		{"ordered list", "3. roll back\n4. verify", "3. roll back\n4. verify"},
		{"heading and quote", "## Cause\n\n> a bad\n> deploy", "Cause\n\n> a bad\n> deploy"},
		{"quote of two paragraphs", "> one\n>\n> two", "> one\n>\n> two"},
		{"code block", "```\nsystemctl restart x\n```", "    systemctl restart x"},
		{"raw html", "<script>alert(1)</script>\n\nhi <b>there</b>", "hi there"},
		{"control characters", "a\x07b &#1;c", "ab c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzPlainText checks that whatever a body holds, its plain text has no
// character chars.Clean removes and no CR (a line break is "\n").
func FuzzPlainText(f *testing.F) {
	s, err := templates.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"one\r\ntwo", "a &#1; b `&#x1b;` \u0085", "> q\r\n>\r\n- x\r\n  - y", "[a](javascript:x) <b>c</b>", "```\r\nx\r\n```"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got := s.PlainText(src)
		if chars.Clean(got) != got || strings.Contains(got, "\r") {
			t.Errorf("PlainText(%q) = %q holds a CR or characters Clean removes", src, got)
		}
	})
}
