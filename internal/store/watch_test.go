package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/store"
)

// waitFor waits for a call on calls, failing the test after a minute, and
// returns the call's all.
func waitFor(t *testing.T, calls <-chan bool, what string) bool {
	t.Helper()
	select {
	case all := <-calls:
		return all
	case <-time.After(time.Minute):
		t.Fatalf("no call of onChange: %s", what)
		return false
	}
}

// Watch hears of another process's commits, and not of its own DB's.
func TestWatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		db, other := open(t), open(t)
		// settings is one of the tables whose changes other replicas hear.
		if err := db.Migrate(ctx, migrations("0001_create_settings.sql", `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`)); err != nil {
			t.Fatal(err)
		}
		set := func(db *store.DB, key string) {
			t.Helper()
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, 'v') ON CONFLICT (key) DO UPDATE SET value = excluded.value || 'v'`, key)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		calls := make(chan bool, 100)
		var n atomic.Int32
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			db.Watch(wctx, func(all bool) {
				n.Add(1)
				calls <- all
			})
		}()
		defer func() {
			stop()
			<-done
		}()
		waitFor(t, calls, "when it starts watching")

		// Its own commits do not count: only the other's below does.
		for i := range 5 {
			set(db, string(rune('a'+i)))
		}
		set(other, "x")
		if !waitFor(t, calls, "after another process's commit") {
			t.Error("onChange(false) for a change of settings")
		}
		if got := n.Load(); got != 2 {
			t.Errorf("onChange called %d times, want 2: at the start and for the other's commit, not for its own", got)
		}

		if db.Engine() != store.Postgres {
			return
		}
		// A table whose trigger is of the kind 'data' (as the metrics'
		// points are, migrated so by package metrics) tells of data only,
		// unless a change of another table came with it (the setting
		// first: its notice, first too, makes the first call).
		_, err := other.Write.ExecContext(ctx, `CREATE TABLE points (at BIGINT PRIMARY KEY);
			CREATE TRIGGER beacon_notify AFTER INSERT ON points FOR EACH STATEMENT EXECUTE FUNCTION beacon_notify('data')`)
		if err != nil {
			t.Fatal(err)
		}
		point := func(tx *sql.Tx, at int) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO points (at) VALUES (?)`, at)
			return err
		}
		if err := other.Tx(ctx, func(tx *sql.Tx) error { return point(tx, 1) }); err != nil {
			t.Fatal(err)
		}
		if waitFor(t, calls, "after another process's point") {
			t.Error("onChange(true) for a point alone, want false")
		}
		err = other.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE settings SET value = 'w' WHERE key = 'x'`)
			return errors.Join(err, point(tx, 2))
		})
		if err != nil {
			t.Fatal(err)
		}
		if !waitFor(t, calls, "after another process's point and setting") {
			t.Error("onChange(false) for a point and a setting, want true")
		}
		// The listening connection dies: Watch calls onChange, listens
		// again, and hears the next change.
		var killed int
		err = other.Write.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = ? AND query LIKE 'LISTEN%'`, db.ReplicaID()).Scan(&killed)
		if err != nil || killed != 1 {
			t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
		}
		waitFor(t, calls, "when its listening connection is lost")
		for deadline := time.Now().Add(time.Minute); ; {
			var listening int
			err := other.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ? AND query LIKE 'LISTEN%'`,
				db.ReplicaID()).Scan(&listening)
			if err != nil {
				t.Fatal(err)
			}
			if listening == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("not listening again after a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
		for len(calls) > 0 {
			<-calls
		}
		set(other, "y")
		waitFor(t, calls, "after another process's commit, listening again")
	})
}

// While PostgreSQL is down, Watch calls onChange every second and Ping
// fails; once it is back, Watch listens again and the pools reconnect.
func TestWatchServerDown(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.StartDurable(t) // the migration must survive the kill
	url := cluster.NewDatabase(t)
	db, other := openPostgres(t, url), openPostgres(t, url)
	if err := db.Migrate(ctx, migrations("0001_create_settings.sql", `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`)); err != nil {
		t.Fatal(err)
	}
	calls := make(chan bool, 100)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Watch(wctx, func(all bool) { calls <- all })
	}()
	defer func() {
		stop()
		<-done
	}()
	waitFor(t, calls, "when it starts watching")

	if err := cluster.Kill(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		waitFor(t, calls, fmt.Sprintf("call %d while the server is down", i+1))
	}
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping succeeded with the server down")
	}

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var listening int
		err := other.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ? AND query LIKE 'LISTEN%'`,
			db.ReplicaID()).Scan(&listening)
		if err == nil && listening == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening a minute after the server came back (%v)", err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after the server came back: %v", err)
	}
	for len(calls) > 0 {
		<-calls
	}
	err := other.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, "k", "v")
		return err
	})
	if err != nil {
		t.Fatalf("a write after the server came back: %v", err)
	}
	waitFor(t, calls, "after another's commit, the server back")
}
