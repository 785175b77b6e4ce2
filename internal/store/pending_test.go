package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/internal/store"
)

// Pending names exactly the migrations Migrate would apply, and changes
// nothing itself.
func TestPending(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "beacon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{
		"0001_create_a.sql": {Data: []byte(`CREATE TABLE a (id TEXT PRIMARY KEY) STRICT;`)},
		"0002_create_b.sql": {Data: []byte(`CREATE TABLE b (id TEXT PRIMARY KEY) STRICT;`)},
		"notes.txt":         {Data: []byte(`not a migration`)},
	}
	first := store.Migrations{Package: "one", FS: fstest.MapFS{"0001_create_a.sql": fsys["0001_create_a.sql"]}}
	both := store.Migrations{Package: "one", FS: fsys}
	other := store.Migrations{Package: "two", FS: fstest.MapFS{"0001_create_c.sql": {Data: []byte(`CREATE TABLE c (id TEXT) STRICT;`)}}}

	pending := func(sets ...store.Migrations) []string {
		t.Helper()
		got, err := db.Pending(ctx, sets...)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// A database never migrated: everything, and still no table made.
	if got, want := pending(both, other), []string{"one/0001_create_a.sql", "one/0002_create_b.sql", "two/0001_create_c.sql"}; !slices.Equal(got, want) {
		t.Errorf("before any migration: %v, want %v", got, want)
	}
	var tables int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'schema_migrations'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("Pending made schema_migrations (%d, %v)", tables, err)
	}
	if err := db.Migrate(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got, want := pending(both, other), []string{"one/0002_create_b.sql", "two/0001_create_c.sql"}; !slices.Equal(got, want) {
		t.Errorf("after the first: %v, want %v", got, want)
	}
	if err := db.Migrate(ctx, both, other); err != nil {
		t.Fatal(err)
	}
	if got := pending(both, other); len(got) != 0 {
		t.Errorf("after all: %v, want none", got)
	}
}
