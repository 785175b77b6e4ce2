package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// TestLane: a transaction in a lane begins only once the one before it
// has ended, and one whose context ends while it waits gives up with the
// context's error, never having run. On PostgreSQL, whose transactions
// run side by side (SQLite's one writer would queue them anyway).
func TestLane(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t, postgresURL(t))
	lane := store.NewLane()

	release, first := make(chan struct{}), make(chan error, 1)
	began := make(chan struct{})
	go func() {
		first <- db.TxIn(ctx, lane, func(*sql.Tx) error {
			close(began)
			<-release
			return nil
		})
	}()
	<-began

	waiting, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	ran := false
	err := db.TxIn(waiting, lane, func(*sql.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("behind a transaction that does not end: %v, ran %v; want the context's error, not run", err, ran)
	}

	second := make(chan error, 1)
	go func() {
		second <- db.TxIn(ctx, lane, func(*sql.Tx) error {
			select {
			case <-release:
				return nil
			default:
				return errors.New("began before the transaction ahead of it ended")
			}
		})
	}()
	time.Sleep(20 * time.Millisecond) // time for it to begin, were it not queued
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Error(err)
	}
}
