// Package dbcopy copies a SQLite database into an empty PostgreSQL one for
// beacon migrate-db, checking every table on both sides.
package dbcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/jackc/pgx/v5"
)

// TableCopy is one table as Copy copied it: its rows and their digest,
// the same on both sides.
type TableCopy struct {
	Name   string
	Rows   int
	Digest string
}

// ErrNotEmpty is returned by Copy when the target database holds data.
var ErrNotEmpty = errors.New("the target database is not empty")

// Copy copies the whole SQLite database src into the PostgreSQL database
// dst, which must hold no data: every table of sets, every row,
// schema_migrations' history, and identity sequences set past the largest
// id copied. src must have no pending migration of sets. dst is migrated
// with sets first (its own transactions: a migrated, empty database is
// still empty), then every row goes over in one transaction that
// verifies, before it commits, each table's row count and digest against
// the source's. On any error nothing of the copy is committed. Text that
// PostgreSQL cannot store (a NUL character, bytes that are not UTF-8) is
// an store.ErrUnstorableText naming each such value's table, row and column.
//
// Nothing else may write to src meanwhile (the caller holds its data
// directory's lock); src is read in one read transaction, so what is
// copied is one moment of it.
func Copy(ctx context.Context, src, dst *store.DB, sets ...store.Migrations) ([]TableCopy, error) {
	if src.Engine() != store.SQLite || dst.Engine() != store.Postgres {
		return nil, errors.New("copy: copies a SQLite database into a PostgreSQL one")
	}
	pending, err := src.Pending(ctx, sets...)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("copy: the SQLite database has %d migrations pending (first %s): "+
			"run this beacon on it once (beacon migrate) before copying it", len(pending), pending[0])
	}
	in, err := src.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("copy: read source: %w", err)
	}
	defer in.Rollback()
	tables, err := sourceTables(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("copy: read source: %w", err)
	}
	history, err := readHistory(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("copy: read source: %w", err)
	}
	seeds, err := seedCounts(ctx, sets)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	// Once before migrating it, so a database holding something else is
	// left as it was; again inside the copy's transaction.
	if err := checkEmpty(ctx, dst.Read, tables, seeds, history); err != nil {
		return nil, err
	}
	if err := dst.Migrate(ctx, sets...); err != nil {
		return nil, fmt.Errorf("copy: migrate the target: %w", err)
	}

	conn, err := dst.Write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer conn.Close()
	out, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("copy: begin: %w", err)
	}
	defer out.Rollback()
	if err := checkEmpty(ctx, out, tables, seeds, history); err != nil {
		return nil, err
	}
	copied, err := copyTables(ctx, in, conn, out, tables)
	if err != nil {
		return nil, err
	}
	if err := out.Commit(); err != nil {
		return nil, fmt.Errorf("copy: commit: %w", err)
	}
	return copied, nil
}

// table is one table of the source: its columns in order and the other
// tables its foreign keys refer to.
type table struct {
	name    string
	columns []string
	parents []string
}

// sourceTables reads the source's tables (schema_migrations included) in
// an order where every table comes after those its foreign keys refer to.
func sourceTables(ctx context.Context, q store.Queryer) ([]table, error) {
	names, err := queryStrings(ctx, q, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	byName := map[string]*table{}
	for _, name := range names {
		t := &table{name: name}
		if t.columns, err = queryStrings(ctx, q, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name); err != nil {
			return nil, err
		}
		// A key to the table itself orders nothing: COPY checks it once the
		// table's rows are in.
		t.parents, err = queryStrings(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?) WHERE "table" <> ? ORDER BY 1`, name, name)
		if err != nil {
			return nil, err
		}
		byName[name] = t
	}
	// Depth-first: parents before children, names in order otherwise.
	var ordered []table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		t, ok := byName[name]
		switch {
		case !ok:
			return fmt.Errorf("a foreign key refers to table %s, which does not exist", name)
		case state[name] == 1:
			return fmt.Errorf("the foreign keys of table %s form a cycle", name)
		case state[name] == 2:
			return nil
		}
		state[name] = 1
		for _, p := range t.parents {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[name] = 2
		ordered = append(ordered, *t)
		return nil
	}
	for _, name := range names {
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	return ordered, nil
}

// readHistory returns the source's schema_migrations as "package/version"
// → file name.
func readHistory(ctx context.Context, q store.Queryer) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT package, version, name FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	h := map[string]string{}
	for rows.Next() {
		var pkg, name string
		var v int
		if err := rows.Scan(&pkg, &v, &name); err != nil {
			return nil, err
		}
		h[pkg+"/"+strconv.Itoa(v)] = name
	}
	return h, rows.Err()
}

// seedCounts migrates a new SQLite database with sets and counts each
// table's rows: what a database holds before anyone used it (a migration
// may insert a row, such as a watermark's).
func seedCounts(ctx context.Context, sets []store.Migrations) (map[string]int, error) {
	dir, err := os.MkdirTemp("", "beacon-copy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "fresh.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx, sets...); err != nil {
		return nil, err
	}
	tables, err := sourceTables(ctx, db.Read)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, t := range tables {
		if t.name == "schema_migrations" {
			continue
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&n); err != nil {
			return nil, err
		}
		counts[t.name] = n
	}
	return counts, nil
}

// checkEmpty refuses a target holding data: a table of the source with
// more rows than a fresh migration leaves, or a migration history the
// source does not share. A target never migrated, or migrated by this
// version or an older one and never used, passes.
func checkEmpty(ctx context.Context, q store.Queryer, tables []table, seeds map[string]int, history map[string]string) error {
	for _, t := range tables {
		var exists bool
		if err := q.QueryRowContext(ctx, `SELECT to_regclass(?) IS NOT NULL`, quoteIdent(t.name)).Scan(&exists); err != nil {
			return fmt.Errorf("copy: inspect the target: %w", err)
		}
		if !exists {
			continue
		}
		if t.name == "schema_migrations" {
			theirs, err := readHistory(ctx, q)
			if err != nil {
				return fmt.Errorf("copy: inspect the target: %w", err)
			}
			for key, name := range theirs {
				pkg, _, _ := strings.Cut(key, "/")
				if mine, ok := history[key]; (ok && mine != name) || (!ok && hasPackage(history, pkg)) {
					return fmt.Errorf("%w: its migration %s (%s) is not the source's", ErrNotEmpty, key, name)
				}
			}
			continue
		}
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&n); err != nil {
			return fmt.Errorf("copy: inspect the target: %w", err)
		}
		if n > seeds[t.name] {
			return fmt.Errorf("%w: table %s has %d rows", ErrNotEmpty, t.name, n)
		}
	}
	return nil
}

// hasPackage reports whether history has a migration of pkg.
func hasPackage(history map[string]string, pkg string) bool {
	for key := range history {
		if p, _, _ := strings.Cut(key, "/"); p == pkg {
			return true
		}
	}
	return false
}

// copyTables copies every table from in to out, then checks each one's
// rows on both sides.
func copyTables(ctx context.Context, in *sql.Tx, conn *sql.Conn, out *sql.Tx, tables []table) ([]TableCopy, error) {
	// The target's triggers (change notices, history versions) would add
	// rows and notices of their own: the source's rows are copied as they
	// are. Foreign keys stay enforced: they are not user triggers.
	for _, t := range tables {
		if _, err := out.ExecContext(ctx, `ALTER TABLE `+quoteIdent(t.name)+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("copy: table %s: %w", t.name, err)
		}
	}
	// A fresh migration's rows go, children first; schema_migrations keeps
	// the target's (the same migrations, and any the target alone has).
	for _, t := range slices.Backward(tables) {
		if t.name == "schema_migrations" {
			continue
		}
		if _, err := out.ExecContext(ctx, `DELETE FROM `+quoteIdent(t.name)); err != nil {
			return nil, fmt.Errorf("copy: empty table %s: %w", t.name, err)
		}
	}
	for i, t := range tables {
		err := copyTable(ctx, in, conn, out, t)
		if errors.Is(err, errUnstorable) {
			// The tables before it went over whole: the others are looked
			// at for every such value, to name them all at once.
			return nil, unstorable(ctx, in, tables[i:])
		}
		if err != nil {
			return nil, fmt.Errorf("copy: table %s: %w", t.name, err)
		}
	}
	if err := setSequences(ctx, in, out, tables); err != nil {
		return nil, fmt.Errorf("copy: identity sequences: %w", err)
	}
	for _, t := range tables {
		if _, err := out.ExecContext(ctx, `ALTER TABLE `+quoteIdent(t.name)+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("copy: table %s: %w", t.name, err)
		}
	}
	var copied []TableCopy
	for _, t := range tables {
		srcRows, srcSum, err := digest(ctx, in, t, "", nil)
		if err != nil {
			return nil, fmt.Errorf("copy: check table %s: %w", t.name, err)
		}
		where, args := "", []any(nil)
		if t.name == "schema_migrations" {
			// Only the source's packages: the target may have its own.
			pkgs, err := queryStrings(ctx, in, `SELECT DISTINCT package FROM schema_migrations ORDER BY package`)
			if err != nil {
				return nil, fmt.Errorf("copy: check table %s: %w", t.name, err)
			}
			where, args = ` WHERE package IN (SELECT value FROM json_array_elements_text(CAST(? AS json)))`, []any{store.IDList(pkgs)}
		}
		dstRows, dstSum, err := digest(ctx, out, t, where, args)
		if err != nil {
			return nil, fmt.Errorf("copy: check table %s: %w", t.name, err)
		}
		if srcRows != dstRows || srcSum != dstSum {
			return nil, fmt.Errorf("copy: table %s: %d rows (digest %.12s) in the source, %d (digest %.12s) in the target",
				t.name, srcRows, srcSum, dstRows, dstSum)
		}
		copied = append(copied, TableCopy{Name: t.name, Rows: srcRows, Digest: srcSum})
	}
	return copied, nil
}

// copyTable copies every row of t, read from in, into out, which runs on
// conn: with COPY, one statement per table, so that PostgreSQL checks the
// foreign keys of a table that refers to itself (a group and its members)
// once every row is in, whatever their order. schema_migrations' rows
// replace the target's record of when each migration was applied.
func copyTable(ctx context.Context, in *sql.Tx, conn *sql.Conn, out *sql.Tx, t table) error {
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = quoteIdent(c)
	}
	rows, err := in.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+quoteIdent(t.name))
	if err != nil {
		return err
	}
	defer rows.Close()
	src := &copySource{rows: rows, vals: make([]any, len(cols))}
	if t.name == "schema_migrations" {
		insert := `INSERT INTO schema_migrations (` + strings.Join(cols, ", ") + `) VALUES (` +
			strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") +
			`) ON CONFLICT (package, version) DO UPDATE SET name = excluded.name, applied_at = excluded.applied_at`
		for src.Next() {
			if _, err := out.ExecContext(ctx, insert, src.vals...); err != nil {
				return err
			}
		}
		return src.Err()
	}
	return conn.Raw(func(dc any) error {
		pc, ok := store.PgxConn(dc)
		if !ok {
			return errors.New("the target is not PostgreSQL")
		}
		_, err := pc.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, src)
		if errors.Is(src.err, errUnstorable) { // pgx's error tells it as text only
			return src.err
		}
		return err
	})
}

// copySource hands the rows of a query to COPY (pgx.CopyFromSource).
type copySource struct {
	rows *sql.Rows
	vals []any
	err  error
}

func (s *copySource) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	ptrs := make([]any, len(s.vals))
	s.vals = make([]any, len(s.vals)) // COPY may keep the previous row's
	for i := range s.vals {
		ptrs[i] = &s.vals[i]
	}
	if s.err = s.rows.Scan(ptrs...); s.err != nil {
		return false
	}
	for _, v := range s.vals {
		if text, ok := v.(string); ok && badText(text) != "" {
			s.err = errUnstorable
			return false
		}
	}
	return true
}

func (s *copySource) Values() ([]any, error) { return s.vals, s.err }

func (s *copySource) Err() error { return errors.Join(s.err, s.rows.Err()) }

// errUnstorable is what a copySource meets at text PostgreSQL cannot
// store: unstorable names every such value.
var errUnstorable = errors.New("unstorable text")

// badText says what PostgreSQL would refuse in text, where, with the text
// around it; "" when nothing.
func badText(s string) string {
	at, what := strings.IndexByte(s, 0), "a NUL character"
	if !utf8.ValidString(s) {
		for i, r := range s {
			if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") && (at < 0 || i < at) {
				at, what = i, "bytes that are not UTF-8"
				break
			}
		}
	}
	if at < 0 {
		return ""
	}
	return fmt.Sprintf("%s at byte %d: %q", what, at, s[max(0, at-20):min(len(s), at+20)])
}

// unstorable returns an error naming each text value of tables that
// PostgreSQL cannot store by table, row key and column (20 at most), and
// saying what to do: such text is not altered, not even to drop a NUL,
// without its owner's say.
func unstorable(ctx context.Context, q store.Queryer, tables []table) error {
	const most = 20
	var found []string
	hint := ""
	n := 0
	for _, t := range tables {
		key, err := queryStrings(ctx, q, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, t.name)
		if err != nil {
			return fmt.Errorf("copy: table %s: %w", t.name, err)
		}
		if len(key) == 0 {
			key = []string{"rowid"}
		}
		cols := slices.Concat(key, t.columns)
		vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
		for i, c := range cols {
			cols[i], ptrs[i] = quoteIdent(c), &vals[i]
		}
		rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+quoteIdent(t.name))
		if err != nil {
			return fmt.Errorf("copy: table %s: %w", t.name, err)
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("copy: table %s: %w", t.name, err)
			}
			for i, c := range t.columns {
				text, ok := vals[len(key)+i].(string)
				if !ok || badText(text) == "" {
					continue
				}
				if n++; n > most {
					continue
				}
				where := make([]string, len(key))
				for j, k := range key {
					where[j] = fmt.Sprintf("%s = %v", k, vals[j])
					if s, ok := vals[j].(string); ok {
						where[j] = k + " = '" + strings.ReplaceAll(s, "'", "''") + "'"
					}
				}
				row := strings.Join(where, " AND ")
				found = append(found, fmt.Sprintf("\ttable %s, row %s, column %s: %s", t.name, row, c, badText(text)))
				if hint == "" {
					// Not replace(…, char(0), ''): SQLite's text functions
					// stop at a NUL.
					hint = fmt.Sprintf(" (with sqlite3: UPDATE %s SET %s = '…' WHERE %s)", t.name, c, row)
				}
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("copy: table %s: %w", t.name, err)
		}
	}
	if n > most {
		found = append(found, fmt.Sprintf("\tand %d more", n-most))
	}
	values := "text values"
	if n == 1 {
		values = "text value"
	}
	return fmt.Errorf("copy: PostgreSQL cannot store %d %s of the SQLite database (%w):\n%s\n"+
		"nothing was copied: edit those values in the SQLite database%s, then copy again",
		n, values, store.ErrUnstorableText, strings.Join(found, "\n"), hint)
}

// setSequences moves each identity column's sequence past the largest id
// copied, or past the source's AUTOINCREMENT counter when that is higher
// (SQLite never reuses the ids of deleted rows there).
func setSequences(ctx context.Context, in, out *sql.Tx, tables []table) error {
	rows, err := out.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name`)
	if err != nil {
		return err
	}
	type ident struct{ table, column string }
	var idents []ident
	for rows.Next() {
		var id ident
		if err := rows.Scan(&id.table, &id.column); err != nil {
			rows.Close()
			return err
		}
		idents = append(idents, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	counters := map[string]int64{}
	var hasSequence bool
	if err := in.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_sequence'`).Scan(&hasSequence); err != nil {
		return err
	}
	if hasSequence {
		seqRows, err := in.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
		if err != nil {
			return err
		}
		for seqRows.Next() {
			var name string
			var seq int64
			if err := seqRows.Scan(&name, &seq); err != nil {
				seqRows.Close()
				return err
			}
			counters[name] = seq
		}
		seqRows.Close()
		if err := seqRows.Err(); err != nil {
			return err
		}
	}
	for _, id := range idents {
		if !slices.ContainsFunc(tables, func(t table) bool { return t.name == id.table }) {
			continue
		}
		var top int64
		if err := out.QueryRowContext(ctx, `SELECT COALESCE(MAX(`+quoteIdent(id.column)+`), 0) FROM `+quoteIdent(id.table)).Scan(&top); err != nil {
			return err
		}
		top = max(top, counters[id.table])
		// setval(…, n, false): the next id is n.
		_, err := out.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), ?, false)`, quoteIdent(id.table), id.column, top+1)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", id.table, id.column, err)
		}
	}
	return nil
}

// Digest returns the number of rows of table and a digest of their
// values, independent of row order and of the engine: integers, reals,
// text and blobs as database/sql scans them from either. Two databases
// whose tables have equal digests hold the same rows.
func Digest(ctx context.Context, q store.Queryer, tableName string, columns []string) (rows int, sum string, err error) {
	return digest(ctx, q, table{name: tableName, columns: columns}, "", nil)
}

// Columns returns the columns of a table of a SQLite database, in order.
func Columns(ctx context.Context, db *store.DB, tableName string) ([]string, error) {
	return queryStrings(ctx, db.Read, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, tableName)
}

// Tables returns the tables of a SQLite database, in an order where each
// comes after those its foreign keys refer to.
func Tables(ctx context.Context, db *store.DB) ([]string, error) {
	tables, err := sourceTables(ctx, db.Read)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names, nil
}

func digest(ctx context.Context, q store.Queryer, t table, where string, args []any) (int, string, error) {
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = quoteIdent(c)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+quoteIdent(t.name)+where, args...)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var hashes [][sha256.Size]byte
	var buf bytes.Buffer
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, "", err
		}
		buf.Reset()
		for _, v := range vals {
			k := valueKey(v)
			buf.WriteString(strconv.Itoa(len(k)))
			buf.WriteByte(':')
			buf.WriteString(k)
		}
		hashes = append(hashes, sha256.Sum256(buf.Bytes()))
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	slices.SortFunc(hashes, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, x := range hashes {
		h.Write(x[:])
	}
	return len(hashes), hex.EncodeToString(h.Sum(nil)), nil
}

// valueKey is a value as text with its kind: text and blobs alike (a
// driver may scan either as bytes), integers, reals, NULL.
func valueKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "n"
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case float64:
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "s" + x
	case []byte:
		return "s" + string(x)
	case bool:
		if x {
			return "i1"
		}
		return "i0"
	}
	return fmt.Sprintf("?%T:%v", v, v)
}

// queryStrings runs a query returning one text column.
func queryStrings(ctx context.Context, q store.Queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// quoteIdent quotes a table or column name for SQL.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
