package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// singles queues the points of concurrent AddPoint calls so that one
// transaction (one fsync) commits them all: a commit costs far more than a
// point, and single-point requests come in many at once. The first caller
// leads: it commits what is queued (its own point among it); calls arriving
// meanwhile wait, and when the batch is committed the first of them leads
// the next one. No goroutine of its own, nothing to start or stop.
type singles struct {
	mu      sync.Mutex
	queue   []*single
	writing bool // a leader is committing
	// txHook, when set (by tests only), runs inside each batch's
	// transaction: it may panic, to show a panic does not stall the queue.
	txHook func()
}

// single is one AddPoint call in the queue.
type single struct {
	metricID string
	at       int64
	value    float64
	err      error
	// turn gets true when the call is to lead the next batch, false when
	// its point's batch is done (err says how).
	turn chan bool
}

// AddPoint stores one point of the metric and returns it as stored (cast to
// its slot). ErrNotFound when there is no such metric. It returns once the
// point is committed; concurrent calls share a transaction.
func (s *Service) AddPoint(ctx context.Context, metricID string, p Point) (Point, error) {
	p = p.InSlot()
	if err := s.checkPoint("", p, s.now()); err != nil {
		return Point{}, err
	}
	w := &single{metricID: metricID, at: p.Time.Unix(), value: p.Value, turn: make(chan bool, 1)}
	q := &s.single
	q.mu.Lock()
	q.queue = append(q.queue, w)
	lead := !q.writing
	q.writing = true
	q.mu.Unlock()
	if lead || <-w.turn {
		// The batch holds other callers' points: this caller leaving must
		// not cancel their commit.
		s.commitSingles(context.WithoutCancel(ctx))
		<-w.turn
	}
	if w.err != nil {
		return Point{}, w.err
	}
	return Point{Time: time.Unix(w.at, 0).UTC(), Value: w.value}, nil
}

// commitSingles commits every queued point in one transaction, in the
// order they came (a later point in a slot replaces an earlier one), then
// hands the lead to the first call queued meanwhile.
func (s *Service) commitSingles(ctx context.Context) {
	q := &s.single
	q.mu.Lock()
	batch := q.queue
	q.queue = nil
	q.mu.Unlock()
	// The batch holds other callers' points: it is not given up when this
	// caller goes away.
	ctx = context.WithoutCancel(ctx)
	var err error
	// The hand-off runs even when the commit panics: the batch's callers get
	// the panic as an error, and the next batch still has a leader.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("metrics: commit points: panic: %v", r)
		}
		q.mu.Lock()
		if len(q.queue) > 0 {
			q.queue[0].turn <- true
		} else {
			q.writing = false
		}
		q.mu.Unlock()
		for _, w := range batch {
			if err != nil {
				w.err = err
			}
			w.turn <- false
		}
	}()
	written := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The transaction may run again: what an attempt found is reset.
		written = false
		for _, w := range batch {
			w.err = nil
		}
		if q.txHook != nil {
			q.txHook()
		}
		keys := map[string]int64{}
		points := map[int64]map[int64]float64{}
		for _, w := range batch {
			key, ok := keys[w.metricID]
			if !ok {
				var err error
				if key, err = metricKey(ctx, tx, w.metricID); errors.Is(err, ErrNotFound) {
					w.err = err
					continue
				} else if err != nil {
					return err
				}
				keys[w.metricID] = key
			}
			if err := s.compactedTx(ctx, tx, key, w.at, "timestamp"); err != nil {
				var invalid *ValidationError
				if !errors.As(err, &invalid) {
					return err
				}
				w.err = err
				continue
			}
			if points[key] == nil {
				points[key] = map[int64]float64{}
			}
			points[key][w.at] = w.value
		}
		for key, ps := range points {
			if err := s.writePointsTx(ctx, tx, key, ps); err != nil {
				return err
			}
			written = true
		}
		return nil
	})
	if err == nil && written {
		s.version.Add(1)
	}
}
