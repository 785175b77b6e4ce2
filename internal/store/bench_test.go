package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
)

// BenchmarkTx is one small write transaction (a check, then an insert) on
// each engine, one at a time and from many goroutines; runs/op counts the
// function's runs (PostgreSQL's retries). The test cluster runs without
// fsync, SQLite with synchronous=FULL: the engines' figures are not a
// comparison of the two.
func BenchmarkTx(b *testing.B) {
	ctx := context.Background()
	engines := map[string]func(b *testing.B) *store.DB{
		"sqlite": func(b *testing.B) *store.DB {
			db, err := store.Open(ctx, filepath.Join(b.TempDir(), "beacon.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(b *testing.B) *store.DB { return openPostgres(b, postgresURL(b)) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, parallel := range []bool{false, true} {
			label := name + "/serial"
			if parallel {
				label = name + "/parallel"
			}
			b.Run(label, func(b *testing.B) {
				db := engines[name](b)
				if err := db.Migrate(ctx, migrations("0001_create_rows.sql", `CREATE TABLE rows_ (id INTEGER PRIMARY KEY, k TEXT NOT NULL) STRICT;`)); err != nil {
					b.Fatal(err)
				}
				var runs atomic.Int64
				b.Cleanup(func() { b.ReportMetric(float64(runs.Load())/float64(b.N), "runs/op") })
				write := func() {
					err := db.Tx(ctx, func(tx *sql.Tx) error {
						runs.Add(1)
						var n int
						if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rows_ WHERE k = ?`, "x").Scan(&n); err != nil {
							return err
						}
						_, err := tx.ExecContext(ctx, `INSERT INTO rows_ (k) VALUES (?)`, "y")
						return err
					})
					if err != nil {
						b.Error(err)
					}
				}
				if !parallel {
					for b.Loop() {
						write()
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						write()
					}
				})
			})
		}
	}
}
