package web

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beacon-status/beacon/notifier"
)

// Metrics is Beacon's Prometheus registry: its own, not the global one, so
// tests can build many apps in one process.
type Metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.HistogramVec
	deliveries *prometheus.CounterVec
	sendTime   *prometheus.HistogramVec
	// observers caches the request histogram's children: WithLabelValues
	// hashes and validates its label values on every call.
	observers sync.Map // observerKey → prometheus.Observer
}

// observerKey names one child of the request histogram.
type observerKey struct {
	route, method string
	code          int
}

var _ notifier.Observer = (*Metrics)(nil)

// Backlog reports what waits to be sent (*notifier.Outbox).
type Backlog interface {
	Backlog(ctx context.Context) (events int, deliveries map[notifier.Channel]int, err error)
}

// NewMetrics makes the registry, with the notification backlog read from
// backlog when scraped.
func NewMetrics(backlog Backlog) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "beacon_http_request_duration_seconds",
			Help:    "HTTP request latency by route, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beacon_deliveries_total",
			Help: "Notification send attempts by channel and outcome (sent, retry, failed, cancelled).",
		}, []string{"channel", "outcome"}),
		sendTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "beacon_send_duration_seconds",
			Help:    "Time to hand one notification to the SMTP server, Twilio or a webhook.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
	}
	m.registry.MustRegister(
		m.requests,
		m.deliveries,
		m.sendTime,
		queueDepth{backlog},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// observe records a finished request's latency under its route pattern
// (never the raw path, which would let callers create unbounded label
// values).
func (m *Metrics) observe(route, method string, code int, took time.Duration) {
	k := observerKey{route, method, code}
	o, ok := m.observers.Load(k)
	if !ok {
		o, _ = m.observers.LoadOrStore(k, m.requests.WithLabelValues(route, method, strconv.Itoa(code)))
	}
	o.(prometheus.Observer).Observe(took.Seconds())
}

// Observe implements notifier.Observer.
func (m *Metrics) Observe(ch notifier.Channel, outcome notifier.Outcome, took time.Duration) {
	m.deliveries.WithLabelValues(string(ch), string(outcome)).Inc()
	m.sendTime.WithLabelValues(string(ch)).Observe(took.Seconds())
}

// queueDepth reports the backlog when scraped: pending events, and
// pending deliveries per channel. A count it cannot read is -1 (events) or
// left out (deliveries), rather than a zero that would look healthy.
type queueDepth struct{ backlog Backlog }

var (
	pendingEventsDesc = prometheus.NewDesc("beacon_outbox_pending_events",
		"Notification events written but not yet fanned out to deliveries.", nil, nil)
	queueDepthDesc = prometheus.NewDesc("beacon_delivery_queue_depth",
		"Deliveries waiting to be sent (including those backing off or in flight), by channel.", []string{"channel"}, nil)
)

// Describe implements prometheus.Collector.
func (q queueDepth) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingEventsDesc
	ch <- queueDepthDesc
}

// Collect implements prometheus.Collector.
func (q queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	events, deliveries, err := q.backlog.Backlog(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(pendingEventsDesc, prometheus.GaugeValue, -1)
		return
	}
	ch <- prometheus.MustNewConstMetric(pendingEventsDesc, prometheus.GaugeValue, float64(events))
	for c, n := range deliveries {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), string(c))
	}
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
}
