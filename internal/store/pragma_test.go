package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
)

// TestConnectionPragmas reads back the settings Open promises on each
// handle. synchronous=FULL on the writer is what makes an acknowledged
// commit survive a power cut; setting it to OFF or NORMAL changes no other
// test's outcome, so only this one notices.
func TestConnectionPragmas(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "beacon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	pragma := func(h *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := h.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	tests := []struct {
		name   string
		handle *sql.DB
		pragma string
		want   string
	}{
		{"writer journal_mode", db.Write, "journal_mode", "wal"},
		{"writer synchronous", db.Write, "synchronous", "2"}, // FULL
		{"writer foreign_keys", db.Write, "foreign_keys", "1"},
		{"writer busy_timeout", db.Write, "busy_timeout", "5000"},
		{"writer query_only", db.Write, "query_only", "0"},
		{"writer temp_store", db.Write, "temp_store", "2"}, // MEMORY
		{"writer wal_autocheckpoint", db.Write, "wal_autocheckpoint", "10000"},
		{"reader journal_mode", db.Read, "journal_mode", "wal"},
		{"reader query_only", db.Read, "query_only", "1"},
		{"reader foreign_keys", db.Read, "foreign_keys", "1"},
		{"reader busy_timeout", db.Read, "busy_timeout", "5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pragma(tt.handle, tt.pragma); got != tt.want {
				t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
			}
		})
	}

	// The reader pool refuses writes, so a write sent to the wrong handle
	// fails at once instead of racing the writer for the lock.
	if _, err := db.Read.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err == nil {
		t.Error("CREATE TABLE on the reader pool succeeded, want it refused (query_only)")
	}
}
