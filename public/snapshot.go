package public

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/icalendar"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/public/signup"
	"github.com/beacon-status/beacon/templates"
)

// cache keeps the public site's snapshot: every page and API body rendered
// in memory. A committed change marks it dirty; the next request rebuilds
// it once while concurrent requests wait for that one rebuild, so a traffic
// spike during an outage costs no database work. While the database does
// not answer, the last snapshot is served and a rebuild is tried at most
// once per rebuildRetry: the page is most needed when something is down.
type cache struct {
	baseURL    string
	now        func() time.Time
	log        *slog.Logger
	components *components.Service
	incidents  *incidents.Service
	// metrics are the system metrics charted on "/"; nil for none.
	metrics   *metrics.Service
	chartSets chartSets
	templates *templates.Set
	// channels decide whether incident pages offer the follow form.
	channels signup.Channels
	dirty    atomic.Bool
	// changes counts invalidations: snapshots built between the same two
	// changes show the same data, whatever the clock did.
	changes atomic.Uint64
	mu      sync.Mutex // serialises rebuilds
	cur     atomic.Pointer[snapshot]
	// retryAt is when a rebuild may be tried again after one failed (unix
	// nanoseconds of the clock; zero after a success); builds counts the
	// rebuilds tried, for tests.
	retryAt atomic.Int64
	builds  atomic.Uint64
	// markdown keeps rendered update bodies from one snapshot to the next.
	markdown markdownCache
}

// snapshot is the page's public state at one moment, with the rendered
// bodies of the v2 endpoints keyed by path below /api/v2/.
type snapshot struct {
	page components.Page
	// lang is the page's default language: the snapshot's own pages,
	// feeds, badge and calendar are in it.
	lang       *i18n.Lang
	status     components.PageStatus
	components []components.Component
	byID       map[string]components.Component // the components by id
	unresolved []incidents.Incident
	upcoming   []incidents.Incident
	active     []incidents.Incident
	// recent holds the incidents and maintenances of the last 90 days (and
	// those still open) that affected components, for the page's bars.
	recent    []incidents.Span
	lastDays  []incidents.Incident // with their updates
	uptime    map[string]components.Uptime
	updatedAt time.Time
	// recentIncidents and recentMaintenance are the newest of each, which
	// the feeds list.
	recentIncidents, recentMaintenance []incidents.Incident
	// maintenance is what the maintenance calendar lists
	// (icalendar.Filter), with the updates.
	maintenance []incidents.Incident
	// metrics are the displayed metrics (metrics.go).
	metrics []metrics.Metric
	// at is the moment the snapshot shows: the clock when it was built.
	at time.Time
	// version is the count of changes the snapshot includes: a snapshot
	// rebuilt only because it expired has its predecessor's.
	version uint64
	api     map[string]*web.Resource
	// expires is when the snapshot goes stale without any change: today's
	// bar, the uptime figures and the list of past days follow the clock.
	expires time.Time
	// The pages rendered with the snapshot, and those rendered on demand.
	index, atom, rss, badge, favicon, ics *web.Resource
	lazyPages                             pageCache
	// filtered are the calendars of some components (calendar.go).
	filtered web.Resources
}

func newCache(d Deps, ch signup.Channels) *cache {
	c := &cache{baseURL: d.BaseURL, now: d.Now, log: d.Log, components: d.Components, incidents: d.Incidents, metrics: d.Metrics, templates: d.Templates, channels: ch}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.dirty.Store(true)
	return c
}

// invalidate marks the cache stale; it is called after every commit.
func (c *cache) invalidate() {
	c.changes.Add(1)
	c.dirty.Store(true)
}

// rebuildRetry is how long the last snapshot is served after a rebuild
// failed before another is tried: one database query round a second at
// most while the database is down, however many visitors ask.
const rebuildRetry = time.Second

// get returns the current snapshot, rebuilding it first if it is stale.
// When the rebuild fails and there is a snapshot already, that one is
// returned: stale, but the page stays up.
func (c *cache) get(ctx context.Context) (*snapshot, error) {
	if s := c.usable(); s != nil {
		return s, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.usable(); s != nil {
		return s, nil
	}
	// Clear the flag before reading, so a change committed during the
	// rebuild marks the new snapshot stale again.
	c.dirty.Store(false)
	version := c.changes.Load()
	c.builds.Add(1)
	s, err := c.build(ctx)
	prev := c.cur.Load()
	if err != nil {
		c.dirty.Store(true)
		if prev == nil || ctx.Err() != nil {
			return nil, err
		}
		c.retryAt.Store(c.now().Add(rebuildRetry).UnixNano())
		c.log.Error("public page: rebuild failed, serving the last snapshot", "snapshot_at", prev.at, "err", err)
		return prev, nil
	}
	c.retryAt.Store(0)
	s.version = version
	if prev != nil {
		s.reuse(prev)
	}
	c.cur.Store(s)
	return s, nil
}

// usable returns the current snapshot if it may be served without a
// rebuild: it is fresh, or a rebuild failed less than rebuildRetry ago.
func (c *cache) usable() *snapshot {
	s := c.cur.Load()
	if s == nil {
		return nil
	}
	if !c.dirty.Load() && c.now().Before(s.expires) {
		return s
	}
	if at := c.retryAt.Load(); at != 0 && c.now().UnixNano() < at {
		return s
	}
	return nil
}

// reuse takes over prev's resources whose bytes did not change, with the
// gzip form they may have made already: a rebuild changes few bodies, and
// one made only because a minute passed often none but the page's own.
func (s *snapshot) reuse(prev *snapshot) {
	same := func(r, old *web.Resource) *web.Resource {
		if old != nil && r != nil && r.ETag() == old.ETag() {
			return old
		}
		return r
	}
	s.index, s.atom, s.rss, s.badge = same(s.index, prev.index), same(s.atom, prev.atom), same(s.rss, prev.rss), same(s.badge, prev.badge)
	s.favicon, s.ics = same(s.favicon, prev.favicon), same(s.ics, prev.ics)
	for path, r := range s.api {
		s.api[path] = same(r, prev.api[path])
	}
}

// snapshotTTL bounds how long a snapshot is served without a change, so
// time-dependent parts (today's bar, uptime, the day list) move on; a
// rebuild costs tens of milliseconds, once a minute at most.
const snapshotTTL = time.Minute

// recentLimit is how many incidents and maintenances the history endpoints
// return, as Statuspage does.
const recentLimit = 50

func (c *cache) build(ctx context.Context) (*snapshot, error) {
	c.markdown.rotate()
	now := c.now()
	// The reads are independent: they run side by side on the read pool.
	var (
		page     components.Page
		all      []components.Component
		uptime   map[string]components.Uptime
		lists    [][]incidents.Incident
		recent90 []incidents.Span
		shown    []metrics.Metric
	)
	err := frame.Parallel(
		func() error {
			var err error
			if page, err = c.components.Page(ctx); err != nil {
				return err
			}
			if all, err = c.components.List(ctx); err != nil {
				return err
			}
			loc := page.Location()
			uptime, err = c.components.UptimeMany(ctx, all, now.In(loc).AddDate(0, 0, -(UptimeDays-1)), now.In(loc), loc, now)
			return err
		},
		func() error {
			var err error
			lists, err = c.incidents.ListMany(ctx,
				incidents.UnresolvedFilter(),
				incidents.Filter{Kind: incidents.KindIncident, Limit: recentLimit},
				incidents.UpcomingFilter(),
				incidents.ActiveMaintenanceFilter(),
				incidents.Filter{Kind: incidents.KindMaintenance, Limit: recentLimit},
				// The past days list shows whole timelines.
				incidents.Filter{From: now.AddDate(0, 0, -pastDays-1), Limit: 1000},
				icalendar.Filter(now),
			)
			return err
		},
		func() error {
			// The bars' tooltips need only names, times and components.
			var err error
			recent90, err = c.incidents.Spans(ctx, now.AddDate(0, 0, -UptimeDays-1), time.Time{}, 5000)
			return err
		},
		func() error {
			var err error
			if c.metrics != nil {
				shown, err = c.metrics.Displayed(ctx)
			}
			return err
		},
	)
	if err != nil {
		return nil, err
	}
	unresolved, recent, upcoming, active, recentMaint, lastDays := lists[0], lists[1], lists[2], lists[3], lists[4], lists[5]

	s := &snapshot{page: page, lang: c.templates.Catalogue().Get(page.Language), components: all, byID: components.ByID(all), unresolved: unresolved, upcoming: upcoming, active: active,
		recent: recent90, recentIncidents: recent, recentMaintenance: recentMaint, lastDays: lastDays, maintenance: lists[6], metrics: shown, uptime: uptime, updatedAt: page.UpdatedAt, at: now, expires: now.Add(snapshotTTL)}
	s.filtered.Max = maxCalendars
	s.status = incidents.PageStatus(all, unresolved, active)
	for _, comp := range all {
		s.updatedAt = later(s.updatedAt, comp.UpdatedAt)
	}
	for _, group := range [][]incidents.Incident{recent, recentMaint} {
		for _, in := range group {
			s.updatedAt = later(s.updatedAt, in.UpdatedAt)
		}
	}

	r := statuspage.NewRenderer(page, c.baseURL, all)
	p := r.Page(s.updatedAt)
	bodies := map[string]any{
		"summary.json": struct {
			Page                  statuspage.Page          `json:"page"`
			Components            []statuspage.Component   `json:"components"`
			Incidents             []statuspage.Incident    `json:"incidents"`
			ScheduledMaintenances []statuspage.Maintenance `json:"scheduled_maintenances"`
			Status                statuspage.Status        `json:"status"`
		}{p, r.Components(all), r.Incidents(unresolved), r.Maintenances(append(append([]incidents.Incident{}, active...), upcoming...)), s.status},
		"status.json": struct {
			Page   statuspage.Page   `json:"page"`
			Status statuspage.Status `json:"status"`
		}{p, s.status},
		"components.json": struct {
			Page       statuspage.Page        `json:"page"`
			Components []statuspage.Component `json:"components"`
		}{p, r.Components(all)},
		"incidents.json":                       incidentsBody{p, r.Incidents(recent)},
		"incidents/unresolved.json":            incidentsBody{p, r.Incidents(unresolved)},
		"scheduled-maintenances.json":          maintenancesBody{p, r.Maintenances(recentMaint)},
		"scheduled-maintenances/upcoming.json": maintenancesBody{p, r.Maintenances(upcoming)},
		"scheduled-maintenances/active.json":   maintenancesBody{p, r.Maintenances(active)},
	}
	// The bodies do not depend on one another: they too are made side by
	// side. Each function sets its own fields of s.
	pr := newPageRender(c, s, s.lang)
	apiBodies := func() error {
		api := make(map[string]*web.Resource, len(bodies))
		for path, v := range bodies {
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("render %s: %w", path, err)
			}
			api[path] = web.NewResource(b)
		}
		s.api = api
		return nil
	}
	charts, err := c.charts(ctx, s, metrics.Day, s.lang)
	if err != nil {
		return nil, err
	}
	// "/" shows new data once its charts may be drawn again.
	if charts != nil && charts.at.Add(chartsTTL).After(now) && charts.at.Add(chartsTTL).Before(s.expires) {
		s.expires = charts.at.Add(chartsTTL)
	}
	index := func() error {
		var err error
		s.index, err = pr.index(metrics.Day, charts)
		return err
	}
	feeds := func() error {
		var err error
		s.atom, s.rss, err = pr.feeds(mergeNewest(recent, recentMaint, recentLimit), nil)
		return err
	}
	calendar := func() error {
		s.ics = web.NewResource(pr.calendars().Calendar(s.maintenance, nil))
		return nil
	}
	if err := frame.Parallel(index, apiBodies, feeds, calendar); err != nil {
		return nil, err
	}
	s.badge = web.NewResource(badge(s.status, s.lang))
	s.favicon = web.NewResource(favicon(s.status))
	return s, nil
}

// mergeNewest merges two newest-first lists into the n newest.
func mergeNewest(a, b []incidents.Incident, n int) []incidents.Incident {
	out := append(append([]incidents.Incident{}, a...), b...)
	slices.SortStableFunc(out, func(x, y incidents.Incident) int { return y.CreatedAt.Compare(x.CreatedAt) })
	return out[:min(n, len(out))]
}

type incidentsBody struct {
	Page      statuspage.Page       `json:"page"`
	Incidents []statuspage.Incident `json:"incidents"`
}

type maintenancesBody struct {
	Page                  statuspage.Page          `json:"page"`
	ScheduledMaintenances []statuspage.Maintenance `json:"scheduled_maintenances"`
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// apiV2 serves one cached v2 body.
func (p *pages) apiV2(path string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s, err := p.cache.get(c.UserContext())
		if err != nil {
			return err
		}
		web.AllowAnyOrigin(c)
		return s.api[path].Send(c, fiber.MIMEApplicationJSONCharsetUTF8, p.cacheControl)
	}
}
