package notifier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/beacon-status/beacon/internal/store"
)

// The recorder commits the outcomes of sends in groups: a worker hands it
// each outcome the moment the server answers, and the recorder commits
// whatever has arrived in one background transaction, then again with
// what arrived meanwhile. Under load a group forms every few milliseconds,
// so a process killed at full speed has sent, without recording, only the
// messages of the last few milliseconds, whatever the claim batch size;
// idle, a lone outcome is committed at once.
//
// The recorder keeps the order in which outcomes arrive, so the audience
// hears of a subscriber's deliveries and failures in the order they
// happened.

// maxGroup bounds the outcomes committed by one transaction, and
// maxQueued those waiting for a commit: a worker that would queue more
// waits, which bounds what a kill can lose however slow the disk.
const (
	maxGroup  = 512
	maxQueued = 1024
)

type recorder struct {
	d *Dispatcher
	// report, when set, is told of each failed commit as it happens;
	// otherwise close returns the first.
	report func(error)

	mu     sync.Mutex
	cond   *sync.Cond // queue grew or shrank, or closed
	queue  []result
	closed bool
	err    error
	done   chan struct{}
}

// startRecorder starts a recorder; close drains and stops it.
func (d *Dispatcher) startRecorder(ctx context.Context, report func(error)) *recorder {
	r := &recorder{d: d, report: report, done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	go r.run(context.WithoutCancel(ctx))
	return r
}

// add queues one outcome, waiting while maxQueued are queued.
func (r *recorder) add(res result) {
	r.mu.Lock()
	for len(r.queue) >= maxQueued && !r.closed {
		r.cond.Wait()
	}
	r.queue = append(r.queue, res)
	r.cond.Broadcast()
	r.mu.Unlock()
}

// close commits what is queued, stops the recorder and returns the first
// error of a commit that was not reported.
func (r *recorder) close() error {
	r.mu.Lock()
	r.closed = true
	r.cond.Broadcast()
	r.mu.Unlock()
	<-r.done
	return r.err
}

func (r *recorder) run(ctx context.Context) {
	defer close(r.done)
	for {
		r.mu.Lock()
		for len(r.queue) == 0 && !r.closed {
			r.cond.Wait()
		}
		if len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		n := min(len(r.queue), maxGroup)
		group := slices.Clone(r.queue[:n])
		r.queue = append(r.queue[:0], r.queue[n:]...)
		r.cond.Broadcast()
		r.mu.Unlock()
		r.commit(ctx, group)
	}
}

// commit records group in one transaction. When that fails, each outcome
// is tried alone, so that one bad outcome does not cost the others: an
// outcome that cannot be recorded stays claimed until its lease ends.
func (r *recorder) commit(ctx context.Context, group []result) {
	err := r.d.record(ctx, group)
	if err != nil && len(group) > 1 {
		var errs []error
		for _, res := range group {
			if err := r.d.record(ctx, []result{res}); err != nil {
				errs = append(errs, err)
			}
		}
		err = errors.Join(errs...)
	}
	if err == nil {
		return
	}
	if r.report != nil {
		r.report(err)
		return
	}
	if r.err == nil {
		r.err = err
	}
}

// maxSentPerStatement bounds the sent deliveries recorded by one
// statement: two host parameters each, under SQLite's smallest limit (999).
const maxSentPerStatement = 400

// record records outcomes in one transaction, in their order. Sent
// deliveries, most of them, are recorded together (recordSent); the rest
// one by one. Handing back, cancelling and retrying a delivery apply only
// while this replica holds its claim: once the lease ended another may
// have taken it over. A sent or failed attempt is recorded regardless: it
// happened.
func (d *Dispatcher) record(ctx context.Context, results []result) error {
	return d.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		now := d.now()
		stamp := store.FormatTime(now)
		// Sent results not yet recorded: flushed before the audience hears
		// of a failure, so that it sees the outcomes in their order.
		var sent []result
		flush := func() error {
			err := d.recordSent(ctx, tx, sent, stamp)
			sent = sent[:0]
			return err
		}
		for _, r := range results {
			var err error
			switch {
			case r.released:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts - 1, next_attempt_at = ?, claimed_at = NULL, updated_at = ?
					WHERE id = ? AND claimed_by = ?`, stamp, stamp, r.d.ID, d.replica)
			case r.outcome == OutcomeSent:
				sent = append(sent, r)
			case r.outcome == OutcomeCancelled:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET state = 'cancelled', claimed_at = NULL, data = '', updated_at = ?
					WHERE id = ? AND claimed_by = ?`, stamp, r.d.ID, d.replica)
			case r.outcome == OutcomeRetry:
				next := now.Add(d.backoff(r.d.Attempts, r.err.RetryAfter))
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, claimed_at = NULL, error_code = ?, last_error = ?, updated_at = ?
					WHERE id = ? AND claimed_by = ?`, store.FormatTime(next), r.err.Code, truncate(r.err.Error(), 500), stamp, r.d.ID, d.replica)
				if err == nil {
					err = flush()
				}
				if err == nil {
					err = d.audience.FailedTx(ctx, tx, r.d, r.err, false)
				}
			case r.outcome == OutcomeFailed:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', claimed_at = NULL, data = '', error_code = ?, last_error = ?, updated_at = ? WHERE id = ?`,
					r.err.Code, truncate(r.err.Error(), 500), stamp, r.d.ID)
				if err == nil && !r.unsent {
					if err = flush(); err == nil {
						err = d.audience.FailedTx(ctx, tx, r.d, r.err, true)
					}
				}
			}
			if err != nil {
				return fmt.Errorf("notifier: record delivery %d: %w", r.d.ID, err)
			}
		}
		return flush()
	})
}

// recordSent marks sent deliveries as sent, each with its provider's id,
// in one UPDATE per maxSentPerStatement, and tells the audience.
func (d *Dispatcher) recordSent(ctx context.Context, tx *sql.Tx, sent []result, stamp string) error {
	if len(sent) == 0 {
		return nil
	}
	for chunk := range slices.Chunk(sent, maxSentPerStatement) {
		args := make([]any, 0, 2+2*len(chunk))
		args = append(args, stamp, stamp)
		for _, r := range chunk {
			args = append(args, r.d.ID, store.NullString(r.providerID))
		}
		// The first row's casts type the VALUES list's columns, which
		// PostgreSQL would otherwise take for text.
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'sent', sent_at = ?, provider_id = v.column2, claimed_at = NULL, data = '',
			error_code = '', last_error = '', updated_at = ?
			FROM (VALUES (CAST(? AS BIGINT), CAST(? AS TEXT))`+strings.Repeat(`, (?, ?)`, len(chunk)-1)+`) AS v WHERE deliveries.id = v.column1`, args...)
		if err != nil {
			return fmt.Errorf("notifier: record %d sent deliveries from %d: %w", len(chunk), chunk[0].d.ID, err)
		}
	}
	ds := make([]Delivery, len(sent))
	for i, r := range sent {
		ds[i] = r.d
	}
	if err := d.audience.DeliveredManyTx(ctx, tx, ds); err != nil {
		return fmt.Errorf("notifier: record %d sent deliveries from %d: %w", len(sent), sent[0].d.ID, err)
	}
	return nil
}
