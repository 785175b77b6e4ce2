package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
)

// The dialect's pieces give the same answers on both engines.
func TestDialect(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		db := open(t)
		err := db.Migrate(ctx, migrations("0001_create_docs.sql", `
			CREATE TABLE docs (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;
			INSERT INTO docs VALUES ('obj', '{"b":"2","a":"x"}'), ('arr', '["p","q","r"]'), ('empty', '[]');`))
		if err != nil {
			t.Fatal(err)
		}
		pairs := func(query string, args ...any) []string {
			t.Helper()
			rows, err := db.Read.QueryContext(ctx, query, args...)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var k, v string
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				out = append(out, k+"="+v)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		want := func(what string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", what, got, want)
			}
		}

		want("JSONArray", pairs(`SELECT CAST(a.key AS TEXT), a.value FROM `+db.JSONArray("a")+` ORDER BY a.key`,
			store.IDList([]string{"z", "y", "it's"})), "0=z", "1=y", "2=it's")
		want("JSONArray IN", pairs(`SELECT id, id FROM docs WHERE id IN (SELECT a.value FROM `+db.JSONArray("a")+`) ORDER BY id`,
			store.IDList([]string{"obj", "none", "empty"})), "empty=empty", "obj=obj")
		want("JSONEach object", pairs(`SELECT j.key, j.value FROM docs d, `+db.JSONEach("d.body", "j")+` WHERE d.id = ? ORDER BY j.key`, "obj"),
			"a=x", "b=2")
		want("JSONEach object key", pairs(`SELECT d.id, j.value FROM docs d, `+db.JSONEach("d.body", "j")+` WHERE j.key = ?`, "b"),
			"obj=2")
		want("JSONEach array", pairs(`SELECT CAST(j.key AS TEXT), j.value FROM docs d, `+db.JSONEach("d.body", "j")+` WHERE d.id = ? ORDER BY j.value`, "arr"),
			"0=p", "1=q", "2=r")
		want("JSONEach empty", pairs(`SELECT j.key, j.value FROM docs d, `+db.JSONEach("d.body", "j")+` WHERE d.id = 'empty'`))
		want("JSONEach parameter", pairs(`SELECT j.key, j.value FROM `+db.JSONEach("?", "j")+` WHERE j.value <> ?`, `{"k":"v","l":"w"}`, "w"),
			"k=v")

		var least, greatest, at, absent int
		err = db.Read.QueryRowContext(ctx, `SELECT `+db.Least("?", "3")+`, `+db.Greatest("?1", "3")+`, `+db.Instr("lower(?)", "'b'")+`, `+db.Instr("'abc'", "?")+``,
			5, "ABC", "z").Scan(&least, &greatest, &at, &absent)
		if err != nil {
			t.Fatal(err)
		}
		if least != 3 || greatest != 5 || at != 2 || absent != 0 {
			t.Errorf("got least %d greatest %d instr %d, %d; want 3 5 2 0", least, greatest, at, absent)
		}
	})
}

// On PostgreSQL, a transaction lock is one transaction's at a time, and
// SKIP LOCKED passes over the rows another transaction claims.
func TestPostgresLocking(t *testing.T) {
	ctx := context.Background()
	url := postgresURL(t)
	a, b := openPostgres(t, url), openPostgres(t, url)
	if err := a.Migrate(ctx, migrations("0001_create_jobs.sql", `CREATE TABLE jobs (id INTEGER PRIMARY KEY, owner TEXT) STRICT;
		INSERT INTO jobs (id) VALUES (1), (2), (3);`)); err != nil {
		t.Fatal(err)
	}
	claim := func(tx *sql.Tx, n int) []int {
		t.Helper()
		rows, err := tx.QueryContext(ctx, `SELECT id FROM jobs WHERE owner IS NULL ORDER BY id LIMIT ?`+a.SkipLocked(), n)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	txA, err := a.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback()
	txB, err := b.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer txB.Rollback()

	if got, err := a.TryXactLock(ctx, txA, "fan-out"); err != nil || !got {
		t.Fatalf("first lock: %v, %v", got, err)
	}
	if got, err := b.TryXactLock(ctx, txB, "fan-out"); err != nil || got {
		t.Errorf("second transaction got the lock too (%v)", err)
	}
	if got, err := b.TryXactLock(ctx, txB, "another"); err != nil || !got {
		t.Errorf("a lock of another name: %v, %v", got, err)
	}
	if got := claim(txA, 2); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("A claimed %v, want [1 2]", got)
	}
	if got := claim(txB, 2); !slices.Equal(got, []int{3}) {
		t.Errorf("B claimed %v, want [3]: the rows A holds skipped", got)
	}
	txA.Rollback()
	txB.Rollback()
	err = b.BackgroundTx(ctx, func(tx *sql.Tx) error {
		got, err := b.TryXactLock(ctx, tx, "fan-out")
		if err == nil && !got {
			t.Error("the lock outlived its transaction")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
