package screen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
)

// leftover finds English a refusal's translation would keep if a pattern
// took a longer refusal for the shorter one it begins.
var leftover = regexp.MustCompile(`\b(group|is not)\b`)

// TestRefusalsTranslated: every listed refusal, and a refusal of every
// pattern as the domain writes it, reads in each language with its
// values kept and none of its English left; English is left as written.
func TestRefusalsTranslated(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	line := func(s string) string { return chars.CheckLine(s).Error() }
	samples := []struct {
		en   string
		keep []string // the values the translation keeps
	}{
		{"name " + line("a\tb"), []string{"name", "U+0009"}},
		{"name " + line("a\u2028b"), []string{"U+2028"}},
		{"name " + line("a\ab"), []string{"U+0007"}},
		{"name " + line("a\u202eb"), []string{"U+202E"}},
		{"name " + line("a\uffffb"), []string{"U+FFFF"}},
		{"custom_tweet is too long (maximum is 280 characters)", []string{"custom_tweet", "280"}},
		{"suffix must be at most 32 characters", []string{"32"}},
		{`time_zone "Mars/Olympus" is not a known IANA time zone`, []string{"Mars/Olympus"}},
		{"flap_window must be from 0 to 3600 seconds", []string{"3600"}},
		{"decimal_places must be from 0 to 6", []string{"6"}},
		{"name must be 1 to 100 characters", []string{"100"}},
		{"notifications_email_footer is too long (2100 characters; the maximum is 2000)", []string{"2100", "2000"}},
		{"language must be one of en, ar, de, es, fr, ja, pt-BR, or empty for the page's", []string{"en, ar, de, es, fr, ja, pt-BR"}},
		{"severities may have at most 100 entries", []string{"100"}},
		{"phone_number SMS notifications are not available for numbers in CU", []string{"CU"}},
		{`components "db\"x" is not a component`, []string{`"db\"x"`}},
		{`group_id "web" is not a component group`, []string{`"web"`}},
		{`components "Edge" is a group; groups cannot be nested`, []string{`"Edge"`}},
	}
	for _, r := range refusals {
		samples = append(samples, struct {
			en   string
			keep []string
		}{"field " + r.en, []string{"field"}})
	}
	for _, l := range cat.Langs() {
		for _, s := range samples {
			got := translateRefusals(l, s.en)
			if l.Code() == i18n.Source {
				if got != s.en {
					t.Errorf("en: %q became %q", s.en, got)
				}
				continue
			}
			_, english, _ := strings.Cut(s.en, " ")
			if strings.Contains(got, english) || strings.Contains(got, "⟦") {
				t.Errorf("%s: %q not translated: %q", l.Code(), s.en, got)
			}
			if english := leftover.FindString(got); english != "" {
				t.Errorf("%s: %q left %q: %q", l.Code(), s.en, english, got)
			}
			for _, v := range s.keep {
				if !strings.Contains(got, v) {
					t.Errorf("%s: %q lost %q: %q", l.Code(), s.en, v, got)
				}
			}
		}
	}
}
