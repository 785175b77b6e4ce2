//go:build linux

package main

import (
	"slices"
	"testing"

	"github.com/beacon-status/beacon/internal/i18n"
)

func TestParseLanguages(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"1", []int{1}},
		{"1,7", []int{1, 7}},
		{" 7 , 1 ", []int{7, 1}},
		{"0", nil},
		{"8", nil},
		{"1,1", nil},
		{"one", nil},
		{"", nil},
	} {
		got, err := parseLanguages(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("parseLanguages(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseLanguages(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestSubscriberLanguage: n consecutive subscribers read n different
// languages, English first, and one language is English only.
func TestSubscriberLanguage(t *testing.T) {
	all := len(i18n.Codes())
	for _, n := range []int{1, 3, all} {
		seen := map[string]int{}
		for i := range 10 * n {
			seen[subscriberLanguage(i, n)]++
		}
		if len(seen) != n || seen[i18n.Source] != 10 {
			t.Errorf("%d languages: %v, want %d languages, English among them, 10 subscribers each", n, seen, n)
		}
		for code, c := range seen {
			if c != 10 {
				t.Errorf("%d languages: %s has %d subscribers of %d, want 10", n, code, c, 10*n)
			}
		}
	}
	if got := subscriberLanguage(0, all); got != i18n.Source {
		t.Errorf("the first subscriber reads %s, want %s", got, i18n.Source)
	}
}
