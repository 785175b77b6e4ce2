package dbcopy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/internal/dbcopy"
	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/store"
)

// copySet is a schema with what Copy must get right: a table that refers to
// itself, an AUTOINCREMENT counter above the largest id left, blobs, reals
// and NULLs, and a row the migration itself inserts.
var copySet = store.Migrations{Package: "copytest", FS: fstest.MapFS{
	"0001_create_nodes.sql": {Data: []byte(`
CREATE TABLE nodes (
    id        TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES nodes (id) ON DELETE SET NULL,
    n         INTEGER NOT NULL
) STRICT;
CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    body    BLOB,
    score   REAL
) STRICT;
CREATE TABLE marks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
) STRICT;
INSERT INTO marks (id, at) VALUES (1, 'never');
`)},
}}

// copyChain is how many nodes the source has: more than one INSERT takes,
// each referring to a node that comes after it in the source's order.
const copyChain = 2500

// copySource makes the SQLite database Copy reads.
func copySource(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	src, err := store.Open(ctx, filepath.Join(t.TempDir(), "source.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	if err := src.Migrate(ctx, copySet); err != nil {
		t.Fatal(err)
	}
	err = src.Tx(ctx, func(tx *sql.Tx) error {
		for i := range copyChain {
			if _, err := tx.ExecContext(ctx, `INSERT INTO nodes (id, parent_id, n) VALUES (?, NULL, ?)`, fmt.Sprintf("n%05d", i), i); err != nil {
				return err
			}
		}
		// Node i's parent is node i+1, inserted after it.
		if _, err := tx.ExecContext(ctx, `UPDATE nodes SET parent_id = printf('n%05d', n + 1) WHERE n < ?`, copyChain-1); err != nil {
			return err
		}
		for i := range 10 {
			var body any
			if i%3 != 0 {
				body = []byte{0, byte(i), 0xff, '\''}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (node_id, body, score) VALUES (?, ?, ?)`, "n00001", body, float64(i)/3); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id > 7`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE marks SET at = '2026-03-10T12:00:00.000000Z'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func copyTarget(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCopy(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	src, dst := copySource(t), copyTarget(t, url)

	tables, err := dbcopy.Copy(ctx, src, dst, copySet)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, tc := range tables {
		rows[tc.Name] = tc.Rows
	}
	if want := map[string]int{"nodes": copyChain, "events": 7, "marks": 1, "schema_migrations": 1}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("copied %v, want %v", rows, want)
	}
	for _, table := range []string{"nodes", "events", "marks", "schema_migrations"} {
		cols, err := dbcopy.Columns(ctx, src, table)
		if err != nil {
			t.Fatal(err)
		}
		n, a, err := dbcopy.Digest(ctx, src.Read, table, cols)
		if err != nil {
			t.Fatal(err)
		}
		m, b, err := dbcopy.Digest(ctx, dst.Read, table, cols)
		if err != nil {
			t.Fatal(err)
		}
		if n != m || a != b {
			t.Errorf("%s: %d rows (%.8s) in SQLite, %d (%.8s) in PostgreSQL", table, n, a, m, b)
		}
	}
	// The next id is past SQLite's counter, not only past the rows left.
	var id int64
	err = dst.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO events (node_id) VALUES ('n00002') RETURNING id`).Scan(&id)
	})
	if err != nil || id != 11 {
		t.Errorf("the first new event's id: %d (%v), want 11", id, err)
	}

	// Now the target holds data: a second copy is refused.
	if _, err := dbcopy.Copy(ctx, src, dst, copySet); !errors.Is(err, dbcopy.ErrNotEmpty) {
		t.Errorf("a copy into a database with data: %v, want ErrNotEmpty", err)
	}
}

// A target migrated but never used is empty; one whose history differs is
// not, and Copy leaves it as it found it.
func TestCopyTargets(t *testing.T) {
	ctx := context.Background()
	src := copySource(t)

	migrated := copyTarget(t, pgtest.NewDatabase(t))
	if err := migrated.Migrate(ctx, copySet); err != nil {
		t.Fatal(err)
	}
	if _, err := dbcopy.Copy(ctx, src, migrated, copySet); err != nil {
		t.Errorf("a copy into a migrated, unused database: %v", err)
	}

	other := copyTarget(t, pgtest.NewDatabase(t))
	if err := other.Migrate(ctx, copySet); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Write.ExecContext(ctx, `UPDATE schema_migrations SET name = '0001_something_else.sql'`); err != nil {
		t.Fatal(err)
	}
	_, err := dbcopy.Copy(ctx, src, other, copySet)
	if !errors.Is(err, dbcopy.ErrNotEmpty) || !strings.Contains(err.Error(), "0001_something_else.sql") {
		t.Errorf("a copy into a database with another history: %v, want ErrNotEmpty naming its migration", err)
	}
	var n int
	if err := other.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM nodes`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused target has %d nodes (%v)", n, err)
	}

	// A source this binary has not migrated fully is refused.
	more := store.Migrations{Package: "copytest", FS: fstest.MapFS{
		"0001_create_nodes.sql": copySet.FS.(fstest.MapFS)["0001_create_nodes.sql"],
		"0002_add_index.sql":    {Data: []byte(`CREATE INDEX nodes_n ON nodes (n);`)},
	}}
	if _, err := dbcopy.Copy(ctx, src, copyTarget(t, pgtest.NewDatabase(t)), more); err == nil || !strings.Contains(err.Error(), "pending") {
		t.Errorf("a copy of a source with a pending migration: %v, want a refusal", err)
	}
}

// unstorableSet is a schema whose text PostgreSQL may refuse: a table with
// a key of two columns, and one with an integer key.
var unstorableSet = store.Migrations{Package: "copytest", FS: fstest.MapFS{
	"0001_create_notes.sql": {Data: []byte(`
CREATE TABLE pages (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;
CREATE TABLE notes (
    page_id INTEGER NOT NULL REFERENCES pages (id),
    n       INTEGER NOT NULL,
    title   TEXT NOT NULL,
    body    TEXT,
    data    BLOB,
    PRIMARY KEY (page_id, n)
) STRICT;
`)},
}}

// Text PostgreSQL cannot hold — a NUL character, bytes that are not UTF-8
// — is refused with an error naming each such value's table, row key and
// column, saying what to do, and nothing is copied, not even the tables
// before; the same bytes in a blob are copied.
func TestCopyRefusesUnstorableText(t *testing.T) {
	ctx := context.Background()
	src, err := store.Open(ctx, filepath.Join(t.TempDir(), "source.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Migrate(ctx, unstorableSet); err != nil {
		t.Fatal(err)
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := src.Write.ExecContext(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO pages (id, name) VALUES (1, 'Status'), (2, 'Café')`)
	for n := range 5 {
		exec(`INSERT INTO notes (page_id, n, title, body, data) VALUES (1, ?, 'Update', 'All fine.', ?)`, n, []byte{0, 0xff})
	}
	exec(`UPDATE notes SET body = ? WHERE n = 3`, "Fixed\x00 at last.")
	dst := copyTarget(t, pgtest.NewDatabase(t))
	refused := func(want ...string) {
		t.Helper()
		_, err := dbcopy.Copy(ctx, src, dst, unstorableSet)
		if err == nil {
			t.Fatal("the copy succeeded")
		}
		t.Logf("the error:\n%v", err)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("the error does not say %q", w)
			}
		}
		if !errors.Is(err, store.ErrUnstorableText) {
			t.Errorf("the error is not ErrUnstorableText")
		}
		for _, table := range []string{"pages", "notes"} {
			var n int
			if err := dst.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("the target's %s has %d rows (%v), want none", table, n, err)
			}
		}
	}

	// pages goes over before notes fails.
	refused("PostgreSQL cannot store 1 text value of the SQLite database (text holds a NUL character or is not UTF-8):",
		"table notes, row page_id = 1 AND n = 3, column body: a NUL character at byte 5",
		"nothing was copied: edit those values in the SQLite database (with sqlite3: UPDATE notes SET body = '…' WHERE page_id = 1 AND n = 3)")
	// Every such value is named, the first table to fail or not.
	exec(`UPDATE pages SET name = ? WHERE id = 2`, "Caf\xe9")
	refused("PostgreSQL cannot store 2 text values of the SQLite database",
		"table pages, row id = 2, column name: bytes that are not UTF-8 at byte 3",
		"table notes, row page_id = 1 AND n = 3, column body: a NUL character at byte 5",
		"(with sqlite3: UPDATE pages SET name = '…' WHERE id = 2)")

	// Once the rows are edited, the copy goes through, blobs as they were
	// (Copy checks every table's digest).
	exec(`UPDATE notes SET body = 'Fixed at last.' WHERE page_id = 1 AND n = 3`)
	exec(`UPDATE pages SET name = 'Café' WHERE id = 2`)
	if _, err := dbcopy.Copy(ctx, src, dst, unstorableSet); err != nil {
		t.Fatalf("the copy after editing the rows: %v", err)
	}
	var body string
	if err := dst.Read.QueryRowContext(ctx, `SELECT body FROM notes WHERE n = 3`).Scan(&body); err != nil || body != "Fixed at last." {
		t.Errorf("the edited body copied: %q (%v)", body, err)
	}
}
