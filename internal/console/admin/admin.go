// Package admin holds the staff console's admin screens: the page's
// settings, users and roles, API keys and the audit log. They are part of
// the console (internal/console mounts them under /console, behind a
// session) and render in its frame (internal/console/screen); every one is
// for admins only.
package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/settings"
)

// Deps are the services the admin screens use.
type Deps struct {
	Frame   *screen.Frame
	BaseURL string
	// PageID is the page's id, which the API keys screen shows.
	PageID string
	// EmailConfigured reports whether an SMTP server is set, which the
	// notification settings say.
	EmailConfigured bool
	Components      *components.Service
	Accounts        *accounts.Store
	Keys            *apikeys.Store
	InForce         *settings.InForce
}

// Screens are the admin screens, each a small handler holding only the
// services it uses.
type Screens struct {
	frame    *screen.Frame
	keys     *keyPages
	users    *userPages
	settings *settingsPages
	auditLog *auditPages
}

// New builds the admin screens on d's services.
func New(d Deps) *Screens {
	f := d.Frame
	return &Screens{
		frame: f,
		keys:  &keyPages{Frame: f, keys: d.Keys, pageID: d.PageID},
		users: &userPages{Frame: f, accounts: d.Accounts, baseURL: d.BaseURL},
		settings: &settingsPages{Frame: f, components: d.Components, inForce: d.InForce, baseURL: d.BaseURL,
			emailConfigured: d.EmailConfigured, pageID: d.PageID},
		auditLog: &auditPages{Frame: f, accounts: d.Accounts},
	}
}

// Routes adds the admin screens to r, the console's group of screens
// behind a session and its CSRF check; each route refuses responders.
func (s *Screens) Routes(r fiber.Router) {
	admin := s.frame.RequireAdmin
	r.Get("/keys", admin, s.keys.getKeys)
	r.Post("/keys", admin, s.keys.postNew)
	r.Post("/keys/:id/revoke", admin, s.keys.postRevoke)
	r.Get("/users", admin, s.users.getUsers)
	r.Post("/users", admin, s.users.postNew)
	r.Post("/users/:id/role", admin, s.users.postRole)
	r.Post("/users/:id/link", admin, s.users.postLink)
	r.Post("/users/:id/delete", admin, s.users.postDelete)
	r.Get("/settings", admin, s.settings.getSettings)
	r.Post("/settings", admin, s.settings.postSettings)
	r.Post("/settings/notifications", admin, s.settings.postNotify)
	r.Post("/settings/embed", admin, s.settings.postEmbed)
	r.Get("/audit", admin, s.auditLog.getAudit)
}
