// Package metrics keeps system metrics shown beside the components
// (response time, error rate…), in the shapes of Statuspage's metrics API:
// metrics providers, metrics and their data points. Points are pushed
// (providers of type Self; other types are stored, not fetched), each cast
// to its 30 s slot, a later point in a slot replacing the earlier one.
//
// Storage stays small: raw points are kept Config.RawRetention (7 days by
// default) and rolled up, in the transaction that writes them, into
// 5-minute aggregates kept 35 days and 1-hour aggregates kept 2 years, from
// which the day, week and month charts are read. Compact drops what is past
// its age.
package metrics

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/store"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes; they refer to no other
// package's tables.
func Migrations() store.Migrations {
	return store.Migrations{Package: "metrics", FS: store.Sub(migrations, "migrations")}
}

// ErrNotFound is a provider or metric that does not exist.
var ErrNotFound = errors.New("not found")

// ValidationError is a refused field (422).
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Msg) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ProviderType is where a provider's data comes from.
type ProviderType string

// Statuspage's provider types.
const (
	Self     ProviderType = "Self" // data pushed through the API
	Pingdom  ProviderType = "Pingdom"
	NewRelic ProviderType = "NewRelic"
	Librato  ProviderType = "Librato"
	Datadog  ProviderType = "Datadog"
)

// ProviderTypes are the known types, in Statuspage's order.
var ProviderTypes = []ProviderType{Pingdom, NewRelic, Librato, Datadog, Self}

// Valid reports whether t is a known type.
func (t ProviderType) Valid() bool {
	for _, k := range ProviderTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Provider is a source of metrics.
type Provider struct {
	ID                string
	Type              ProviderType
	Disabled          bool
	MetricBaseURI     string
	LastRevalidatedAt *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Fetched reports whether this provider's data reaches Beacon: true for
// Self, whose data is pushed through the API; false for the other types,
// which are stored (with their credentials) but not fetched.
func (p Provider) Fetched() bool { return p.Type == Self }

// ProviderInput sets a provider's fields; nil leaves a field as it is.
// Credentials are stored and never returned.
type ProviderInput struct {
	Type                                                             *ProviderType
	MetricBaseURI, Email, Password, APIKey, APIToken, ApplicationKey *string
	Disabled                                                         *bool
}

// Transform is how a metric's provider combines its values.
type Transform string

// The transforms.
const (
	Average      Transform = "average"
	Count        Transform = "count"
	Max          Transform = "max"
	Min          Transform = "min"
	Sum          Transform = "sum"
	ResponseTime Transform = "response_time"
	Uptime       Transform = "uptime"
)

// Transforms are the known transforms.
var Transforms = []Transform{Average, Count, Max, Min, Sum, ResponseTime, Uptime}

// Valid reports whether t is a known transform.
func (t Transform) Valid() bool {
	for _, k := range Transforms {
		if t == k {
			return true
		}
	}
	return false
}

// Metric is one series of values, charted on the page when Display is set.
type Metric struct {
	ID                 string
	ProviderID         string
	Identifier         string
	Name               string
	ApplicationID      string
	Transform          Transform
	Display            bool
	TooltipDescription string
	Suffix             string
	DecimalPlaces      int
	YAxisMin, YAxisMax *float64
	YAxisHidden        bool
	Backfilled         bool
	MostRecentDataAt   *time.Time
	LastFetchedAt      *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// MetricInput sets a metric's fields; nil leaves a field as it is (or takes
// its default on create: transform average, displayed, 0 decimal places).
// On create Name is required.
type MetricInput struct {
	Name, Identifier, ApplicationID, TooltipDescription, Suffix *string
	Transform                                                   *Transform
	Display, YAxisHidden                                        *bool
	DecimalPlaces                                               *int
	YAxisMin, YAxisMax                                          **float64 // set to a nil *float64 to clear
}

// Limits on the fields and on data.
const (
	maxName          = 255
	maxText          = 255 // identifier, application id, tooltip, provider's URI and credentials
	maxSuffix        = 32
	maxDecimalPlaces = 6
	// MaxPointsPerRequest is the most points one AddPoints call takes.
	MaxPointsPerRequest = 10000
	// MaxFuture is how far ahead of the clock a point may be.
	MaxFuture = 5 * time.Minute
	// MaxValue bounds a point's value and the y axis, either way: far past
	// any measure, and sums, averages and labels stay exact and short.
	MaxValue = 1e15
)

// checkValue refuses a value that is not finite or past ±MaxValue.
func checkValue(field string, v float64) error {
	if math.IsNaN(v) || math.Abs(v) > MaxValue {
		return invalid(field, "must be a finite number from -1e15 to 1e15")
	}
	return nil
}

// checkText checks an optional one-line text field.
func checkText(field, v string, limit int) error {
	if utf8.RuneCountInString(v) > limit {
		return invalid(field, "must be at most %d characters", limit)
	}
	if err := chars.CheckLine(v); err != nil {
		return invalid(field, "%v", err)
	}
	return nil
}

// apply sets in's fields on p and checks them.
func (in ProviderInput) apply(p *Provider, creds *credentials) error {
	if in.Type != nil {
		if !in.Type.Valid() {
			return invalid("type", "must be one of Pingdom, NewRelic, Librato, Datadog, Self")
		}
		p.Type = *in.Type
	}
	if in.MetricBaseURI != nil {
		if err := checkText("metric_base_uri", *in.MetricBaseURI, maxText); err != nil {
			return err
		}
		p.MetricBaseURI = strings.TrimSpace(*in.MetricBaseURI)
	}
	for _, f := range []struct {
		field string
		src   *string
		dst   *string
	}{{"email", in.Email, &creds.email}, {"password", in.Password, &creds.password}, {"api_key", in.APIKey, &creds.apiKey},
		{"api_token", in.APIToken, &creds.apiToken}, {"application_key", in.ApplicationKey, &creds.applicationKey}} {
		if f.src == nil {
			continue
		}
		if err := checkText(f.field, *f.src, maxText); err != nil {
			return err
		}
		*f.dst = *f.src
	}
	if in.Disabled != nil {
		p.Disabled = *in.Disabled
	}
	return nil
}

// credentials are a provider's secrets, written and never read back.
type credentials struct{ email, password, apiKey, apiToken, applicationKey string }

// apply sets in's fields on m and checks them.
func (in MetricInput) apply(m *Metric) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			return invalid("name", "can't be blank")
		}
		if err := checkText("name", n, maxName); err != nil {
			return err
		}
		m.Name = n
	}
	for _, f := range []struct {
		field string
		src   *string
		dst   *string
		limit int
	}{{"metric_identifier", in.Identifier, &m.Identifier, maxText}, {"application_id", in.ApplicationID, &m.ApplicationID, maxText},
		{"tooltip_description", in.TooltipDescription, &m.TooltipDescription, maxText}, {"suffix", in.Suffix, &m.Suffix, maxSuffix}} {
		if f.src == nil {
			continue
		}
		if err := checkText(f.field, *f.src, f.limit); err != nil {
			return err
		}
		*f.dst = *f.src
	}
	if in.Transform != nil {
		if !in.Transform.Valid() {
			return invalid("transform", "must be one of average, count, max, min, sum, response_time, uptime")
		}
		m.Transform = *in.Transform
	}
	if in.Display != nil {
		m.Display = *in.Display
	}
	if in.YAxisHidden != nil {
		m.YAxisHidden = *in.YAxisHidden
	}
	if in.DecimalPlaces != nil {
		if *in.DecimalPlaces < 0 || *in.DecimalPlaces > maxDecimalPlaces {
			return invalid("decimal_places", "must be from 0 to %d", maxDecimalPlaces)
		}
		m.DecimalPlaces = *in.DecimalPlaces
	}
	for _, f := range []struct {
		field string
		src   **float64
		dst   **float64
	}{{"y_axis_min", in.YAxisMin, &m.YAxisMin}, {"y_axis_max", in.YAxisMax, &m.YAxisMax}} {
		if f.src == nil {
			continue
		}
		if *f.src == nil {
			*f.dst = nil
			continue
		}
		v := **f.src
		if err := checkValue(f.field, v); err != nil {
			return err
		}
		*f.dst = &v
	}
	if m.YAxisMin != nil && m.YAxisMax != nil && *m.YAxisMin >= *m.YAxisMax {
		return invalid("y_axis_max", "must be greater than y_axis_min")
	}
	return nil
}

// Point is one value at one time. Time is cast to its 30 s slot on write
// (InSlot).
type Point struct {
	Time  time.Time
	Value float64
}

// Slot is the granularity of stored points.
const Slot = 30 * time.Second

// InSlot is p as stored: its time cast to the nearest slot, as Statuspage
// casts each point to the nearest 30-second interval.
func (p Point) InSlot() Point { return Point{Time: p.Time.Round(Slot).UTC(), Value: p.Value} }

// Aggregate summarises the points of one bucket.
type Aggregate struct {
	Time  time.Time // the bucket's start
	Min   float64
	Max   float64
	Sum   float64
	Count int64
}

// Avg is the points' mean.
func (a Aggregate) Avg() float64 {
	if a.Count == 0 {
		return 0
	}
	return a.Sum / float64(a.Count)
}

// merge adds b's points to a.
func (a *Aggregate) merge(b Aggregate) {
	if a.Count == 0 {
		a.Min, a.Max = b.Min, b.Max
	} else {
		a.Min, a.Max = min(a.Min, b.Min), max(a.Max, b.Max)
	}
	a.Sum += b.Sum
	a.Count += b.Count
}

// Period is the span a chart shows.
type Period string

// The periods.
const (
	Day   Period = "day"
	Week  Period = "week"
	Month Period = "month"
)

// Periods are the periods, shortest first.
var Periods = []Period{Day, Week, Month}

// Valid reports whether p is a known period.
func (p Period) Valid() bool { return p == Day || p == Week || p == Month }

// Step is the width of one bucket of p's series.
func (p Period) Step() time.Duration {
	switch p {
	case Week:
		return time.Hour
	case Month:
		return 4 * time.Hour
	}
	return 5 * time.Minute
}

// Buckets is how many steps p's series spans.
func (p Period) Buckets() int {
	switch p {
	case Week:
		return 168
	case Month:
		return 180
	}
	return 288
}

// Series is one metric over one period, ending at now, in fixed steps
// (day: 5 min → 288 buckets; week: 1 h → 168; month: 4 h → 180). The last
// bucket holds now; empty buckets are absent from Points.
type Series struct {
	Metric Metric
	Period Period
	From   time.Time // the first bucket's start
	To     time.Time // the last bucket's end
	Step   time.Duration
	Points []Aggregate
}

// Config tunes the storage.
type Config struct {
	// RawRetention is how long raw 30 s points are kept (default 7 days);
	// older points are refused. 5-minute aggregates are kept 35 days and
	// 1-hour aggregates 2 years (or RawRetention, if longer).
	RawRetention time.Duration
}

// Retentions of the rollups.
const (
	DefaultRawRetention = 7 * 24 * time.Hour
	FiveMinuteRetention = 35 * 24 * time.Hour
	HourRetention       = 2 * 365 * 24 * time.Hour
)
