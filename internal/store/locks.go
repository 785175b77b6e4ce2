package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Locks across replicas. A transaction-scoped lock (TryXactLock, in
// dialect.go) makes one replica do a job inside one transaction; a Lock
// here is held for as long as its holder wants, on a connection of its
// own, and ends when that connection does: a replica that dies loses its
// locks with its connections, so the others can tell (ReplicaAlive).

// locks keeps the Locks a DB holds, so Close can end them. On SQLite,
// where one process owns the database, it is the whole lock table.
type locks struct {
	mu     sync.Mutex
	held   map[string]bool
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// replica is the replica lock's holder (HoldReplicaLock).
	replica replicaHold
}

func (l *locks) init() {
	l.held = map[string]bool{}
	l.replica.first = make(chan struct{})
	l.ctx, l.cancel = context.WithCancel(context.Background())
}

func (l *locks) close() {
	l.cancel()
	l.wg.Wait()
}

// Lock is a lock held by this process until Release, Close, or the loss
// of the connection holding it.
type Lock struct {
	name    string
	release chan struct{}
	once    sync.Once
	done    chan struct{} // closed when the lock is given up
}

// Lost is closed once the lock is no longer held: released, or its
// connection lost (the server restarted, the network failed).
func (l *Lock) Lost() <-chan struct{} { return l.done }

// Release gives the lock up and waits until it is.
func (l *Lock) Release() {
	l.once.Do(func() { close(l.release) })
	<-l.done
}

// lockPing is how long a held lock's connection may stay silent before
// it is asked whether it still answers.
const lockPing = 5 * time.Second

// TryLock takes the lock named name if no one holds it, returning nil
// when someone does: on PostgreSQL a session-level advisory lock on a
// connection of its own, which any replica's TryLock or TryXactLock of the
// same name contends with; on SQLite a lock within this DB.
func (db *DB) TryLock(ctx context.Context, name string) (*Lock, error) {
	l := &Lock{name: name, release: make(chan struct{}), done: make(chan struct{})}
	db.locks.mu.Lock()
	if db.locks.held[name] {
		db.locks.mu.Unlock()
		return nil, nil
	}
	db.locks.held[name] = true
	db.locks.mu.Unlock()
	forget := func() {
		db.locks.mu.Lock()
		delete(db.locks.held, name)
		db.locks.mu.Unlock()
	}
	if db.engine == SQLite {
		db.locks.wg.Go(func() {
			defer close(l.done)
			defer forget()
			select {
			case <-l.release:
			case <-db.locks.ctx.Done():
			}
		})
		return l, nil
	}
	conn, err := pgx.ConnectConfig(ctx, db.pgConfig)
	if err != nil {
		forget()
		return nil, fmt.Errorf("postgres: lock %s: %w", name, err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(name)).Scan(&got); err != nil || !got {
		conn.Close(context.WithoutCancel(ctx))
		forget()
		if err != nil {
			return nil, fmt.Errorf("postgres: lock %s: %w", name, err)
		}
		return nil, nil
	}
	db.locks.wg.Go(func() {
		defer close(l.done)
		defer forget()
		defer func() {
			// Unlocked before closing: the server would release the lock
			// only when the backend has exited, a moment after Close.
			ctx, cancel := context.WithTimeout(context.Background(), lockPing)
			defer cancel()
			if !conn.IsClosed() {
				_, _ = conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
			}
			conn.Close(ctx)
		}()
		hold, stop := context.WithCancel(db.locks.ctx)
		defer stop()
		go func() {
			select {
			case <-l.release:
				stop()
			case <-hold.Done():
			}
		}()
		for {
			// Waiting on the connection notices its end at once; the
			// ping notices a server gone silent.
			wctx, cancel := context.WithTimeout(hold, lockPing)
			_, err := conn.WaitForNotification(wctx)
			cancel()
			if hold.Err() != nil {
				return
			}
			if wctx.Err() != nil && !conn.IsClosed() {
				pctx, cancel := context.WithTimeout(hold, lockPing)
				err = conn.Ping(pctx)
				cancel()
			}
			if err != nil && hold.Err() == nil {
				db.logError("lost lock "+name, err)
				return
			}
		}
	})
	return l, nil
}

// replicaLock names the lock that says a replica is alive.
func replicaLock(id string) string { return "beacon:replica:" + id }

// replicaHold is the state of a DB's replica lock (HoldReplicaLock).
type replicaHold struct {
	once  sync.Once
	first chan struct{} // closed once the lock is first held
	held  atomic.Bool
}

// HoldReplicaLock takes the lock that tells other replicas this one is
// alive (ReplicaAlive) and keeps it until the DB is closed, taking it again
// whenever its connection is lost. It returns once the lock is held, or
// with ctx's error if ctx ends first; it may be called again (by several
// dispatchers on one DB), waiting for the same lock. The lock outlives any
// one caller: work marked with the ReplicaID stays this replica's until
// Close, after everything using the DB has stopped. Whoever claims work
// under the ReplicaID checks ReplicaLockHeld before each step of it.
func (db *DB) HoldReplicaLock(ctx context.Context) error {
	r := &db.locks.replica
	r.once.Do(func() { db.locks.wg.Go(db.holdReplicaLock) })
	select {
	case <-r.first:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-db.locks.ctx.Done():
		return fmt.Errorf("%s: replica lock of %s: the database is closed", db.engine, db.replicaID)
	}
}

// ReplicaLockHeld reports whether this replica holds its replica lock at
// the moment: false before HoldReplicaLock, and from when the lock's
// connection is found lost (within two lockPings) until it is taken again.
// Meanwhile the other replicas may find this one dead.
func (db *DB) ReplicaLockHeld() bool { return db.locks.replica.held.Load() }

// holdReplicaLock takes the replica lock, and again each time it is lost,
// until the DB is closed; a failure to take it is logged once per run of
// failures, and the next try follows a second later.
func (db *DB) holdReplicaLock() {
	name, failing := replicaLock(db.replicaID), false
	for wait := time.Duration(0); ; wait = time.Second {
		select {
		case <-db.locks.ctx.Done():
			return
		case <-time.After(wait):
		}
		l, err := db.TryLock(db.locks.ctx, name)
		if l == nil {
			if !failing && db.locks.ctx.Err() == nil {
				if err == nil {
					err = errors.New("held by another connection (one that was lost and has not ended yet?)")
				}
				db.logError("take the replica lock", err)
			}
			failing = true
			continue
		}
		failing = false
		db.locks.replica.held.Store(true)
		db.locks.replica.firstOnce()
		<-l.Lost()
		db.locks.replica.held.Store(false)
	}
}

func (r *replicaHold) firstOnce() {
	select {
	case <-r.first:
	default:
		close(r.first)
	}
}

// ReplicaAlive reports whether the replica with id holds its replica lock
// (HoldReplicaLock), that is whether it is running: a dead replica's
// connections, and its locks with them, are gone. This DB's own id is
// alive. On SQLite, which one server owns, every other id is dead.
func (db *DB) ReplicaAlive(ctx context.Context, id string) (bool, error) {
	if id == db.replicaID {
		return true, nil
	}
	alive, err := db.Held(ctx, replicaLock(id))
	if err != nil {
		return false, fmt.Errorf("%s: is replica %s alive: %w", db.engine, id, err)
	}
	return alive, nil
}

// Held reports whether anyone holds the lock named name (TryLock), this
// process included, without taking it and through a pooled connection:
// the cheap way to wait for a lock held elsewhere.
func (db *DB) Held(ctx context.Context, name string) (bool, error) {
	if db.engine == SQLite {
		db.locks.mu.Lock()
		defer db.locks.mu.Unlock()
		return db.locks.held[name], nil
	}
	var free bool
	err := db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		var err error
		free, err = db.TryXactLock(ctx, tx, name)
		return err
	})
	return !free, err
}
