package api

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/web"
)

// integrationAPI answers /integrations: the monitoring systems allowed to
// post alerts (Beacon's own resource; Statuspage has none).
type integrationAPI struct {
	integrations *integrations.Service
	baseURL      string
}

// integrationJSON is an integration. Token and URL (the address to post
// alerts to, token included) are shown when the token is made, and never
// again.
type integrationJSON struct {
	ID             string                       `json:"id"`
	Name           string                       `json:"name"`
	Kind           integrations.Kind            `json:"kind"`
	TokenPrefix    string                       `json:"token_prefix"`
	AlertsURL      string                       `json:"alerts_url"`
	ComponentLabel string                       `json:"component_label"`
	Components     map[string]string            `json:"components"`
	SeverityLabel  string                       `json:"severity_label"`
	Severities     map[string]components.Status `json:"severities"`
	DefaultStatus  components.Status            `json:"default_status"`
	IncidentMode   integrations.Mode            `json:"incident_mode"`
	TemplateID     *string                      `json:"template_id"`
	AutoResolve    bool                         `json:"auto_resolve"`
	FlapWindow     int                          `json:"flap_window"`
	CreatedAt      time.Time                    `json:"created_at"`
	UpdatedAt      time.Time                    `json:"updated_at"`
	LastAlertAt    *time.Time                   `json:"last_alert_at"`
	Token          string                       `json:"token,omitempty"`
	URL            string                       `json:"url,omitempty"`
}

func (h integrationAPI) json(it integrations.Integration, token string) integrationJSON {
	out := integrationJSON{ID: it.ID, Name: it.Name, Kind: it.Kind, TokenPrefix: it.TokenPrefix, AlertsURL: strings.TrimSuffix(h.baseURL, "/") + integrations.AlertsPath(it.ID),
		ComponentLabel: it.ComponentLabel, Components: it.Components, SeverityLabel: it.SeverityLabel, Severities: it.Severities,
		DefaultStatus: it.DefaultStatus, IncidentMode: it.IncidentMode, AutoResolve: it.AutoResolve,
		FlapWindow: int(it.FlapWindow / time.Second), CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, LastAlertAt: it.LastAlertAt}
	if it.TemplateID != "" {
		out.TemplateID = &it.TemplateID
	}
	if token != "" {
		out.Token, out.URL = token, out.AlertsURL+"?token="+token
	}
	return out
}

// integrationRequest is the body of a create or update. null or "" leaves
// a field as it is, except template_id (cleared), components (emptied)
// and severities (back to the defaults).
type integrationRequest struct {
	Name           web.Opt[string]            `json:"name"`
	Kind           web.Opt[string]            `json:"kind"`
	ComponentLabel web.Opt[string]            `json:"component_label"`
	Components     web.Opt[map[string]string] `json:"components"`
	SeverityLabel  web.Opt[string]            `json:"severity_label"`
	Severities     web.Opt[map[string]string] `json:"severities"`
	DefaultStatus  web.Opt[string]            `json:"default_status"`
	IncidentMode   web.Opt[string]            `json:"incident_mode"`
	TemplateID     web.Opt[string]            `json:"template_id"`
	AutoResolve    web.Opt[bool]              `json:"auto_resolve"`
	FlapWindow     web.Opt[int]               `json:"flap_window"`
	// RotateToken, on an update, makes a new token (shown in the answer)
	// and retires the old one.
	RotateToken web.Opt[bool] `json:"rotate_token"`
}

func (req integrationRequest) input() integrations.Input {
	in := integrations.Input{Name: req.Name.Ptr(), ComponentLabel: req.ComponentLabel.Ptr(), SeverityLabel: req.SeverityLabel.Ptr(),
		TemplateID: web.Clearable(req.TemplateID), AutoResolve: req.AutoResolve.Ptr()}
	if k := req.Kind.Ptr(); k != nil {
		in.Kind = (*integrations.Kind)(k)
	}
	if m := req.IncidentMode.Ptr(); m != nil {
		in.IncidentMode = (*integrations.Mode)(m)
	}
	if s := req.DefaultStatus.Ptr(); s != nil {
		in.DefaultStatus = (*components.Status)(s)
	}
	if req.Components.Set {
		m := req.Components.V
		if m == nil {
			m = map[string]string{}
		}
		in.Components = &m
	}
	if req.Severities.Set {
		m := integrations.DefaultSeverities()
		if !req.Severities.Null {
			m = map[string]components.Status{}
			for k, v := range req.Severities.V {
				m[k] = components.Status(v)
			}
		}
		in.Severities = &m
	}
	if s := req.FlapWindow.Ptr(); s != nil {
		d := time.Duration(*s) * time.Second
		if *s < 0 || *s > math.MaxInt32 {
			d = -1 // refused by the service, naming the field
		}
		in.FlapWindow = &d
	}
	return in
}

func (h integrationAPI) list(c *fiber.Ctx) error {
	list, err := h.integrations.List(c.UserContext())
	if err != nil {
		return err
	}
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	c.Set("X-Total-Count", strconv.Itoa(len(list)))
	out := []integrationJSON{}
	for _, it := range window(list, offset, limit) {
		out = append(out, h.json(it, ""))
	}
	return c.JSON(out)
}

func (h integrationAPI) get(c *fiber.Ctx) error {
	it, err := h.integrations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(h.json(it, ""))
}

func (h integrationAPI) create(c *fiber.Ctx) error {
	var req integrationRequest
	if err := web.DecodeBody(c, "integration", &req); err != nil {
		return err
	}
	it, token, err := h.integrations.Create(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, it.ID)
	return c.Status(fiber.StatusCreated).JSON(h.json(it, token))
}

func (h integrationAPI) update(c *fiber.Ctx) error {
	var req integrationRequest
	if err := web.DecodeBody(c, "integration", &req); err != nil {
		return err
	}
	if req.Kind.Set {
		return web.Unprocessable("kind", "can't be changed: create another integration")
	}
	rotate := req.RotateToken.Ptr()
	it, token, err := h.integrations.UpdateRotating(c.UserContext(), c.Params("id"), req.input(), rotate != nil && *rotate)
	if err != nil {
		return err
	}
	return c.JSON(h.json(it, token))
}

func (h integrationAPI) delete(c *fiber.Ctx) error {
	it, err := h.integrations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.integrations.Delete(c.UserContext(), it.ID); err != nil {
		return err
	}
	return c.JSON(h.json(it, ""))
}

// loggedJSON is one received alert and what Beacon did with it.
type loggedJSON struct {
	ReceivedAt time.Time `json:"received_at"`
	Status     string    `json:"status"`
	Name       string    `json:"name"`
	Component  string    `json:"component"`
	Outcome    string    `json:"outcome"`
	IncidentID *string   `json:"incident_id"`
}

func loggedJSONs(list []integrations.Logged) []loggedJSON {
	out := make([]loggedJSON, 0, len(list))
	for _, l := range list {
		j := loggedJSON{ReceivedAt: l.ReceivedAt, Status: l.Status, Name: l.Name, Component: l.Component, Outcome: l.Outcome}
		if l.IncidentID != "" {
			j.IncidentID = &l.IncidentID
		}
		out = append(out, j)
	}
	return out
}

// alerts lists the integration's last 50 alerts, newest first.
func (h integrationAPI) alerts(c *fiber.Ctx) error {
	list, err := h.integrations.Alerts(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(loggedJSONs(list))
}

// alertAPI answers POST /api/v1/integrations/{id}/alerts: monitoring
// posting alerts, authenticated by the integration's token (not an API
// key), in ?token= or an Authorization: Bearer header.
type alertAPI struct {
	integrations *integrations.Service
	limiter      *web.KeyLimiter
	audit        *web.Audit
}

func (h alertAPI) receive(c *fiber.Ctx) error {
	token := c.Query("token")
	if auth := c.Get(fiber.HeaderAuthorization); auth != "" {
		if scheme, v, ok := strings.Cut(strings.TrimSpace(auth), " "); ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(v)
		}
	}
	it, err := h.integrations.Authenticate(c.UserContext(), c.Params("id"), token)
	if errors.Is(err, integrations.ErrUnauthorized) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="beacon"`)
		return c.Status(fiber.StatusUnauthorized).JSON(web.ErrorBody{
			Message: "Could not authenticate: post alerts with this integration's token, in ?token= or Authorization: Bearer."})
	}
	if err != nil {
		return err
	}
	if ok, wait := h.limiter.Allow("integration:" + it.ID); !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return c.Status(fiber.StatusTooManyRequests).JSON(web.ErrorBody{Message: "Rate limit exceeded: retry after the number of seconds in Retry-After."})
	}
	if len(c.Body()) > integrations.MaxPayload {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "An alert payload may be at most 1 MiB.")
	}
	res, err := h.integrations.Receive(c.UserContext(), it, c.Body())
	var malformed *integrations.MalformedError
	if errors.As(err, &malformed) {
		return c.Status(fiber.StatusBadRequest).JSON(web.ErrorBody{Message: malformed.Msg})
	}
	if err != nil {
		return err
	}
	for _, ch := range res.Changes {
		h.audit.Record(c, it.Actor(), ch.Action, ch.Target)
	}
	return c.JSON(fiber.Map{"integration_id": it.ID, "alerts": loggedJSONs(res.Alerts)})
}
