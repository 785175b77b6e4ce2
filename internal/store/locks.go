package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
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
}

func (l *locks) init() {
	l.held = map[string]bool{}
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

// HoldReplicaLock takes the lock that tells other replicas this one is
// alive (ReplicaAlive), and keeps it, taking it again if its connection is
// lost, until ctx ends or the DB is closed. It returns once the lock is
// first held, or the error that kept it from being taken. A replica marks
// the work it claims with its ReplicaID only after this.
func (db *DB) HoldReplicaLock(ctx context.Context) error {
	l, err := db.TryLock(ctx, replicaLock(db.replicaID))
	if err != nil {
		return err
	}
	if l == nil {
		return fmt.Errorf("%s: replica lock of %s is held already", db.engine, db.replicaID)
	}
	db.locks.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				l.Release()
				return
			case <-db.locks.ctx.Done():
				return
			case <-l.Lost():
			}
			l = nil
			for wait := time.Duration(0); l == nil; wait = time.Second {
				select {
				case <-ctx.Done():
					return
				case <-db.locks.ctx.Done():
					return
				case <-time.After(wait):
				}
				var err error
				if l, err = db.TryLock(ctx, replicaLock(db.replicaID)); err != nil {
					db.logError("take the replica lock again", err)
				}
			}
		}
	})
	return nil
}

// ReplicaAlive reports whether the replica with id holds its replica lock
// (HoldReplicaLock), that is whether it is running: a dead replica's
// connections, and its locks with them, are gone. This DB's own id is
// alive. On SQLite, which one server owns, every other id is dead.
func (db *DB) ReplicaAlive(ctx context.Context, id string) (bool, error) {
	if id == db.replicaID {
		return true, nil
	}
	if db.engine == SQLite {
		db.locks.mu.Lock()
		defer db.locks.mu.Unlock()
		return db.locks.held[replicaLock(id)], nil
	}
	var free bool
	err := db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		var err error
		free, err = db.TryXactLock(ctx, tx, replicaLock(id))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: is replica %s alive: %w", id, err)
	}
	return !free, nil
}
