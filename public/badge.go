package public

import (
	"fmt"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/internal/web"
)

// textWidth estimates the width in pixels of s in 11 px Verdana, the font
// status badges use; close enough to size the boxes.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch {
		case r == ' ':
			w += 3.9
		case r >= 0x0600 && r <= 0x06FF: // Arabic
			w += 7
		case r >= 0x2E80: // CJK, kana
			w += 11
		case r == 'i' || r == 'l' || r == 'I' || r == 'j' || r == 't' || r == 'f' || r == 'r':
			w += 4.2
		case r == 'm' || r == 'w' || r == 'M' || r == 'W':
			w += 10.5
		case r >= 'A' && r <= 'Z':
			w += 7.6
		default:
			w += 6.9
		}
	}
	return int(w + 0.5)
}

// badge draws a README badge: "status" and the page's description in its
// indicator's colour, in lang.
func badge(st components.PageStatus, lang *i18n.Lang) []byte {
	label, msg := lang.T("badge.label"), lang.Enum("indicator", st.Description)
	lw, mw := textWidth(label)+12, textWidth(msg)+12
	color := palette.Indicator(st.Indicator)
	esc := template.HTMLEscapeString
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[3]s: %[4]s">`+
		`<title>%[3]s: %[4]s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%[1]d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%[2]d" height="20" fill="#555"/><rect x="%[2]d" width="%[5]d" height="20" fill="%[6]s"/><rect width="%[1]d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%[7]d" y="14">%[3]s</text><text x="%[8]d" y="14">%[4]s</text></g></svg>`,
		lw+mw, lw, esc(label), esc(msg), mw, color, lw/2, lw+mw/2))
}

func (p *pages) badgeSVG(c *fiber.Ctx) error {
	s, err := p.cache.get(c.UserContext())
	if err != nil {
		return err
	}
	r := s.badge
	if lang := p.queryLang(c, s); lang != s.lang {
		r, _ = s.lazy("badge:"+lang.Code(), func() (*web.Resource, error) { return web.NewResource(badge(s.status, lang)), nil })
	}
	return r.Send(c, "image/svg+xml; charset=utf-8", p.cacheControl)
}

// favicon draws the page's icon: a disc in the current indicator's colour
// (palette.Indicator, as the badge) with a white centre, so that a tab shows at a
// glance whether all is well. It is part of the snapshot, like the badge.
func favicon(st components.PageStatus) []byte {
	color := palette.Indicator(st.Indicator)
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
		`<circle cx="16" cy="16" r="15" fill="` + color + `"/><circle cx="16" cy="16" r="6" fill="#fff"/></svg>`)
}

// faviconSVG serves the icon at /favicon.svg, which every page links with
// its indicator in the query (a new colour is a new address, which the
// browser fetches), and at /favicon.ico, which browsers and feed readers
// ask for unprompted.
func (p *pages) faviconSVG(c *fiber.Ctx) error {
	s, err := p.cache.get(c.UserContext())
	if err != nil {
		return err
	}
	return s.favicon.Send(c, "image/svg+xml; charset=utf-8", p.cacheControl)
}
