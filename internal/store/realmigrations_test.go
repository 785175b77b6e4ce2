package store_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/store/pgsql"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// realSets are Beacon's migration sets in cmd/beacon's order.
func realSets() []store.Migrations {
	return []store.Migrations{
		apikeys.Migrations(),
		accounts.Migrations(),
		settings.Migrations(),
		notifier.Migrations(),
		components.Migrations(),
		subscribers.Migrations(),
		incidents.Migrations(),
		integrations.Migrations(),
		metrics.Migrations(),
	}
}

// untranslatable are the shared migrations that only SQLite runs: each
// needs its package's migrations/postgres/ version. Until the package has
// one, the test stands in for it with the change below, so the files after
// it are still tried.
var untranslatable = map[string]func(sqlite string) string{
	// COLLATE NOCASE: PostgreSQL has no such collation.
	"accounts/0001_create_accounts.sql": func(s string) string {
		return strings.ReplaceAll(s, " COLLATE NOCASE", "")
	},
	// SQLite's triggers (BEGIN … END, REPLACE INTO).
	"components/0003_add_history_versions.sql": func(s string) string {
		return s[:strings.Index(s, "INSERT INTO")]
	},
	// A table rebuilt with foreign keys off.
	"subscribers/0002_cluster_subscribers_by_id.sql": func(string) string { return "-- nothing\n" },
	"subscribers/0006_allow_chat_modes.sql":          func(string) string { return "-- nothing\n" },
	// randomblob, hex.
	"incidents/0004_add_postmortem_draft.sql": func(s string) string {
		return strings.ReplaceAll(s, "lower(hex(randomblob(16)))", "md5(random()::text)")
	},
}

// Every shared migration of Beacon's either translates into one PostgreSQL
// runs, or is listed in untranslatable; one listed there that has its
// PostgreSQL version is taken off the list. Run with -v to see which
// still want one.
func TestRealMigrationsOnPostgres(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t, postgresURL(t))
	for _, set := range realSets() {
		files := fstest.MapFS{}
		err := fs.WalkDir(set.FS, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(set.FS, path)
			files[path] = &fstest.MapFile{Data: body}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for name := range files {
			stand, listed := untranslatable[set.Package+"/"+name]
			if !listed {
				continue
			}
			if _, own := files["postgres/"+name]; own {
				t.Errorf("%s/%s has its PostgreSQL version now: take it off the untranslatable list", set.Package, name)
				continue
			}
			t.Logf("%s/%s needs a PostgreSQL version (postgres/%s); stood in for", set.Package, name, name)
			files["postgres/"+name] = &fstest.MapFile{Data: []byte(pgsql.Translate(stand(string(files[name].Data))))}
		}
		if err := db.Migrate(ctx, store.Migrations{Package: set.Package, FS: files}); err != nil {
			t.Error(err)
		}
	}
	pending, err := db.Pending(ctx, realSets()...)
	if err != nil || len(pending) > 0 {
		t.Errorf("pending after migrating: %v, %v", pending, err)
	}

	// SQLite's integers are 64-bit and its reals 8-byte; its text compares
	// bytes.
	rows, err := db.Read.QueryContext(ctx, `SELECT table_name || '.' || column_name, data_type, COALESCE(collation_name, '')
		FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var column, typ, collation string
		if err := rows.Scan(&column, &typ, &collation); err != nil {
			t.Fatal(err)
		}
		switch {
		case typ == "integer" || typ == "real" || typ == "smallint":
			t.Errorf("%s is %s", column, typ)
		case typ == "text" && collation != "C":
			t.Errorf("%s is text collated %q, want \"C\"", column, collation)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Every table another replica's page reads tells of its changes.
	var missing []string
	for _, table := range store.NotifyTables {
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
			WHERE c.relname = ? AND t.tgname = 'beacon_notify'`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			missing = append(missing, table)
		}
	}
	if len(missing) > 0 {
		t.Errorf("tables without the change notification trigger: %v", missing)
	}
}
