package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/internal/store"
)

// A migration run with foreign keys off must leave no broken reference: one
// that does fails whole, and the writer enforces foreign keys afterwards
// either way.
func TestMigrateForeignKeysOff(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "beacon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set := func(files ...string) store.Migrations {
		fsys := fstest.MapFS{}
		for i := 0; i < len(files); i += 2 {
			fsys[files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
		}
		return store.Migrations{Package: "test", FS: fsys}
	}
	base := []string{
		"0001_create_tables.sql", `CREATE TABLE parents (id TEXT PRIMARY KEY) STRICT;
			CREATE TABLE children (parent_id TEXT NOT NULL REFERENCES parents (id) ON DELETE CASCADE) STRICT;
			INSERT INTO parents VALUES ('p');
			INSERT INTO children VALUES ('p');`,
	}
	if err := db.Migrate(ctx, set(base...)); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.Write.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Rebuilding parents without its row breaks the child's reference.
	broken := append(base, "0002_rebuild_parents.sql", `-- sqlite: foreign_keys off
		CREATE TABLE parents_new (id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
		DROP TABLE parents;
		ALTER TABLE parents_new RENAME TO parents;`)
	err = db.Migrate(ctx, set(broken...))
	if err == nil || !strings.Contains(err.Error(), "children") {
		t.Fatalf("got %v, want an error naming the table left with a broken reference", err)
	}
	if n := count(`SELECT COUNT(*) FROM parents`); n != 1 {
		t.Errorf("got %d parents after the failed migration, want its 1 row untouched", n)
	}
	if n := count(`SELECT COUNT(*) FROM schema_migrations WHERE package = 'test'`); n != 1 {
		t.Errorf("got %d migrations recorded, want only the first", n)
	}
	if n := count(`PRAGMA foreign_keys`); n != 1 {
		t.Error("foreign keys are off after the failed migration")
	}

	// A reference broken before the migration (rows deleted by hand
	// with foreign keys off) is not the migration's doing.
	for _, q := range []string{`PRAGMA foreign_keys = OFF`, `INSERT INTO children VALUES ('gone')`, `PRAGMA foreign_keys = ON`} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	// Done right, the child keeps its row and its parent. The first line
	// is recognised whatever its case, spacing and line ending: missed,
	// the drop would cascade.
	fixed := append(base, "0002_rebuild_parents.sql", strings.ReplaceAll(`--  SQLite: FOREIGN_KEYS off
		CREATE TABLE parents_new (id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
		INSERT INTO parents_new SELECT id FROM parents;
		DROP TABLE parents;
		ALTER TABLE parents_new RENAME TO parents;`, "\n", "\r\n"))
	if err := db.Migrate(ctx, set(fixed...)); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM children`); n != 2 {
		t.Errorf("got %d children, want 2: the rebuild must not cascade", n)
	}
	if n := count(`PRAGMA foreign_keys`); n != 1 {
		t.Error("foreign keys are off after the migration")
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO children VALUES ('nobody')`); err == nil {
		t.Error("a child of no parent was accepted")
	}
}
