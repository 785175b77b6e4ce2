package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The engines' differences in SQL text live here: the domain packages build
// their few engine-specific queries from these pieces, once, in their
// constructors, and write everything else in SQL both engines run.

// JSONArray is a FROM item over one JSON array parameter (IDList), as alias
// with the columns key (the element's position, from 0) and value (text):
// `IN (SELECT a.value FROM ` + db.JSONArray("a") + `)`.
func (db *DB) JSONArray(alias string) string {
	if db.engine == Postgres {
		return "(SELECT e.value, e.n - 1 AS key FROM json_array_elements_text(CAST(? AS json)) WITH ORDINALITY AS e(value, n)) AS " + alias
	}
	return "json_each(?) AS " + alias
}

// JSONEach is a FROM item over the JSON object or array in the text
// expression expr, which may refer to the FROM items before it, as alias
// with the columns key (an object's keys; an array's positions, from 0)
// and value (text). On PostgreSQL key is always text.
func (db *DB) JSONEach(expr, alias string) string {
	if db.engine == Postgres {
		return "LATERAL (SELECT e.key, e.value FROM (SELECT CAST(" + expr + " AS json) AS j) AS d, LATERAL (" +
			"SELECT o.key, o.value FROM json_each_text(CASE json_typeof(d.j) WHEN 'object' THEN d.j END) AS o" +
			" UNION ALL SELECT CAST(a.n - 1 AS text), a.value" +
			" FROM json_array_elements_text(CASE json_typeof(d.j) WHEN 'array' THEN d.j END) WITH ORDINALITY AS a(value, n)" +
			") AS e) AS " + alias
	}
	return "json_each(" + expr + ") AS " + alias
}

// Least and Greatest are the smaller and larger of two expressions.
func (db *DB) Least(a, b string) string {
	if db.engine == Postgres {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "min(" + a + ", " + b + ")"
}

func (db *DB) Greatest(a, b string) string {
	if db.engine == Postgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

// Instr is the 1-based position of needle in haystack, 0 when absent.
func (db *DB) Instr(haystack, needle string) string {
	if db.engine == Postgres {
		return "strpos(" + haystack + ", " + needle + ")"
	}
	return "instr(" + haystack + ", " + needle + ")"
}

// SkipLocked ends a SELECT that claims rows: on PostgreSQL it locks them
// and skips those another transaction holds; SQLite has one writer.
func (db *DB) SkipLocked() string {
	if db.engine == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// TryXactLock takes the transaction-scoped lock named key for tx if no
// other transaction holds it, reporting whether it did; the lock ends with
// tx. Across replicas it makes one of them do a job (a fan-out, a
// scheduled transition); it contends with TryLock's session locks of the
// same name too. SQLite has one writer, so it always succeeds there.
func (db *DB) TryXactLock(ctx context.Context, tx *sql.Tx, key string) (bool, error) {
	if db.engine == SQLite {
		return true, nil
	}
	var got bool
	if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(?)`, lockKey(key)).Scan(&got); err != nil {
		return false, fmt.Errorf("postgres: lock %s: %w", key, err)
	}
	return got, nil
}

// ForUpdate ends a SELECT whose rows the transaction will change, locking
// them in the SELECT's order on PostgreSQL, so that transactions changing
// the same rows take their locks in one order and cannot deadlock. SQLite
// has one writer.
func (db *DB) ForUpdate() string {
	if db.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Lower folds the ASCII letters of s to lower case and leaves every other
// character as it is, as lower() does on both engines (PostgreSQL's on
// COLLATE "C" text): a query matching `lower(column) = ?` passes Lower(s).
func Lower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
