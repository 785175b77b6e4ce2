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

// --- status embed config (management API) ---

// embedConfigJSON is Statuspage's StatusEmbedConfig object.
type embedConfigJSON struct {
	PageID string `json:"page_id"`
	settings.Embed
}

// embedConfigRequest is a change to the config; null or "" returns a
// field to its default.
type embedConfigRequest struct {
	Position                   web.Opt[string] `json:"position"`
	IncidentBackgroundColor    web.Opt[string] `json:"incident_background_color"`
	IncidentTextColor          web.Opt[string] `json:"incident_text_color"`
	MaintenanceBackgroundColor web.Opt[string] `json:"maintenance_background_color"`
	MaintenanceTextColor       web.Opt[string] `json:"maintenance_text_color"`
}

func (a *app) getEmbedConfig(c *fiber.Ctx) error {
	e, err := a.settings.Embed(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(embedConfigJSON{PageID: a.pageID, Embed: e})
}

// updateEmbedConfig answers PATCH and PUT alike, as Statuspage does: the
// fields given change, the others stay.
func (a *app) updateEmbedConfig(c *fiber.Ctx) error {
	var req embedConfigRequest
	if err := web.DecodeBody(c, "status_embed_config", &req); err != nil {
		return err
	}
	e, err := a.inForce.SaveEmbed(c.UserContext(), settings.EmbedInput{
		Position: web.Clearable(req.Position), IncidentBackgroundColor: web.Clearable(req.IncidentBackgroundColor),
		IncidentTextColor: web.Clearable(req.IncidentTextColor), MaintenanceBackgroundColor: web.Clearable(req.MaintenanceBackgroundColor),
		MaintenanceTextColor: web.Clearable(req.MaintenanceTextColor),
	})
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, a.pageID)
	return c.JSON(embedConfigJSON{PageID: a.pageID, Embed: e})
}

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
