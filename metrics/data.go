package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// Bucket widths of the rollups, in seconds; at columns hold Unix seconds.
const (
	fiveMin = int64(5 * 60)
	hour    = int64(60 * 60)
)

// floor rounds the Unix time t down to a multiple of step.
func floor(t, step int64) int64 { return t - ((t%step)+step)%step }

// checkPoint refuses a point whose value is not finite or past ±MaxValue, too far in the future or
// older than the raw retention; field prefixes the fields it names.
func (s *Service) checkPoint(field string, p Point, now time.Time) error {
	if err := checkValue(field+"value", p.Value); err != nil {
		return err
	}
	if p.Time.After(now.Add(MaxFuture)) {
		return invalid(field+"timestamp", "must be at most %d minutes in the future", int(MaxFuture/time.Minute))
	}
	if p.Time.Before(now.Add(-s.cfg.RawRetention)) {
		return invalid(field+"timestamp", "must be within the last %s: older points are refused (as on Statuspage), "+
			"since only aggregates are kept beyond that", retentionText(s.cfg.RawRetention))
	}
	return nil
}

// retentionText says d in days when it is whole days.
func retentionText(d time.Duration) string {
	switch days := d / (24 * time.Hour); {
	case d%(24*time.Hour) != 0:
		return d.String()
	case days == 1:
		return "day"
	default:
		return fmt.Sprintf("%d days", days)
	}
}

// AddPoints stores points of several metrics, by metric id, all or none:
// every point is checked and every id looked up before anything is written.
// Within one call, a later point in a slot replaces an earlier one. It
// returns how many points it took. An unknown id is ErrNotFound (wrapped,
// naming the id); a refused point a ValidationError on
// "data.<id>[<index>].value" or ".timestamp".
func (s *Service) AddPoints(ctx context.Context, points map[string][]Point) (int, error) {
	n := 0
	for _, ps := range points {
		n += len(ps)
	}
	if n > MaxPointsPerRequest {
		return 0, invalid("data", "may hold at most %d points per request (%d given)", MaxPointsPerRequest, n)
	}
	now := s.now()
	ids := slices.Sorted(maps.Keys(points))
	slots := make(map[string]map[int64]float64, len(points))
	ats := make(map[string][]int64, len(points)) // each point's slot, in order
	for _, id := range ids {
		m := make(map[int64]float64, len(points[id]))
		for i, p := range points[id] {
			p = p.InSlot()
			if err := s.checkPoint(fmt.Sprintf("data.%s[%d].", id, i), p, now); err != nil {
				return 0, err
			}
			m[p.Time.Unix()] = p.Value
			ats[id] = append(ats[id], p.Time.Unix())
		}
		slots[id] = m
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		keys := make(map[string]int64, len(slots))
		for _, id := range ids {
			key, err := metricKey(ctx, tx, id)
			if err != nil { // ErrNotFound, naming the id, for an unknown metric
				return err
			}
			keys[id] = key
			checked := map[int64]bool{}
			for i, at := range ats[id] {
				if b := floor(at, fiveMin); !checked[b] {
					checked[b] = true
					if err := s.compactedTx(ctx, tx, key, at, fmt.Sprintf("data.%s[%d].timestamp", id, i)); err != nil {
						return err
					}
				}
			}
		}
		for _, id := range ids {
			if err := s.writePointsTx(ctx, tx, keys[id], slots[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.version.Add(1)
	}
	return n, nil
}

// metricKey returns the integer key of the metric with id.
func metricKey(ctx context.Context, q store.Queryer, id string) (int64, error) {
	var key int64
	err := q.QueryRowContext(ctx, `SELECT key FROM metrics WHERE id = ?`, id).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("metrics: metric %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("metrics: metric %s: %w", id, err)
	}
	return key, nil
}

// compactedTx refuses, as a ValidationError on field, a point at the slot
// at whose 5 minutes (or hour) were compacted: its rollup counts more points
// than the raw rows (or 5-minute rows) left. That happens only when the raw
// retention was raised after a compaction; writing the point would count
// the slot twice in the rollups. Points at or after the newest compaction's
// cut-off (every point of a live feed) are not looked at.
func (s *Service) compactedTx(ctx context.Context, tx *sql.Tx, key, at int64, field string) error {
	b, h := floor(at, fiveMin), floor(at, hour)
	cut, err := s.compactedBefore(ctx, tx)
	if err != nil || h >= cut {
		return err
	}
	var compacted bool
	err = tx.QueryRowContext(ctx, `SELECT
		coalesce((SELECT count FROM metric_rollups_5m WHERE metric = ?1 AND at = ?2), 0) >
			(SELECT count(*) FROM metric_points WHERE metric = ?1 AND at >= ?2 AND at < ?2 + ?3)
		OR coalesce((SELECT count FROM metric_rollups_1h WHERE metric = ?1 AND at = ?4), 0) >
			(SELECT coalesce(sum(count), 0) FROM metric_rollups_5m WHERE metric = ?1 AND at >= ?4 AND at < ?4 + ?5)`,
		key, b, fiveMin, h, hour).Scan(&compacted)
	if err != nil {
		return fmt.Errorf("metrics: check compaction: %w", err)
	}
	if compacted {
		return invalid(field, "is older than the raw points kept: the points around it were compacted into "+
			"aggregates (before the raw retention was raised), so it is refused")
	}
	return nil
}

// cutOff is the newest raw cut-off compaction applied, in Unix seconds
// (metric_compaction), kept in memory once read.
type cutOff struct {
	loaded atomic.Bool
	before atomic.Int64
}

// raise moves the cut-off to v unless it is already later.
func (c *cutOff) raise(v int64) {
	for cur := c.before.Load(); v > cur && !c.before.CompareAndSwap(cur, v); cur = c.before.Load() {
	}
}

// compactedBefore returns the cut-off, reading it through q the first time.
func (s *Service) compactedBefore(ctx context.Context, q store.Queryer) (int64, error) {
	if !s.rawCut.loaded.Load() {
		var v int64
		if err := q.QueryRowContext(ctx, `SELECT raw_before FROM metric_compaction`).Scan(&v); err != nil {
			return 0, fmt.Errorf("metrics: read the compaction cut-off: %w", err)
		}
		s.rawCut.raise(v)
		s.rawCut.loaded.Store(true)
	}
	return s.rawCut.before.Load(), nil
}

// writePointsTx stores one metric's points (slot start → value) and keeps
// its rollups exact with bounded work per point: a new point is added to
// its 5-minute and hour aggregates; a point that replaces another with a
// different value has its 5-minute bucket recomputed from the bucket's raw
// rows (at most 10) and its hour from the hour's 5-minute rows (at most 12).
func (s *Service) writePointsTx(ctx context.Context, tx *sql.Tx, key int64, points map[int64]float64) error {
	if len(points) == 0 {
		return nil
	}
	ats := slices.Sorted(maps.Keys(points))
	added5 := map[int64]*Aggregate{} // new points per 5-minute bucket
	dirty5 := map[int64]bool{}       // 5-minute buckets with a replaced point
	for _, at := range ats {
		v := points[at]
		res, err := tx.ExecContext(ctx, `INSERT INTO metric_points (metric, at, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, key, at, v)
		if err != nil {
			return fmt.Errorf("metrics: write point: %w", err)
		}
		b := floor(at, fiveMin)
		if n, _ := res.RowsAffected(); n == 1 {
			a := added5[b]
			if a == nil {
				a = &Aggregate{}
				added5[b] = a
			}
			a.merge(Aggregate{Min: v, Max: v, Sum: v, Count: 1})
			continue
		}
		res, err = tx.ExecContext(ctx, `UPDATE metric_points SET value = ? WHERE metric = ? AND at = ? AND value IS DISTINCT FROM ?`, v, key, at, v)
		if err != nil {
			return fmt.Errorf("metrics: replace point: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			dirty5[b] = true
		}
	}
	added1 := map[int64]*Aggregate{}
	dirty1 := map[int64]bool{}
	for b := range dirty5 {
		// The bucket's raw rows include the points just added to it.
		_, err := tx.ExecContext(ctx, `INSERT INTO metric_rollups_5m (metric, at, min, max, sum, count)
			SELECT ?, ?, min(value), max(value), sum(value), count(*) FROM metric_points
			WHERE metric = ? AND at >= ? AND at < ?`+replaceRollup, key, b, key, b, b+fiveMin)
		if err != nil {
			return fmt.Errorf("metrics: recompute 5-minute rollup: %w", err)
		}
		dirty1[floor(b, hour)] = true
	}
	for b, a := range added5 {
		h := floor(b, hour)
		if !dirty5[b] {
			if err := s.addRollupTx(ctx, tx, "metric_rollups_5m", key, b, *a); err != nil {
				return err
			}
		}
		if !dirty1[h] {
			if added1[h] == nil {
				added1[h] = &Aggregate{}
			}
			added1[h].merge(*a)
		}
	}
	for h := range dirty1 {
		_, err := tx.ExecContext(ctx, `INSERT INTO metric_rollups_1h (metric, at, min, max, sum, count)
			SELECT ?, ?, min(min), max(max), sum(sum), sum(count) FROM metric_rollups_5m
			WHERE metric = ? AND at >= ? AND at < ?`+replaceRollup, key, h, key, h, h+hour)
		if err != nil {
			return fmt.Errorf("metrics: recompute hour rollup: %w", err)
		}
	}
	for h, a := range added1 {
		if err := s.addRollupTx(ctx, tx, "metric_rollups_1h", key, h, *a); err != nil {
			return err
		}
	}
	last := time.Unix(ats[len(ats)-1], 0)
	_, err := tx.ExecContext(ctx, `UPDATE metrics SET most_recent_data_at = ?1 WHERE key = ?2 AND (most_recent_data_at IS NULL OR most_recent_data_at < ?1)`,
		store.FormatTime(last), key)
	if err != nil {
		return fmt.Errorf("metrics: most recent data: %w", err)
	}
	return nil
}

// replaceRollup ends an INSERT … SELECT of a recomputed rollup bucket: it
// replaces the bucket's row. (The SELECT's WHERE tells SQLite that ON
// starts the upsert, not a join constraint.)
const replaceRollup = ` ON CONFLICT (metric, at) DO UPDATE SET min = excluded.min, max = excluded.max,
	sum = excluded.sum, count = excluded.count`

// addRollupTx adds a's points to the bucket at of a rollup table.
func (s *Service) addRollupTx(ctx context.Context, tx *sql.Tx, table string, key, at int64, a Aggregate) error {
	_, err := tx.ExecContext(ctx, s.addRollup[table], key, at, a.Min, a.Max, a.Sum, a.Count)
	if err != nil {
		return fmt.Errorf("metrics: add to %s: %w", table, err)
	}
	return nil
}

// dataTables are the tables holding a metric's data.
var dataTables = []string{"metric_points", "metric_rollups_5m", "metric_rollups_1h"}

// Reset deletes a metric's data, raw and rolled up.
func (s *Service) Reset(ctx context.Context, metricID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		key, err := metricKey(ctx, tx, metricID)
		if err != nil {
			return err
		}
		for _, t := range dataTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE metric = ?`, key); err != nil {
				return fmt.Errorf("metrics: reset %s: %w", metricID, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE metrics SET most_recent_data_at = NULL WHERE key = ?`, key)
		return err
	})
	if err != nil {
		return err
	}
	s.version.Add(1)
	return nil
}

// Last returns the metric's most recent point still kept raw; false when
// there is none.
func (s *Service) Last(ctx context.Context, metricID string) (Point, bool, error) {
	key, err := metricKey(ctx, s.db.Read, metricID)
	if err != nil {
		return Point{}, false, err
	}
	var at int64
	var p Point
	err = s.db.Read.QueryRowContext(ctx, `SELECT at, value FROM metric_points WHERE metric = ? ORDER BY at DESC LIMIT 1`, key).Scan(&at, &p.Value)
	if errors.Is(err, sql.ErrNoRows) {
		return Point{}, false, nil
	}
	if err != nil {
		return Point{}, false, fmt.Errorf("metrics: last point of %s: %w", metricID, err)
	}
	p.Time = time.Unix(at, 0).UTC()
	return p, true, nil
}

// Series returns the metric over period, ending with the bucket that holds
// now: the day from 5-minute rollups, the week from hour rollups, the month
// from hour rollups merged into 4-hour buckets.
func (s *Service) Series(ctx context.Context, metricID string, period Period) (Series, error) {
	if !period.Valid() {
		return Series{}, invalid("period", "must be day, week or month")
	}
	m, err := s.Get(ctx, metricID)
	if err != nil {
		return Series{}, err
	}
	step := int64(period.Step() / time.Second)
	to := floor(s.now().Unix(), step) + step
	from := to - step*int64(period.Buckets())
	table := "metric_rollups_1h"
	if period == Day {
		table = "metric_rollups_5m"
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT at, min, max, sum, count FROM `+table+`
		WHERE metric = (SELECT key FROM metrics WHERE id = ?) AND at >= ? AND at < ? ORDER BY at`, metricID, from, to)
	if err != nil {
		return Series{}, fmt.Errorf("metrics: series of %s: %w", metricID, err)
	}
	defer rows.Close()
	out := Series{Metric: m, Period: period, From: time.Unix(from, 0).UTC(), To: time.Unix(to, 0).UTC(),
		Step: period.Step(), Points: []Aggregate{}}
	for rows.Next() {
		var at int64
		var a Aggregate
		if err := rows.Scan(&at, &a.Min, &a.Max, &a.Sum, &a.Count); err != nil {
			return Series{}, fmt.Errorf("metrics: series of %s: %w", metricID, err)
		}
		a.Time = time.Unix(floor(at, step), 0).UTC()
		if n := len(out.Points); n > 0 && out.Points[n-1].Time.Equal(a.Time) {
			out.Points[n-1].merge(a)
			continue
		}
		out.Points = append(out.Points, a)
	}
	if err := rows.Err(); err != nil {
		return Series{}, fmt.Errorf("metrics: series of %s: %w", metricID, err)
	}
	return out, nil
}

// compactBatch is the most rows one Compact transaction deletes: writes
// wait at most that long behind it.
const compactBatch = 1000

// Compact drops the rows past their age: raw points older than the raw
// retention, 5-minute rollups older than 35 days, hour rollups older than 2
// years (each cut-off rounded down to the hour, so a bucket is kept or
// dropped whole). It deletes in short background transactions of at most
// compactBatch rows, going through the metrics in order.
func (s *Service) Compact(ctx context.Context) error {
	now := s.now()
	keys, err := s.metricKeys(ctx)
	if err != nil {
		return err
	}
	for i, table := range dataTables {
		age := []time.Duration{s.cfg.RawRetention, s.fiveMinRetention, s.hourRetention}[i]
		before := floor(now.Add(-age).Unix(), hour)
		if table == "metric_points" {
			// Recorded before any raw row goes: from then on, writes
			// below it check for compacted buckets.
			err := s.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, s.raiseCut, before)
				return err
			})
			if err != nil {
				return fmt.Errorf("metrics: record the compaction cut-off: %w", err)
			}
			s.rawCut.raise(before)
		}
		for next := 0; next < len(keys); {
			first := next
			err := s.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
				next = first // the transaction may run again
				for budget := int64(compactBatch); budget > 0 && next < len(keys); {
					res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE metric = ?1 AND at IN
						(SELECT at FROM `+table+` WHERE metric = ?1 AND at < ?2 ORDER BY at LIMIT ?3)`, keys[next], before, budget)
					if err != nil {
						return err
					}
					n, err := res.RowsAffected()
					if err != nil {
						return err
					}
					if n < budget { // this metric is done
						next++
					}
					budget -= n
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("metrics: compact %s: %w", table, err)
			}
		}
	}
	return nil
}

// metricKeys lists every metric's key.
func (s *Service) metricKeys(ctx context.Context) ([]int64, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT key FROM metrics ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("metrics: keys: %w", err)
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("metrics: keys: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// Run compacts at once and then every interval until ctx is done.
func (s *Service) Run(ctx context.Context, log *slog.Logger, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		if err := s.Compact(ctx); err != nil && ctx.Err() == nil {
			log.Error("metrics: compact", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
