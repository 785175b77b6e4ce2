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

	"github.com/beacon-status/beacon/internal/sqlite"
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

// NewMetrics makes the registry, with the delivery queue depth read from db.
func NewMetrics(db *sqlite.DB) *Metrics {
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
		queueDepth{db},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "beacon_outbox_pending_events",
			Help: "Notification events written but not yet fanned out to deliveries.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var n int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notification_events WHERE fanned_out_at IS NULL`).Scan(&n); err != nil {
				return -1
			}
			return float64(n)
		}),
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

// queueDepth reports pending deliveries per channel when scraped.
type queueDepth struct{ db *sqlite.DB }

var queueDepthDesc = prometheus.NewDesc("beacon_delivery_queue_depth",
	"Deliveries waiting to be sent (including those backing off or in flight), by channel.", []string{"channel"}, nil)

func (q queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

func (q queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts := map[string]float64{"email": 0, "sms": 0, "webhook": 0}
	rows, err := q.db.Read.QueryContext(ctx, `SELECT channel, COUNT(*) FROM deliveries WHERE state = 'pending' GROUP BY channel`)
	if err == nil {
		for rows.Next() {
			var c string
			var n float64
			if rows.Scan(&c, &n) == nil {
				counts[c] = n
			}
		}
		rows.Close()
	}
	for c, n := range counts {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, n, c)
	}
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
}
