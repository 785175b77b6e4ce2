package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// A lock is one holder's at a time, across DBs on PostgreSQL and within
// one on SQLite, until released.
func TestTryLock(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		a := open(t)
		b := a
		if a.Engine().String() == "postgres" {
			b = open(t)
		}
		l, err := a.TryLock(ctx, "channel:sms")
		if err != nil || l == nil {
			t.Fatalf("first: %v, %v", l, err)
		}
		if l2, err := b.TryLock(ctx, "channel:sms"); err != nil || l2 != nil {
			t.Errorf("a second holder: %v, %v", l2, err)
		}
		held := func(name string) bool {
			t.Helper()
			ok, err := b.Held(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !held("channel:sms") {
			t.Error("Held: a held lock is free to another")
		}
		other, err := b.TryLock(ctx, "channel:email")
		if err != nil || other == nil {
			t.Errorf("a lock of another name: %v, %v", other, err)
		}
		l.Release()
		select {
		case <-l.Lost():
		default:
			t.Error("Lost not closed after Release")
		}
		if held("channel:sms") {
			t.Error("Held: a released lock is still held")
		}
		l3, err := b.TryLock(ctx, "channel:sms")
		if err != nil || l3 == nil {
			t.Fatalf("after release: %v, %v", l3, err)
		}
		l3.Release()

		if a.Engine().String() != "postgres" {
			other.Release()
			return
		}
		// The connection holding a lock dies: the lock is lost.
		var pid int
		err = a.Read.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity
			WHERE application_name = ? AND query LIKE '%pg_try_advisory_lock%'`, b.ReplicaID()).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		terminate(t, a, pid)
		select {
		case <-other.Lost():
		case <-time.After(time.Minute):
			t.Fatal("a lock whose connection died is not lost after a minute")
		}
		if l, err := a.TryLock(ctx, "channel:email"); err != nil || l == nil {
			t.Errorf("a lost lock is not free: %v, %v", l, err)
		}
	})
}

// terminate ends the PostgreSQL backend pid and waits until it is gone.
func terminate(t *testing.T, db *store.DB, pid int) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, pid); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still there after a minute", pid)
		}
	}
}

// A replica holding its replica lock is alive to the others; once closed,
// or once its lock's connection is gone for good, it is not. A lost
// connection is replaced and the lock taken again.
func TestReplicaAlive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		a, b := open(t), open(t)
		if err := a.HoldReplicaLock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.HoldReplicaLock(ctx); err != nil {
			t.Fatalf("a second HoldReplicaLock on one DB: %v", err)
		}
		if !a.ReplicaLockHeld() || b.ReplicaLockHeld() {
			t.Errorf("ReplicaLockHeld: a %v, b %v; want a only", a.ReplicaLockHeld(), b.ReplicaLockHeld())
		}
		alive := func(id string) bool {
			t.Helper()
			ok, err := b.ReplicaAlive(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !alive(b.ReplicaID()) {
			t.Error("b is not alive to itself")
		}
		if alive("host-1-000000") {
			t.Error("a replica that never ran is alive")
		}
		if a.Engine().String() == "sqlite" {
			// One server owns a SQLite database: another DB is not a
			// replica to keep alive.
			return
		}
		if !alive(a.ReplicaID()) {
			t.Fatal("a holds its lock but is not alive to b")
		}

		// a's lock connection dies; a takes its lock again, on another.
		var pid int
		err := b.Write.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity
			WHERE application_name = ? AND query LIKE '%pg_try_advisory_lock%'`, a.ReplicaID()).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		terminate(t, b, pid)
		for deadline := time.Now().Add(time.Minute); !alive(a.ReplicaID()); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("a did not take its lock again within a minute")
			}
		}

		a.Close()
		if alive(a.ReplicaID()) {
			t.Error("a is alive after Close")
		}
	})
}
