// Package i18ntest helps tests check a page or message rendered in a
// language: no missing-translation marker, no template hole, and no
// English left in a language that is not English.
package i18ntest

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/beacon-status/beacon/internal/i18n"
)

// The catalogue tables each surface draws its words from. NoLeak looks
// for English of those tables only: a page's sample incident about a "DNS
// provider migration" is staff's text, not the console's "provider" left
// untranslated.
var (
	// Pages are the public pages, feeds, badge and sign-up screens.
	Pages = []string{"page", "report", "feed", "badge", "chart", "calendar", "signup", "status", "duration", "list"}
	// Messages are emails, SMS and chat messages.
	Messages = []string{"email", "sms", "chat", "status", "duration", "list"}
	// Console is the staff console.
	Console = []string{"console", "admin", "status", "duration", "list"}
)

// action is a template action in a message: what is left between them is
// the text a translator wrote.
var action = regexp.MustCompile(`\{\{.*?\}\}`)

// address is a link or an email address in a body: its words are paths
// and names, never translated.
var address = regexp.MustCompile(`(https?|mailto):[^\s"<>]*|[^\s"<>@()（）]+@[^\s"<>()（）]+`)

// NoLeak fails t when body, rendered in lang, holds a missing-translation
// marker (i18n.Missing), "<no value>" (a template hole), or — when lang is
// not English — English text of the catalogue tables named (all of them
// when tables is nil), or an English month name, that the language writes
// otherwise. English counts when it is a run of two words and eight
// letters or more, or one word of six letters or more that the language
// uses nowhere in its own catalogue ("Maintenance", "Webhook" are French
// too), found whole (not inside a longer word), as written or as HTML
// escapes it, outside links and email addresses. Proper names and values
// the body may hold in English go in allow. Give it what a person reads
// (Readable, JSONText): markup's attribute names and values are not words.
func NoLeak(t testing.TB, lang *i18n.Lang, tables []string, body string, allow ...string) {
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
	body = address.ReplaceAllString(body, " ")
	own := map[string][]string{}
	var all strings.Builder
	for id, text := range lang.Texts() {
		own[id] = append(own[id], text)
		all.WriteString(text)
		all.WriteByte('\n')
	}
	everywhere := all.String()
	// Month names of five letters or more: "May" may well be a word of
	// staff text.
	for m := time.January; m <= time.December; m++ {
		if name := en.Month(m); name != lang.Month(m) && len(name) >= 5 && !slices.Contains(allow, name) {
			if i := wordIndex(body, name); i >= 0 {
				t.Errorf("%s: English month %q in the body: %s", lang.Code(), name, around(body, i))
			}
		}
	}
	seen := map[string]bool{}
	for id, text := range en.Texts() {
		if tables != nil && !slices.Contains(tables, table(id)) {
			continue
		}
		for _, frag := range action.Split(text, -1) {
			frag = strings.TrimSpace(frag)
			if seen[frag] || slices.Contains(allow, frag) || sharedWith(own[id], frag) {
				continue
			}
			words := strings.Fields(frag)
			switch {
			case len(words) >= 2 && letters(frag) >= 8:
			case len(words) == 1 && letters(frag) >= 6 && wordIndex(everywhere, frag) < 0:
			default:
				continue
			}
			seen[frag] = true
			for _, form := range []string{frag, html.EscapeString(frag)} {
				if i := wordIndex(body, form); i >= 0 {
					t.Errorf("%s: English %q (%s) in the body: %s", lang.Code(), frag, id, around(body, i))
					break
				}
			}
		}
	}
}

// Readable is what a person reads of an HTML document or fragment: its
// text outside script and style, and the attributes a browser shows or
// reads out (title, alt, aria-label, placeholder, a meta's content), one
// per line.
func Readable(t testing.TB, body []byte) string {
	t.Helper()
	doc, err := xhtml.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.TextNode:
			b.WriteString(n.Data)
			b.WriteByte('\n')
		case xhtml.ElementNode:
			if n.Data == "script" || n.Data == "style" {
				return
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "title", a.Key == "alt", a.Key == "aria-label", a.Key == "placeholder",
					a.Key == "content" && n.Data == "meta":
					b.WriteString(a.Val)
					b.WriteByte('\n')
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return b.String()
}

// JSONText is every string value of a JSON document (not its keys), one
// per line: the words of a chat message's payload.
func JSONText(t testing.TB, body []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("reading the JSON: %v", err)
	}
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v)
			b.WriteByte('\n')
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

// table is the first part of a message id: "page" for "page.back_to".
func table(id string) string {
	t, _, _ := strings.Cut(id, ".")
	return t
}

// letters counts the letters of s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// wordIndex is the first index of word in s where it stands whole: no
// letter or digit right before or after it. -1 when there is none.
func wordIndex(s, word string) int {
	for from := 0; ; {
		i := strings.Index(s[from:], word)
		if i < 0 {
			return -1
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(word):])
		if !wordRune(before) && !wordRune(after) {
			return i
		}
		from = i + 1
	}
}

func wordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// sharedWith reports whether the language writes frag itself for the
// same message.
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
	for from > 0 && !utf8.RuneStart(body[from]) {
		from--
	}
	for to < len(body) && !utf8.RuneStart(body[to]) {
		to++
	}
	return strings.Join(strings.Fields(body[from:to]), " ")
}
