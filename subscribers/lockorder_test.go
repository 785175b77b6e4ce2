package subscribers_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// TestDeliveredManyTxLocksInIDOrder: on PostgreSQL, two acknowledgements
// sharing subscribers with failures to reset, listed in opposite orders
// and running at once as two replicas' do, lock those rows in one order
// and never deadlock. They run as background transactions do (READ
// COMMITTED) but without the store's retries, so a deadlock shows as an
// error. (Sorting the ids is not enough: PostgreSQL joins an IN list in
// hash order.)
func TestDeliveredManyTxLocksInIDOrder(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	if f.db.Engine() != store.Postgres {
		t.Skip("SQLite has one writer: its transactions never wait on row locks")
	}
	now := store.FormatTime(start)
	if _, err := f.db.Write.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
		SELECT 'u' || CAST(10000000000 + i AS TEXT), 'email', 'u' || CAST(i AS TEXT) || '@example.com', 'active', 'x', ?, ? FROM n`,
		now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Write.Exec(`ANALYZE subscribers`); err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return "u" + strconv.Itoa(10000000000+i) }
	// The second shares every third subscriber of the first, the other way
	// round, and has as many of its own.
	var first, second []notifier.Delivery
	for i := range 1000 {
		first = append(first, notifier.Delivery{SubscriberID: id(1 + 4*i), Channel: notifier.Email, Purpose: notifier.PurposeEvent})
	}
	for i := len(first) - 1; i >= 0; i -= 3 {
		second = append(second, first[i], notifier.Delivery{SubscriberID: id(2 + 4*i), Channel: notifier.Email, Purpose: notifier.PurposeEvent})
	}
	for round := range 10 {
		if _, err := f.db.Write.Exec(`UPDATE subscribers SET permanent_failures = 1`); err != nil {
			t.Fatal(err)
		}
		ready, done := make(chan struct{}), make(chan error, 2)
		for _, ds := range [][]notifier.Delivery{first, second} {
			go func() {
				tx, err := f.db.Write.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
				if err != nil {
					done <- err
					return
				}
				defer tx.Rollback()
				<-ready
				if err := f.svc.DeliveredManyTx(ctx, tx, ds); err != nil {
					done <- err
					return
				}
				done <- tx.Commit()
			}()
		}
		close(ready)
		for range 2 {
			if err := <-done; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	var left int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM subscribers WHERE permanent_failures > 0`).Scan(&left); err != nil || left != 5000-1000-334 {
		t.Errorf("%d subscribers keep failures (%v), want %d", left, err, 5000-1000-334)
	}
}
