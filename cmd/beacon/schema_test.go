package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/store"
)

// TestSchemasMatch migrates a SQLite file and a PostgreSQL database with
// every package's migrations and compares what they made, table by table:
// the columns' names, order, nullability, type class and default; the
// primary key, unique and foreign key constraints; the indexes' names,
// columns, uniqueness and partiality; and that PostgreSQL recorded every
// migration SQLite did.
// A PostgreSQL override (migrations/postgres/) or a translation that drifts
// from the shared file fails here, not in a query on a replica.
func TestSchemasMatch(t *testing.T) {
	ctx := context.Background()
	lite, err := store.Open(ctx, filepath.Join(t.TempDir(), "beacon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := store.OpenPostgres(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := lite.Migrate(ctx, schema.Sets()...); err != nil {
		t.Fatalf("migrate on SQLite: %v", err)
	}
	// Set by set, going on past a failure, so that one package's broken
	// migration does not hide the others' drift.
	for _, set := range schema.Sets() {
		if err := pg.Migrate(ctx, set); err != nil {
			t.Errorf("migrate on PostgreSQL: %v", err)
		}
	}
	want, got := sqliteSchema(t, lite), postgresSchema(t, pg)
	var missing []string
	for _, table := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[table]; !ok {
			missing = append(missing, table)
		}
	}
	if len(missing) > 0 {
		t.Errorf("on SQLite, not on PostgreSQL: %s", strings.Join(missing, ", "))
	}
	for _, table := range slices.Sorted(maps.Keys(got)) {
		w, ok := want[table]
		if !ok {
			t.Errorf("table %s: on PostgreSQL, not on SQLite", table)
			continue
		}
		t.Run(table, func(t *testing.T) {
			compareLines(t, "columns", w.columns, got[table].columns)
			compareLines(t, "constraints", w.constraints, got[table].constraints)
			compareLines(t, "indexes", w.indexes, got[table].indexes)
		})
	}
	applied := appliedMigrations(t, pg)
	var unapplied []string
	for _, m := range appliedMigrations(t, lite) {
		if !slices.Contains(applied, m) {
			unapplied = append(unapplied, m)
		}
	}
	if len(unapplied) > 0 {
		t.Errorf("migrations recorded on SQLite, not on PostgreSQL: %s", strings.Join(unapplied, ", "))
	}
	if t.Failed() {
		t.Log("PostgreSQL migrations translate the shared files unless migrations/postgres/NNNN_same_name.sql overrides one: fix the override (or the translation in internal/store)")
	}
}

// tableSchema is what the test compares of one table, one line per column
// (in order), per constraint and per index (both sorted).
type tableSchema struct {
	columns, constraints, indexes []string
}

// compareLines reports the lines that differ, in order, as a short diff.
func compareLines(t *testing.T, what string, sqlite, postgres []string) {
	t.Helper()
	if slices.Equal(sqlite, postgres) {
		return
	}
	var b strings.Builder
	for i := range max(len(sqlite), len(postgres)) {
		var s, p string
		if i < len(sqlite) {
			s = sqlite[i]
		}
		if i < len(postgres) {
			p = postgres[i]
		}
		mark := "  "
		if s != p {
			mark = "≠ "
		}
		fmt.Fprintf(&b, "\n%s%-56s | %s", mark, s, p)
	}
	t.Errorf("%s differ (SQLite | PostgreSQL):%s", what, b.String())
}

// sqliteClass is the type class of a SQLite declared type, by SQLite's own
// affinity rules (§3.1 of its datatype page).
func sqliteClass(declared string) string {
	d := strings.ToUpper(declared)
	switch {
	case strings.Contains(d, "INT"):
		return "integer"
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return "text"
	case strings.Contains(d, "BLOB"):
		return "blob"
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return "real"
	default:
		return strings.ToLower(declared)
	}
}

// postgresClass is the type class of a PostgreSQL column type; a text
// column's collation other than "C" (byte order, as SQLite's BINARY) is
// part of it.
func postgresClass(dataType, collation string) string {
	switch dataType {
	case "bigint", "integer", "smallint":
		return "integer"
	case "text", "character varying", "character":
		switch collation {
		case "C":
		case "":
			return "text collate default"
		default:
			return "text collate " + collation
		}
		return "text"
	case "bytea":
		return "blob"
	case "double precision", "real":
		return "real"
	default:
		return dataType
	}
}

// column is one column's line: name, type class, nullability, default,
// and whether the engine numbers new rows itself.
func column(name, class string, notNull bool, dflt string, auto bool) string {
	line := name + " " + class
	if notNull {
		line += " not null"
	}
	if dflt != "" {
		line += " default " + dflt
	}
	if auto {
		line += " auto"
	}
	return line
}

// foreignKey is one foreign key's line.
func foreignKey(cols, table, refCols, onDelete string) string {
	return "foreign key (" + cols + ") references " + table + " (" + refCols + ") on delete " + onDelete
}

// postgresActions spell pg_constraint.confdeltype as SQLite's
// pragma_foreign_key_list does.
var postgresActions = map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}

// postgresDefault matches the cast PostgreSQL shows after a constant
// default ('[]'::text), which SQLite's declared default does not have.
var postgresDefault = regexp.MustCompile(`::[a-z ]+$`)

// index is one index's line: name, columns (an expression as "expr"),
// unique, partial.
func index(name string, cols []string, unique, partial bool) string {
	line := name + " (" + strings.Join(cols, ", ") + ")"
	if unique {
		line += " unique"
	}
	if partial {
		line += " partial"
	}
	return line
}

func sqliteSchema(t *testing.T, db *store.DB) map[string]*tableSchema {
	t.Helper()
	tables := map[string]*tableSchema{}
	for _, name := range queryStrings(t, db, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`) {
		ts := &tableSchema{}
		tables[name] = ts
		rows, err := db.Read.Query(`SELECT name, type, "notnull", coalesce(dflt_value, ''), pk, (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) FROM pragma_table_info(?1) ORDER BY cid`, name)
		if err != nil {
			t.Fatal(err)
		}
		withoutRowid := len(queryStrings(t, db, `SELECT name FROM sqlite_schema WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'`, name)) > 0
		for rows.Next() {
			var col, typ, dflt string
			var notNull bool
			var pk, pks int
			if err := rows.Scan(&col, &typ, &notNull, &dflt, &pk, &pks); err != nil {
				t.Fatal(err)
			}
			// A primary key column is never NULL in practice, and always
			// on PostgreSQL; an INTEGER PRIMARY KEY alone numbers rows.
			auto := strings.EqualFold(typ, "INTEGER") && pk == 1 && pks == 1 && !withoutRowid
			ts.columns = append(ts.columns, column(col, sqliteClass(typ), notNull || pk > 0, dflt, auto))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		pk := queryStrings(t, db, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, name)
		if len(pk) > 0 {
			ts.constraints = append(ts.constraints, "primary key ("+strings.Join(pk, ", ")+")")
		}
		for _, ix := range queryStrings(t, db, `SELECT name FROM pragma_index_list(?) WHERE origin = 'u'`, name) {
			cols := queryStrings(t, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix)
			ts.constraints = append(ts.constraints, "unique ("+strings.Join(cols, ", ")+")")
		}
		fks := queryStrings(t, db, `SELECT group_concat("from", ', ') || '|' || "table" || '|' || group_concat(coalesce("to", ''), ', ') || '|' || lower(on_delete)
			FROM (SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) GROUP BY id`, name)
		for _, fk := range fks {
			parts := strings.Split(fk, "|")
			to := parts[2]
			if strings.Trim(to, ", ") == "" { // the referenced table's primary key
				to = strings.Join(queryStrings(t, db, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, parts[1]), ", ")
			}
			ts.constraints = append(ts.constraints, foreignKey(parts[0], parts[1], to, parts[3]))
		}
		slices.Sort(ts.constraints)
		for _, ix := range queryStrings(t, db, `SELECT name FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY name`, name) {
			var unique, partial bool
			if err := db.Read.QueryRow(`SELECT "unique", partial FROM pragma_index_list(?) WHERE name = ?`, name, ix).Scan(&unique, &partial); err != nil {
				t.Fatal(err)
			}
			cols := queryStrings(t, db, `SELECT coalesce(name, 'expr') FROM pragma_index_info(?) ORDER BY seqno`, ix)
			ts.indexes = append(ts.indexes, index(ix, cols, unique, partial))
		}
	}
	return tables
}

func postgresSchema(t *testing.T, db *store.DB) map[string]*tableSchema {
	t.Helper()
	tables := map[string]*tableSchema{}
	for _, name := range queryStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`) {
		ts := &tableSchema{}
		tables[name] = ts
		rows, err := db.Read.Query(`SELECT column_name, data_type, coalesce(collation_name, ''), is_nullable = 'NO',
				coalesce(column_default, ''), is_identity = 'YES' OR coalesce(column_default, '') LIKE 'nextval(%'
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`, name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var col, typ, collation, dflt string
			var notNull, auto bool
			if err := rows.Scan(&col, &typ, &collation, &notNull, &dflt, &auto); err != nil {
				t.Fatal(err)
			}
			if auto {
				dflt = ""
			}
			ts.columns = append(ts.columns, column(col, postgresClass(typ, collation), notNull, postgresDefault.ReplaceAllString(dflt, ""), auto))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		rows, err = db.Read.Query(`SELECT c.contype, f.relname,
				(SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
				coalesce((SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), ''),
				c.confdeltype
			FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid LEFT JOIN pg_class f ON f.oid = c.confrelid
			WHERE r.relname = ? AND r.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'public') AND c.contype IN ('p', 'u', 'f')`, name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var kind, cols, refCols, onDelete string
			var ref *string
			if err := rows.Scan(&kind, &ref, &cols, &refCols, &onDelete); err != nil {
				t.Fatal(err)
			}
			switch kind {
			case "p":
				ts.constraints = append(ts.constraints, "primary key ("+cols+")")
			case "u":
				ts.constraints = append(ts.constraints, "unique ("+cols+")")
			case "f":
				ts.constraints = append(ts.constraints, foreignKey(cols, *ref, refCols, postgresActions[onDelete]))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(ts.constraints)
		// Indexes made by CREATE INDEX, not those behind a primary key or
		// UNIQUE constraint (SQLite's "origin" c above).
		rows, err = db.Read.Query(`SELECT i.relname, x.indisunique, x.indpred IS NOT NULL,
				(SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), '|' ORDER BY k) FROM generate_series(1, x.indnkeyatts) AS k)
			FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class r ON r.oid = x.indrelid
			WHERE r.relname = ? AND r.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'public')
				AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
			ORDER BY i.relname`, name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var ix, keys string
			var unique, partial bool
			if err := rows.Scan(&ix, &unique, &partial, &keys); err != nil {
				t.Fatal(err)
			}
			cols := strings.Split(keys, "|")
			for i, c := range cols {
				// A keyword used as a name comes back quoted ("position").
				if unquoted, ok := strings.CutPrefix(c, `"`); ok {
					c = strings.TrimSuffix(unquoted, `"`)
				}
				cols[i] = c
				if !isIdentifier(c) {
					cols[i] = "expr"
				}
			}
			ts.indexes = append(ts.indexes, index(ix, cols, unique, partial))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return tables
}

// isIdentifier reports whether an index key is a bare column name.
func isIdentifier(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) < 0
}

// appliedMigrations are the migrations db recorded, as package/version name.
func appliedMigrations(t *testing.T, db *store.DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT package || '/' || name FROM schema_migrations ORDER BY package, version`)
}

func queryStrings(t *testing.T, db *store.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Read.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
