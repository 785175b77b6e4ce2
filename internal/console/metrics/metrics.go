// Package metrics holds the staff console's Metrics screens: the metrics
// providers and their metrics, creating, editing and deleting them, each
// metric's last data point and its last day, and resetting its data. They
// are part of the console (internal/console mounts them under /console,
// behind a session) and render in its frame (internal/console/screen);
// every one is for admins only, as the page's other structure is.
package metrics

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/chart"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	domain "github.com/beacon-status/beacon/metrics"
)

// Screens are the Metrics screens.
type Screens struct {
	*screen.Frame
	metrics *domain.Service
}

// New returns the Metrics screens on frame and the metrics service.
func New(frame *screen.Frame, metrics *domain.Service) *Screens {
	return &Screens{Frame: frame, metrics: metrics}
}

// Routes adds the Metrics screens to r, the console's group of screens
// behind a session and its CSRF check; each route refuses responders.
func (s *Screens) Routes(r fiber.Router) {
	admin := s.RequireAdmin
	r.Get("/metrics", admin, s.getList)
	r.Post("/metrics", admin, s.postNewMetric)
	r.Post("/metrics/providers", admin, s.postNewProvider)
	r.Get("/metrics/providers/:id", admin, s.getProvider)
	r.Post("/metrics/providers/:id", admin, s.postProvider)
	r.Post("/metrics/providers/:id/delete", admin, s.postDeleteProvider)
	r.Get("/metrics/:id", admin, s.getMetric)
	r.Post("/metrics/:id", admin, s.postMetric)
	r.Post("/metrics/:id/reset", admin, s.postReset)
	r.Post("/metrics/:id/delete", admin, s.postDeleteMetric)
}

// listScreen is every provider with its metrics, and the forms that add
// a provider and a metric.
type listScreen struct {
	Providers    []providerRow
	ProviderForm providerForm
	// Form is the new metric's.
	Form metricForm
}

type providerRow struct {
	ID, Type, BaseURI string
	Fetched, Disabled bool
	Metrics           []metricRow
}

// metricRow is a metric as lists show it; Last is its last point, ""
// for none.
type metricRow struct {
	ID, Name, Last string
	Display        bool
}

// metricScreen is one metric: its last point, its last day (the public
// page's chart and a table of the latest 5-minute aggregates), its form,
// and the reset and delete forms.
type metricScreen struct {
	Metric   metricRow
	Provider providerRow
	Chart    template.HTML
	Recent   []aggregateRow
	Form     metricForm
}

type aggregateRow struct {
	Time, Avg, Min, Max string
	Count               int64
}

// providerScreen is one provider's form and its metrics.
type providerScreen struct {
	Provider providerRow
	Form     providerForm
}

// providerForm is the provider form's data. Credentials are never shown:
// left empty, they are kept as they are.
type providerForm struct {
	ID, BaseURI string
	Disabled    bool
	Types       []screen.Option
}

// metricForm is the metric form's data, as typed.
type metricForm struct {
	ID, ProviderID, Name, Identifier, Suffix, DecimalPlaces, YAxisMin, YAxisMax, Tooltip string
	Display, YAxisHidden                                                                 bool
	Providers, Transforms                                                                []screen.Option
}

// providerTypes are the types a provider can be, Self first.
var providerTypes = []domain.ProviderType{domain.Self, domain.Pingdom, domain.NewRelic, domain.Librato, domain.Datadog}

// providerRow is p with the rows of its metrics, list.
func (s *Screens) providerRow(c *fiber.Ctx, p domain.Provider, list []domain.Metric) (providerRow, error) {
	pr := providerRow{ID: p.ID, Type: string(p.Type), BaseURI: p.MetricBaseURI, Fetched: p.Fetched(), Disabled: p.Disabled}
	for _, m := range list {
		r, err := s.row(c, m)
		if err != nil {
			return pr, err
		}
		pr.Metrics = append(pr.Metrics, r)
	}
	return pr, nil
}

// format writes v with the metric's decimal places and suffix, as its
// chart does: in the staff member's language's decimal sign.
func format(l *i18n.Lang, m domain.Metric, v float64) string {
	return chart.ValueIn(l, v, m.DecimalPlaces, m.Suffix)
}

// row is m with its last point, in the page's time zone.
func (s *Screens) row(c *fiber.Ctx, m domain.Metric) (metricRow, error) {
	r := metricRow{ID: m.ID, Name: m.Name, Display: m.Display}
	p, ok, err := s.metrics.Last(c.UserContext(), m.ID)
	if err != nil {
		return r, err
	}
	if ok {
		r.Last = s.F(c, "admin.metrics.last_at", "Value", format(s.Lang(c), m, p.Value), "At", p.Time.In(s.Location(c)).Format("2006-01-02 15:04:05"))
	}
	return r, nil
}

func newProviderForm(l *i18n.Lang, p domain.Provider) providerForm {
	f := providerForm{ID: p.ID, BaseURI: p.MetricBaseURI, Disabled: p.Disabled}
	for _, t := range providerTypes {
		f.Types = append(f.Types, screen.Option{Value: string(t), Label: typeLabel(l, t), Selected: t == p.Type})
	}
	return f
}

func typeLabel(l *i18n.Lang, t domain.ProviderType) string {
	if t == domain.Self {
		return l.T("admin.metrics.type_self")
	}
	return l.F("admin.metrics.type_stored", "Type", string(t))
}

// newMetricForm fills the metric form from m; providers are the choices
// of a new metric's provider.
func newMetricForm(m domain.Metric, providers []domain.Provider) metricForm {
	f := metricForm{ID: m.ID, ProviderID: m.ProviderID, Name: m.Name, Identifier: m.Identifier, Suffix: m.Suffix,
		DecimalPlaces: strconv.Itoa(m.DecimalPlaces), Tooltip: m.TooltipDescription, Display: m.Display, YAxisHidden: m.YAxisHidden}
	if m.YAxisMin != nil {
		f.YAxisMin = strconv.FormatFloat(*m.YAxisMin, 'f', -1, 64)
	}
	if m.YAxisMax != nil {
		f.YAxisMax = strconv.FormatFloat(*m.YAxisMax, 'f', -1, 64)
	}
	for _, p := range providers {
		f.Providers = append(f.Providers, screen.Option{Value: p.ID, Label: string(p.Type) + " " + p.ID, Selected: p.ID == m.ProviderID})
	}
	for _, t := range domain.Transforms {
		f.Transforms = append(f.Transforms, screen.Option{Value: string(t), ID: "admin.metrics.transform." + string(t),
			Selected: t == m.Transform || (m.Transform == "" && t == domain.Average)})
	}
	return f
}

func (s *Screens) showList(c *fiber.Ctx, status int, ls listScreen, v screen.View) error {
	ctx := c.UserContext()
	providers, err := s.metrics.Providers(ctx)
	if err != nil {
		return err
	}
	all, err := s.metrics.List(ctx)
	if err != nil {
		return err
	}
	byProvider := map[string][]domain.Metric{}
	for _, m := range all {
		byProvider[m.ProviderID] = append(byProvider[m.ProviderID], m)
	}
	for _, p := range providers {
		row, err := s.providerRow(c, p, byProvider[p.ID])
		if err != nil {
			return err
		}
		ls.Providers = append(ls.Providers, row)
	}
	if ls.ProviderForm.Types == nil {
		ls.ProviderForm = newProviderForm(s.Lang(c), domain.Provider{Type: domain.Self})
	}
	if ls.Form.Transforms == nil {
		ls.Form = newMetricForm(domain.Metric{Display: true, DecimalPlaces: 0}, providers)
	} else {
		ls.Form.Providers = newMetricForm(domain.Metric{ProviderID: ls.Form.ProviderID}, providers).Providers
	}
	v.Title, v.Section, v.Data = s.T(c, "admin.metrics.title"), "components", ls
	return s.Render(c, status, "metrics", v)
}

func (s *Screens) getList(c *fiber.Ctx) error {
	return s.showList(c, fiber.StatusOK, listScreen{}, screen.View{})
}

// providerInput reads the provider form: credentials left empty are kept.
func providerInput(c *fiber.Ctx, l *i18n.Lang, f *providerForm) domain.ProviderInput {
	typ := domain.ProviderType(c.FormValue("type"))
	f.BaseURI, f.Disabled = c.FormValue("metric_base_uri"), screen.FormBool(c, "disabled")
	in := domain.ProviderInput{MetricBaseURI: &f.BaseURI, Disabled: &f.Disabled}
	if f.ID == "" {
		in.Type = &typ
	}
	for name, dst := range map[string]**string{"email": &in.Email, "password": &in.Password, "api_key": &in.APIKey,
		"api_token": &in.APIToken, "application_key": &in.ApplicationKey} {
		if v := c.FormValue(name); v != "" {
			*dst = &v
		}
	}
	for _, t := range providerTypes {
		f.Types = append(f.Types, screen.Option{Value: string(t), Label: typeLabel(l, t), Selected: t == typ})
	}
	return in
}

func (s *Screens) postNewProvider(c *fiber.Ctx) error {
	var f providerForm
	p, err := s.metrics.CreateProvider(c.UserContext(), providerInput(c, s.Lang(c), &f))
	if err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed("provider_"), s.T(c, "admin.metrics.provider_not_created"), func(v screen.View) error {
			return s.showList(c, fiber.StatusUnprocessableEntity, listScreen{ProviderForm: f}, v)
		})
	}
	web.SetAuditTarget(c, p.ID)
	return s.SeeOther(c, "/console/metrics", s.T(c, "admin.metrics.provider_created"))
}

func (s *Screens) showProvider(c *fiber.Ctx, status int, ps providerScreen, v screen.View) error {
	ctx := c.UserContext()
	p, err := s.metrics.Provider(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	list, err := s.metrics.ProviderMetrics(ctx, p.ID)
	if err != nil {
		return err
	}
	if ps.Provider, err = s.providerRow(c, p, list); err != nil {
		return err
	}
	if ps.Form.ID == "" {
		ps.Form = newProviderForm(s.Lang(c), p)
	}
	v.Title, v.Section, v.Data = s.F(c, "admin.metrics.provider", "Type", string(p.Type)), "components", ps
	return s.Render(c, status, "metrics_provider", v)
}

func (s *Screens) getProvider(c *fiber.Ctx) error {
	return s.showProvider(c, fiber.StatusOK, providerScreen{}, screen.View{})
}

func (s *Screens) postProvider(c *fiber.Ctx) error {
	f := providerForm{ID: c.Params("id")}
	if _, err := s.metrics.UpdateProvider(c.UserContext(), f.ID, providerInput(c, s.Lang(c), &f)); err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed("provider_"), s.T(c, "admin.metrics.provider_not_saved"), func(v screen.View) error {
			return s.showProvider(c, fiber.StatusUnprocessableEntity, providerScreen{Form: f}, v)
		})
	}
	return s.SeeOther(c, "/console/metrics/providers/"+f.ID, s.T(c, "admin.metrics.provider_saved"))
}

func (s *Screens) postDeleteProvider(c *fiber.Ctx) error {
	if err := s.metrics.DeleteProvider(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.SeeOther(c, "/console/metrics", s.T(c, "admin.metrics.provider_deleted"))
}

// metricInput reads the metric form into f and the input; a number it
// cannot read is a validation error naming its field.
func metricInput(c *fiber.Ctx, l *i18n.Lang, f *metricForm) (domain.MetricInput, error) {
	f.Name, f.Identifier, f.Suffix, f.Tooltip = c.FormValue("name"), c.FormValue("metric_identifier"), c.FormValue("suffix"), c.FormValue("tooltip_description")
	f.DecimalPlaces, f.YAxisMin, f.YAxisMax = c.FormValue("decimal_places"), c.FormValue("y_axis_min"), c.FormValue("y_axis_max")
	f.Display, f.YAxisHidden = screen.FormBool(c, "display"), screen.FormBool(c, "y_axis_hidden")
	tr := domain.Transform(c.FormValue("transform"))
	for _, t := range domain.Transforms {
		f.Transforms = append(f.Transforms, screen.Option{Value: string(t), ID: "admin.metrics.transform." + string(t), Selected: t == tr})
	}
	in := domain.MetricInput{Name: &f.Name, Identifier: &f.Identifier, Suffix: &f.Suffix, TooltipDescription: &f.Tooltip,
		Display: &f.Display, YAxisHidden: &f.YAxisHidden, Transform: &tr}
	dp, err := strconv.Atoi(strings.TrimSpace(f.DecimalPlaces))
	if err != nil {
		return in, &domain.ValidationError{Field: "decimal_places", Msg: l.T("admin.metrics.decimals_invalid")}
	}
	in.DecimalPlaces = &dp
	for _, b := range []struct {
		field, text string
		dst         ***float64
	}{{"y_axis_min", f.YAxisMin, &in.YAxisMin}, {"y_axis_max", f.YAxisMax, &in.YAxisMax}} {
		var v *float64
		if t := strings.TrimSpace(b.text); t != "" {
			n, err := strconv.ParseFloat(t, 64)
			if err != nil {
				return in, &domain.ValidationError{Field: b.field, Msg: l.T("admin.metrics.y_invalid")}
			}
			v = &n
		}
		*b.dst = &v
	}
	return in, nil
}

func (s *Screens) postNewMetric(c *fiber.Ctx) error {
	f := metricForm{ProviderID: c.FormValue("metrics_provider_id")}
	in, err := metricInput(c, s.Lang(c), &f)
	var m domain.Metric
	if err == nil {
		m, err = s.metrics.Create(c.UserContext(), f.ProviderID, in)
	}
	if err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed("metric_"), s.T(c, "admin.metrics.not_created"), func(v screen.View) error {
			return s.showList(c, fiber.StatusUnprocessableEntity, listScreen{Form: f}, v)
		})
	}
	web.SetAuditTarget(c, m.ID)
	return s.SeeOther(c, "/console/metrics/"+m.ID, s.T(c, "admin.metrics.created"))
}

func (s *Screens) showMetric(c *fiber.Ctx, status int, ms metricScreen, v screen.View) error {
	ctx := c.UserContext()
	m, err := s.metrics.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	p, err := s.metrics.Provider(ctx, m.ProviderID)
	if err != nil {
		return err
	}
	if ms.Provider, err = s.providerRow(c, p, nil); err != nil {
		return err
	}
	if ms.Metric, err = s.row(c, m); err != nil {
		return err
	}
	series, err := s.metrics.Series(ctx, m.ID, domain.Day)
	if err != nil {
		return err
	}
	loc, lang := s.Location(c), s.Lang(c)
	drawn := chart.Metric(series, loc)
	drawn.Lang = lang
	ms.Chart = template.HTML(chart.HTML(drawn))
	for i := len(series.Points) - 1; i >= 0 && len(ms.Recent) < recentRows; i-- {
		a := series.Points[i]
		ms.Recent = append(ms.Recent, aggregateRow{Time: a.Time.In(loc).Format("2006-01-02 15:04"), Avg: format(lang, m, a.Avg()),
			Min: format(lang, m, a.Min), Max: format(lang, m, a.Max), Count: a.Count})
	}
	if ms.Form.Transforms == nil {
		ms.Form = newMetricForm(m, nil)
	}
	ms.Form.ID = m.ID
	v.Title, v.Section, v.Data = m.Name, "components", ms
	return s.Render(c, status, "metric", v)
}

// recentRows is how many of the last day's 5-minute aggregates the
// metric screen lists, newest first.
const recentRows = 12

func (s *Screens) getMetric(c *fiber.Ctx) error {
	return s.showMetric(c, fiber.StatusOK, metricScreen{}, screen.View{})
}

func (s *Screens) postMetric(c *fiber.Ctx) error {
	var f metricForm
	in, err := metricInput(c, s.Lang(c), &f)
	if err == nil {
		_, err = s.metrics.Update(c.UserContext(), c.Params("id"), in)
	}
	if err != nil {
		return screen.Refuse(err, screen.View{}, screen.Prefixed("metric_"), s.T(c, "admin.metrics.not_saved"), func(v screen.View) error {
			return s.showMetric(c, fiber.StatusUnprocessableEntity, metricScreen{Form: f}, v)
		})
	}
	return s.SeeOther(c, "/console/metrics/"+c.Params("id"), s.T(c, "admin.metrics.saved"))
}

// postReset deletes the metric's data once its form's confirmation box is
// ticked (the box works without script; with it, the console also asks).
func (s *Screens) postReset(c *fiber.Ctx) error {
	if !screen.FormBool(c, "confirm") {
		err := &domain.ValidationError{Field: "confirm", Msg: s.T(c, "admin.metrics.reset_tick")}
		return screen.Refuse(err, screen.View{}, screen.Always("reset_confirm"), s.T(c, "admin.metrics.nothing_deleted"), func(v screen.View) error {
			return s.showMetric(c, fiber.StatusUnprocessableEntity, metricScreen{}, v)
		})
	}
	if err := s.metrics.Reset(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.SeeOther(c, "/console/metrics/"+c.Params("id"), s.T(c, "admin.metrics.data_deleted"))
}

func (s *Screens) postDeleteMetric(c *fiber.Ctx) error {
	if err := s.metrics.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.SeeOther(c, "/console/metrics", s.T(c, "admin.metrics.deleted"))
}
