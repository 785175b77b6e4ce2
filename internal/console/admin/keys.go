package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
)

// keyPages are the API keys screen: the keys, and creating and revoking
// one.
type keyPages struct {
	*screen.Frame
	keys   *apikeys.Store
	pageID string
}

// keysScreen lists API keys; Created is a new key's secret, shown once.
type keysScreen struct {
	Keys    []keyRow
	Created string
	Name    string
	PageID  string
}

type keyRow struct {
	ID, Name, Prefix, Created, LastUsed string
	Revoked                             bool
}

func (h *keyPages) show(c *fiber.Ctx, status int, s keysScreen, v screen.View) error {
	keys, err := h.keys.List(c.UserContext())
	if err != nil {
		return err
	}
	loc := h.Location(c)
	for _, k := range keys {
		r := keyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Created: k.CreatedAt.In(loc).Format("2006-01-02 15:04"), Revoked: k.RevokedAt != nil}
		if k.LastUsedAt != nil {
			r.LastUsed = k.LastUsedAt.In(loc).Format("2006-01-02 15:04")
		}
		s.Keys = append(s.Keys, r)
	}
	s.PageID = h.pageID
	v.Title, v.Section, v.Data = h.T(c, "console.nav.keys"), "keys", s
	return h.Render(c, status, "keys", v)
}

func (h *keyPages) getKeys(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, keysScreen{}, screen.View{})
}

func (h *keyPages) postNew(c *fiber.Ctx) error {
	name := c.FormValue("name")
	k, secret, err := h.keys.Create(c.UserContext(), name)
	if err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed(""), h.T(c, "admin.keys.not_created"), func(v screen.View) error {
			return h.show(c, fiber.StatusUnprocessableEntity, keysScreen{Name: name}, v)
		})
	}
	web.SetAuditTarget(c, k.ID)
	// The secret is shown on this response only, never stored or redirected.
	return h.show(c, fiber.StatusCreated, keysScreen{Created: secret}, screen.View{Flash: h.F(c, "admin.keys.created", "Name", k.Name)})
}

func (h *keyPages) postRevoke(c *fiber.Ctx) error {
	if err := h.keys.Revoke(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return h.SeeOther(c, "/console/keys", h.T(c, "admin.keys.revoked"))
}
