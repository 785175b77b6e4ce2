package main

import (
	"context"
	"testing"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/store"
)

// Every text column and index key Beacon creates on PostgreSQL has the "C"
// collation, named, not the database's default: production clusters are
// often initialised in en_US.UTF-8 (the test clusters in no locale, which
// would hide it), and ordering, ranges and unique keys must stay bytewise,
// as on SQLite, whatever the cluster's locale.
func TestPostgresTextCollation(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, schema.Sets()...); err != nil {
		t.Fatal(err)
	}
	// attcollation and indcollation name the collation the column or key
	// was given; the database's default is the collation "default".
	rows, err := db.Read.QueryContext(ctx, `SELECT 'column ' || c.relname || '.' || a.attname, coll.collname
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_collation coll ON coll.oid = a.attcollation
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT 'index ' || i.relname || ' key ' || k.n, coll.collname
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid, unnest(x.indcollation::oid[]) WITH ORDINALITY AS k(coll, n)
			JOIN pg_collation coll ON coll.oid = k.coll
		WHERE i.relnamespace = current_schema()::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var what, collation string
		if err := rows.Scan(&what, &collation); err != nil {
			t.Fatal(err)
		}
		n++
		if collation != "C" {
			t.Errorf("%s has the collation %q, want \"C\"", what, collation)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("%d text columns and index keys, want the schema's (more than 100)", n)
	}
	t.Logf("%d text columns and index keys looked at", n)
}
