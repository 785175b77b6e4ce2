package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// watchEvery is how often Watch polls SQLite, and how often it calls
// onChange while it cannot listen to PostgreSQL.
const watchEvery = time.Second

// Watch calls onChange, until ctx ends, after another process commits a
// change — another replica, `beacon demo`, an import, a restored backup —,
// which this process's own change hooks never see: its caches go stale.
// It calls onChange once when it starts watching too, for what came before.
//
// On SQLite it polls data_version, asked on the writer connection: it moves
// when any other connection commits, so this process's own commits do not
// count. On PostgreSQL it listens, on a connection of its own, to the
// notifications that the tables the public page and the API read send at
// every commit (installNotifyTriggers), and ignores those carrying its own
// ReplicaID. A burst of them makes one call while onChange is busy. While
// the listening connection is down, it calls onChange every second, and
// once more when it listens again: what was committed meanwhile is missed.
// Problems are logged to Log. It returns when ctx ends or the DB is closed.
func (db *DB) Watch(ctx context.Context, onChange func()) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(db.locks.ctx, cancel)() // Close ends it too
	if db.engine == Postgres {
		db.watchPostgres(ctx, onChange)
		return
	}
	db.watchSQLite(ctx, onChange)
}

func (db *DB) watchSQLite(ctx context.Context, onChange func()) {
	var last int64
	started := false
	ticker := time.NewTicker(watchEvery)
	defer ticker.Stop()
	for {
		var v int64
		if err := db.Write.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			if ctx.Err() == nil {
				db.logError("watch for outside changes", err)
			}
		} else if !started || v != last {
			started = true
			last = v
			onChange()
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// notifyChannel is the channel of PostgreSQL's change notifications.
const notifyChannel = "beacon"

func (db *DB) watchPostgres(ctx context.Context, onChange func()) {
	// One goroutine calls onChange; the listener only marks that a call
	// is due, so whatever arrives during a call makes one more.
	due := make(chan struct{}, 1)
	mark := func() {
		select {
		case due <- struct{}{}:
		default:
		}
	}
	var caller sync.WaitGroup
	defer caller.Wait()
	caller.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-due:
				onChange()
			}
		}
	})

	down := false // not listening, and said so
	wait := false // before connecting again
	for {
		if wait {
			select {
			case <-ctx.Done():
				return
			case <-time.After(watchEvery):
			}
		}
		conn, err := db.listen(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !down {
				db.logError("watch for changes: cannot listen, checking every second", err)
				down = true
			}
			mark()
			wait = true
			continue
		}
		if down {
			db.logError("watch for changes: listening again", nil)
			down = false
		}
		mark()
		err = db.receive(ctx, conn, mark)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		db.logError("watch for changes: connection lost", err)
		mark()
		wait = false
	}
}

// listen opens a connection and listens on it.
func (db *DB) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, db.pgConfig)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// listenPing is how long the listener waits for a notification before it
// checks that its connection still answers: a server gone without closing
// the connection would otherwise leave it waiting for good.
const listenPing = 15 * time.Second

// receive marks a change for every notification from another replica,
// until ctx ends or the connection fails.
func (db *DB) receive(ctx context.Context, conn *pgx.Conn, mark func()) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n.Payload != db.replicaID {
				mark()
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case wctx.Err() != nil && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, listenPing)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

// notifyTables are the tables whose changes other replicas must hear of:
// what the public page, API v2 and the message renderer show, and the
// events the dispatcher fans out. Not deliveries, sessions, the audit log
// or other queues: their readers poll, or read them afresh every time.
var notifyTables = []string{
	"pages", "components", "component_status_intervals", "component_history_versions",
	"incidents", "incident_components", "incident_updates", "incident_templates",
	"settings",
	"metrics_providers", "metrics", "metric_points", "metric_rollups_5m", "metric_rollups_1h",
	"notification_events",
}

// installNotifyTriggers gives each of the notifyTables that exists, and
// has none yet, a trigger that notifies the replicas after every statement
// that changes it, with the writer's application_name (its ReplicaID) as
// the payload. PostgreSQL delivers a notification when its transaction
// commits, once per transaction and payload however many statements sent
// it. The function is replaced every time, so a newer beacon's wins.
func installNotifyTriggers(ctx context.Context, conn *sql.Conn) error {
	const function = `CREATE OR REPLACE FUNCTION beacon_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + notifyChannel + `', current_setting('application_name'));
	RETURN NULL;
END
$$`
	if _, err := conn.ExecContext(ctx, function); err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, `SELECT c.relname FROM pg_class c
		WHERE c.relname IN (`+quoteList(notifyTables)+`) AND c.relkind IN ('r', 'p') AND pg_table_is_visible(c.oid)
		AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'beacon_notify')
		ORDER BY c.relname`)
	if err != nil {
		return err
	}
	var missing []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		missing = append(missing, name)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, table := range missing {
		events := "INSERT OR UPDATE OR DELETE OR TRUNCATE"
		if table == "notification_events" {
			// An event is news when it is made: the fan-out moves its
			// cursor every few milliseconds, which no other replica
			// needs to hear of (each would drop its page and message
			// caches for it).
			events = "INSERT"
		}
		_, err := conn.ExecContext(ctx, `CREATE OR REPLACE TRIGGER beacon_notify AFTER `+events+` ON `+
			pgx.Identifier{table}.Sanitize()+` FOR EACH STATEMENT EXECUTE FUNCTION beacon_notify()`)
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// logError logs a problem the store works around, to Log when set.
func (db *DB) logError(msg string, err error) {
	if db.Log == nil {
		return
	}
	if err == nil {
		db.Log.Info(msg)
		return
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		msg += " (" + strings.ToLower(pg.Severity) + " " + pg.Code + ")"
	}
	db.Log.Warn(msg, "err", err)
}
