package i18ntest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/i18n/i18ntest"
)

// recorder is a testing.TB that keeps what NoLeak reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestNoLeak(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	de, fr, en := cat.Get("de"), cat.Get("fr"), cat.Default()
	tests := []struct {
		name   string
		lang   *i18n.Lang
		tables []string
		body   string
		allow  []string
		want   []string // each reported error holds one of these, in order
	}{
		{"German page", de, nil, "<h1>Alle Systeme betriebsbereit</h1><p>API: Teilweiser Ausfall, Webhook</p>", nil, nil},
		{"English status left", de, nil, "<h1>Alle Systeme betriebsbereit</h1><p>API: Partial Outage</p>", nil, []string{`"Partial Outage"`}},
		{"one long English word", de, nil, "<span>Investigating</span>", nil, []string{`"Investigating"`}},
		{"allowed proper name", de, nil, "<p>Degraded Performance Ltd</p>", []string{"Degraded Performance"}, nil},
		{"a word French shares", fr, nil, "<p>Maintenance</p><p>Webhook</p>", nil, nil},
		{"marker", de, nil, "<p>⟦page.title⟧</p>", nil, []string{`"⟦"`}},
		{"template hole", de, nil, "<p>1 Std. <no value> Min.</p>", nil, []string{`"<no value>"`}},
		{"English page may be English", en, nil, "<h1>All Systems Operational</h1>", nil, nil},
		{"English page with a marker", en, nil, "<h1>⟦x⟧</h1>", nil, []string{`"⟦"`}},
		{"short English words pass", de, nil, "<p>SMS, h, min</p>", nil, nil},
		{"English month", de, nil, "<p>10. March 2026</p>", nil, []string{`"March"`}},
		{"month German writes alike", de, nil, "<p>10. August 2026</p>", nil, nil},
		{"a word inside a longer one", de, nil, "<p>Investigatingly</p>", nil, nil},
		{"a word in a link", de, nil, "https://status.example.com/incidents/x", nil, nil},
		{"a whole word", de, nil, "<p>Zeta: Investigating.</p>", nil, []string{`"Investigating"`}},
		{"a word in an email address", de, nil, "<p>Rolle von responder-fixture@example.com</p>", nil, nil},
		{"two short words", de, nil, "<p>We are on the API</p>", nil, nil},
		{"another surface's English", de, i18ntest.Pages, "<p>DNS provider migration</p>", nil, nil},
		{"this surface's English", de, i18ntest.Pages, "<p>API: Partial Outage</p>", nil, []string{`"Partial Outage"`}},
		{"every surface", de, nil, "<p>DNS provider migration</p>", nil, []string{`"provider"`}},
		{"a word the language uses elsewhere", fr, i18ntest.Pages, "<p>Calendrier de maintenance</p>", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			i18ntest.NoLeak(r, tt.lang, tt.tables, tt.body, tt.allow...)
			if len(r.errors) != len(tt.want) {
				t.Fatalf("NoLeak reported %q, want %d errors holding %q", r.errors, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(r.errors[i], w) {
					t.Errorf("error %q does not name %s", r.errors[i], w)
				}
			}
		})
	}
}
