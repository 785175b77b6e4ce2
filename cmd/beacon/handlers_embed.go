package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/public"
)

// --- the embed script (public) ---

// embedScriptType is JavaScript's media type (RFC 9239).
const embedScriptType = "text/javascript; charset=utf-8"

// embedScript serves the script other sites include, with the config baked
// in: one request fewer for every visitor of those sites, and no moment
// when the script runs with a config it has not fetched yet. It is
// rendered once per snapshot (so again after every change) and revalidated
// by ETag.
func (a *app) embedScript(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s, err := a.public.get(ctx)
	if err != nil {
		return err
	}
	r, err := s.lazy("embed/script.js", func() (*web.Resource, error) {
		e, err := a.settings.Embed(ctx)
		if err != nil {
			return nil, err
		}
		body, err := renderEmbedScript(e)
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
	return r.Send(c, embedScriptType, a.pageCache)
}

// embedConfigMark is the placeholder at the end of the script that the
// config replaces.
const embedConfigMark = "{/*config*/}"

// renderEmbedScript returns the script with e in place of its
// placeholder. encoding/json escapes <, > and & and the line separators
// JavaScript once refused, though the validated values hold none.
func renderEmbedScript(e settings.Embed) ([]byte, error) {
	if strings.Count(public.EmbedScript, embedConfigMark) != 1 {
		return nil, fmt.Errorf("embed script: want one %s placeholder", embedConfigMark)
	}
	cfg, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("embed script: %w", err)
	}
	return []byte(strings.Replace(public.EmbedScript, embedConfigMark, string(cfg), 1)), nil
}
