package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/beacon-status/beacon/internal/store"
)

// postgresURL returns the URL of a fresh, empty PostgreSQL database,
// dropped when the test ends.
func postgresURL(t testing.TB) string {
	host := os.Getenv("A1_PG_HOST")
	if host == "" {
		t.Skip("A1_PG_HOST not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, "postgres://beacon@/postgres?sslmode=disable&host="+host)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, "postgres://beacon@/postgres?sslmode=disable&host="+host)
		if err == nil {
			admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			admin.Close(ctx)
		}
	})
	return "postgres://beacon@/" + name + "?sslmode=disable&host=" + host
}

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
