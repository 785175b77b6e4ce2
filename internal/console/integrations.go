package console

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
)

// integrationPages are the integrations screens: the monitoring systems
// that post alerts, the drafts their alerts propose (which responders
// publish or dismiss), each one's last alerts, and, for admins, creating,
// editing and deleting them.
type integrationPages struct {
	*screen.Frame
	integrations *integrations.Service
	components   *components.Service
	incidents    *incidents.Service
	baseURL      string
}

// integrationsScreen lists integrations and drafts, with the new
// integration form; Token is a new integration's, shown once.
type integrationsScreen struct {
	List   []integrationRow
	Drafts []draftRow
	Token  *tokenShown
	Form   integrationForm
}

// integrationScreen is one integration: how to post to it, its mapping
// (a form for admins) and its last alerts.
type integrationScreen struct {
	It     integrationRow
	URL    string
	Token  *tokenShown
	Form   integrationForm
	Alerts []alertRow
}

type integrationRow struct {
	ID, Name, Kind, Prefix, Mode, LastAlert string
}

// tokenShown is a token, and the address with it, shown once.
type tokenShown struct{ Name, Token, URL string }

type draftRow struct {
	ID, Integration, Title, Body, Started, Alerts string
	Components                                    []string
}

type alertRow struct {
	At, Status, Name, Component, Outcome, IncidentID string
}

// integrationForm is the create and edit form's data; the tables are text,
// one "key = value" a line.
type integrationForm struct {
	ID, Name, ComponentLabel, SeverityLabel, Components, Severities, FlapWindow string
	AutoResolve                                                                 bool
	Kinds, Modes, Statuses, Templates                                           []screen.Option
}

func (h *integrationPages) row(c *fiber.Ctx, it integrations.Integration) integrationRow {
	r := integrationRow{ID: it.ID, Name: it.Name, Kind: kindLabel(h.Lang(c), it.Kind), Prefix: it.TokenPrefix,
		Mode: h.T(c, "console.integrations.opens_drafts"), LastAlert: h.T(c, "admin.keys.never")}
	if it.IncidentMode == integrations.ModePublish {
		r.Mode = h.T(c, "console.integrations.opens_published")
	}
	if it.LastAlertAt != nil {
		r.LastAlert = it.LastAlertAt.In(h.Location(c)).Format("2006-01-02 15:04:05")
	}
	return r
}

func kindLabel(l *i18n.Lang, k integrations.Kind) string {
	switch k {
	case integrations.Alertmanager:
		return "Prometheus Alertmanager"
	case integrations.Grafana:
		return "Grafana"
	}
	return l.T("console.integrations.generic")
}

// form fills the form from it (the defaults for a new one).
func (h *integrationPages) form(c *fiber.Ctx, it integrations.Integration) (integrationForm, error) {
	ctx := c.UserContext()
	all, err := h.components.List(ctx)
	if err != nil {
		return integrationForm{}, err
	}
	tpls, err := h.incidents.Templates(ctx)
	if err != nil {
		return integrationForm{}, err
	}
	byID := components.ByID(all)
	var comps, sevs []string
	for _, k := range slices.Sorted(maps.Keys(it.Components)) {
		name := it.Components[k]
		if c, ok := byID[name]; ok {
			name = c.Name
		}
		comps = append(comps, k+" = "+name)
	}
	for _, k := range slices.Sorted(maps.Keys(it.Severities)) {
		sevs = append(sevs, k+" = "+string(it.Severities[k]))
	}
	f := integrationForm{ID: it.ID, Name: it.Name, ComponentLabel: it.ComponentLabel, SeverityLabel: it.SeverityLabel,
		Components: strings.Join(comps, "\n"), Severities: strings.Join(sevs, "\n"), AutoResolve: it.AutoResolve,
		FlapWindow: strconv.Itoa(int(it.FlapWindow / time.Second))}
	for _, k := range []integrations.Kind{integrations.Alertmanager, integrations.Grafana, integrations.Generic} {
		f.Kinds = append(f.Kinds, screen.Option{Value: string(k), Label: kindLabel(h.Lang(c), k), Selected: k == it.Kind})
	}
	f.Modes = []screen.Option{
		{Value: string(integrations.ModeDraft), ID: "console.integrations.mode_draft", Selected: it.IncidentMode != integrations.ModePublish},
		{Value: string(integrations.ModePublish), ID: "console.integrations.mode_publish", Selected: it.IncidentMode == integrations.ModePublish},
	}
	for _, st := range []components.Status{components.MajorOutage, components.PartialOutage, components.DegradedPerformance, components.Operational} {
		f.Statuses = append(f.Statuses, screen.Option{Value: string(st), Label: st.Label(), Kind: "component", Selected: st == it.DefaultStatus})
	}
	f.Templates = []screen.Option{{Value: "", ID: "console.integrations.no_template", Selected: it.TemplateID == ""}}
	for _, t := range tpls {
		f.Templates = append(f.Templates, screen.Option{Value: t.ID, Label: t.Name, Selected: t.ID == it.TemplateID})
	}
	return f, nil
}

// defaults is a new integration as the form first shows it.
func defaults() integrations.Integration {
	return integrations.Integration{Kind: integrations.Alertmanager, ComponentLabel: integrations.DefaultComponentLabel,
		SeverityLabel: integrations.DefaultSeverityLabel, Severities: integrations.DefaultSeverities(),
		DefaultStatus: components.MajorOutage, IncidentMode: integrations.ModeDraft, AutoResolve: true,
		FlapWindow: integrations.DefaultFlapWindow}
}

// input reads the form; a table line it cannot read is a validation
// error naming its field.
func (h *integrationPages) input(c *fiber.Ctx, it *integrations.Integration) (integrations.Input, error) {
	all, err := h.components.List(c.UserContext())
	if err != nil {
		return integrations.Input{}, err
	}
	it.Name, it.ComponentLabel, it.SeverityLabel = c.FormValue("name"), c.FormValue("component_label"), c.FormValue("severity_label")
	it.Kind, it.IncidentMode = integrations.Kind(c.FormValue("kind")), integrations.Mode(c.FormValue("incident_mode"))
	it.DefaultStatus, it.TemplateID = components.Status(c.FormValue("default_status")), c.FormValue("template_id")
	it.AutoResolve = screen.FormBool(c, "auto_resolve")
	in := integrations.Input{Name: &it.Name, ComponentLabel: &it.ComponentLabel, SeverityLabel: &it.SeverityLabel,
		IncidentMode: &it.IncidentMode, DefaultStatus: &it.DefaultStatus, TemplateID: &it.TemplateID, AutoResolve: &it.AutoResolve}
	if it.ID == "" {
		in.Kind = &it.Kind
	}
	secs, err := strconv.Atoi(strings.TrimSpace(c.FormValue("flap_window")))
	if err != nil {
		return in, &integrations.ValidationError{Field: "flap_window", Msg: h.T(c, "console.integrations.flap_invalid")}
	}
	flap := time.Duration(secs) * time.Second
	in.FlapWindow = &flap
	it.Components = map[string]string{}
	l := h.Lang(c)
	err = eachLine(l, c.FormValue("components"), "components", func(k, v string) error {
		for _, comp := range all {
			if !comp.Group && (comp.ID == v || strings.EqualFold(comp.Name, v)) {
				it.Components[k] = comp.ID
				return nil
			}
		}
		return errors.New(l.F("console.integrations.no_component", "Name", strconv.Quote(v)))
	})
	if err != nil {
		return in, err
	}
	it.Severities = map[string]components.Status{}
	err = eachLine(l, c.FormValue("severities"), "severities", func(k, v string) error {
		it.Severities[k] = components.Status(v)
		return nil
	})
	in.Components, in.Severities = &it.Components, &it.Severities
	return in, err
}

// eachLine calls f with each "key = value" line of text.
func eachLine(l *i18n.Lang, text, field string, f func(k, v string) error) error {
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		err := errors.New(l.T("console.integrations.write_key_value"))
		if ok && k != "" && v != "" {
			err = f(k, v)
		}
		if err != nil {
			return &integrations.ValidationError{Field: field, Msg: l.F("console.integrations.line", "Line", i+1, "Err", err.Error())}
		}
	}
	return nil
}

func (h *integrationPages) showList(c *fiber.Ctx, status int, s integrationsScreen, v screen.View) error {
	ctx := c.UserContext()
	list, err := h.integrations.List(ctx)
	if err != nil {
		return err
	}
	for _, it := range list {
		s.List = append(s.List, h.row(c, it))
	}
	drafts, err := h.integrations.Drafts(ctx)
	if err != nil {
		return err
	}
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	for _, d := range drafts {
		r := draftRow{ID: d.ID, Integration: d.IntegrationName, Title: d.Title, Body: d.Body, Alerts: strings.Join(d.Alerts, ", "),
			Started: d.StartedAt.In(h.Location(c)).Format("2006-01-02 15:04:05")}
		for _, comp := range all {
			if st, ok := d.Components[comp.ID]; ok {
				r.Components = append(r.Components, comp.Name+": "+h.Lang(c).Enum("component", string(st)))
			}
		}
		s.Drafts = append(s.Drafts, r)
	}
	if s.Form.Kinds == nil {
		if s.Form, err = h.form(c, defaults()); err != nil {
			return err
		}
	}
	v.Title, v.Section, v.Data = h.T(c, "console.nav.alerts"), "integrations", s
	return h.Render(c, status, "integrations", v)
}

func (h *integrationPages) getIntegrations(c *fiber.Ctx) error {
	return h.showList(c, fiber.StatusOK, integrationsScreen{}, screen.View{})
}

func (h *integrationPages) postNew(c *fiber.Ctx) error {
	it := defaults()
	in, err := h.input(c, &it)
	var token string
	if err == nil {
		var created integrations.Integration
		created, token, err = h.integrations.Create(c.UserContext(), in)
		it.ID = created.ID
	}
	if err != nil {
		f, ferr := h.form(c, it)
		if ferr != nil {
			return ferr
		}
		f.Components, f.Severities, f.FlapWindow = c.FormValue("components"), c.FormValue("severities"), c.FormValue("flap_window")
		return screen.Refuse(err, screen.View{}, screen.Prefixed(""), h.T(c, "console.integrations.not_created"), func(v screen.View) error {
			return h.showList(c, fiber.StatusUnprocessableEntity, integrationsScreen{Form: f}, v)
		})
	}
	web.SetAuditTarget(c, it.ID)
	// The token is shown on this response only, never stored or redirected.
	shown := &tokenShown{Name: it.Name, Token: token, URL: h.url(it.ID) + "?token=" + token}
	return h.showList(c, fiber.StatusCreated, integrationsScreen{Token: shown}, screen.View{Flash: h.F(c, "console.integrations.created", "Name", it.Name)})
}

func (h *integrationPages) url(id string) string {
	return strings.TrimSuffix(h.baseURL, "/") + integrations.AlertsPath(id)
}

func (h *integrationPages) showOne(c *fiber.Ctx, status int, it integrations.Integration, s integrationScreen, v screen.View) error {
	logged, err := h.integrations.Alerts(c.UserContext(), it.ID)
	if err != nil {
		return err
	}
	for _, l := range logged {
		s.Alerts = append(s.Alerts, alertRow{At: l.ReceivedAt.In(h.Location(c)).Format("2006-01-02 15:04:05"), Status: l.Status,
			Name: l.Name, Component: l.Component, Outcome: l.Outcome, IncidentID: l.IncidentID})
	}
	s.It, s.URL = h.row(c, it), h.url(it.ID)
	if s.Form.Kinds == nil {
		if s.Form, err = h.form(c, it); err != nil {
			return err
		}
	}
	v.Title, v.Section, v.Data = it.Name, "integrations", s
	return h.Render(c, status, "integration", v)
}

func (h *integrationPages) getIntegration(c *fiber.Ctx) error {
	it, err := h.integrations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.showOne(c, fiber.StatusOK, it, integrationScreen{}, screen.View{})
}

func (h *integrationPages) postEdit(c *fiber.Ctx) error {
	it, err := h.integrations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	saved := it
	in, err := h.input(c, &it)
	if err == nil {
		_, err = h.integrations.Update(c.UserContext(), it.ID, in)
	}
	if err != nil {
		f, ferr := h.form(c, it)
		if ferr != nil {
			return ferr
		}
		f.Components, f.Severities, f.FlapWindow = c.FormValue("components"), c.FormValue("severities"), c.FormValue("flap_window")
		return screen.Refuse(err, screen.View{}, screen.Prefixed(""), h.T(c, "console.integrations.not_saved"), func(v screen.View) error {
			return h.showOne(c, fiber.StatusUnprocessableEntity, saved, integrationScreen{Form: f}, v)
		})
	}
	return h.SeeOther(c, "/console/integrations/"+it.ID, h.T(c, "console.integrations.saved"))
}

func (h *integrationPages) postToken(c *fiber.Ctx) error {
	it, token, err := h.integrations.RotateToken(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	shown := &tokenShown{Name: it.Name, Token: token, URL: h.url(it.ID) + "?token=" + token}
	return h.showOne(c, fiber.StatusOK, it, integrationScreen{Token: shown}, screen.View{Flash: h.T(c, "console.integrations.token_made")})
}

func (h *integrationPages) postDelete(c *fiber.Ctx) error {
	if err := h.integrations.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return h.SeeOther(c, "/console/integrations", h.T(c, "console.integrations.deleted"))
}

func (h *integrationPages) postPublish(c *fiber.Ctx) error {
	in, err := h.integrations.PublishDraft(c.UserContext(), c.Params("id"), c.FormValue("name"), c.FormValue("body"),
		screen.FormBool(c, "deliver_notifications"))
	if err != nil {
		return screen.Refuse(err, screen.View{}, nil, h.T(c, "console.integrations.not_published"), func(v screen.View) error {
			return h.showList(c, fiber.StatusUnprocessableEntity, integrationsScreen{}, v)
		})
	}
	web.SetAuditTarget(c, in.ID)
	return h.SeeOther(c, "/console/incidents/"+in.ID, h.T(c, "console.integrations.published"))
}

func (h *integrationPages) postDismiss(c *fiber.Ctx) error {
	if err := h.integrations.DismissDraft(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return h.SeeOther(c, "/console/integrations", h.T(c, "console.integrations.dismissed"))
}
