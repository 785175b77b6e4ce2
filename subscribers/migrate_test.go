package subscribers_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/subscribers"
)

// Migration 0002 rebuilds the subscribers table in id order. A database
// made before it keeps every subscriber, column for column, and every row
// that refers to one; foreign keys are enforced again afterwards.
func TestMigrationClustersSubscribersByID(t *testing.T) {
	testutil.SQLiteOnly(t) // PostgreSQL has no WITHOUT ROWID: its 0002 does nothing
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "beacon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// The schema as it was before 0002.
	all := subscribers.Migrations()
	first, err := fs.ReadFile(all.FS, "0001_create_subscribers.sql")
	if err != nil {
		t.Fatal(err)
	}
	before := store.Migrations{Package: "subscribers", FS: fstest.MapFS{"0001_create_subscribers.sql": {Data: first}}}
	if err := db.Migrate(ctx, components.Migrations(), before); err != nil {
		t.Fatal(err)
	}
	seed := []string{
		`INSERT INTO components (id, name, status, position, created_at, updated_at) VALUES ('c1', 'API', 'operational', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO subscribers (id, mode, address, state, all_components, secret, permanent_failures, created_at, updated_at, confirmed_at)
			VALUES ('zzzz', 'email', 'a@example.com', 'active', 0, 's1', 2, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-01T00:05:00Z')`,
		`INSERT INTO subscribers (id, mode, address, phone_country, state, secret, created_at, updated_at)
			VALUES ('aaaa', 'sms', '+14155550100', 'US', 'unconfirmed', 's2', '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z')`,
		`INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at, quarantined_at)
			VALUES ('mmmm', 'webhook', 'https://hooks.example.com/x', 'quarantined', 's3', '2026-01-04T00:00:00Z', '2026-01-04T00:00:00Z', '2026-01-05T00:00:00Z')`,
		`INSERT INTO subscriber_components (subscriber_id, component_id) VALUES ('zzzz', 'c1')`,
		`INSERT INTO sms_codes (subscriber_id, code_hash, expires_at) VALUES ('aaaa', 'h', '2026-01-03T00:10:00Z')`,
		`INSERT INTO webhook_failures (subscriber_id, created_at) VALUES ('mmmm', '2026-01-04T12:00:00Z')`,
	}
	for _, q := range seed {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const everything = `SELECT s.id, s.mode, s.address, s.phone_country, s.state, s.all_components, s.secret, s.permanent_failures,
			s.created_at, s.updated_at, COALESCE(s.confirmed_at, '-'), COALESCE(s.quarantined_at, '-'), COALESCE(s.unsubscribed_at, '-'),
			(SELECT COUNT(*) FROM subscriber_components WHERE subscriber_id = s.id),
			(SELECT COUNT(*) FROM sms_codes WHERE subscriber_id = s.id),
			(SELECT COUNT(*) FROM webhook_failures WHERE subscriber_id = s.id)
		FROM subscribers s ORDER BY s.id`
	want := dump(t, db, everything)

	if err := db.Migrate(ctx, components.Migrations(), subscribers.Migrations()); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db, everything); got != want {
		t.Errorf("after the migration got\n%s\nwant\n%s", got, want)
	}
	var ddl string
	if err := db.Read.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'subscribers'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "WITHOUT ROWID") || !strings.Contains(ddl, "CREATE TABLE \"subscribers\"") && !strings.Contains(ddl, "CREATE TABLE subscribers") {
		t.Errorf("got table %s, want subscribers WITHOUT ROWID", ddl)
	}
	if got := dump(t, db, `SELECT name FROM sqlite_schema WHERE tbl_name = 'subscribers' AND type = 'index' AND sql IS NOT NULL ORDER BY name`); got != "subscribers_address\nsubscribers_state\n" {
		t.Errorf("got indexes %q, want subscribers_address and subscribers_state", got)
	}

	// Foreign keys are on again: a dangling reference is refused, and
	// removing a subscriber removes what refers to it.
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO subscriber_components (subscriber_id, component_id) VALUES ('nobody', 'c1')`); err == nil {
		t.Error("a component link to no subscriber was accepted: foreign keys are off")
	}
	for _, id := range []string{"zzzz", "aaaa", "mmmm"} {
		if _, err := db.Write.ExecContext(ctx, `DELETE FROM subscribers WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := dump(t, db, `SELECT (SELECT COUNT(*) FROM subscriber_components) + (SELECT COUNT(*) FROM sms_codes) + (SELECT COUNT(*) FROM webhook_failures)`); got != "0\n" {
		t.Errorf("after removing the subscribers, %s rows still refer to them, want 0", strings.TrimSpace(got))
	}
}

// dump returns query's rows, one line each, columns separated by "|".
func dump(t *testing.T, db *store.DB, query string) string {
	t.Helper()
	rows, err := db.Read.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('|')
			}
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprint(&b, v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
