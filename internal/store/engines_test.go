package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/store"
)

// postgresURL returns the URL of a fresh, empty PostgreSQL database,
// dropped when the test ends.
func postgresURL(t testing.TB) string { return pgtest.NewDatabase(t) }

// opener opens handles on one test database, each closed when the test ends.
type opener func(t testing.TB) *store.DB

// forEachEngine runs f on SQLite and on PostgreSQL, each time with a fresh
// database that open opens as many times as f asks.
func forEachEngine(t *testing.T, f func(t *testing.T, open opener)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "beacon.db")
		f(t, func(t testing.TB) *store.DB {
			db, err := store.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := postgresURL(t)
		f(t, func(t testing.TB) *store.DB { return openPostgres(t, url) })
	})
}

func openPostgres(t testing.TB, url string) *store.DB {
	db, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
