// Package i18ntest helps tests check a page or message rendered in a
// language: no missing-translation marker, no template hole, and no
// English left in a language that is not English.
package i18ntest

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/beacon-status/beacon/internal/i18n"
)

// action is a template action in a message: what is left between them is
// the text a translator wrote.
var action = regexp.MustCompile(`\{\{.*?\}\}`)

// NoLeak fails t when body, rendered in lang, holds a missing-translation
// marker (i18n.Missing), "<no value>" (a template hole), or — when lang is
// not English — any English text of the catalogue, or English month
// name, that the language writes otherwise: a run of two words or more, or one word of six
// letters or more, compared as written and as HTML escapes it. Proper
// names and API values the body may hold in English go in allow.
func NoLeak(t testing.TB, lang *i18n.Lang, body string, allow ...string) {
	t.Helper()
	for _, bad := range []string{"⟦", "<no value>"} {
		if i := strings.Index(body, bad); i >= 0 {
			t.Errorf("%s: %q in the body: %s", lang.Code(), bad, around(body, i))
		}
	}
	en := lang.Catalogue().Default()
	if lang == en {
		return
	}
	own := map[string][]string{}
	for id, text := range lang.Texts() {
		own[id] = append(own[id], text)
	}
	seen := map[string]bool{}
	// Month names of five letters or more: "May" may well be a word of
	// staff text.
	for m := time.January; m <= time.December; m++ {
		if name := en.Month(m); name != lang.Month(m) && len(name) >= 5 && !slices.Contains(allow, name) {
			if i := strings.Index(body, name); i >= 0 {
				t.Errorf("%s: English month %q in the body: %s", lang.Code(), name, around(body, i))
			}
		}
	}
	for id, text := range en.Texts() {
		for _, frag := range action.Split(text, -1) {
			frag = strings.TrimSpace(frag)
			if seen[frag] || !worthChecking(frag) || slices.Contains(allow, frag) || sharedWith(own[id], frag) {
				continue
			}
			seen[frag] = true
			for _, form := range []string{frag, html.EscapeString(frag)} {
				if i := strings.Index(body, form); i >= 0 {
					t.Errorf("%s: English %q (%s) in the body: %s", lang.Code(), frag, id, around(body, i))
					break
				}
			}
		}
	}
}

// worthChecking reports whether an English fragment is long enough to
// mean English was left: two words, or a word of six letters.
func worthChecking(frag string) bool {
	if len(strings.Fields(frag)) >= 2 {
		return true
	}
	letters := 0
	for _, r := range frag {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 6
}

// sharedWith reports whether the language writes frag itself for the
// same message ("Webhook", "Maintenance" in French).
func sharedWith(texts []string, frag string) bool {
	for _, t := range texts {
		if strings.Contains(t, frag) {
			return true
		}
	}
	return false
}

// around is the body near i, for a message that says where.
func around(body string, i int) string {
	from, to := max(i-60, 0), min(i+60, len(body))
	for from > 0 && !utf8Start(body[from]) {
		from--
	}
	for to < len(body) && !utf8Start(body[to]) {
		to++
	}
	return strings.Join(strings.Fields(body[from:to]), " ")
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
