package public

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// accentCSS serves a page's accent colour as a stylesheet
// (/static/accent/0a6b5e.css), so that the public pages carry no inline
// style and their Content-Security-Policy needs no 'unsafe-inline'. The
// colour is the path itself and the answer depends on nothing else: it is
// cached for a year, and a new colour is a new address.
func accentCSS(c *fiber.Ctx) error {
	hex := c.Params("hex")
	if len(hex) != 6 || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.SendString(":root{--brand:#" + strings.ToLower(hex) + "}\n")
}
