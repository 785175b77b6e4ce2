package notifier

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
)

// TestRecordLocksAudienceInSubscriberOrder: on PostgreSQL, two replicas'
// group commits whose outcomes share subscribers, in opposite orders (a
// delivery to one and a failure to the other), lock the audience's rows
// in one order and never deadlock. They run as background transactions
// do (READ COMMITTED) but without the store's retries, so a deadlock shows
// as an error. The audience pauses after its first write in each
// transaction until the other transaction has written too (or a while has
// passed), which is when opposite orders would deadlock.
func TestRecordLocksAudienceInSubscriberOrder(t *testing.T) {
	if testutil.Engine() != store.Postgres {
		t.Skip("SQLite has one writer: its transactions never wait on row locks")
	}
	ctx := context.Background()
	db := testutil.OpenDB(t, Migrations())
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE audience (id TEXT PRIMARY KEY, events BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO audience VALUES ('s1', 0), ('s2', 0)`); err != nil {
		t.Fatal(err)
	}
	aud := &pausingAudience{arrived: map[*sql.Tx]bool{}, both: make(chan struct{})}
	d := NewDispatcher(db, aud, nil, nil, Config{}, time.Now, slog.New(slog.DiscardHandler), nil)
	outcomes := func(sent, retried string) []result {
		return []result{
			{d: Delivery{ID: 1, SubscriberID: sent, Channel: Email}, outcome: OutcomeSent},
			{d: Delivery{ID: 2, SubscriberID: retried, Channel: Email}, outcome: OutcomeRetry, err: Classify(errors.New("busy"))},
		}
	}
	groups := [][]result{outcomes("s1", "s2"), outcomes("s2", "s1")}
	errs := make(chan error, len(groups))
	for _, group := range groups {
		go func() {
			tx, err := db.Write.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
			if err != nil {
				errs <- err
				return
			}
			defer tx.Rollback()
			if err := d.recordTx(ctx, tx, group); err != nil {
				errs <- err
				return
			}
			errs <- tx.Commit()
		}()
	}
	for range groups {
		if err := <-errs; err != nil {
			t.Errorf("a group commit failed: %v", err)
		}
	}
	var events int
	if err := db.Read.QueryRowContext(ctx, `SELECT SUM(events) FROM audience`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 4 {
		t.Errorf("the audience heard of %d outcomes, want 4", events)
	}
}

// pausingAudience counts each subscriber's outcomes in its own table, one
// row each, and holds each transaction after its first write until both
// have written or two seconds have passed.
type pausingAudience struct {
	mu      sync.Mutex
	arrived map[*sql.Tx]bool
	both    chan struct{}
}

func (a *pausingAudience) RecipientsTx(context.Context, *sql.Tx, Event, []Channel, string, int) ([]Recipient, error) {
	return nil, nil
}

func (a *pausingAudience) DeliveredManyTx(ctx context.Context, tx *sql.Tx, ds []Delivery) error {
	for _, d := range ds {
		if err := a.write(ctx, tx, d.SubscriberID); err != nil {
			return err
		}
	}
	return nil
}

func (a *pausingAudience) FailedTx(ctx context.Context, tx *sql.Tx, d Delivery, _ *SendError, _ bool) error {
	return a.write(ctx, tx, d.SubscriberID)
}

func (a *pausingAudience) write(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE audience SET events = events + 1 WHERE id = ?`, id); err != nil {
		return err
	}
	a.mu.Lock()
	first := !a.arrived[tx]
	a.arrived[tx] = true
	if first && len(a.arrived) == 2 {
		close(a.both)
	}
	a.mu.Unlock()
	if first {
		select {
		case <-a.both:
		case <-time.After(2 * time.Second):
		}
	}
	return nil
}
