package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrBackupUnsupported is Backup's answer on PostgreSQL, whose own tools
// make consistent copies of a live database.
var ErrBackupUnsupported = errors.New("backup: the database is PostgreSQL: back it up with pg_dump (and restore with pg_restore or psql)")

// Pool sizes on PostgreSQL, per replica. A server's max_connections
// (100 by default) is shared by every replica and tool: the pools open
// connections only as work needs them and close idle ones.
const (
	pgWriteConns      = 12
	pgBackgroundConns = 8
	pgConnectTimeout  = 3 * time.Second
	pgIdleTime        = 5 * time.Minute
)

// OpenPostgres opens the PostgreSQL database at url
// (postgres://user:password@host:port/db?sslmode=…) as three pools: Write,
// whose transactions are SERIALIZABLE (Tx), Read, whose transactions are
// read-only, and one in READ COMMITTED for BackgroundTx. Every connection's
// application_name is the replica id (ReplicaID), which starts with url's
// application_name when it sets one, else with the host name. Without
// connect_timeout in url, connecting gives up after 3 s.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgx leaves the password out
	}
	id := newReplicaID(cfg.RuntimeParams["application_name"])
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = id
	// The server notices a replica's machine gone (power, partition)
	// within about half a minute instead of the system's two hours: its
	// session locks (the replica lock, a channel's sender lock) are then
	// freed for the others. Every statement is planned for its values:
	// pgx prepares each statement once per connection, and after five runs
	// PostgreSQL may switch to a generic plan, blind to a LIMIT's or a
	// time's value, which for the delivery claims of a 100,000-email
	// fan-out on analyzed tables read the whole queue every time (648
	// msg/s against 4,837). A URL's own settings win.
	for param, value := range map[string]string{"tcp_keepalives_idle": "15", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3",
		"plan_cache_mode": "force_custom_plan"} {
		if _, set := cfg.RuntimeParams[param]; !set {
			cfg.RuntimeParams[param] = value
		}
	}
	open := func(conns int, param, value string) *sql.DB {
		c := cfg.Copy()
		c.RuntimeParams[param] = value
		db := sql.OpenDB(connector{stdlib.GetConnector(*c)})
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		db.SetConnMaxIdleTime(pgIdleTime)
		return db
	}
	w := open(pgWriteConns, "default_transaction_isolation", "serializable")
	r := open(max(4, 2*runtime.NumCPU()), "default_transaction_read_only", "on")
	bg := open(pgBackgroundConns, "default_transaction_isolation", "read committed")
	db := newDB(Postgres, w, r, bg, "", id)
	db.pgConfig = cfg
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}

// newReplicaID makes a replica id: prefix (the host name when empty),
// process id and 24 random bits. Every Open makes a new one, so a
// restarted process (the same pid 1 in a container) never passes for its
// predecessor, and replicas configured alike still tell their changes
// apart (Watch). Only printable ASCII is kept, and the id fits
// application_name's 63 bytes, so it reaches the notifications unaltered.
func newReplicaID(prefix string) string {
	if prefix == "" {
		prefix, _ = os.Hostname()
	}
	prefix = strings.Map(func(r rune) rune {
		if r > ' ' && r <= '~' {
			return r
		}
		return -1
	}, prefix)
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	if prefix == "" {
		prefix = "beacon"
	}
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return fmt.Sprintf("%s-%d-%x", prefix, os.Getpid(), b)
}

// maxTxAttempts bounds the runs of one transaction's function on
// PostgreSQL: a transaction losing a serialization conflict ten times in
// a row is stuck behind something else, and says so.
const maxTxAttempts = 10

// retryTx runs fn in a transaction on pool, again from its start while
// PostgreSQL reports a serialization failure (SQLSTATE 40001) or a
// deadlock (40P01): SERIALIZABLE transactions that would otherwise have
// seen each other's writes half-way fail instead, and the loser repeats
// its whole read-decide-write. fn must therefore start from scratch each
// time: it resets what it reports to its caller at its top.
func (db *DB) retryTx(ctx context.Context, pool *sql.DB, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.attempt(ctx, pool, fn, attempt == 1 && db.forceRetry.Load())
		if err == nil || attempt == maxTxAttempts || !retryable(err) {
			return err
		}
		if !pause(ctx, attempt) {
			return err
		}
	}
}

// pause waits before attempt+1 of a transaction: 1 ms plus a random time
// up to a window that doubles after each attempt, from 4 ms to at most
// 500 ms (exponential backoff with full jitter). Losers of one conflict
// then spread out instead of meeting again at once, and the more often a
// transaction has lost, the wider they spread, until the window exceeds
// the time the contenders need one after another, however slow the
// machine. (A window growing by 5 ms to 50 ms was narrower than that for
// 16 contenders on a loaded machine: some lost all ten attempts.) Full
// jitter, rather than half the window fixed and half random, does the
// least work in all for the same spread. 500 ms bounds what one
// transaction waits in all, about 1.5 s at most over its ten attempts, as
// someone waits on a Tx. It reports false when ctx ends first.
func pause(ctx context.Context, attempt int) bool {
	window := min(4*time.Millisecond<<min(attempt-1, 16), 500*time.Millisecond)
	t := time.NewTimer(time.Millisecond + mrand.N(window))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// retryable reports whether err is a serialization failure or a deadlock,
// which PostgreSQL asks the client to retry.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// errForcedRetry is the failure ForceRetries makes every transaction's
// first attempt end with.
var errForcedRetry = &pgconn.PgError{Severity: "ERROR", Code: "40001",
	Message: "could not serialize access (forced by store.ForceRetries, a test hook)"}

// ForceRetries, for tests, makes every Tx and BackgroundTx run its
// function twice: the first run is rolled back as if it had lost a
// serialization conflict, on either engine. A test suite run this way
// proves that every transaction function can be run again, as PostgreSQL
// needs, by starting afresh at its top.
func (db *DB) ForceRetries(on bool) { db.forceRetry.Store(on) }

// lockKey turns a lock's name into PostgreSQL's 64-bit advisory lock key
// (FNV-1a), the same in every replica.
func lockKey(name string) int64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= prime
	}
	return int64(h)
}

// quoteList quotes names as SQL string literals, comma-separated.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + strings.ReplaceAll(n, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}
