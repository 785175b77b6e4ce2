package testutil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/store"
)

// EngineVar is the environment variable that picks the engine tests run
// on: "sqlite" (or unset) or "postgres".
const EngineVar = "BEACON_TEST_ENGINE"

// Engine returns the engine tests run on, as BEACON_TEST_ENGINE names it.
// Main refuses any other value than "", "sqlite" and "postgres" before a
// test runs.
func Engine() store.Engine {
	if os.Getenv(EngineVar) == "postgres" {
		return store.Postgres
	}
	return store.SQLite
}

// checkEngine reports a BEACON_TEST_ENGINE that names no engine.
func checkEngine() error {
	switch v := os.Getenv(EngineVar); v {
	case "", "sqlite", "postgres":
		return nil
	default:
		return fmt.Errorf("testutil: %s=%q: want sqlite or postgres", EngineVar, v)
	}
}

// Main runs a package's tests (call it from TestMain): it checks
// BEACON_TEST_ENGINE first and stops the package's PostgreSQL cluster, if
// a test started one, after the last test.
func Main(m *testing.M) {
	if err := checkEngine(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pgtest.Main(m)
}

// SQLiteOnly skips the test unless it runs on SQLite: for tests of what
// only SQLite has (pragmas, the database file, its raw schema).
func SQLiteOnly(tb testing.TB) {
	tb.Helper()
	if Engine() != store.SQLite {
		tb.Skip("SQLite only")
	}
}

// OpenDB returns a real database with sets applied in order, on the engine
// tests run on, closed when the test ends: a SQLite file in a fresh
// temporary directory, or a fresh PostgreSQL database copied from one
// migrated once per test binary for the same sets (dropped when the test
// ends).
func OpenDB(tb testing.TB, sets ...store.Migrations) *store.DB {
	tb.Helper()
	ctx := context.Background()
	if err := checkEngine(); err != nil {
		tb.Fatal(err)
	}
	var addr string
	if Engine() == store.SQLite {
		addr = NewDatabase(tb)
	} else {
		addr = pgtest.NewDatabaseFrom(tb, templateKey(tb, sets), func(url string) error {
			db, err := store.OpenPostgres(ctx, url)
			if err != nil {
				return err
			}
			return errors.Join(db.Migrate(ctx, sets...), db.Close())
		})
	}
	db := openForTest(tb, addr)
	if Engine() == store.SQLite {
		if err := db.Migrate(ctx, sets...); err != nil {
			tb.Fatal(err)
		}
	}
	return db
}

// NewDatabase returns the address of a fresh, empty database on the engine
// tests run on, for tests that open it themselves with Open, more than once
// (a restart, a second process): a file path in a temporary directory, or
// the URL of a PostgreSQL database dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	if err := checkEngine(); err != nil {
		tb.Fatal(err)
	}
	if Engine() == store.Postgres {
		return pgtest.NewDatabase(tb)
	}
	return filepath.Join(tb.TempDir(), "beacon.db")
}

// Open opens the database at addr, which NewDatabase returned: a
// PostgreSQL URL with store.OpenPostgres, anything else as a SQLite file
// with store.Open. The caller closes it.
func Open(ctx context.Context, addr string) (*store.DB, error) {
	if strings.HasPrefix(addr, "postgres://") || strings.HasPrefix(addr, "postgresql://") {
		return store.OpenPostgres(ctx, addr)
	}
	return store.Open(ctx, addr)
}

// openForTest opens addr and closes it when the test ends.
func openForTest(tb testing.TB, addr string) *store.DB {
	tb.Helper()
	db, err := Open(context.Background(), addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// templateKey names a list of migration sets by their packages and every
// file's name and content, so that sets differing in any file (a test's
// older schema) never share a template.
func templateKey(tb testing.TB, sets []store.Migrations) string {
	tb.Helper()
	h := sha256.New()
	var names []string
	for _, set := range sets {
		names = append(names, set.Package)
		fmt.Fprintf(h, "set %s\n", set.Package)
		err := fs.WalkDir(set.FS, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(set.FS, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %s %d\n", path, len(body))
			h.Write(body)
			return nil
		})
		if err != nil {
			tb.Fatalf("testutil: read %s migrations: %v", set.Package, err)
		}
	}
	return strings.Join(names, ",") + " " + hex.EncodeToString(h.Sum(nil)[:12])
}
