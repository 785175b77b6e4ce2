package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/beacon-status/beacon/internal/datadir"
)

// TestCommandBesideServerKeepsItsSchema: a command run beside a server
// (which holds the data directory's lock) never migrates the database
// under it. When this binary would need a migration the server's version
// has not applied, the command refuses and changes nothing; with no server
// there, the same command migrates.
func TestCommandBesideServerKeepsItsSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	apikey := func() error {
		var out, errOut bytes.Buffer
		return run(ctx, []string{"apikey", "create", "--name", "ci", "--data-dir", dir}, getenv, &out, &errOut)
	}
	if err := apikey(); err != nil {
		t.Fatalf("apikey create on a new data directory: %v", err)
	}

	// An older server's schema: it has not applied incidents' metadata
	// migration (its record is gone; its column stays for now, as it would
	// not in a real older schema, which the refusal must not care about).
	raw, err := sql.Open("sqlite3", filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE package = 'incidents' AND name = '0005_add_incident_metadata.sql'`); err != nil {
		t.Fatal(err)
	}
	records := func() int {
		t.Helper()
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	keys := func() int {
		t.Helper()
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	beforeRecords, beforeKeys := records(), keys()

	server, err := datadir.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = apikey()
	if err == nil || !strings.Contains(err.Error(), "migrations pending") || !strings.Contains(err.Error(), "beacon migrate") {
		t.Errorf("apikey create beside an older server: %v, want a refusal naming the pending migration and `beacon migrate`", err)
	}
	if got := records(); got != beforeRecords {
		t.Errorf("schema_migrations has %d records after the refusal, want %d: the command migrated under the server", got, beforeRecords)
	}
	if got := keys(); got != beforeKeys {
		t.Errorf("%d API keys after the refusal, want %d", got, beforeKeys)
	}
	if err := server.Release(); err != nil {
		t.Fatal(err)
	}

	// With the server gone, the same command migrates first. The record's
	// migration re-runs on a column it already added, so give the column
	// back to the migration: the older schema without it, as it really was.
	if _, err := raw.Exec(`ALTER TABLE incidents DROP COLUMN metadata`); err != nil {
		t.Fatal(err)
	}
	if err := apikey(); err != nil {
		t.Fatalf("apikey create with no server: %v", err)
	}
	if got := records(); got != beforeRecords+1 {
		t.Errorf("schema_migrations has %d records with no server, want %d: the command did not migrate", got, beforeRecords+1)
	}
	if got := keys(); got != beforeKeys+1 {
		t.Errorf("%d API keys with no server, want %d", got, beforeKeys+1)
	}
}
