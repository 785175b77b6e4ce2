package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Lane queues a process's transactions that read and then write the same
// rows (the attempt counters every sign-up from one IP updates, say), so
// that they begin one after another (TxIn). On PostgreSQL's SERIALIZABLE
// such transactions cannot commit side by side: of each round of conflict
// about one gets through and the rest run again, so a burst of n needs
// about n rounds, and retries alone, however they back off, only make it
// likely to end within maxTxAttempts. A hostile burst on a loaded machine
// outlasted them (16 sign-ups from one IP, two of which ended in SQLSTATE
// 40001 instead of success or the limit's refusal). Queued before BEGIN,
// they commit at their first attempt; only those of other replicas, one
// at a time each, still meet, which retryTx absorbs. An advisory lock
// could not do this: taken inside the transaction, after its snapshot,
// the waiter would still read what the holder changed as if it had not
// happened and lose at commit; taken before BEGIN, it would hold a pooled
// connection for each waiter, and a burst would empty the write pool
// every other write needs. On SQLite, with its one writer, the queue
// costs nothing either.
type Lane struct{ turn chan struct{} }

// NewLane returns an empty lane.
func NewLane() *Lane { return &Lane{turn: make(chan struct{}, 1)} }

// TxIn runs fn as Tx does, once the transactions queued in l before it
// have ended. A caller whose ctx ends while it waits gets ctx's error.
func (db *DB) TxIn(ctx context.Context, l *Lane, fn func(tx *sql.Tx) error) error {
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s: wait for the transactions queued before: %w", db.engine, ctx.Err())
	}
	defer func() { <-l.turn }()
	return db.Tx(ctx, fn)
}
