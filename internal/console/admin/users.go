package admin

import (
	"cmp"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
)

// userPages are the users screen: staff and their roles, adding and
// removing them, and one-time links that set a password.
type userPages struct {
	*screen.Frame
	accounts *accounts.Store
	baseURL  string
}

// usersScreen lists staff; Link is a new user's set-password link.
type usersScreen struct {
	Users []accounts.User
	Link  string
	Email string
	Role  string
}

func (h *userPages) show(c *fiber.Ctx, status int, s usersScreen, v screen.View) error {
	users, err := h.accounts.Users(c.UserContext())
	if err != nil {
		return err
	}
	s.Users = users
	v.Title, v.Section, v.Data = h.T(c, "console.nav.users"), "users", s
	return h.Render(c, status, "users", v)
}

// refused shows the users screen again, with status 422, for screen.Refuse.
func (h *userPages) refused(c *fiber.Ctx, s usersScreen) func(screen.View) error {
	return func(v screen.View) error { return h.show(c, fiber.StatusUnprocessableEntity, s, v) }
}

func (h *userPages) getUsers(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, usersScreen{}, screen.View{})
}

func (h *userPages) postNew(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s := usersScreen{Email: c.FormValue("email"), Role: c.FormValue("role")}
	u, err := h.accounts.CreateUser(ctx, s.Email, accounts.Role(s.Role), "")
	if err != nil {
		key := func(field string) string { return cmp.Or(field, "email") }
		return screen.Refuse(err, screen.View{}, key, "", h.refused(c, s))
	}
	token, err := h.accounts.PasswordLink(ctx, u.ID)
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, u.ID)
	return h.show(c, fiber.StatusCreated, usersScreen{Link: screen.PasswordURL(h.baseURL, token)},
		screen.View{Flash: h.F(c, "admin.users.added", "Email", u.Email)})
}

func (h *userPages) postRole(c *fiber.Ctx) error {
	if err := h.accounts.SetRole(c.UserContext(), c.Params("id"), accounts.Role(c.FormValue("role"))); err != nil {
		return screen.Refuse(err, screen.View{}, nil, "", h.refused(c, usersScreen{}))
	}
	return h.SeeOther(c, "/console/users", h.T(c, "admin.users.role_changed"))
}

func (h *userPages) postLink(c *fiber.Ctx) error {
	token, err := h.accounts.PasswordLink(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.show(c, fiber.StatusOK, usersScreen{Link: screen.PasswordURL(h.baseURL, token)},
		screen.View{Flash: h.T(c, "admin.users.link_made")})
}

func (h *userPages) postDelete(c *fiber.Ctx) error {
	if err := h.accounts.DeleteUser(c.UserContext(), c.Params("id")); err != nil {
		return screen.Refuse(err, screen.View{}, nil, "", h.refused(c, usersScreen{}))
	}
	return h.SeeOther(c, "/console/users", h.T(c, "admin.users.removed"))
}
