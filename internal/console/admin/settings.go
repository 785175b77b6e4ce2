package admin

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
)

// settingsPages are the settings screen: the page's settings, the
// notification settings in force, and the status embed's look.
type settingsPages struct {
	*screen.Frame
	components *components.Service
	inForce    *settings.InForce
	baseURL    string
	// emailConfigured reports whether an SMTP server is set.
	emailConfigured bool
	pageID          string
}

// settingsForm is the settings screen's data: the page's settings and
// the notification settings in force (Notify), as typed when a form is
// shown again.
type settingsForm struct {
	Name, URL, TimeZone, SupportURL, LogoURL, AccentColor string
	EmailFooter                                           string
	// Language is the page's language (a code of internal/i18n), which
	// visitors who ask for none of Beacon's read it in.
	Language       string
	Languages      []screen.Option
	MaxEmailFooter int
	Notify         notifyForm
	Embed          embedForm
}

// embedForm is the status embed's form: its corner and colours, and the
// line other sites paste to show it.
type embedForm struct {
	Positions []screen.Option
	Colors    []colorField
	Snippet   string
}

// colorField is one of the embed's colours as typed, named as in the
// API; Label is the id of its name's message.
type colorField struct {
	Name, Label, Value, Default string
}

// embedForm shows e: the settings saved, or as typed.
func (h *settingsPages) embedForm(e settings.Embed) embedForm {
	d := settings.DefaultEmbed()
	f := embedForm{Snippet: `<script src="` + h.baseURL + `/embed/script.js" async></script>`}
	for _, p := range []struct {
		v     settings.Position
		label string
	}{{settings.BottomLeft, "bottom_left"}, {settings.BottomRight, "bottom_right"}, {settings.TopLeft, "top_left"}, {settings.TopRight, "top_right"}} {
		f.Positions = append(f.Positions, screen.Option{Value: string(p.v), ID: "admin.embed." + p.label, Selected: p.v == e.Position})
	}
	f.Colors = []colorField{
		{"incident_background_color", "admin.embed.incident_background", e.IncidentBackgroundColor, d.IncidentBackgroundColor},
		{"incident_text_color", "admin.embed.incident_text", e.IncidentTextColor, d.IncidentTextColor},
		{"maintenance_background_color", "admin.embed.maintenance_background", e.MaintenanceBackgroundColor, d.MaintenanceBackgroundColor},
		{"maintenance_text_color", "admin.embed.maintenance_text", e.MaintenanceTextColor, d.MaintenanceTextColor},
	}
	return f
}

// notifyForm is the notification settings form.
type notifyForm struct {
	EmailConfigured                           bool
	EmailFrom, EmailFromName, SMSCountries    string
	SMSAllUpdates, WebhookAllowPrivate, Saved bool
	EnvFrom, EnvFromName, EnvCountries        string
}

func (h *settingsPages) notifyForm() notifyForm {
	n, env := h.inForce.Notify(), h.inForce.Env()
	return notifyForm{EmailConfigured: h.emailConfigured, EmailFrom: n.EmailFrom, EmailFromName: n.EmailFromName,
		SMSCountries: strings.Join(n.SMSCountries, ", "), SMSAllUpdates: n.SMSAllUpdates, WebhookAllowPrivate: n.WebhookAllowPrivate,
		Saved: n.Saved != (settings.Notifications{}), EnvFrom: env.EmailFrom, EnvFromName: env.EmailFromName,
		EnvCountries: strings.Join(env.SMSCountries, ", ")}
}

func (h *settingsPages) show(c *fiber.Ctx, status int, f settingsForm, v screen.View) error {
	if f.Notify == (notifyForm{}) {
		f.Notify = h.notifyForm()
	}
	if f.Embed.Snippet == "" {
		e, err := h.inForce.Embed(c.UserContext())
		if err != nil {
			return err
		}
		f.Embed = h.embedForm(e)
	}
	f.MaxEmailFooter = components.MaxEmailFooter
	page := h.Templates().Catalogue().Get(f.Language)
	f.Languages = nil
	for _, l := range h.Templates().Catalogue().Langs() {
		f.Languages = append(f.Languages, screen.Option{Value: l.Code(), Label: l.Name(), Lang: l.Code(), Selected: l == page})
	}
	v.Title, v.Section, v.Data = h.T(c, "console.nav.settings"), "settings", f
	return h.Render(c, status, "settings", v)
}

// refused shows the settings screen again with f, with status 422, for
// screen.Refuse.
func (h *settingsPages) refused(c *fiber.Ctx, f settingsForm) func(screen.View) error {
	return func(v screen.View) error { return h.show(c, fiber.StatusUnprocessableEntity, f, v) }
}

func (h *settingsPages) pageSettings(c *fiber.Ctx) (settingsForm, error) {
	p, err := h.components.Page(c.UserContext())
	if err != nil {
		return settingsForm{}, err
	}
	return settingsForm{Name: p.Name, URL: p.URL, TimeZone: p.TimeZone, SupportURL: p.SupportURL,
		LogoURL: p.LogoURL, AccentColor: p.AccentColor, EmailFooter: p.EmailFooter, Language: p.Language}, nil
}

func (h *settingsPages) getSettings(c *fiber.Ctx) error {
	f, err := h.pageSettings(c)
	if err != nil {
		return err
	}
	return h.show(c, fiber.StatusOK, f, screen.View{})
}

// postSettings saves the page's settings.
func (h *settingsPages) postSettings(c *fiber.Ctx) error {
	f := settingsForm{Name: c.FormValue("name"), URL: c.FormValue("url"), TimeZone: c.FormValue("time_zone"),
		SupportURL: c.FormValue("support_url"), LogoURL: c.FormValue("logo_url"), AccentColor: c.FormValue("accent_color"),
		EmailFooter: c.FormValue("notifications_email_footer"), Language: c.FormValue("language")}
	in := components.PageInput{Name: &f.Name, URL: &f.URL, TimeZone: &f.TimeZone,
		SupportURL: &f.SupportURL, LogoURL: &f.LogoURL, AccentColor: &f.AccentColor, EmailFooter: &f.EmailFooter}
	// A form without the field (posted by a script older than it) keeps
	// the page's language.
	if c.Request().PostArgs().Has("language") {
		in.Language = &f.Language
	}
	if _, err := h.inForce.SavePage(c.UserContext(), in); err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed(""), h.T(c, "admin.settings.not_saved"), h.refused(c, f))
	}
	return h.SeeOther(c, "/console/settings", h.T(c, "admin.settings.saved"))
}

// postNotify saves the notification settings and puts them in force at
// once; reset goes back to the environment's.
func (h *settingsPages) postNotify(c *fiber.Ctx) error {
	var saved settings.Notifications
	f := h.notifyForm()
	if c.FormValue("action") != "reset" {
		f.EmailFrom, f.EmailFromName = strings.TrimSpace(c.FormValue("email_from")), strings.TrimSpace(c.FormValue("email_from_name"))
		f.SMSAllUpdates, f.WebhookAllowPrivate = c.FormValue("sms_events") == "all", screen.FormBool(c, "webhook_allow_private")
		f.SMSCountries = c.FormValue("sms_countries")
		countries, err := settings.ParseCountries(f.SMSCountries)
		if err != nil {
			return h.notifyError(c, f, web.Unprocessable("sms_countries", "%s", err.Error()))
		}
		saved = settings.Notifications{EmailFromName: &f.EmailFromName, SMSAllUpdates: &f.SMSAllUpdates,
			SMSCountries: &countries, WebhookAllowPrivate: &f.WebhookAllowPrivate}
		if f.EmailFrom != "" {
			saved.EmailFrom = &f.EmailFrom
		}
	}
	if err := h.inForce.SaveNotify(c.UserContext(), saved); err != nil {
		return h.notifyError(c, f, err)
	}
	if saved == (settings.Notifications{}) {
		return h.SeeOther(c, "/console/settings", h.T(c, "admin.settings.notify_reset"))
	}
	return h.SeeOther(c, "/console/settings", h.T(c, "admin.settings.notify_saved"))
}

// notifyError shows the settings again with the notification form as
// typed and err beside its field.
func (h *settingsPages) notifyError(c *fiber.Ctx, f notifyForm, err error) error {
	page, perr := h.pageSettings(c)
	if perr != nil {
		return perr
	}
	page.Notify = f
	return h.FormError(c, "settings", screen.View{Title: h.T(c, "console.nav.settings"), Section: "settings", Data: page}, err)
}

// postEmbed saves the status embed's corner and colours; a blank colour
// returns to its default, as "" does in the API. The script other sites
// load has them from the next request on.
func (h *settingsPages) postEmbed(c *fiber.Ctx) error {
	form := func(name string) *string {
		v := strings.TrimSpace(c.FormValue(name))
		return &v
	}
	in := settings.EmbedInput{Position: form("position"), IncidentBackgroundColor: form("incident_background_color"),
		IncidentTextColor: form("incident_text_color"), MaintenanceBackgroundColor: form("maintenance_background_color"),
		MaintenanceTextColor: form("maintenance_text_color")}
	if _, err := h.inForce.SaveEmbed(c.UserContext(), in); err != nil {
		page, perr := h.pageSettings(c)
		if perr != nil {
			return perr
		}
		// The form as typed, over what is saved.
		page.Embed = h.embedForm(settings.Embed{Position: settings.Position(*in.Position), IncidentBackgroundColor: *in.IncidentBackgroundColor,
			IncidentTextColor: *in.IncidentTextColor, MaintenanceBackgroundColor: *in.MaintenanceBackgroundColor,
			MaintenanceTextColor: *in.MaintenanceTextColor})
		return screen.Refuse(err, screen.View{}, screen.Prefixed("embed_"), h.T(c, "admin.embed.not_saved"), h.refused(c, page))
	}
	web.SetAuditTarget(c, h.pageID)
	return h.SeeOther(c, "/console/settings", h.T(c, "admin.embed.saved"))
}
