package api

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
)

// providerAPI answers /metrics_providers: where metrics come from, shaped
// as Statuspage's MetricsProvider (reference §1(g)).
type providerAPI struct {
	metrics *metrics.Service
	pageID  string
}

// providerJSON is Statuspage's MetricsProvider. Its credentials are
// stored, never answered.
type providerJSON struct {
	ID                string               `json:"id"`
	Type              metrics.ProviderType `json:"type"`
	Disabled          bool                 `json:"disabled"`
	MetricBaseURI     string               `json:"metric_base_uri"`
	LastRevalidatedAt *time.Time           `json:"last_revalidated_at"`
	CreatedAt         time.Time            `json:"created_at"`
	UpdatedAt         time.Time            `json:"updated_at"`
	PageID            string               `json:"page_id"`
}

func (h providerAPI) json(p metrics.Provider) providerJSON {
	return providerJSON{ID: p.ID, Type: p.Type, Disabled: p.Disabled, MetricBaseURI: p.MetricBaseURI,
		LastRevalidatedAt: p.LastRevalidatedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, PageID: h.pageID}
}

// providerRequest is the body of a create or update. null or "" leaves
// type and disabled as they are and clears the others.
type providerRequest struct {
	Type           web.Opt[string] `json:"type"`
	Disabled       web.Opt[bool]   `json:"disabled"`
	MetricBaseURI  web.Opt[string] `json:"metric_base_uri"`
	Email          web.Opt[string] `json:"email"`
	Password       web.Opt[string] `json:"password"`
	APIKey         web.Opt[string] `json:"api_key"`
	APIToken       web.Opt[string] `json:"api_token"`
	ApplicationKey web.Opt[string] `json:"application_key"`
}

func (req providerRequest) input() metrics.ProviderInput {
	in := metrics.ProviderInput{Disabled: req.Disabled.Ptr(), MetricBaseURI: web.Clearable(req.MetricBaseURI),
		Email: web.Clearable(req.Email), Password: web.Clearable(req.Password), APIKey: web.Clearable(req.APIKey),
		APIToken: web.Clearable(req.APIToken), ApplicationKey: web.Clearable(req.ApplicationKey)}
	if t := req.Type.Ptr(); t != nil {
		in.Type = (*metrics.ProviderType)(t)
	}
	return in
}

func (h providerAPI) list(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	list, err := h.metrics.Providers(c.UserContext())
	if err != nil {
		return err
	}
	c.Set("X-Total-Count", strconv.Itoa(len(list)))
	out := []providerJSON{}
	for _, p := range window(list, offset, limit) {
		out = append(out, h.json(p))
	}
	return c.JSON(out)
}

func (h providerAPI) get(c *fiber.Ctx) error {
	p, err := h.metrics.Provider(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(h.json(p))
}

func (h providerAPI) create(c *fiber.Ctx) error {
	var req providerRequest
	if err := web.DecodeBody(c, "metrics_provider", &req); err != nil {
		return err
	}
	p, err := h.metrics.CreateProvider(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, p.ID)
	return c.Status(fiber.StatusCreated).JSON(h.json(p))
}

func (h providerAPI) update(c *fiber.Ctx) error {
	var req providerRequest
	if err := web.DecodeBody(c, "metrics_provider", &req); err != nil {
		return err
	}
	p, err := h.metrics.UpdateProvider(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return c.JSON(h.json(p))
}

// delete removes the provider with its metrics and their data, and
// answers it as it was (200, as Statuspage's deletes but a component's).
func (h providerAPI) delete(c *fiber.Ctx) error {
	p, err := h.metrics.Provider(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.metrics.DeleteProvider(c.UserContext(), p.ID); err != nil {
		return err
	}
	return c.JSON(h.json(p))
}

// metricAPI answers /metrics, /metrics_providers/{id}/metrics and the
// metrics' data points, shaped as Statuspage's Metric (reference §1(g)).
type metricAPI struct {
	metrics *metrics.Service
}

// metricJSON is Statuspage's Metric. Beacon keeps no reference name
// apart from the name, and backfills nothing in part: backfill_percentage
// is 100 for a backfilled metric and 0 otherwise.
type metricJSON struct {
	ID                 string     `json:"id"`
	MetricsProviderID  string     `json:"metrics_provider_id"`
	MetricIdentifier   string     `json:"metric_identifier"`
	Name               string     `json:"name"`
	Display            bool       `json:"display"`
	TooltipDescription string     `json:"tooltip_description"`
	Backfilled         bool       `json:"backfilled"`
	YAxisMin           *float64   `json:"y_axis_min"`
	YAxisMax           *float64   `json:"y_axis_max"`
	YAxisHidden        bool       `json:"y_axis_hidden"`
	Suffix             string     `json:"suffix"`
	DecimalPlaces      int        `json:"decimal_places"`
	MostRecentDataAt   *time.Time `json:"most_recent_data_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	LastFetchedAt      *time.Time `json:"last_fetched_at"`
	BackfillPercentage int        `json:"backfill_percentage"`
	ReferenceName      string     `json:"reference_name"`
}

func metricOut(m metrics.Metric) metricJSON {
	out := metricJSON{ID: m.ID, MetricsProviderID: m.ProviderID, MetricIdentifier: m.Identifier, Name: m.Name, Display: m.Display,
		TooltipDescription: m.TooltipDescription, Backfilled: m.Backfilled, YAxisMin: m.YAxisMin, YAxisMax: m.YAxisMax,
		YAxisHidden: m.YAxisHidden, Suffix: m.Suffix, DecimalPlaces: m.DecimalPlaces, MostRecentDataAt: m.MostRecentDataAt,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastFetchedAt: m.LastFetchedAt, ReferenceName: m.Name}
	if m.Backfilled {
		out.BackfillPercentage = 100
	}
	return out
}

// metricRequest is the body of a create or update. null or "" leaves name,
// transform and the flags as they are, clears the texts, and unsets
// y_axis_min and y_axis_max (the chart fits its data).
type metricRequest struct {
	Name               web.Opt[string]  `json:"name"`
	MetricIdentifier   web.Opt[string]  `json:"metric_identifier"`
	Transform          web.Opt[string]  `json:"transform"`
	ApplicationID      web.Opt[string]  `json:"application_id"`
	Suffix             web.Opt[string]  `json:"suffix"`
	YAxisMin           web.Opt[float64] `json:"y_axis_min"`
	YAxisMax           web.Opt[float64] `json:"y_axis_max"`
	YAxisHidden        web.Opt[bool]    `json:"y_axis_hidden"`
	Display            web.Opt[bool]    `json:"display"`
	DecimalPlaces      web.Opt[int]     `json:"decimal_places"`
	TooltipDescription web.Opt[string]  `json:"tooltip_description"`
}

func (req metricRequest) input() metrics.MetricInput {
	in := metrics.MetricInput{Name: req.Name.Ptr(), Identifier: web.Clearable(req.MetricIdentifier),
		ApplicationID: web.Clearable(req.ApplicationID), TooltipDescription: web.Clearable(req.TooltipDescription),
		Suffix: web.Clearable(req.Suffix), Display: req.Display.Ptr(), YAxisHidden: req.YAxisHidden.Ptr(),
		DecimalPlaces: req.DecimalPlaces.Ptr(), YAxisMin: axis(req.YAxisMin), YAxisMax: axis(req.YAxisMax)}
	if t := req.Transform.Ptr(); t != nil {
		in.Transform = (*metrics.Transform)(t)
	}
	return in
}

// axis is a y-axis bound of a request: nil when absent, a nil bound
// (unset) for null or "".
func axis(o web.Opt[float64]) **float64 {
	if !o.Set {
		return nil
	}
	v := o.Ptr()
	return &v
}

// send answers the page of list that paging selects.
func (h metricAPI) send(c *fiber.Ctx, list []metrics.Metric, offset, limit int) error {
	c.Set("X-Total-Count", strconv.Itoa(len(list)))
	out := []metricJSON{}
	for _, m := range window(list, offset, limit) {
		out = append(out, metricOut(m))
	}
	return c.JSON(out)
}

func (h metricAPI) list(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	list, err := h.metrics.List(c.UserContext())
	if err != nil {
		return err
	}
	return h.send(c, list, offset, limit)
}

// providerMetrics lists one provider's metrics; an unknown provider is
// not found.
func (h metricAPI) providerMetrics(c *fiber.Ctx) error {
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	list, err := h.metrics.ProviderMetrics(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, list, offset, limit)
}

func (h metricAPI) get(c *fiber.Ctx) error {
	m, err := h.metrics.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(metricOut(m))
}

func (h metricAPI) create(c *fiber.Ctx) error {
	var req metricRequest
	if err := web.DecodeBody(c, "metric", &req); err != nil {
		return err
	}
	m, err := h.metrics.Create(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	web.SetAuditTarget(c, m.ID)
	return c.Status(fiber.StatusCreated).JSON(metricOut(m))
}

func (h metricAPI) update(c *fiber.Ctx) error {
	var req metricRequest
	if err := web.DecodeBody(c, "metric", &req); err != nil {
		return err
	}
	m, err := h.metrics.Update(c.UserContext(), c.Params("id"), req.input())
	if err != nil {
		return err
	}
	return c.JSON(metricOut(m))
}

// delete removes the metric and its data, and answers it as it was.
func (h metricAPI) delete(c *fiber.Ctx) error {
	m, err := h.metrics.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.metrics.Delete(c.UserContext(), m.ID); err != nil {
		return err
	}
	return c.JSON(metricOut(m))
}

// reset deletes the metric's data and answers the metric, as
// Statuspage's does.
func (h metricAPI) reset(c *fiber.Ctx) error {
	if err := h.metrics.Reset(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	m, err := h.metrics.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(metricOut(m))
}

// pointJSON is a data point as Statuspage's API takes and answers it: the
// time in Unix seconds and the value.
type pointJSON struct {
	Timestamp web.Opt[float64] `json:"timestamp"`
	Value     web.Opt[float64] `json:"value"`
}

// pointOut is a stored data point, at its whole second.
type pointOut struct {
	Timestamp int64   `json:"timestamp"`
	Value     float64 `json:"value"`
}

// maxUnix bounds a timestamp before it becomes a time (year 5138): beyond
// it a float's seconds no longer convert exactly, and the service refuses
// anything far from now anyway.
const maxUnix = 1e11

// point reads a point of a request; field prefixes the fields its errors
// name (data.<metric_id>[i]. in a bulk push, as the service names them).
func (p pointJSON) point(field string) (metrics.Point, error) {
	ts, v := p.Timestamp.Ptr(), p.Value.Ptr()
	switch {
	case ts == nil:
		return metrics.Point{}, web.Unprocessable(field+"timestamp", "is required: the point's time in Unix seconds")
	case *ts < 0 || *ts > maxUnix:
		return metrics.Point{}, web.Unprocessable(field+"timestamp", "must be a time in Unix seconds")
	case v == nil:
		return metrics.Point{}, web.Unprocessable(field+"value", "is required: a number")
	}
	sec, frac := math.Modf(*ts)
	return metrics.Point{Time: time.Unix(int64(sec), int64(frac*1e9)).UTC(), Value: *v}, nil
}

// addPoint stores one point: 201 with the point as stored, its time cast
// to its 30-second slot.
func (h metricAPI) addPoint(c *fiber.Ctx) error {
	var req pointJSON
	if err := web.DecodeBody(c, "data", &req); err != nil {
		return err
	}
	p, err := req.point("")
	if err != nil {
		return err
	}
	stored, err := h.metrics.AddPoint(c.UserContext(), c.Params("id"), p)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": pointOut{Timestamp: stored.Time.Unix(), Value: stored.Value}})
}

// maxBulkMetrics bounds the metrics one bulk request names (its points
// are bounded by metrics.MaxPointsPerRequest).
const maxBulkMetrics = 1000

// addPoints stores points of several metrics, all or none: 202 with the
// points by metric id, as Statuspage answers, each cast to its slot. Naming an unknown
// metric is not found (the service says so) and stores nothing.
func (h metricAPI) addPoints(c *fiber.Ctx) error {
	var req map[string][]pointJSON
	if err := web.DecodeBody(c, "data", &req); err != nil {
		return err
	}
	if len(req) == 0 {
		return web.Unprocessable("data", `is required: {"data":{"<metric_id>":[{"timestamp","value"},…]}}`)
	}
	if len(req) > maxBulkMetrics {
		return web.Unprocessable("data", "may name at most %d metrics", maxBulkMetrics)
	}
	points := make(map[string][]metrics.Point, len(req))
	out := make(map[string][]pointOut, len(req))
	total := 0
	for _, id := range slices.Sorted(maps.Keys(req)) {
		total += len(req[id])
		if total > metrics.MaxPointsPerRequest {
			return web.Unprocessable("data", "may hold at most %d points per request", metrics.MaxPointsPerRequest)
		}
		list := make([]metrics.Point, 0, len(req[id]))
		out[id] = []pointOut{}
		for i, pj := range req[id] {
			p, err := pj.point(fmt.Sprintf("data.%s[%d].", id, i))
			if err != nil {
				return err
			}
			list = append(list, p)
			stored := p.InSlot()
			out[id] = append(out[id], pointOut{Timestamp: stored.Time.Unix(), Value: stored.Value})
		}
		points[id] = list
	}
	if _, err := h.metrics.AddPoints(c.UserContext(), points); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(out)
}
