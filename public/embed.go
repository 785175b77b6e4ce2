package public

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/gofiber/fiber/v2"
)

// embedScript serves the status embed's script.
type embedScript struct {
	cache        *cache
	settings     *settings.InForce
	cacheControl []byte
}

// embedScriptType is JavaScript's media type (RFC 9239).
const embedScriptType = "text/javascript; charset=utf-8"

// script serves the script other sites include, with the config baked
// in: one request fewer for every visitor of those sites, and no moment
// when the script runs with a config it has not fetched yet. It is
// rendered once per snapshot (so again after every change) and revalidated
// by ETag.
func (es *embedScript) script(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s, err := es.cache.get(ctx)
	if err != nil {
		return err
	}
	r, err := s.lazy("embed/script.js", func() (*web.Resource, error) {
		e, err := es.settings.Embed(ctx)
		if err != nil {
			return nil, err
		}
		body, err := renderEmbedScript(e, s.lang)
		if err != nil {
			return nil, err
		}
		return web.NewResource(body), nil
	})
	if err != nil {
		return err
	}
	h := &c.Response().Header
	web.AllowAnyOrigin(c)
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	// Hosts that isolate themselves (Cross-Origin-Embedder-Policy) load
	// only scripts that say they may be embedded anywhere.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	return r.Send(c, embedScriptType, es.cacheControl)
}

// The placeholders of the script that the server fills: the config at
// its end (Statuspage's fields alone, as the API gives them), the
// notice's own words near its start.
const (
	embedConfigMark = "{/*config*/}"
	embedWordsMark  = "{/*words*/}"
)

// embedWords are the notice's own words, which the script chooses from
// by the including site's language (see its head, "Languages").
type embedWords struct {
	// Lang and Dir are the status page's default language and its
	// direction: the language staff write incidents in.
	Lang string `json:"lang"`
	Dir  string `json:"dir"`
	// Dismiss is the close button's name, by language code.
	Dismiss map[string]string `json:"dismiss"`
}

// renderEmbedScript returns the script with e and the words of every
// language in place of its placeholders, def the page's default
// language. encoding/json escapes <, > and & and the line separators
// JavaScript once refused, though the validated values hold none.
func renderEmbedScript(e settings.Embed, def *i18n.Lang) ([]byte, error) {
	words := embedWords{Lang: def.Code(), Dir: def.Dir(), Dismiss: map[string]string{}}
	for _, l := range def.Catalogue().Langs() {
		words.Dismiss[l.Code()] = l.T("embed.dismiss")
	}
	out := embedScriptSource
	for _, fill := range []struct {
		mark string
		v    any
	}{{embedConfigMark, e}, {embedWordsMark, words}} {
		if strings.Count(out, fill.mark) != 1 {
			return nil, fmt.Errorf("embed script: want one %s placeholder", fill.mark)
		}
		js, err := json.Marshal(fill.v)
		if err != nil {
			return nil, fmt.Errorf("embed script: %w", err)
		}
		out = strings.Replace(out, fill.mark, string(js), 1)
	}
	return []byte(out), nil
}
