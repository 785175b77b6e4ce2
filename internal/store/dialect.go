package store

import (
	"context"
	"database/sql"
)

// The engines' differences in SQL text live here: the domain packages build
// their few engine-specific queries from these pieces, once, in their
// constructors, and write everything else in SQL both engines run.

// JSONArray is a FROM item over one JSON array parameter (IDList), as alias
// with the columns key (its order) and value (text):
// `IN (SELECT a.value FROM ` + db.JSONArray("a") + `)`.
func (db *DB) JSONArray(alias string) string {
	return "json_each(?) AS " + alias
}

// JSONEach is a FROM item over the JSON object or array in the text
// expression expr, as alias with the columns key and value (text).
func (db *DB) JSONEach(expr, alias string) string {
	return "json_each(" + expr + ") AS " + alias
}

// Least and Greatest are the smaller and larger of two expressions.
func (db *DB) Least(a, b string) string    { return "min(" + a + ", " + b + ")" }
func (db *DB) Greatest(a, b string) string { return "max(" + a + ", " + b + ")" }

// Instr is the 1-based position of needle in haystack, 0 when absent.
func (db *DB) Instr(haystack, needle string) string {
	return "instr(" + haystack + ", " + needle + ")"
}

// SkipLocked ends a SELECT that claims rows: on PostgreSQL it locks them
// and skips those another transaction holds; SQLite has one writer.
func (db *DB) SkipLocked() string { return "" }

// TryXactLock takes the transaction-scoped lock named key for tx if no
// other transaction holds it, reporting whether it did. Across replicas it
// makes one of them do a job (a fan-out, a scheduled transition); SQLite
// has one writer, so it always succeeds there.
func (db *DB) TryXactLock(ctx context.Context, tx *sql.Tx, key string) (bool, error) {
	return true, nil
}
