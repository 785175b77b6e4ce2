package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
)

// TestUnstorableText: text PostgreSQL refuses (NUL, bytes that are not
// UTF-8), however it is passed, fails there with ErrUnstorableText, a
// client's mistake, not a bare driver error, and as an argument it is
// refused before it is sent; SQLite takes it as ever.
func TestUnstorableText(t *testing.T) {
	type name string
	nul, bad := "a\x00b", "\xff\xfe"
	args := []struct {
		what string
		arg  any
	}{
		{"NUL", nul},
		{"not UTF-8", bad},
		{"a named string type", name(nul)},
		{"a pointer", &bad},
		{"a Valuer", sql.NullString{String: nul, Valid: true}},
	}
	forEachEngine(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		db := open(t)
		if err := db.Migrate(ctx, migrations("0001_create_names.sql", `CREATE TABLE names (name TEXT NOT NULL) STRICT;`)); err != nil {
			t.Fatal(err)
		}
		want := func(t *testing.T, what string, err error) {
			t.Helper()
			if db.Engine() == store.SQLite {
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					t.Errorf("%s on SQLite: %v, want it taken", what, err)
				}
				return
			}
			if !errors.Is(err, store.ErrUnstorableText) {
				t.Errorf("%s on PostgreSQL: %v, want ErrUnstorableText", what, err)
			}
		}
		for _, a := range args {
			_, err := db.Write.ExecContext(ctx, `INSERT INTO names (name) VALUES (?)`, a.arg)
			want(t, "insert of "+a.what, err)
			var got string
			var lookup error
			err = db.Tx(ctx, func(tx *sql.Tx) error {
				lookup = tx.QueryRowContext(ctx, `SELECT name FROM names WHERE name = ?`, a.arg).Scan(&got)
				// Refused before PostgreSQL saw it, the statement did not
				// abort the transaction: it goes on.
				var one int
				return tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
			})
			want(t, "lookup of "+a.what+" in a transaction", lookup)
			if err != nil {
				t.Errorf("the transaction after a lookup of %s: %v", a.what, err)
			}
		}
		var n int
		err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+db.JSONArray("a")+` WHERE a.value = 'x'`, store.IDList([]string{"x", nul})).Scan(&n)
		want(t, "NUL in a JSON argument", err)

		// Text that is not refused still is not.
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO names (name) VALUES (?)`, "Über"); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.Read.QueryRowContext(ctx, `SELECT name FROM names WHERE name = ?`, "Über").Scan(&got); err != nil || got != "Über" {
			t.Errorf("read back %q (%v), want Über", got, err)
		}
	})
}
