package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// pageAPI answers /pages and /pages/{page_id}: the one page and its
// settings.
type pageAPI struct {
	components *components.Service
	inForce    *settings.InForce
	baseURL    string
}

type pageRequest struct {
	Name        web.Opt[string] `json:"name"`
	URL         web.Opt[string] `json:"url"`
	TimeZone    web.Opt[string] `json:"time_zone"`
	SupportURL  web.Opt[string] `json:"support_url"`
	LogoURL     web.Opt[string] `json:"logo_url"`
	AccentColor web.Opt[string] `json:"accent_color"`
	EmailFooter web.Opt[string] `json:"notifications_email_footer"`
}

func (h pageAPI) list(c *fiber.Ctx) error {
	page, err := h.components.Page(c.UserContext())
	if err != nil {
		return err
	}
	r := statuspage.NewRenderer(page, h.baseURL, nil)
	return c.JSON([]statuspage.ManagedPage{r.ManagedPage(page)})
}

func (h pageAPI) get(c *fiber.Ctx) error {
	page, err := h.components.Page(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(statuspage.NewRenderer(page, h.baseURL, nil).ManagedPage(page))
}

func (h pageAPI) update(c *fiber.Ctx) error {
	var req pageRequest
	if err := web.DecodeBody(c, "page", &req); err != nil {
		return err
	}
	page, err := h.inForce.SavePage(c.UserContext(), components.PageInput{
		Name: req.Name.Ptr(), URL: req.URL.Ptr(), TimeZone: req.TimeZone.Ptr(), SupportURL: web.Clearable(req.SupportURL),
		LogoURL: web.Clearable(req.LogoURL), AccentColor: web.Clearable(req.AccentColor), EmailFooter: web.Clearable(req.EmailFooter),
	})
	if err != nil {
		return err
	}
	return c.JSON(statuspage.NewRenderer(page, h.baseURL, nil).ManagedPage(page))
}
