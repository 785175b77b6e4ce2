package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/internal/store"
)

func migrations(files ...string) store.Migrations {
	fsys := fstest.MapFS{}
	for i := 0; i+1 < len(files); i += 2 {
		fsys[files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
	}
	return store.Migrations{Package: "test", FS: fsys}
}

// One SQL text runs on both engines: SQLite's placeholders, Go bools as
// integer flags, a multi-statement migration, RETURNING.
func TestSameSQL(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		db := open(t)
		err := db.Migrate(ctx, migrations("0001_create_items.sql", `
			CREATE TABLE items (
				id     INTEGER PRIMARY KEY,
				name   TEXT NOT NULL,
				flag   INTEGER NOT NULL DEFAULT 0,
				weight REAL,
				data   BLOB
			) STRICT;
			-- a comment with a ? in it
			INSERT INTO items (name) VALUES ('first?');`))
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO items (name, flag, weight, data) VALUES (?, ?, ?, ?) RETURNING id`,
				"second", true, 1.5, []byte{0, 1, 2}).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
		if id != 2 {
			t.Errorf("got id %d, want 2", id)
		}
		var name string
		var flag bool
		var weight float64
		var data []byte
		err = db.Read.QueryRowContext(ctx, `SELECT name, flag, weight, data FROM items WHERE flag = ?1 AND id > ?1 AND name <> ?2`, true, "first?").
			Scan(&name, &flag, &weight, &data)
		if err != nil {
			t.Fatal(err)
		}
		if name != "second" || !flag || weight != 1.5 || string(data) != "\x00\x01\x02" {
			t.Errorf("got %q %v %v %v", name, flag, weight, data)
		}
		// One row is flagged, one not: a bool matches one row however it
		// is passed, NULL none.
		type namedBool bool
		yes := true
		for _, c := range []struct {
			arg  any
			want int
		}{
			{false, 1}, {namedBool(false), 1}, {sql.NullBool{Valid: true}, 1}, {&yes, 1},
			{sql.NullBool{}, 0}, {(*bool)(nil), 0},
		} {
			var n int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM items WHERE flag = ?`, c.arg).Scan(&n); err != nil || n != c.want {
				t.Errorf("%#v: got %d rows, %v; want %d", c.arg, n, err, c.want)
			}
		}
		stmt, err := db.Read.PrepareContext(ctx, `SELECT name FROM items WHERE id = ? AND flag = ?`)
		if err != nil {
			t.Fatal(err)
		}
		defer stmt.Close()
		if err := stmt.QueryRowContext(ctx, 1, false).Scan(&name); err != nil || name != "first?" {
			t.Errorf("prepared: got %q, %v", name, err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Error(err)
		}
		if db.ReplicaID() == "" {
			t.Error("no replica id")
		}
	})
}

// PostgreSQL's DB says what it is and refuses SQLite's backup.
func TestPostgresIdentity(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t, postgresURL(t))
	if db.Engine() != store.Postgres || db.Path() != "" {
		t.Errorf("got engine %v path %q", db.Engine(), db.Path())
	}
	if err := db.Backup(ctx, "/nonexistent/x.db"); !errors.Is(err, store.ErrBackupUnsupported) {
		t.Errorf("got %v, want ErrBackupUnsupported", err)
	}
	var app string
	if err := db.Read.QueryRowContext(ctx, `SELECT current_setting('application_name')`).Scan(&app); err != nil || app != db.ReplicaID() {
		t.Errorf("got application_name %q (%v), want %q", app, err, db.ReplicaID())
	}
	var iso string
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT current_setting('transaction_isolation')`).Scan(&iso)
	})
	if err != nil || iso != "serializable" {
		t.Errorf("Tx runs %q (%v), want serializable", iso, err)
	}
	err = db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT current_setting('transaction_isolation')`).Scan(&iso)
	})
	if err != nil || iso != "read committed" {
		t.Errorf("BackgroundTx runs %q (%v), want read committed", iso, err)
	}
	// Every statement is planned for its values, never by a generic plan.
	for name, pool := range map[string]*sql.DB{"write": db.Write, "read": db.Read} {
		var mode string
		if err := pool.QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode); err != nil || mode != "force_custom_plan" {
			t.Errorf("the %s pool's plan_cache_mode is %q (%v), want force_custom_plan", name, mode, err)
		}
	}
	err = db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&iso)
	})
	if err != nil || iso != "force_custom_plan" {
		t.Errorf("BackgroundTx's plan_cache_mode is %q (%v), want force_custom_plan", iso, err)
	}
	if _, err := db.Read.ExecContext(ctx, `CREATE TABLE nope (x int)`); err == nil {
		t.Error("the read pool wrote")
	}
	// Replicas configured alike still have ids of their own.
	url := postgresURL(t) + "&application_name=web%20eu"
	eu1, eu2 := openPostgres(t, url), openPostgres(t, url)
	if !strings.HasPrefix(eu1.ReplicaID(), "webeu-") || eu1.ReplicaID() == eu2.ReplicaID() {
		t.Errorf("got replica ids %q and %q, want two starting with webeu-", eu1.ReplicaID(), eu2.ReplicaID())
	}
	if err := eu1.Read.QueryRowContext(ctx, `SELECT current_setting('application_name')`).Scan(&app); err != nil || app != eu1.ReplicaID() {
		t.Errorf("got application_name %q (%v), want %q", app, err, eu1.ReplicaID())
	}
	if _, err := store.OpenPostgres(ctx, "postgres://beacon@/x?host=/nonexistent&connect_timeout=1"); err == nil {
		t.Error("opened a server that is not there")
	}
}

// Replicas starting together migrate once: each file runs once, and
// neither fails.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := postgresURL(t)
	set := migrations(
		"0001_create_log.sql", `CREATE TABLE log (at TEXT NOT NULL) STRICT;`,
		"0002_fill_log.sql", `INSERT INTO log (at) VALUES ('0002');`,
		"0003_more_log.sql", `INSERT INTO log (at) VALUES ('0003'); SELECT pg_sleep(0.05);`,
	)
	dbs := []*store.DB{openPostgres(t, url), openPostgres(t, url), openPostgres(t, url)}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() { errs[i] = db.Migrate(ctx, set) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	var n int
	if err := dbs[0].Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM log`).Scan(&n); err != nil || n != 2 {
		t.Errorf("got %d rows (%v), want 2: each migration once", n, err)
	}
	pending, err := dbs[1].Pending(ctx, set)
	if err != nil || len(pending) != 0 {
		t.Errorf("pending %v, %v", pending, err)
	}
}

// Pending on PostgreSQL: everything before the first migration, nothing
// after; an override without a shared file is refused.
func TestPendingPostgres(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t, postgresURL(t))
	set := migrations("0001_create_a.sql", `CREATE TABLE a (id TEXT) STRICT;`,
		"postgres/0001_create_a.sql", `CREATE TABLE a (id TEXT COLLATE "C", pg BOOLEAN);`)
	pending, err := db.Pending(ctx, set)
	if err != nil || len(pending) != 1 || pending[0] != "test/0001_create_a.sql" {
		t.Fatalf("got %v, %v", pending, err)
	}
	if err := db.Migrate(ctx, set); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO a (id, pg) VALUES ('x', true)`); err != nil {
		t.Errorf("the PostgreSQL version did not stand for the shared file: %v", err)
	}
	if pending, err := db.Pending(ctx, set); err != nil || len(pending) != 0 {
		t.Errorf("got %v, %v after migrating", pending, err)
	}
	stray := migrations("0001_create_a.sql", `CREATE TABLE a (id TEXT) STRICT;`,
		"postgres/0002_create_b.sql", `CREATE TABLE b (id TEXT);`)
	if err := db.Migrate(ctx, stray); err == nil {
		t.Error("migrated with a PostgreSQL file that stands for no shared one")
	}
}
