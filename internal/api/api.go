// Package api is the management API v1, for staff's scripts and tools: it
// follows Statuspage's management API (pages, components, component
// groups, incidents, postmortems, incident subscribers, subscribers,
// incident templates, the status embed config, metrics providers, metrics
// and their data) and adds Beacon's alert
// integrations, is authenticated by API key (alerts by their
// integration's token) and audits every change. Handlers are methods on one small struct
// per resource, each holding only the services it uses; Routes is the one
// route table.
package api

import (
	"context"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// Deps are the services the management API uses.
type Deps struct {
	// BaseURL is the page's public address, for the links in responses.
	BaseURL string
	// PageID is the one page's id, the only one the paths accept.
	PageID string
	// Now is the clock (time.Now outside tests).
	Now         func() time.Time
	Components  *components.Service
	Incidents   *incidents.Service
	Subscribers *subscribers.Service
	// Outbox answers an incident's delivery counts.
	Outbox *notifier.Outbox
	// Dispatcher is woken when a request queued a message to send.
	Dispatcher *notifier.Dispatcher
	// InForce changes the page and embed settings.
	InForce *settings.InForce
	// Keys and Limiter authenticate and rate-limit requests by API key.
	Keys    *apikeys.Store
	Limiter *web.KeyLimiter
	// Audit records every change made through the API.
	Audit *web.Audit
	// Integrations keeps the monitoring systems that post alerts.
	Integrations *integrations.Service
	// Metrics keeps the metrics providers, metrics and their data points.
	Metrics *metrics.Service
}

// V1 is the management API v1: its handlers, by resource, and what its
// routes need to authenticate and audit requests.
type V1 struct {
	keys    *apikeys.Store
	limiter *web.KeyLimiter
	audit   *web.Audit
	pageID  string

	pages         pageAPI
	components    componentAPI
	groups        groupAPI
	uptime        uptimeAPI
	incidents     incidentAPI
	postmortems   postmortemAPI
	notifications notificationAPI
	followers     followerAPI
	subscribers   subscriberAPI
	templates     templateAPI
	embed         embedAPI
	integrations  integrationAPI
	alerts        alertAPI
	providers     providerAPI
	metrics       metricAPI
}

// New returns the management API on d's services.
func New(d Deps) *V1 {
	r := rendering{components: d.Components, baseURL: d.BaseURL}
	return &V1{
		keys: d.Keys, limiter: d.Limiter, audit: d.Audit, pageID: d.PageID,

		pages:         pageAPI{components: d.Components, inForce: d.InForce, baseURL: d.BaseURL},
		components:    componentAPI{components: d.Components, render: r},
		groups:        groupAPI{components: d.Components, render: r},
		uptime:        uptimeAPI{components: d.Components, incidents: d.Incidents, now: d.Now, render: r},
		incidents:     incidentAPI{incidents: d.Incidents, render: r},
		postmortems:   postmortemAPI{incidents: d.Incidents, render: r},
		notifications: notificationAPI{incidents: d.Incidents, outbox: d.Outbox},
		followers:     followerAPI{incidents: d.Incidents, subscribers: d.Subscribers, dispatcher: d.Dispatcher, render: r},
		subscribers:   subscriberAPI{subscribers: d.Subscribers, dispatcher: d.Dispatcher, render: r},
		templates:     templateAPI{incidents: d.Incidents, render: r},
		embed:         embedAPI{inForce: d.InForce, pageID: d.PageID},
		integrations:  integrationAPI{integrations: d.Integrations, baseURL: d.BaseURL},
		alerts:        alertAPI{integrations: d.Integrations, limiter: d.Limiter, audit: d.Audit},
		providers:     providerAPI{metrics: d.Metrics, pageID: d.PageID},
		metrics:       metricAPI{metrics: d.Metrics},
	}
}

// rendering makes the renderer of management responses; every resource
// but the page and the embed config answers through one.
type rendering struct {
	components *components.Service
	baseURL    string
}

// renderer returns a renderer for the current page and components.
// It reads the page and components directly: rebuilding the public
// snapshot for every management response would make a run of API changes
// render every page once per change.
func (r rendering) renderer(ctx context.Context) (*statuspage.Renderer, error) {
	page, err := r.components.Page(ctx)
	if err != nil {
		return nil, err
	}
	all, err := r.components.List(ctx)
	if err != nil {
		return nil, err
	}
	return statuspage.NewRenderer(page, r.baseURL, all), nil
}

// window is the page of list that offset and limit select.
func window[T any](list []T, offset, limit int) []T {
	if offset >= len(list) {
		return []T{}
	}
	return list[offset:min(len(list), offset+limit)]
}
