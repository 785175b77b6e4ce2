// Package store opens Beacon's database — a SQLite file, or PostgreSQL
// shared by replicas —, applies the domain packages' embedded migrations
// and runs write transactions. It holds plumbing only; every table belongs
// to a domain package. The domain packages write one SQL text for both
// engines, with SQLite's placeholders; the few differences come from
// dialect.go, the only place that asks which engine it is.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver
)

// Queryer is satisfied by *sql.DB and *sql.Tx, so reads can run inside or
// outside a transaction.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is Beacon's database: a SQLite file, or a PostgreSQL database that
// several replicas share.
//
// On SQLite it is one writer connection and a pool of read-only ones.
// SQLite allows one writer at a time; funnelling all writes through one
// connection turns lock contention into a queue in Go instead of
// SQLITE_BUSY errors, while WAL lets readers run alongside it.
//
// On PostgreSQL it is three pools (postgres.go): Write, whose transactions
// are SERIALIZABLE, so the code keeps the one-writer-at-a-time reasoning
// it was written with; Read, read-only; and one for BackgroundTx in READ
// COMMITTED.
type DB struct {
	// Write runs writes. On SQLite it is the single writer connection,
	// whose transactions begin IMMEDIATE, so a transaction that will write
	// holds the lock from its first statement and never fails to upgrade
	// halfway.
	Write *sql.DB
	// Read is a pool of query-only connections.
	Read *sql.DB
	// Log, when set, hears of the problems the store works around: a
	// watch that cannot listen, a lock whose connection was lost.
	Log *slog.Logger

	engine    Engine
	path      string // the SQLite file
	gate      gate   // SQLite's two lanes to the writer
	bg        *sql.DB
	replicaID string
	pgConfig  *pgx.ConnConfig // for the connections outside the pools
	// forceRetry makes every transaction's first attempt fail as a
	// serialization failure would (ForceRetries).
	forceRetry atomic.Bool
	locks      locks
}

// Engine names the database engine behind a DB.
type Engine uint8

const (
	// SQLite is the embedded default: one file in the data directory.
	SQLite Engine = iota
	// Postgres is a PostgreSQL server, shared by replicas.
	Postgres
)

// String names the engine in messages.
func (e Engine) String() string {
	if e == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Engine returns the engine db runs on.
func (db *DB) Engine() Engine { return db.engine }

// Open opens (creating if needed) the database file at path with WAL,
// synchronous=FULL (an acknowledged commit survives a power cut, not only a
// process kill) and foreign keys on.
func Open(ctx context.Context, path string) (*DB, error) {
	w := sql.OpenDB(writerConnector{dsn(path, "_journal_mode", "WAL", "_synchronous", "FULL", "_txlock", "immediate")})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connection creates the file and switches it to WAL before
	// any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	r, err := sql.Open("sqlite3", dsn(path, "_query_only", "on"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return newDB(SQLite, w, r, nil, path, newReplicaID("")), nil
}

// writerConnector opens the SQLite writer connection. Its temporary files
// stay in memory (temp_store): above all the statement journal, which
// SQLite keeps for each statement that changes many rows inside a
// transaction, and spilled to a new temporary file, page by page, for the
// fan-out's inserts, the claims and the recorded outcomes; a group commit
// of outcomes every few milliseconds made that file's writes about as many
// as the WAL's. And it checkpoints the WAL into the database file every
// 10,000 pages instead of every 1,000, so the WAL file may reach about 40
// MB: group commits of outcomes rewrite the same few pages every few
// milliseconds, and each checkpoint, run by the commit that crosses the
// mark while the senders wait for their places (notifier's maxUnrecorded),
// copied them to the file again (measured: 22-26 % more messages a second
// in a 100,000-email fan-out).
type writerConnector struct{ dsn string }

func (c writerConnector) Connect(context.Context) (driver.Conn, error) {
	return c.Driver().Open(c.dsn)
}

func (writerConnector) Driver() driver.Driver {
	return &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		_, err := conn.Exec("PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000", nil)
		return err
	}}
}

func newDB(e Engine, w, r, bg *sql.DB, path, replicaID string) *DB {
	db := &DB{Write: w, Read: r, engine: e, bg: bg, path: path, replicaID: replicaID}
	db.locks.init()
	return db
}

// Path returns the SQLite database file's path; "" on PostgreSQL, whose
// database the caller names by its URL (never printed: it may hold a
// password).
func (db *DB) Path() string { return db.path }

// ReplicaID names this process's connection to the database: the host
// name (or a chosen prefix), process id and a random part, unique to each
// Open. On PostgreSQL
// it is every connection's application_name, which the change
// notifications carry (Watch) and delivery claims are marked with.
func (db *DB) ReplicaID() string { return db.replicaID }

// Close releases the locks held for this DB and closes its handles.
func (db *DB) Close() error {
	db.locks.close()
	errs := []error{db.Read.Close(), db.Write.Close()}
	if db.bg != nil {
		errs = append(errs, db.bg.Close())
	}
	return errors.Join(errs...)
}

// Tx runs fn inside one write transaction, committing if fn returns nil and
// rolling back otherwise, so a use case that fails midway writes nothing.
// It is for the writes someone waits on (staff, visitors, API callers): they
// go before any waiting BackgroundTx.
//
// On PostgreSQL the transaction is SERIALIZABLE, and fn runs again from the
// start when it loses a conflict with another transaction (retryTx): fn
// must reset whatever it reports to its caller at its top.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.tx(ctx, true, fn)
}

// BackgroundTx is Tx for the work nobody waits on: fan-out, delivery
// acknowledgements, claims, compaction. Such transactions must stay short;
// on SQLite a waiting Tx goes before them. On PostgreSQL they run in READ
// COMMITTED on a pool of their own, locking the rows they claim themselves
// (SkipLocked, TryXactLock); fn runs again after a deadlock.
func (db *DB) BackgroundTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.tx(ctx, false, fn)
}

func (db *DB) tx(ctx context.Context, foreground bool, fn func(tx *sql.Tx) error) error {
	if db.engine == Postgres {
		pool := db.Write
		if !foreground {
			pool = db.bg
		}
		return db.retryTx(ctx, pool, fn)
	}
	if err := db.gate.enter(ctx, foreground); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer db.gate.leave()
	err := db.attempt(ctx, db.Write, fn, db.forceRetry.Load())
	if errors.Is(err, errForcedRetry) {
		err = db.attempt(ctx, db.Write, fn, false)
	}
	return err
}

// attempt runs fn once in a transaction on pool and commits, or rolls
// back when fn fails or when fail asks for a forced retry.
func (db *DB) attempt(ctx context.Context, pool *sql.DB, fn func(tx *sql.Tx) error, fail bool) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", db.engine, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if fail {
		return errForcedRetry
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", db.engine, err)
	}
	return nil
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.Read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("%s: ping: %w", db.engine, err)
	}
	return nil
}

// Backup writes a consistent copy of the live database to dest with
// VACUUM INTO, which reads one snapshot and does not block writers for long.
// dest must not exist yet. On PostgreSQL it returns ErrBackupUnsupported.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.engine == Postgres {
		return ErrBackupUnsupported
	}
	if _, err := db.Write.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
	}
	return nil
}

// IDList encodes ids as a JSON array for a query's
// `IN (SELECT a.value FROM ` + db.JSONArray("a") + `)`: one parameter and one statement
// text however many ids there are, so no limit on host parameters to
// chunk around and one cached statement.
func IDList(ids []string) string {
	b, _ := json.Marshal(ids) // a []string always encodes
	return string(b)
}

// dsn builds a go-sqlite3 data source name for path with the options every
// connection needs plus extra key-value pairs.
func dsn(path string, extra ...string) string {
	v := url.Values{}
	v.Set("_busy_timeout", "5000")
	v.Set("_foreign_keys", "on")
	// Each connection keeps its recent prepared statements: the queries
	// the workers run per batch and per delivery are the same few, and
	// preparing them again cost several percent of a fan-out's CPU.
	v.Set("_stmt_cache_size", "64")
	// database/sql hands a connection to one goroutine at a time, so
	// SQLite's own lock around every call on it (FULLMUTEX, the driver's
	// default) is pure cost: a few percent of a fan-out's CPU.
	v.Set("_mutex", "no")
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	// The path is part of a URI: escape what would end it or be decoded.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + v.Encode()
}
