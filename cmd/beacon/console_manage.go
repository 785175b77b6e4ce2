package main

import (
	"bytes"
	"cmp"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// Console screens other than incidents: the dashboard, components,
// templates, subscribers, API keys, users, settings and the audit log.

// dashboard is the console's home: the page as visitors see it, what is
// open, and the notification queue.
type dashboard struct {
	Indicator   string
	Description string
	Open        []incidentItem
	Active      []incidentItem
	Upcoming    []incidentItem
	Queue       []deliveryCounts
	Degraded    []componentRow
}

func (a *app) getDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	snap, err := a.public.get(ctx)
	if err != nil {
		return err
	}
	loc := snap.page.Location()
	item := func(in incidents.Incident, at time.Time) incidentItem {
		return incidentItem{ID: in.ID, Name: in.Name, Status: in.Status.Label(), Impact: string(in.Impact),
			When: at.In(loc).Format("Jan 2, 15:04 MST")}
	}
	d := dashboard{Indicator: string(snap.status.Indicator), Description: snap.status.Description}
	for _, in := range snap.unresolved {
		if in.Kind == incidents.KindIncident {
			d.Open = append(d.Open, item(in, in.StartedAt))
		}
	}
	for _, in := range snap.active {
		d.Active = append(d.Active, item(in, *in.ScheduledUntil))
	}
	for _, in := range snap.upcoming {
		d.Upcoming = append(d.Upcoming, item(in, *in.ScheduledFor))
	}
	for _, comp := range snap.components {
		if !comp.Group && comp.Status != components.Operational {
			d.Degraded = append(d.Degraded, componentRow{ID: comp.ID, Name: comp.Name, Current: comp.Status})
		}
	}
	queue, err := a.outbox.Queue(ctx, a.now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for _, ch := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		d.Queue = append(d.Queue, deliveryCounts{Channel: ch, Counts: queue[ch]})
	}
	return a.renderConsole(c, fiber.StatusOK, "dashboard", consoleView{Title: "Dashboard", Section: "dashboard", Data: d})
}

// componentsScreen lists components with a status select each, and the
// forms to add components and groups.
type componentsScreen struct {
	Rows   []componentRow
	Groups []components.Component
	New    componentForm
}

// componentForm is the create and edit forms' data.
type componentForm struct {
	ID, Name, Description, GroupID, StartDate string
	Position                                  int
	Group, Showcase, OnlyShowIfDegraded       bool
	Groups                                    []components.Component
}

func (a *app) componentsScreen(c *fiber.Ctx, status int, view consoleView) error {
	ctx := c.UserContext()
	all, err := a.components.List(ctx)
	if err != nil {
		return err
	}
	s, _ := view.Data.(componentsScreen)
	for _, comp := range all {
		s.Rows = append(s.Rows, componentRow{ID: comp.ID, Name: comp.Name, Group: comp.Group, InGroup: comp.GroupID != "",
			Current: comp.Status, Options: componentStatusOptions(comp.Status, "")[1:]})
		if comp.Group {
			s.Groups = append(s.Groups, comp)
		}
	}
	if s.New.Name == "" && !s.New.Showcase {
		s.New.Showcase = true
	}
	s.New.Groups = s.Groups
	view.Title, view.Section, view.Data = "Components", "components", s
	return a.renderConsole(c, status, "components", view)
}

func (a *app) getComponents(c *fiber.Ctx) error {
	return a.componentsScreen(c, fiber.StatusOK, consoleView{})
}

// postComponentStatus sets one component's status in one action.
func (a *app) postComponentStatus(c *fiber.Ctx) error {
	st := components.Status(c.FormValue("status"))
	comp, err := a.components.Update(c.UserContext(), c.Params("id"), components.Input{Status: &st})
	if err != nil {
		return a.refuse(err, consoleView{}, always("status_"+c.Params("id")), "", func(v consoleView) error {
			return a.componentsScreen(c, fiber.StatusUnprocessableEntity, v)
		})
	}
	return a.seeOther(c, "/console/components", comp.Name+" is now "+strings.ToLower(comp.Status.Label())+".")
}

func readComponentForm(c *fiber.Ctx) componentForm {
	pos, _ := strconv.Atoi(c.FormValue("position"))
	return componentForm{ID: c.Params("id"), Name: c.FormValue("name"), Description: c.FormValue("description"),
		GroupID: c.FormValue("group_id"), StartDate: c.FormValue("start_date"), Position: pos,
		Group: c.FormValue("kind") == "group", Showcase: formBool(c, "showcase"), OnlyShowIfDegraded: formBool(c, "only_show_if_degraded")}
}

func (f componentForm) input() components.Input {
	in := components.Input{Name: &f.Name, Description: &f.Description, GroupID: &f.GroupID, Showcase: &f.Showcase,
		OnlyShowIfDegraded: &f.OnlyShowIfDegraded, StartDate: &f.StartDate}
	if f.Position > 0 {
		in.Position = &f.Position
	}
	return in
}

func (a *app) postNewComponent(c *fiber.Ctx) error {
	f := readComponentForm(c)
	var err error
	var comp components.Component
	if f.Group {
		comp, err = a.components.CreateGroup(c.UserContext(), components.GroupInput{Name: &f.Name, Description: &f.Description})
	} else {
		comp, err = a.components.Create(c.UserContext(), f.input())
	}
	if err != nil {
		return a.refuse(err, consoleView{Data: componentsScreen{New: f}}, prefixed(""), "The component was not added: ", func(v consoleView) error {
			return a.componentsScreen(c, fiber.StatusUnprocessableEntity, v)
		})
	}
	web.SetAuditTarget(c, comp.ID)
	return a.seeOther(c, "/console/components", comp.Name+" added.")
}

func (a *app) getEditComponent(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := a.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	groups, err := a.components.Groups(ctx)
	if err != nil {
		return err
	}
	f := componentForm{ID: comp.ID, Name: comp.Name, Description: comp.Description, GroupID: comp.GroupID, StartDate: comp.StartDate,
		Position: comp.Position, Group: comp.Group, Showcase: comp.Showcase, OnlyShowIfDegraded: comp.OnlyShowIfDegraded, Groups: groups}
	return a.renderConsole(c, fiber.StatusOK, "component_edit", consoleView{Title: "Edit " + comp.Name, Section: "components", Data: f})
}

func (a *app) postEditComponent(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := a.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	f := readComponentForm(c)
	f.Group = comp.Group
	if comp.Group {
		in := components.GroupInput{Name: &f.Name, Description: &f.Description}
		if f.Position > 0 {
			in.Position = &f.Position
		}
		_, err = a.components.UpdateGroup(ctx, comp.ID, in)
	} else {
		_, err = a.components.Update(ctx, comp.ID, f.input())
	}
	if err != nil {
		var gerr error
		if f.Groups, gerr = a.components.Groups(ctx); gerr != nil {
			return gerr
		}
		return a.formError(c, "component_edit", consoleView{Title: "Edit " + comp.Name, Section: "components", Data: f}, err)
	}
	return a.seeOther(c, "/console/components", f.Name+" saved.")
}

// postMoveComponent moves a component one place up or down.
func (a *app) postMoveComponent(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := a.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	pos := comp.Position + 1
	if c.FormValue("direction") == "up" {
		pos = max(1, comp.Position-1)
	}
	if comp.Group {
		_, err = a.components.UpdateGroup(ctx, comp.ID, components.GroupInput{Position: &pos})
	} else {
		_, err = a.components.Update(ctx, comp.ID, components.Input{Position: &pos})
	}
	if err != nil {
		return err
	}
	return a.seeOther(c, "/console/components", comp.Name+" moved.")
}

func (a *app) postDeleteComponent(c *fiber.Ctx) error {
	ctx := c.UserContext()
	comp, err := a.components.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if comp.Group {
		err = a.components.DeleteGroup(ctx, comp.ID)
	} else {
		err = a.components.Delete(ctx, comp.ID)
	}
	if err != nil {
		return err
	}
	return a.seeOther(c, "/console/components", comp.Name+" deleted.")
}

// templateForm is the incident template form's data.
type templateForm struct {
	ID, Name, Title, Body string
	Statuses              []option
	Notify                bool
	Components            []componentRow
}

func (a *app) templateForm(c *fiber.Ctx, t incidents.Template) (templateForm, error) {
	all, err := a.components.List(c.UserContext())
	if err != nil {
		return templateForm{}, err
	}
	rows := componentRows(all, nil, t.ComponentIDs)
	return templateForm{ID: t.ID, Name: t.Name, Title: t.Title, Body: t.Body, Notify: t.DeliverNotifications,
		Statuses: statusOptions(incidentStatuses, t.Status), Components: rows}, nil
}

// templatesScreen lists the incident templates with a form for a new one.
type templatesScreen struct {
	List []incidents.Template
	Form templateForm
}

func (a *app) templatesScreen(c *fiber.Ctx, status int, form *templateForm, view consoleView) error {
	list, err := a.incidents.Templates(c.UserContext())
	if err != nil {
		return err
	}
	s := templatesScreen{List: list}
	if form != nil {
		s.Form = *form
	} else if s.Form, err = a.templateForm(c, incidents.Template{Status: incidents.Investigating, DeliverNotifications: true}); err != nil {
		return err
	}
	view.Title, view.Section, view.Data = "Incident templates", "templates", s
	return a.renderConsole(c, status, "templates", view)
}

func (a *app) getTemplates(c *fiber.Ctx) error {
	if id := c.Query("edit"); id != "" {
		t, err := a.incidents.Template(c.UserContext(), id)
		if err != nil {
			return err
		}
		f, err := a.templateForm(c, t)
		if err != nil {
			return err
		}
		return a.templatesScreen(c, fiber.StatusOK, &f, consoleView{})
	}
	return a.templatesScreen(c, fiber.StatusOK, nil, consoleView{})
}

func (a *app) postTemplate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t := incidents.Template{ID: c.FormValue("id"), Name: c.FormValue("name"), Title: c.FormValue("title"), Body: c.FormValue("body"),
		Status: incidents.Status(c.FormValue("status")), DeliverNotifications: formBool(c, "deliver_notifications"),
		ComponentIDs: formChecked(c, "component_ids")}
	in := incidents.TemplateInput{Name: &t.Name, Title: &t.Title, Body: &t.Body, Status: &t.Status,
		DeliverNotifications: &t.DeliverNotifications, ComponentIDs: &t.ComponentIDs}
	var err error
	var saved incidents.Template
	if t.ID == "" {
		saved, err = a.incidents.CreateTemplate(ctx, in)
	} else {
		saved, err = a.incidents.UpdateTemplate(ctx, t.ID, in)
	}
	if err != nil {
		f, ferr := a.templateForm(c, t)
		if ferr != nil {
			return ferr
		}
		return a.refuse(err, consoleView{}, prefixed(""), "The template was not saved: ", func(v consoleView) error {
			return a.templatesScreen(c, fiber.StatusUnprocessableEntity, &f, v)
		})
	}
	web.SetAuditTarget(c, saved.ID)
	return a.seeOther(c, "/console/templates", "Template “"+saved.Name+"” saved.")
}

func (a *app) postDeleteTemplate(c *fiber.Ctx) error {
	if err := a.incidents.DeleteTemplate(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return a.seeOther(c, "/console/templates", "Template deleted.")
}

// subscribersScreen is the subscriber search with counts.
type subscribersScreen struct {
	Query, Mode, State string
	List               []subscriberRow
	Total              int
	Page, Pages        int
	PrevURL, NextURL   string
	Counts             []countRow
	Modes, States      []option
}

type subscriberRow struct {
	ID, Mode, Address, State, Components, Created string
	// Contact is a webhook owner's email address, if given.
	Contact string
}

type countRow struct {
	Mode                                           string
	Active, Unconfirmed, Quarantined, Unsubscribed int
}

const subscribersPerPage = 50

func (a *app) getSubscribers(c *fiber.Ctx) error {
	return a.subscribersScreen(c, fiber.StatusOK, consoleView{})
}

func (a *app) subscribersScreen(c *fiber.Ctx, status int, view consoleView) error {
	ctx := c.UserContext()
	f, err := web.SubscriberFilter(c, "")
	if err == nil {
		f.Offset, f.Limit, err = web.Paging(c, subscribersPerPage)
	}
	if err != nil {
		return a.consoleMessage(c, fiber.StatusBadRequest, "Unknown filter", "Choose a type and a state from the lists.")
	}
	f.Query, f.Descending = strings.TrimSpace(f.Query), true
	s := subscribersScreen{Query: f.Query, Mode: c.Query("type"), State: c.Query("state"), Page: f.Offset/f.Limit + 1}
	list, err := a.subscribers.List(ctx, f)
	if err != nil {
		return err
	}
	if s.Total, err = a.subscribers.Count(ctx, f); err != nil {
		return err
	}
	all, err := a.components.List(ctx)
	if err != nil {
		return err
	}
	loc := a.pageLocation(c)
	byID := componentsByID(all)
	for _, sub := range list {
		comps := "All components"
		if !sub.AllComponents {
			var names []string
			for _, id := range sub.ComponentIDs {
				if comp, ok := byID[id]; ok {
					names = append(names, comp.Name)
				}
			}
			comps = strings.Join(names, ", ")
		}
		s.List = append(s.List, subscriberRow{ID: sub.ID, Mode: string(sub.Mode), Address: sub.Address, State: string(sub.State),
			Components: comps, Created: sub.CreatedAt.In(loc).Format("2006-01-02"), Contact: sub.ContactEmail})
	}
	s.Pages = max(1, (s.Total+f.Limit-1)/f.Limit)
	link := func(page int) string {
		return "/console/subscribers?q=" + url.QueryEscape(s.Query) + "&type=" + url.QueryEscape(s.Mode) + "&state=" + url.QueryEscape(s.State) + "&page=" + strconv.Itoa(page)
	}
	if s.Page > 1 {
		s.PrevURL = link(s.Page - 1)
	}
	if s.Page < s.Pages {
		s.NextURL = link(s.Page + 1)
	}
	hist, err := a.subscribers.Histogram(ctx)
	if err != nil {
		return err
	}
	for _, m := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		h := hist[m]
		s.Counts = append(s.Counts, countRow{Mode: string(m), Active: h[subscribers.Active], Unconfirmed: h[subscribers.Unconfirmed],
			Quarantined: h[subscribers.Quarantined], Unsubscribed: h[subscribers.Unsubscribed]})
	}
	s.Modes = []option{{"", "Any type", s.Mode == ""}, {"email", "Email", s.Mode == "email"}, {"sms", "SMS", s.Mode == "sms"}, {"webhook", "Webhook", s.Mode == "webhook"}}
	s.States = []option{{"", "Any state", s.State == ""}}
	for _, st := range []subscribers.State{subscribers.Active, subscribers.Unconfirmed, subscribers.Quarantined, subscribers.Unsubscribed} {
		s.States = append(s.States, option{string(st), strings.ToUpper(string(st[:1])) + string(st[1:]), s.State == string(st)})
	}
	view.Title, view.Section, view.Data = "Subscribers", "subscribers", s
	return a.renderConsole(c, status, "subscribers", view)
}

func (a *app) postRemoveSubscriber(c *fiber.Ctx) error {
	sub, err := a.subscribers.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := a.subscribers.Unsubscribe(c.UserContext(), sub.ID); err != nil {
		return err
	}
	return a.seeOther(c, "/console/subscribers", sub.Address+" removed: no more notifications go to it.")
}

func (a *app) postImportSubscribers(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return a.subscribersScreen(c, fiber.StatusUnprocessableEntity, consoleView{Errors: map[string]string{"file": "Choose a CSV file."},
			Error: "Choose a CSV file to import."})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := a.subscribers.Import(c.UserContext(), f, formBool(c, "send_confirmation"))
	var ierr *subscribers.ImportError
	if errors.As(err, &ierr) {
		return a.subscribersScreen(c, fiber.StatusUnprocessableEntity, consoleView{Errors: map[string]string{"file": ierr.Error()},
			Error: "Nothing was imported: " + ierr.Error()})
	}
	if err != nil {
		return err
	}
	a.dispatcher.Wake()
	return a.seeOther(c, "/console/subscribers", strconv.Itoa(res.Created)+" subscribers imported; "+strconv.Itoa(res.Existing)+" were already subscribed.")
}

func (a *app) getExportSubscribers(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := a.subscribers.Export(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscribers.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
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

func (a *app) keysScreen(c *fiber.Ctx, status int, s keysScreen, view consoleView) error {
	keys, err := a.keys.List(c.UserContext())
	if err != nil {
		return err
	}
	loc := a.pageLocation(c)
	for _, k := range keys {
		r := keyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Created: k.CreatedAt.In(loc).Format("2006-01-02 15:04"), Revoked: k.RevokedAt != nil}
		if k.LastUsedAt != nil {
			r.LastUsed = k.LastUsedAt.In(loc).Format("2006-01-02 15:04")
		}
		s.Keys = append(s.Keys, r)
	}
	s.PageID = a.pageID
	view.Title, view.Section, view.Data = "API keys", "keys", s
	return a.renderConsole(c, status, "keys", view)
}

func (a *app) getKeys(c *fiber.Ctx) error {
	return a.keysScreen(c, fiber.StatusOK, keysScreen{}, consoleView{})
}

func (a *app) postNewKey(c *fiber.Ctx) error {
	name := c.FormValue("name")
	k, secret, err := a.keys.Create(c.UserContext(), name)
	if err != nil {
		return a.refuse(err, consoleView{}, prefixed(""), "The key was not created: ", func(v consoleView) error {
			return a.keysScreen(c, fiber.StatusUnprocessableEntity, keysScreen{Name: name}, v)
		})
	}
	web.SetAuditTarget(c, k.ID)
	// The secret is shown on this response only, never stored or redirected.
	return a.keysScreen(c, fiber.StatusCreated, keysScreen{Created: secret}, consoleView{Flash: "Key “" + k.Name + "” created."})
}

func (a *app) postRevokeKey(c *fiber.Ctx) error {
	if err := a.keys.Revoke(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return a.seeOther(c, "/console/keys", "Key revoked: it no longer works.")
}

// usersScreen lists staff; Link is a new user's set-password link.
type usersScreen struct {
	Users []accounts.User
	Link  string
	Email string
	Role  string
}

func (a *app) usersScreen(c *fiber.Ctx, status int, s usersScreen, view consoleView) error {
	users, err := a.accounts.Users(c.UserContext())
	if err != nil {
		return err
	}
	s.Users = users
	view.Title, view.Section, view.Data = "Users", "users", s
	return a.renderConsole(c, status, "users", view)
}

func (a *app) getUsers(c *fiber.Ctx) error {
	return a.usersScreen(c, fiber.StatusOK, usersScreen{}, consoleView{})
}

// passwordURL is the link that sets a password with token.
func (a *app) passwordURL(token string) string {
	return strings.TrimSuffix(a.cfg.BaseURL, "/") + "/console/password?token=" + token
}

func (a *app) postNewUser(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s := usersScreen{Email: c.FormValue("email"), Role: c.FormValue("role")}
	u, err := a.accounts.CreateUser(ctx, s.Email, accounts.Role(s.Role), "")
	if err != nil {
		key := func(field string) string { return cmp.Or(field, "email") }
		return a.refuse(err, consoleView{}, key, "", func(v consoleView) error {
			return a.usersScreen(c, fiber.StatusUnprocessableEntity, s, v)
		})
	}
	token, err := a.accounts.PasswordLink(ctx, u.ID)
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, u.ID)
	return a.usersScreen(c, fiber.StatusCreated, usersScreen{Link: a.passwordURL(token)},
		consoleView{Flash: u.Email + " added. Send them this one-time link to set a password; it works for 72 hours."})
}

func (a *app) postUserRole(c *fiber.Ctx) error {
	if err := a.accounts.SetRole(c.UserContext(), c.Params("id"), accounts.Role(c.FormValue("role"))); err != nil {
		return a.refuse(err, consoleView{}, nil, "", func(v consoleView) error {
			return a.usersScreen(c, fiber.StatusUnprocessableEntity, usersScreen{}, v)
		})
	}
	return a.seeOther(c, "/console/users", "Role changed.")
}

func (a *app) postUserLink(c *fiber.Ctx) error {
	token, err := a.accounts.PasswordLink(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return a.usersScreen(c, fiber.StatusOK, usersScreen{Link: a.passwordURL(token)},
		consoleView{Flash: "New one-time set-password link made; it works for 72 hours."})
}

func (a *app) postDeleteUser(c *fiber.Ctx) error {
	if err := a.accounts.DeleteUser(c.UserContext(), c.Params("id")); err != nil {
		return a.refuse(err, consoleView{}, nil, "", func(v consoleView) error {
			return a.usersScreen(c, fiber.StatusUnprocessableEntity, usersScreen{}, v)
		})
	}
	return a.seeOther(c, "/console/users", "User removed and signed out.")
}

// settingsForm is the settings screen's data: the page's settings and
// the notification settings in force (Notify), as typed when a form is
// shown again.
type settingsForm struct {
	Name, URL, TimeZone, SupportURL, LogoURL, AccentColor string
	Notify                                                notifyForm
	Embed                                                 embedForm
}

// embedForm is the status embed's form: its corner and colours, and the
// line other sites paste to show it.
type embedForm struct {
	Positions []option
	Colors    []colorField
	Snippet   string
}

// colorField is one of the embed's colours as typed, named as in the API.
type colorField struct {
	Name, Label, Value, Default string
}

// embedForm shows e: the settings saved, or as typed.
func (a *app) embedForm(e settings.Embed) embedForm {
	d := settings.DefaultEmbed()
	f := embedForm{Snippet: `<script src="` + a.cfg.BaseURL + `/embed/script.js" async></script>`}
	for _, p := range []struct {
		v     settings.Position
		label string
	}{{settings.BottomLeft, "Bottom left"}, {settings.BottomRight, "Bottom right"}, {settings.TopLeft, "Top left"}, {settings.TopRight, "Top right"}} {
		f.Positions = append(f.Positions, option{string(p.v), p.label, p.v == e.Position})
	}
	f.Colors = []colorField{
		{"incident_background_color", "Incident background", e.IncidentBackgroundColor, d.IncidentBackgroundColor},
		{"incident_text_color", "Incident text", e.IncidentTextColor, d.IncidentTextColor},
		{"maintenance_background_color", "Maintenance background", e.MaintenanceBackgroundColor, d.MaintenanceBackgroundColor},
		{"maintenance_text_color", "Maintenance text", e.MaintenanceTextColor, d.MaintenanceTextColor},
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

func (a *app) notifyForm() notifyForm {
	n, cfg := a.inForce.Notify(), a.cfg
	return notifyForm{EmailConfigured: cfg.SMTP.Host != "", EmailFrom: n.EmailFrom, EmailFromName: n.EmailFromName,
		SMSCountries: strings.Join(n.SMSCountries, ", "), SMSAllUpdates: n.SMSAllUpdates, WebhookAllowPrivate: n.WebhookAllowPrivate,
		Saved: n.Saved != (settings.Notifications{}), EnvFrom: cfg.SMTP.From, EnvFromName: cfg.SMTP.FromName,
		EnvCountries: strings.Join(cfg.SMSCountries, ", ")}
}

func (a *app) settingsScreen(c *fiber.Ctx, status int, f settingsForm, view consoleView) error {
	if f.Notify == (notifyForm{}) {
		f.Notify = a.notifyForm()
	}
	if f.Embed.Snippet == "" {
		e, err := a.settings.Embed(c.UserContext())
		if err != nil {
			return err
		}
		f.Embed = a.embedForm(e)
	}
	view.Title, view.Section, view.Data = "Settings", "settings", f
	return a.renderConsole(c, status, "settings", view)
}

func (a *app) pageSettings(c *fiber.Ctx) (settingsForm, error) {
	p, err := a.components.Page(c.UserContext())
	if err != nil {
		return settingsForm{}, err
	}
	return settingsForm{Name: p.Name, URL: p.URL, TimeZone: p.TimeZone, SupportURL: p.SupportURL,
		LogoURL: p.LogoURL, AccentColor: p.AccentColor}, nil
}

// postNotifySettings saves the notification settings and puts them in
// force at once; reset goes back to the environment's.
func (a *app) postNotifySettings(c *fiber.Ctx) error {
	var saved settings.Notifications
	f := a.notifyForm()
	if c.FormValue("action") != "reset" {
		f.EmailFrom, f.EmailFromName = strings.TrimSpace(c.FormValue("email_from")), strings.TrimSpace(c.FormValue("email_from_name"))
		f.SMSAllUpdates, f.WebhookAllowPrivate = c.FormValue("sms_events") == "all", formBool(c, "webhook_allow_private")
		f.SMSCountries = c.FormValue("sms_countries")
		countries, err := parseCountries(f.SMSCountries)
		if err != nil {
			return a.notifySettingsError(c, f, web.Unprocessable("sms_countries", "%s", err.Error()))
		}
		saved = settings.Notifications{EmailFromName: &f.EmailFromName, SMSAllUpdates: &f.SMSAllUpdates,
			SMSCountries: &countries, WebhookAllowPrivate: &f.WebhookAllowPrivate}
		if f.EmailFrom != "" {
			saved.EmailFrom = &f.EmailFrom
		}
	}
	if err := a.inForce.SaveNotify(c.UserContext(), saved); err != nil {
		return a.notifySettingsError(c, f, err)
	}
	if saved == (settings.Notifications{}) {
		return a.seeOther(c, "/console/settings", "Notification settings are the environment's again.")
	}
	return a.seeOther(c, "/console/settings", "Notification settings saved; they apply from now on.")
}

// notifySettingsError shows the settings again with the notification form
// as typed and err beside its field.
func (a *app) notifySettingsError(c *fiber.Ctx, f notifyForm, err error) error {
	page, perr := a.pageSettings(c)
	if perr != nil {
		return perr
	}
	page.Notify = f
	return a.formError(c, "settings", consoleView{Title: "Settings", Section: "settings", Data: page}, err)
}

// postEmbedSettings saves the status embed's corner and colours; a blank
// colour returns to its default, as "" does in the API. The script other
// sites load has them from the next request on.
func (a *app) postEmbedSettings(c *fiber.Ctx) error {
	form := func(name string) *string {
		v := strings.TrimSpace(c.FormValue(name))
		return &v
	}
	in := settings.EmbedInput{Position: form("position"), IncidentBackgroundColor: form("incident_background_color"),
		IncidentTextColor: form("incident_text_color"), MaintenanceBackgroundColor: form("maintenance_background_color"),
		MaintenanceTextColor: form("maintenance_text_color")}
	if _, err := a.inForce.SaveEmbed(c.UserContext(), in); err != nil {
		page, perr := a.pageSettings(c)
		if perr != nil {
			return perr
		}
		// The form as typed, over what is saved.
		typed := a.embedForm(settings.Embed{Position: settings.Position(*in.Position), IncidentBackgroundColor: *in.IncidentBackgroundColor,
			IncidentTextColor: *in.IncidentTextColor, MaintenanceBackgroundColor: *in.MaintenanceBackgroundColor,
			MaintenanceTextColor: *in.MaintenanceTextColor})
		page.Embed = typed
		return a.refuse(err, consoleView{}, prefixed("embed_"), "The embed settings were not saved: ", func(v consoleView) error {
			return a.settingsScreen(c, fiber.StatusUnprocessableEntity, page, v)
		})
	}
	web.SetAuditTarget(c, a.pageID)
	return a.seeOther(c, "/console/settings", "Status embed saved. Sites that include the script show the new look on their next page view.")
}

func (a *app) getSettings(c *fiber.Ctx) error {
	f, err := a.pageSettings(c)
	if err != nil {
		return err
	}
	return a.settingsScreen(c, fiber.StatusOK, f, consoleView{})
}

func (a *app) postSettings(c *fiber.Ctx) error {
	f := settingsForm{Name: c.FormValue("name"), URL: c.FormValue("url"), TimeZone: c.FormValue("time_zone"),
		SupportURL: c.FormValue("support_url"), LogoURL: c.FormValue("logo_url"), AccentColor: c.FormValue("accent_color")}
	_, err := a.inForce.SavePage(c.UserContext(), components.PageInput{Name: &f.Name, URL: &f.URL, TimeZone: &f.TimeZone,
		SupportURL: &f.SupportURL, LogoURL: &f.LogoURL, AccentColor: &f.AccentColor})
	if err != nil {
		return a.refuse(err, consoleView{}, prefixed(""), "The settings were not saved: ", func(v consoleView) error {
			return a.settingsScreen(c, fiber.StatusUnprocessableEntity, f, v)
		})
	}
	return a.seeOther(c, "/console/settings", "Settings saved. The public page shows them now.")
}

// auditScreen is a page of the audit log.
type auditScreen struct {
	Entries []auditRow
	NextURL string
}

type auditRow struct {
	At, Actor, Action, Target, IP string
}

const auditPerPage = 100

func (a *app) getAudit(c *fiber.Ctx) error {
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	entries, err := a.accounts.Audit(c.UserContext(), before, auditPerPage)
	if err != nil {
		return err
	}
	loc := a.pageLocation(c)
	var s auditScreen
	for _, e := range entries {
		s.Entries = append(s.Entries, auditRow{At: e.At.In(loc).Format("2006-01-02 15:04:05 MST"), Actor: e.Actor, Action: e.Action,
			Target: e.Target, IP: e.IP})
	}
	if len(entries) == auditPerPage {
		s.NextURL = "/console/audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	return a.renderConsole(c, fiber.StatusOK, "audit", consoleView{Title: "Audit log", Section: "audit", Data: s})
}
