package frame

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/i18n"
)

// LangCookie remembers the language a visitor picked with ?lang=.
const LangCookie = "beacon_lang"

// Languages chooses the language a public page is read in.
type Languages struct {
	Chooser *i18n.Chooser
}

// Choose returns the language a request asks for: ?lang=, then the
// LangCookie cookie, then the best match of Accept-Language; def (the
// page's default) when none names or matches one of the catalogue's. It
// reads the request without copying it: the / fast path calls it.
func (ls Languages) Choose(c *fiber.Ctx, def *i18n.Lang) *i18n.Lang {
	req := c.Request()
	return ls.Chooser.Choose(req.URI().QueryArgs().Peek("lang"), req.Header.Cookie(LangCookie),
		req.Header.Peek(fiber.HeaderAcceptLanguage), def)
}
