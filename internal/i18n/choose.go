package i18n

import (
	"maps"
	"sync/atomic"

	"golang.org/x/text/language"
)

// Chooser picks the language a visitor reads a page in.
type Chooser struct {
	cat     *Catalogue
	matcher language.Matcher
	// memo holds the language each Accept-Language header seen matched
	// (nil for none), so that a browser's repeated header costs one map
	// lookup. It is copied on write and bounded by maxMemo.
	memo atomic.Pointer[map[string]*Lang]
}

// maxMemo bounds the headers Chooser remembers. Browsers send few
// distinct values; a client sending a new one per request must not grow
// memory, nor fill the memo for good: a header that finds it full starts
// it again, and the browsers' headers return to it on their next request.
const maxMemo = 256

// NewChooser returns a Chooser among cat's languages.
func NewChooser(cat *Catalogue) *Chooser {
	tags := make([]language.Tag, len(cat.langs))
	for i, l := range cat.langs {
		tags[i] = l.tag
	}
	ch := &Chooser{cat: cat, matcher: language.NewMatcher(tags)}
	ch.memo.Store(&map[string]*Lang{})
	return ch
}

// Choose returns the language asked for by, in order: query (the ?lang=
// parameter), cookie (the remembered choice), then the best match of
// acceptLanguage (the header) among the catalogue's languages; def when
// none of them names or matches one. Unknown codes and malformed headers
// are ignored. The arguments are the raw bytes of a request, read
// without copying.
func (ch *Chooser) Choose(query, cookie, acceptLanguage []byte, def *Lang) *Lang {
	if l, ok := ch.Asked(query, cookie, acceptLanguage); ok {
		return l
	}
	return def
}

// Asked returns the language query, cookie or acceptLanguage ask for, as
// Choose reads them, and false when none names or matches one: the
// visitor would read the default.
func (ch *Chooser) Asked(query, cookie, acceptLanguage []byte) (*Lang, bool) {
	if l, ok := ch.lookup(query); ok {
		return l, true
	}
	if l, ok := ch.lookup(cookie); ok {
		return l, true
	}
	return ch.Match(acceptLanguage)
}

func (ch *Chooser) lookup(code []byte) (*Lang, bool) {
	if len(code) == 0 {
		return nil, false
	}
	if l, ok := ch.cat.byCode[string(code)]; ok { // no copy: a map index
		return l, true
	}
	return ch.cat.Lookup(string(code))
}

// Match returns the catalogue's language that best matches an
// Accept-Language header ("de-CH, en;q=0.8" gives German; "pt" gives
// pt-BR, "en-GB" English), and whether one matched at all.
func (ch *Chooser) Match(acceptLanguage []byte) (*Lang, bool) {
	if len(acceptLanguage) == 0 {
		return nil, false
	}
	memo := *ch.memo.Load()
	if l, ok := memo[string(acceptLanguage)]; ok {
		return l, l != nil
	}
	header := string(acceptLanguage)
	var l *Lang
	if tags, _, err := language.ParseAcceptLanguage(header); err == nil && len(tags) > 0 {
		if _, i, conf := ch.matcher.Match(tags...); conf >= language.Low {
			l = ch.cat.langs[i]
		}
	}
	next := map[string]*Lang{}
	if len(memo) < maxMemo {
		next = maps.Clone(memo)
	}
	next[header] = l
	// Another request may have stored meanwhile: losing its entry costs
	// one more match later, not a wrong answer.
	ch.memo.Store(&next)
	return l, l != nil
}
