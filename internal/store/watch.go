package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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
// all is false when the changes since the last call were only to data
// whose tables' triggers say so (beacon_notify('data'): the metrics' data
// points, which charts follow without the page being marked stale).
//
// On SQLite it polls data_version, asked on the writer connection: it moves
// when any other connection commits, so this process's own commits do not
// count. On PostgreSQL it listens, on a connection of its own, to the
// notifications that the tables the public page and the API read send at
// every commit (installNotifyTriggers), and ignores those carrying its own
// ReplicaID. A burst of them makes one call while onChange is busy. While
// the listening connection is down, it calls onChange every second, and
// once more when it listens again: what was committed meanwhile is missed.
// SQLite's poll cannot tell tables apart: all is always true there.
// Problems are logged to Log. It returns when ctx ends or the DB is closed.
func (db *DB) Watch(ctx context.Context, onChange func(all bool)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(db.locks.ctx, cancel)() // Close ends it too
	if db.engine == Postgres {
		db.watchPostgres(ctx, onChange)
		return
	}
	db.watchSQLite(ctx, onChange)
}

func (db *DB) watchSQLite(ctx context.Context, onChange func(bool)) {
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
			onChange(true)
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

func (db *DB) watchPostgres(ctx context.Context, onChange func(bool)) {
	// One goroutine calls onChange; the listener only marks that a call
	// is due (and whether for all), so whatever arrives during a call
	// makes one more.
	due := make(chan struct{}, 1)
	var all atomic.Bool
	mark := func(everything bool) {
		if everything {
			all.Store(true)
		}
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
				onChange(all.Swap(false))
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
			mark(true)
			wait = true
			continue
		}
		if down {
			db.logError("watch for changes: listening again", nil)
			down = false
		}
		mark(true)
		err = db.receive(ctx, conn, mark)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		db.logError("watch for changes: connection lost", err)
		mark(true)
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
// until ctx ends or the connection fails. A notification's payload is the
// writer's ReplicaID, after its trigger's kind and a space if it has one.
func (db *DB) receive(ctx context.Context, conn *pgx.Conn, mark func(all bool)) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			kind, id, found := strings.Cut(n.Payload, " ") // no ReplicaID has a space
			if !found {
				kind, id = "", n.Payload
			}
			if id != db.replicaID {
				mark(kind != "data")
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

// notifyFunction notifies the replicas with the writer's application_name
// (its ReplicaID) as the payload, after the trigger's argument, its kind,
// and a space when it has one. PostgreSQL delivers a notification when its
// transaction commits, once per transaction and payload however many
// statements sent it. Migrate replaces it before migrating, so that a
// newer beacon's wins and migrations may give tables triggers of a kind.
const notifyFunction = `CREATE OR REPLACE FUNCTION beacon_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + notifyChannel + `', concat_ws(' ', TG_ARGV[0], current_setting('application_name')));
	RETURN NULL;
END
$$`

// installNotifyTriggers gives each of the notifyTables that exists, and
// has none yet, a trigger of notifyFunction's after every statement that
// changes it.
func installNotifyTriggers(ctx context.Context, conn *sql.Conn) error {
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
