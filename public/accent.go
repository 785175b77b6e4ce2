package public

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/palette"
)

// accentCSS serves a page's accent colour as a stylesheet
// (/static/accent/0a6b5e.css), so that the public pages carry no inline
// style and their Content-Security-Policy needs no 'unsafe-inline'. It
// sets --brand, the colour as given, and --link, the colour links and
// buttons show in each scheme: palette.Readable's, which keeps text in it
// readable on that scheme's background (the emails use the same rule).
// The colour is the path itself and the answer depends on nothing else: it
// is cached for a year, and a new colour is a new address.
func accentCSS(c *fiber.Ctx) error {
	hex := "#" + strings.ToLower(c.Params("hex"))
	if !palette.Valid(hex) {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.SendString(":root{--brand:" + hex + ";--link:" + palette.Readable(hex, palette.LightBackground) + "}\n" +
		"@media (prefers-color-scheme: dark){:root{--link:" + palette.Readable(hex, palette.DarkSurface) + "}}\n")
}
