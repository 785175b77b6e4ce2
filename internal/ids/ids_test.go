package ids

import (
	"slices"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	if got := Quote("abcdefghjkmn"); got != `"abcdefghjkmn"` {
		t.Errorf("Quote of an id = %s", got)
	}
	long := strings.Repeat("é", 5000)
	got := Quote(long)
	if len(got) > 4*Length+8 || !strings.HasSuffix(got, `…"`) || !strings.HasPrefix(got, `"é`) {
		t.Errorf("Quote of 10,000 bytes = %s (%d bytes), want it cut short", got, len(got))
	}
}

func TestOrEmpty(t *testing.T) {
	got := EachOrEmpty([]string{"abcdefghjkmn", "a\x00cdefghjkmn", "\xff", ""})
	if want := []string{"abcdefghjkmn", "", "", ""}; !slices.Equal(got, want) {
		t.Errorf("EachOrEmpty = %q, want %q", got, want)
	}
}
