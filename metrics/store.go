package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

// Service keeps providers, metrics and their data.
type Service struct {
	db      *store.DB
	now     func() time.Time
	changed func()
	cfg     Config
	// Retentions in force: the rollups outlive the raw points, so that a
	// point replaced within the raw retention always finds its bucket's
	// raw rows and its hour's 5-minute rows.
	fiveMinRetention, hourRetention time.Duration
	version                         atomic.Int64
	single                          singles
	// rawCut is the newest raw cut-off of a compaction: points before it
	// are checked against compacted buckets.
	rawCut cutOff
	// addRollup (by rollup table) and raiseCut are the statements whose
	// text depends on the engine, built once.
	addRollup map[string]string
	raiseCut  string
}

// NewService returns a service on db that reads the time from now and calls
// changed after a committed change of providers or metrics (not after data
// points: charts refresh from DataVersion).
func NewService(db *store.DB, now func() time.Time, changed func(), cfg Config) *Service {
	if changed == nil {
		changed = func() {}
	}
	if cfg.RawRetention <= 0 {
		cfg.RawRetention = DefaultRawRetention
	}
	s := &Service{db: db, now: now, changed: changed, cfg: cfg}
	s.fiveMinRetention = max(FiveMinuteRetention, cfg.RawRetention)
	s.hourRetention = max(HourRetention, s.fiveMinRetention)
	s.addRollup = map[string]string{}
	for _, t := range dataTables[1:] {
		// The bucket's own columns are qualified: PostgreSQL finds a bare
		// min ambiguous beside excluded.min.
		s.addRollup[t] = `INSERT INTO ` + t + ` (metric, at, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (metric, at) DO UPDATE SET min = ` + db.Least(t+".min", "excluded.min") + `,
			max = ` + db.Greatest(t+".max", "excluded.max") + `, sum = ` + t + `.sum + excluded.sum,
			count = ` + t + `.count + excluded.count`
	}
	s.raiseCut = `UPDATE metric_compaction SET raw_before = ` + db.Greatest("raw_before", "?")
	return s
}

// DataVersion moves on every committed change of data points (and of the
// metrics that hold them), and at every OutsideChange: charts re-render when
// it has moved.
func (s *Service) DataVersion() int64 { return s.version.Load() }

// OutsideChange moves DataVersion for what another process may have
// committed (another replica, heard of through store.Watch), which this
// service's own writes never count. On PostgreSQL the data tables' change
// notices say they are data alone (migration 0003), and the app then moves
// only this; any other outside change counts too (SQLite cannot tell them
// apart): charts, drawn at most once a minute, may be drawn again once more
// than the data needs, never once per point.
func (s *Service) OutsideChange() { s.version.Add(1) }

// RawRetention is how long raw points are kept, the retention in force:
// points older than that are refused.
func (s *Service) RawRetention() time.Duration { return s.cfg.RawRetention }

const selectProviders = `SELECT id, type, disabled, metric_base_uri, last_revalidated_at, created_at, updated_at FROM metrics_providers`

func scanProvider(row interface{ Scan(...any) error }) (Provider, error) {
	var p Provider
	err := row.Scan(&p.ID, &p.Type, &p.Disabled, &p.MetricBaseURI, store.OptTime(&p.LastRevalidatedAt),
		store.Time(&p.CreatedAt), store.Time(&p.UpdatedAt))
	return p, err
}

// Providers returns every provider, oldest first.
func (s *Service) Providers(ctx context.Context) ([]Provider, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectProviders+` ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("metrics: providers: %w", err)
	}
	defer rows.Close()
	out := []Provider{}
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, fmt.Errorf("metrics: providers: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("metrics: providers: %w", err)
	}
	return out, nil
}

// Provider returns the provider with id.
func (s *Service) Provider(ctx context.Context, id string) (Provider, error) {
	return providerTx(ctx, s.db.Read, id)
}

func providerTx(ctx context.Context, q store.Queryer, id string) (Provider, error) {
	if !ids.Valid(id) {
		// Not queried: no row has such an id, and PostgreSQL refuses some
		// (NUL, not UTF-8) as an argument where SQLite finds no row.
		return Provider{}, fmt.Errorf("metrics: provider %s: %w", ids.Quote(id), ErrNotFound)
	}
	p, err := scanProvider(q.QueryRowContext(ctx, selectProviders+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Provider{}, fmt.Errorf("metrics: provider %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Provider{}, fmt.Errorf("metrics: provider %s: %w", id, err)
	}
	return p, nil
}

// CreateProvider makes a provider; Type is required.
func (s *Service) CreateProvider(ctx context.Context, in ProviderInput) (Provider, error) {
	if in.Type == nil {
		return Provider{}, invalid("type", "must be one of Pingdom, NewRelic, Librato, Datadog, Self")
	}
	now := s.now()
	p := Provider{ID: ids.New(), CreatedAt: now, UpdatedAt: now}
	var creds credentials
	if err := in.apply(&p, &creds); err != nil {
		return Provider{}, err
	}
	_, err := s.exec(ctx, `INSERT INTO metrics_providers (id, type, disabled, metric_base_uri, email, password,
		api_key, api_token, application_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Type, p.Disabled, p.MetricBaseURI, creds.email, creds.password, creds.apiKey, creds.apiToken, creds.applicationKey,
		store.FormatTime(now), store.FormatTime(now))
	if err != nil {
		return Provider{}, fmt.Errorf("metrics: create provider: %w", err)
	}
	s.changed()
	return p, nil
}

// UpdateProvider changes a provider's fields.
func (s *Service) UpdateProvider(ctx context.Context, id string, in ProviderInput) (Provider, error) {
	var p Provider
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = providerTx(ctx, tx, id); err != nil {
			return err
		}
		var creds credentials
		if err := in.apply(&p, &creds); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		_, err = tx.ExecContext(ctx, `UPDATE metrics_providers SET type = ?, disabled = ?, metric_base_uri = ?, updated_at = ?,
			email = COALESCE(?, email), password = COALESCE(?, password), api_key = COALESCE(?, api_key),
			api_token = COALESCE(?, api_token), application_key = COALESCE(?, application_key) WHERE id = ?`,
			p.Type, p.Disabled, p.MetricBaseURI, store.FormatTime(p.UpdatedAt),
			given(in.Email, creds.email), given(in.Password, creds.password), given(in.APIKey, creds.apiKey),
			given(in.APIToken, creds.apiToken), given(in.ApplicationKey, creds.applicationKey), id)
		if err != nil {
			return fmt.Errorf("metrics: update provider %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return Provider{}, err
	}
	s.changed()
	return p, nil
}

// given is v when the input field was set, NULL (keep the column) when not.
func given(field *string, v string) any {
	if field == nil {
		return nil
	}
	return v
}

// DeleteProvider deletes a provider with its metrics and their data.
func (s *Service) DeleteProvider(ctx context.Context, id string) error {
	n, err := s.exec(ctx, `DELETE FROM metrics_providers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("metrics: delete provider %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("metrics: delete provider %s: %w", id, ErrNotFound)
	}
	s.version.Add(1)
	s.changed()
	return nil
}

const selectMetrics = `SELECT id, provider_id, identifier, name, application_id, transform, display, tooltip_description, suffix,
	decimal_places, y_axis_min, y_axis_max, y_axis_hidden, backfilled, most_recent_data_at, last_fetched_at, created_at,
	updated_at FROM metrics`

func scanMetric(row interface{ Scan(...any) error }) (Metric, error) {
	var m Metric
	var yMin, yMax sql.NullFloat64
	err := row.Scan(&m.ID, &m.ProviderID, &m.Identifier, &m.Name, &m.ApplicationID, &m.Transform, &m.Display,
		&m.TooltipDescription, &m.Suffix, &m.DecimalPlaces, &yMin, &yMax, &m.YAxisHidden, &m.Backfilled,
		store.OptTime(&m.MostRecentDataAt), store.OptTime(&m.LastFetchedAt), store.Time(&m.CreatedAt), store.Time(&m.UpdatedAt))
	if yMin.Valid {
		m.YAxisMin = &yMin.Float64
	}
	if yMax.Valid {
		m.YAxisMax = &yMax.Float64
	}
	return m, err
}

func (s *Service) listMetrics(ctx context.Context, where string, args ...any) ([]Metric, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectMetrics+` `+where+` ORDER BY created_at, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("metrics: list: %w", err)
	}
	defer rows.Close()
	out := []Metric{}
	for rows.Next() {
		m, err := scanMetric(rows)
		if err != nil {
			return nil, fmt.Errorf("metrics: list: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("metrics: list: %w", err)
	}
	return out, nil
}

// List returns every metric, oldest first.
func (s *Service) List(ctx context.Context) ([]Metric, error) { return s.listMetrics(ctx, "") }

// ProviderMetrics returns a provider's metrics, oldest first; ErrNotFound
// when there is no such provider.
func (s *Service) ProviderMetrics(ctx context.Context, providerID string) ([]Metric, error) {
	if _, err := s.Provider(ctx, providerID); err != nil {
		return nil, err
	}
	return s.listMetrics(ctx, `WHERE provider_id = ?`, providerID)
}

// Displayed returns the metrics shown on the page, oldest first (a stable
// order: creation, then insertion).
func (s *Service) Displayed(ctx context.Context) ([]Metric, error) {
	return s.listMetrics(ctx, `WHERE display = 1`)
}

// Get returns the metric with id.
func (s *Service) Get(ctx context.Context, id string) (Metric, error) {
	return metricTx(ctx, s.db.Read, id)
}

func metricTx(ctx context.Context, q store.Queryer, id string) (Metric, error) {
	if !ids.Valid(id) {
		// Not queried, as providerTx.
		return Metric{}, fmt.Errorf("metrics: metric %s: %w", ids.Quote(id), ErrNotFound)
	}
	m, err := scanMetric(q.QueryRowContext(ctx, selectMetrics+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Metric{}, fmt.Errorf("metrics: metric %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Metric{}, fmt.Errorf("metrics: metric %s: %w", id, err)
	}
	return m, nil
}

// Create makes a metric of the provider; Name is required. ErrNotFound
// when there is no such provider.
func (s *Service) Create(ctx context.Context, providerID string, in MetricInput) (Metric, error) {
	if in.Name == nil {
		return Metric{}, invalid("name", "can't be blank")
	}
	now := s.now()
	m := Metric{ID: ids.New(), ProviderID: providerID, Transform: Average, Display: true, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&m); err != nil {
		return Metric{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := providerTx(ctx, tx, providerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO metrics (id, provider_id, name, transform, display, decimal_places,
			created_at, updated_at) VALUES (?, ?, '', '', 0, 0, ?, ?)`, m.ID, providerID, store.FormatTime(now), store.FormatTime(now))
		if err != nil {
			return fmt.Errorf("metrics: create: %w", err)
		}
		return saveMetricTx(ctx, tx, m)
	})
	if err != nil {
		return Metric{}, err
	}
	s.changed()
	return m, nil
}

// saveMetricTx writes m's editable fields.
func saveMetricTx(ctx context.Context, tx *sql.Tx, m Metric) error {
	_, err := tx.ExecContext(ctx, `UPDATE metrics SET identifier = ?, name = ?, application_id = ?, transform = ?, display = ?,
		tooltip_description = ?, suffix = ?, decimal_places = ?, y_axis_min = ?, y_axis_max = ?, y_axis_hidden = ?,
		updated_at = ? WHERE id = ?`,
		m.Identifier, m.Name, m.ApplicationID, m.Transform, m.Display, m.TooltipDescription, m.Suffix, m.DecimalPlaces,
		optFloat(m.YAxisMin), optFloat(m.YAxisMax), m.YAxisHidden, store.FormatTime(m.UpdatedAt), m.ID)
	if err != nil {
		return fmt.Errorf("metrics: save %s: %w", m.ID, err)
	}
	return nil
}

func optFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// Update changes a metric's fields.
func (s *Service) Update(ctx context.Context, id string, in MetricInput) (Metric, error) {
	var m Metric
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = metricTx(ctx, tx, id); err != nil {
			return err
		}
		if err := in.apply(&m); err != nil {
			return err
		}
		m.UpdatedAt = s.now()
		return saveMetricTx(ctx, tx, m)
	})
	if err != nil {
		return Metric{}, err
	}
	s.changed()
	return m, nil
}

// Delete deletes a metric and its data.
func (s *Service) Delete(ctx context.Context, id string) error {
	n, err := s.exec(ctx, `DELETE FROM metrics WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("metrics: delete %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("metrics: delete %s: %w", id, ErrNotFound)
	}
	s.version.Add(1)
	s.changed()
	return nil
}

// exec runs one write statement in its own transaction (a staff write, so
// it goes first on SQLite and is retried on PostgreSQL) and returns how
// many rows it changed.
func (s *Service) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
