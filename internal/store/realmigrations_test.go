package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/store"
)

// Every shared migration of Beacon's runs on PostgreSQL, translated or
// replaced by its package's migrations/postgres/ version, and leaves
// columns with SQLite's meaning: 64-bit integers and reals, byte-ordered
// text.
func TestRealMigrationsOnPostgres(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t, postgresURL(t))
	if err := db.Migrate(ctx, schema.Sets()...); err != nil {
		t.Fatal(err)
	}
	pending, err := db.Pending(ctx, schema.Sets()...)
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
	// The fan-out's cursor moves every few milliseconds: only new events
	// are news to the other replicas.
	var def string
	if err := db.Read.QueryRowContext(ctx, `SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE c.relname = 'notification_events' AND t.tgname = 'beacon_notify'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "AFTER INSERT ON") {
		t.Errorf("notification_events' trigger is %q, want it after inserts only", def)
	}
}
