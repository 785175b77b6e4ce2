package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
)

// embedAPI answers /status_embed_config: how the status embed other
// sites include looks.
type embedAPI struct {
	inForce *settings.InForce
	pageID  string
}

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

func (h embedAPI) get(c *fiber.Ctx) error {
	e, err := h.inForce.Embed(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(embedConfigJSON{PageID: h.pageID, Embed: e})
}

// update answers PATCH and PUT alike, as Statuspage does: the fields
// given change, the others stay.
func (h embedAPI) update(c *fiber.Ctx) error {
	var req embedConfigRequest
	if err := web.DecodeBody(c, "status_embed_config", &req); err != nil {
		return err
	}
	e, err := h.inForce.SaveEmbed(c.UserContext(), settings.EmbedInput{
		Position: web.Clearable(req.Position), IncidentBackgroundColor: web.Clearable(req.IncidentBackgroundColor),
		IncidentTextColor: web.Clearable(req.IncidentTextColor), MaintenanceBackgroundColor: web.Clearable(req.MaintenanceBackgroundColor),
		MaintenanceTextColor: web.Clearable(req.MaintenanceTextColor),
	})
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, h.pageID)
	return c.JSON(embedConfigJSON{PageID: h.pageID, Embed: e})
}
