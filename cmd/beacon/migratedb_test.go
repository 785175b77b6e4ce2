package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/dbcopy"
	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
)

// migrateDB runs `beacon migrate-db --to url` on the data directory dir and
// returns its output and error.
func migrateDB(t *testing.T, dir, url string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"BEACON_DATA_DIR": dir, "BEACON_LOG_LEVEL": "warn"}
	err := run(context.Background(), []string{"migrate-db", "--to", url}, func(k string) string { return env[k] }, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// checkCopied compares every table of the SQLite database in dir with the
// PostgreSQL database at url: the same rows (count and digest), table by
// table. It returns the total of rows.
func checkCopied(t *testing.T, dir, url string) int {
	t.Helper()
	ctx := context.Background()
	src, err := store.Open(ctx, filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	tables, err := dbcopy.Tables(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	var counts []string
	for _, table := range tables {
		if table == "schema_migrations" {
			continue // the target records the PostgreSQL-only sets too: compared below
		}
		cols, err := dbcopy.Columns(ctx, src, table)
		if err != nil {
			t.Fatal(err)
		}
		n, sum, err := dbcopy.Digest(ctx, src.Read, table, cols)
		if err != nil {
			t.Fatalf("source %s: %v", table, err)
		}
		m, sum2, err := dbcopy.Digest(ctx, dst.Read, table, cols)
		if err != nil {
			t.Fatalf("target %s: %v", table, err)
		}
		if n != m || sum != sum2 {
			t.Errorf("table %s: %d rows (digest %.12s) in SQLite, %d (digest %.12s) in PostgreSQL", table, n, sum, m, sum2)
		}
		total += n
		if n > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", table, n))
		}
	}
	srcPending, err := src.Pending(ctx, schema.Sets()...)
	if err != nil || len(srcPending) > 0 {
		t.Fatalf("source pending migrations: %v %v", srcPending, err)
	}
	dstPending, err := dst.Pending(ctx, schema.Sets()...)
	if err != nil || len(dstPending) > 0 {
		t.Errorf("target pending migrations after the copy: %v %v", dstPending, err)
	}
	t.Logf("%d tables, %d rows: %s", len(tables), total, strings.Join(counts, ", "))
	return total
}

// publicPaths are the public pages and API v2 bodies compared after a
// copy, with every incident's page.
func publicPaths(t *testing.T, e *testEnv) []string {
	t.Helper()
	paths := []string{"/", "/history", "/history.atom", "/history.rss", "/maintenance.ics", "/badge.svg",
		"/favicon.svg", "/uptime", "/embed/script.js"}
	for _, p := range []string{"summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
		"scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"} {
		paths = append(paths, "/api/v2/"+p)
	}
	for _, list := range []struct{ path, key, suffix string }{
		{"incidents.json", "incidents", ""}, {"scheduled-maintenances.json", "scheduled_maintenances", ".ics"},
	} {
		items, _ := e.v2(list.path)[list.key].([]any)
		for _, it := range items {
			if id, _ := it.(map[string]any)["id"].(string); id != "" {
				paths = append(paths, "/incidents/"+id, "/incidents/"+id+list.suffix)
			}
		}
	}
	return paths
}

// samePages renders the public pages on the SQLite database in dir and on
// the PostgreSQL copy at url, both at the moment at, and requires every
// byte to be equal. It returns the app on PostgreSQL.
func samePages(t *testing.T, dir, url string, at time.Time) *testEnv {
	t.Helper()
	cfg := testConfig(t, dir)
	cfg.DatabaseURL = ""
	onSQLite := openTestEnv(t, cfg, testutil.NewClock(at))
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), url
	onPostgres := openTestEnv(t, cfg, testutil.NewClock(at))
	paths := publicPaths(t, onSQLite)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	for _, p := range paths {
		a, b := onSQLite.do("GET", p, nil), onPostgres.do("GET", p, nil)
		if a.Status != 200 {
			t.Errorf("GET %s on SQLite: %d", p, a.Status)
			continue
		}
		if b.Status != a.Status || !bytes.Equal(a.Body, b.Body) {
			t.Errorf("GET %s: PostgreSQL's answer (%d, %d bytes) differs from SQLite's (%d, %d bytes)%s",
				p, b.Status, len(b.Body), a.Status, len(a.Body), firstDifference(a.Body, b.Body))
		}
	}
	t.Logf("%d public pages and API bodies byte-identical on both engines", len(paths))
	return onPostgres
}

// firstDifference shows where two bodies first differ.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("; from byte %d:\nSQLite:     %q\nPostgreSQL: %q", i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// The demo database moves to PostgreSQL whole: every row of every table,
// and the page the same to the byte. New rows get new ids there, and a
// second copy into the now full database is refused.
func TestMigrateDBFromDemo(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	env := map[string]string{"BEACON_DATA_DIR": dir, "BEACON_LOG_LEVEL": "warn"}
	if err := run(context.Background(), []string{"demo"}, func(k string) string { return env[k] }, io.Discard, io.Discard); err != nil {
		t.Fatalf("beacon demo: %v", err)
	}
	began := time.Now()
	out, err := migrateDB(t, dir, url)
	if err != nil {
		t.Fatalf("beacon migrate-db: %v\n%s", err, out)
	}
	t.Logf("migrate-db took %s:\n%s", time.Since(began).Round(time.Millisecond), out)
	if !strings.Contains(out, "copied ") || strings.Contains(out, "PASSWORD") {
		t.Errorf("migrate-db said %q", out)
	}
	checkCopied(t, dir, url)
	if db, err := store.OpenPostgres(context.Background(), url); err != nil {
		t.Error(err)
	} else {
		var bare int
		err := db.Read.QueryRow(`SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NULL`).Scan(&bare)
		if err != nil || bare != 0 {
			t.Errorf("%d tables without statistics after migrate-db (%v), want 0", bare, err)
		}
		db.Close()
	}

	pg := samePages(t, dir, url, time.Now().UTC().Truncate(time.Second))
	// Identity sequences start past the copied ids: a new incident adds an
	// update and an event.
	pg.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "After the move", "status": "investigating", "body": "New rows on PostgreSQL.", "deliver_notifications": true}})

	out, err = migrateDB(t, dir, url)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second migrate-db into the same database: %v, want a refusal naming a non-empty target\n%s", err, out)
	}
}

// A SQLite database this binary has not migrated yet is refused before the
// target is touched.
func TestMigrateDBRefusesPendingSource(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	sets := schema.Sets()
	if err := db.Migrate(ctx, sets[:len(sets)-1]...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := migrateDB(t, dir, url)
	if err == nil || !strings.Contains(err.Error(), "pending") || !strings.Contains(err.Error(), "beacon migrate") {
		t.Fatalf("migrate-db from a database with pending migrations: %v, want a refusal asking to run beacon migrate\n%s", err, out)
	}
	dst, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var tables int
	if err := dst.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the refused copy left %d tables in the target", tables)
	}
}

// A database of 100,000 subscribers, an incident half fanned out to them
// and its pending deliveries moves whole, and its page with it.
func TestMigrateDBHundredThousandSubscribers(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 subscribers")
	}
	const n = 100_000
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx := context.Background()
	cfg := testConfig(t, dir)
	cfg.DatabaseURL = ""
	// Email is configured, so the fan-out makes deliveries; nothing sends.
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS, cfg.SMTP.From = "127.0.0.1", 1, "none", "status@example.com"
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	src := openTestEnv(t, cfg, testutil.NewClock(at))
	var csv strings.Builder
	csv.WriteString("mode,address\n")
	for i := range n {
		fmt.Fprintf(&csv, "email,user%06d@example.com\n", i)
	}
	began := time.Now()
	res, err := src.app.subscribers.Import(ctx, strings.NewReader(csv.String()), false)
	if err != nil || res.Created != n {
		t.Fatalf("import: %+v, %v", res, err)
	}
	imported := time.Since(began)
	src.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}})
	src.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Errors on the API", "status": "investigating", "body": "Looking into it.", "deliver_notifications": true}})
	for range 4 {
		if _, _, err := src.app.dispatcher.FanOutOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	src.app.Close()

	began = time.Now()
	out, err := migrateDB(t, dir, url)
	if err != nil {
		t.Fatalf("beacon migrate-db: %v\n%s", err, out)
	}
	took := time.Since(began)
	rows := checkCopied(t, dir, url)
	t.Logf("import of %d subscribers %s; migrate-db of %d rows %s (%.0f rows/s)", n, imported.Round(time.Millisecond),
		rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	samePages(t, dir, url, at.Add(time.Hour))
}

// Messages a killed server sent but had not recorded, listed in its sent
// log, are recorded before the copy (as the server's next start would
// have): on PostgreSQL they are sent, not pending to be sent again.
func TestMigrateDBRecordsSentLog(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx := context.Background()
	cfg := testConfig(t, dir)
	cfg.DatabaseURL = ""
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS, cfg.SMTP.From = "127.0.0.1", 1, "none", "status@example.com"
	src := openTestEnv(t, cfg, testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)))
	res, err := src.app.subscribers.Import(ctx, strings.NewReader("mode,address\nemail,a@example.com\nemail,b@example.com\nemail,c@example.com\n"), false)
	if err != nil || res.Created != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	src.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Errors on the API", "status": "investigating", "body": "Looking into it.", "deliver_notifications": true}})
	if _, _, err := src.app.dispatcher.FanOutOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, err := src.app.db.Read.QueryContext(ctx, `SELECT id FROM deliveries WHERE state = 'pending' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != 3 {
		t.Fatalf("pending deliveries %v (%v), want 3", ids, err)
	}
	src.app.Close()
	// The sent log's lines (ID, Unix nanoseconds, the provider's id
	// quoted): two of the three sent, the last line cut short by the kill.
	path := filepath.Join(dir, dbFile)
	log := fmt.Sprintf("%d 1773144000000000000 \"<one@example.com>\"\n%d 1773144000100000000 \"<two@example.com>\"\n%d 17731", ids[0], ids[1], ids[2])
	if err := os.WriteFile(path+"-sent", []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}

	if out, err := migrateDB(t, dir, url); err != nil {
		t.Fatalf("beacon migrate-db: %v\n%s", err, out)
	}
	checkCopied(t, dir, url)
	dst, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	want := map[int64]string{ids[0]: "sent <one@example.com>", ids[1]: "sent <two@example.com>", ids[2]: "pending "}
	for id, w := range want {
		var state, provider string
		if err := dst.Read.QueryRowContext(ctx, `SELECT state, COALESCE(provider_id, '') FROM deliveries WHERE id = $1`, id).Scan(&state, &provider); err != nil {
			t.Fatal(err)
		}
		if got := state + " " + provider; got != w {
			t.Errorf("delivery %d on PostgreSQL: %q, want %q", id, got, w)
		}
	}
	if data, err := os.ReadFile(path + "-sent"); err != nil || len(data) != 0 {
		t.Errorf("the sent log after migrate-db: %q (%v), want it emptied", data, err)
	}
}

// An incident update whose body holds a NUL character (written before
// Beacon refused such text, or by hand) stops the copy with an error that
// names its row and column and says to edit it; the target gets no rows.
func TestMigrateDBRefusesNUL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx := context.Background()
	cfg := testConfig(t, dir)
	cfg.DatabaseURL = ""
	src := openTestEnv(t, cfg, testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)))
	src.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Errors on the API", "status": "investigating", "body": "Looking into it."}})
	var seq int64
	err := src.app.db.Write.QueryRowContext(ctx, `UPDATE incident_updates SET body = ? RETURNING seq`, "Looking\x00 into it.").Scan(&seq)
	if err != nil {
		t.Fatal(err)
	}
	src.app.Close()

	out, err := migrateDB(t, dir, url)
	t.Logf("migrate-db said: %v\n%s", err, out)
	want := fmt.Sprintf("table incident_updates, row seq = %d, column body: a NUL character at byte 7", seq)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "edit those values") {
		t.Errorf("migrate-db of a body holding NUL: %v, want an error saying %q and what to do", err, want)
	}
	dst, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, table := range []string{"pages", "incidents", "incident_updates"} {
		var n int
		if err := dst.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("the target's %s has %d rows (%v), want none", table, n, err)
		}
	}
}
