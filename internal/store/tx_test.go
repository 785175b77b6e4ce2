package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Two SERIALIZABLE transactions that each read what the other writes
// cannot both commit: PostgreSQL fails one, and Tx runs its function again
// from the start, which then sees the winner's row. Both calls succeed.
func TestTxRetriesSerializationFailure(t *testing.T) {
	ctx := context.Background()
	url := postgresURL(t)
	a, b := openPostgres(t, url), openPostgres(t, url)
	if err := a.Migrate(ctx, migrations("0001_create_tickets.sql", `CREATE TABLE tickets (n INTEGER NOT NULL, by TEXT NOT NULL) STRICT;`)); err != nil {
		t.Fatal(err)
	}
	// Each takes the next number after reading the largest: the classic
	// write skew, unless one of them runs again.
	var read sync.WaitGroup // both first attempts have read
	read.Add(2)
	var runs atomic.Int32
	take := func(db interface {
		Tx(context.Context, func(*sql.Tx) error) error
	}, by string) error {
		first := true
		return db.Tx(ctx, func(tx *sql.Tx) error {
			runs.Add(1)
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(n), 0) FROM tickets`).Scan(&n); err != nil {
				return err
			}
			if first {
				first = false
				read.Done()
				read.Wait()
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO tickets (n, by) VALUES (?, ?)`, n+1, by)
			return err
		})
	}
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = take(a, "a") })
	wg.Go(func() { errB = take(b, "b") })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("got %v, %v; want both to succeed", errA, errB)
	}
	rows, err := a.Read.QueryContext(ctx, `SELECT n FROM tickets ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("got tickets %v, want [1 2]", got)
	}
	if r := runs.Load(); r < 3 {
		t.Errorf("the functions ran %d times, want at least 3 (one retry)", r)
	}
}

// A function's own error ends Tx at once, as it is, on both engines; and
// ForceRetries makes every transaction run its function twice, committing
// only the second run.
func TestTxErrorsAndForcedRetries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		db := open(t)
		if err := db.Migrate(ctx, migrations("0001_create_rows.sql", `CREATE TABLE rows_ (x INTEGER NOT NULL) STRICT;`)); err != nil {
			t.Fatal(err)
		}
		mine := errors.New("mine")
		runs := 0
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			runs++
			if _, err := tx.ExecContext(ctx, `INSERT INTO rows_ (x) VALUES (?)`, 1); err != nil {
				return err
			}
			return mine
		})
		if err != mine || runs != 1 {
			t.Errorf("got %v after %d runs, want the function's own error after 1", err, runs)
		}

		db.ForceRetries(true)
		for _, tx := range []func(context.Context, func(*sql.Tx) error) error{db.Tx, db.BackgroundTx} {
			runs = 0
			err = tx(ctx, func(tx *sql.Tx) error {
				runs++
				_, err := tx.ExecContext(ctx, `INSERT INTO rows_ (x) VALUES (?)`, runs)
				return err
			})
			if err != nil || runs != 2 {
				t.Errorf("got %v after %d runs, want success after 2", err, runs)
			}
		}
		db.ForceRetries(false)
		var n, sum int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(x), 0) FROM rows_`).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != 2 || sum != 4 {
			t.Errorf("got %d rows summing to %d, want the two second runs' rows (2, 2)", n, sum)
		}
	})
}

// A statement run on Write outside a transaction is a SERIALIZABLE
// transaction of its own: when it loses a conflict, it runs again.
func TestStatementRetriesSerializationFailure(t *testing.T) {
	ctx := context.Background()
	url := postgresURL(t)
	db, other := openPostgres(t, url), openPostgres(t, url)
	if err := db.Migrate(ctx, migrations("0001_create_counters.sql", `CREATE TABLE counters (id TEXT PRIMARY KEY, n INTEGER NOT NULL) STRICT;
		INSERT INTO counters VALUES ('c', 0);`)); err != nil {
		t.Fatal(err)
	}
	tx, err := other.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE counters SET n = n + 1 WHERE id = ?`, "c"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.Write.ExecContext(ctx, `UPDATE counters SET n = n + 10 WHERE id = ?`, "c")
		done <- err
	}()
	// Once the statement waits for the row, the other's commit makes it
	// fail: it read the row as it was before.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		var waiting int
		err := other.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'`,
			db.ReplicaID()).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the statement is not waiting for the row after a minute")
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("got %v, want the statement run again", err)
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT n FROM counters`).Scan(&n); err != nil || n != 11 {
		t.Errorf("got %d (%v), want 11", n, err)
	}
}
