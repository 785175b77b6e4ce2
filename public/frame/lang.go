package frame

import (
	"bytes"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
)

// LangCookie remembers the language a visitor picked with ?lang=.
const LangCookie = "beacon_lang"

// langCookieAge is how long a visitor's pick is remembered.
const langCookieAge = 365 * 24 * time.Hour

// Languages chooses the language a public page is read in.
type Languages struct {
	Chooser *i18n.Chooser
	// Cookies sets LangCookie (Secure when the site is reached over
	// HTTPS).
	Cookies web.Cookies
}

// Choose returns the language a request asks for: ?lang=, then the
// LangCookie cookie, then the best match of Accept-Language; def (the
// page's default) when none names or matches one of the catalogue's. It
// reads the request without copying it: the / fast path calls it.
func (ls Languages) Choose(c *fiber.Ctx, def *i18n.Lang) *i18n.Lang {
	query, cookie, accept := asks(c)
	return ls.Chooser.Choose(query, cookie, accept, def)
}

// asks returns what a request says of its language: ?lang=, the
// LangCookie cookie and Accept-Language, read without copying.
func asks(c *fiber.Ctx) (query, cookie, acceptLanguage []byte) {
	req := c.Request()
	return req.URI().QueryArgs().Peek("lang"), req.Header.Cookie(LangCookie), req.Header.Peek(fiber.HeaderAcceptLanguage)
}

// Asked reports whether the request names or matches a language of the
// catalogue (?lang=, the cookie, Accept-Language), rather than reading
// the page's default for want of one.
func (ls Languages) Asked(c *fiber.Ctx) bool {
	_, ok := ls.Chooser.Asked(asks(c))
	return ok
}

// Remember sets the LangCookie cookie to lang when the request picked it
// with ?lang= and the cookie holds another, and reports whether it did:
// such a response is for this visitor only (Cache-Control: private), as
// it sets a cookie.
func (ls Languages) Remember(c *fiber.Ctx, lang *i18n.Lang) bool {
	req := c.Request()
	q := req.URI().QueryArgs().Peek("lang")
	if len(q) == 0 || bytes.Equal(req.Header.Cookie(LangCookie), []byte(lang.Code())) {
		return false
	}
	if l, ok := lang.Catalogue().Lookup(string(q)); !ok || l != lang {
		return false
	}
	ls.Cookies.Set(c, LangCookie, lang.Code(), langCookieAge)
	return true
}

// Vary is the Vary header of a page whose language the request chooses.
var Vary = []byte("Accept-Encoding, Accept-Language, Cookie")

var (
	hdrVary            = []byte(fiber.HeaderVary)
	hdrCacheControl    = []byte(fiber.HeaderCacheControl)
	hdrContentLanguage = []byte(fiber.HeaderContentLanguage)
	private            = []byte("private")
)

// Headers says what a page in lang varies by and is written in, after
// web.Resource.Send (whose Vary it replaces), and makes the response
// private when remembered (Remember) set a cookie. The names are given
// canonical: Set would normalise Content-Language's on every request, a
// tenth of the time "/" takes once rendered (BenchmarkIndexDefault).
func Headers(c *fiber.Ctx, lang *i18n.Lang, remembered bool) {
	h := &c.Response().Header
	h.SetCanonical(hdrVary, Vary)
	h.SetCanonical(hdrContentLanguage, []byte(lang.Code())) // copied: no allocation
	if remembered {
		h.SetCanonical(hdrCacheControl, private)
	}
}

// LangLink is one language of a page's picker.
type LangLink struct {
	Code, Name, URL string
	Current         bool
}

// Picker lists every language of cur's catalogue as a link to the same
// page in it, cur marked. query is the page's own query, encoded and
// without lang ("page=2&component=api"; "" for none): the links keep it
// and add lang, relative to the page's path ("?page=2&component=api&lang=de"),
// so that one cached body serves its page at any address.
func Picker(cur *i18n.Lang, query string) []LangLink {
	prefix := "?lang="
	if query != "" {
		prefix = "?" + query + "&lang="
	}
	langs := cur.Catalogue().Langs()
	out := make([]LangLink, len(langs))
	for i, l := range langs {
		out[i] = LangLink{Code: l.Code(), Name: l.Name(), URL: prefix + l.Code(), Current: l == cur}
	}
	return out
}

// QueryWithoutLang is the query of c's request less its lang: what the
// picker of a page rendered for one request keeps (Picker).
func QueryWithoutLang(c *fiber.Ctx) string {
	args := c.Request().URI().QueryArgs()
	if args.Len() == 0 {
		return ""
	}
	var q fasthttp.Args
	args.CopyTo(&q)
	q.Del("lang")
	return string(q.QueryString())
}
