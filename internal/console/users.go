package console

import (
	"cmp"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/web"
)

// userPages are the users screen: staff and their roles, adding and
// removing them, and one-time links that set a password.
type userPages struct {
	*frame
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

func (h *userPages) screen(c *fiber.Ctx, status int, s usersScreen, v view) error {
	users, err := h.accounts.Users(c.UserContext())
	if err != nil {
		return err
	}
	s.Users = users
	v.Title, v.Section, v.Data = "Users", "users", s
	return h.render(c, status, "users", v)
}

// refused shows the users screen again, with status 422, for refuse.
func (h *userPages) refused(c *fiber.Ctx, s usersScreen) func(view) error {
	return func(v view) error { return h.screen(c, fiber.StatusUnprocessableEntity, s, v) }
}

func (h *userPages) getUsers(c *fiber.Ctx) error {
	return h.screen(c, fiber.StatusOK, usersScreen{}, view{})
}

func (h *userPages) postNew(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s := usersScreen{Email: c.FormValue("email"), Role: c.FormValue("role")}
	u, err := h.accounts.CreateUser(ctx, s.Email, accounts.Role(s.Role), "")
	if err != nil {
		key := func(field string) string { return cmp.Or(field, "email") }
		return refuse(err, view{}, key, "", h.refused(c, s))
	}
	token, err := h.accounts.PasswordLink(ctx, u.ID)
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, u.ID)
	return h.screen(c, fiber.StatusCreated, usersScreen{Link: PasswordURL(h.baseURL, token)},
		view{Flash: u.Email + " added. Send them this one-time link to set a password; it works for 72 hours."})
}

func (h *userPages) postRole(c *fiber.Ctx) error {
	if err := h.accounts.SetRole(c.UserContext(), c.Params("id"), accounts.Role(c.FormValue("role"))); err != nil {
		return refuse(err, view{}, nil, "", h.refused(c, usersScreen{}))
	}
	return h.seeOther(c, "/console/users", "Role changed.")
}

func (h *userPages) postLink(c *fiber.Ctx) error {
	token, err := h.accounts.PasswordLink(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.screen(c, fiber.StatusOK, usersScreen{Link: PasswordURL(h.baseURL, token)},
		view{Flash: "New one-time set-password link made; it works for 72 hours."})
}

func (h *userPages) postDelete(c *fiber.Ctx) error {
	if err := h.accounts.DeleteUser(c.UserContext(), c.Params("id")); err != nil {
		return refuse(err, view{}, nil, "", h.refused(c, usersScreen{}))
	}
	return h.seeOther(c, "/console/users", "User removed and signed out.")
}
