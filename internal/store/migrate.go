package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migrations is one package's ordered set of forward-only schema changes:
// files named NNNN_verb_noun.sql at the root of FS.
type Migrations struct {
	// Package names the owner; versions are numbered per package.
	Package string
	FS      fs.FS
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migrate applies, in order, every migration not yet recorded in the
// schema_migrations table. Each file runs in its own transaction together
// with its record, so a failed file leaves no trace. Sets are applied in the
// order given, which must respect their foreign keys.
func (db *DB) Migrate(ctx context.Context, sets ...Migrations) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		package    TEXT NOT NULL,
		version    INTEGER NOT NULL,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL,
		PRIMARY KEY (package, version)
	) STRICT`
	if _, err := db.Write.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, set := range sets {
		if err := db.migrateSet(ctx, set); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) migrateSet(ctx context.Context, set Migrations) error {
	files, err := set.files()
	if err != nil {
		return err
	}
	for _, f := range files {
		body, err := fs.ReadFile(set.FS, path.Clean(f.name))
		if err == nil {
			err = db.apply(ctx, set.Package, f.version, f.name, string(body))
		}
		if err != nil {
			return fmt.Errorf("sqlite: migrate %s/%s: %w", set.Package, f.name, err)
		}
	}
	return nil
}

// migrationFile is one migration of a set.
type migrationFile struct {
	version int
	name    string
}

// files lists the set's migrations in version order.
func (set Migrations) files() ([]migrationFile, error) {
	entries, err := fs.ReadDir(set.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("sqlite: read %s migrations: %w", set.Package, err)
	}
	var files []migrationFile
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		files = append(files, migrationFile{v, e.Name()})
	}
	slices.SortFunc(files, func(a, b migrationFile) int { return a.version - b.version })
	return files, nil
}

// Pending returns the migrations of sets that Migrate would apply, as
// "package/file", changing nothing: a command sharing the database with a
// running server uses it to tell whether the schema is the one it knows.
func (db *DB) Pending(ctx context.Context, sets ...Migrations) ([]string, error) {
	applied := map[string]bool{}
	rows, err := db.Read.QueryContext(ctx, `SELECT package, version FROM schema_migrations`)
	if err != nil {
		// A database never migrated has no table yet: everything is pending.
		var exists int
		if qerr := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'schema_migrations'`).Scan(&exists); qerr != nil || exists > 0 {
			return nil, fmt.Errorf("sqlite: read schema_migrations: %w", err)
		}
	} else {
		defer rows.Close()
		for rows.Next() {
			var pkg string
			var v int
			if err := rows.Scan(&pkg, &v); err != nil {
				return nil, fmt.Errorf("sqlite: read schema_migrations: %w", err)
			}
			applied[pkg+"/"+strconv.Itoa(v)] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: read schema_migrations: %w", err)
		}
	}
	var pending []string
	for _, set := range sets {
		files, err := set.files()
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !applied[set.Package+"/"+strconv.Itoa(f.version)] {
				pending = append(pending, set.Package+"/"+f.name)
			}
		}
	}
	return pending, nil
}

// foreignKeysOff, as a migration's first line, runs it with foreign key
// enforcement off: SQLite's procedure for redefining a table that others
// refer to (https://sqlite.org/lang_altertable.html#otheralter), where
// dropping the old table with enforcement on would cascade to the rows
// that refer to it. The migration must leave no broken reference behind
// that was not there before it.
const foreignKeysOff = "-- sqlite: foreign_keys off"

// wantsForeignKeysOff reports whether body starts with the foreignKeysOff
// line, whatever its line ending, spacing or case.
func wantsForeignKeysOff(body string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(body, "\uFEFF"), "\n")
	return strings.EqualFold(strings.Join(strings.Fields(first), " "), foreignKeysOff)
}

// apply runs one migration, unless it is recorded already, in a
// transaction together with its record.
func (db *DB) apply(ctx context.Context, pkg string, version int, name, body string) (err error) {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	fkOff := wantsForeignKeysOff(body)
	if fkOff {
		// The pragma does nothing inside a transaction.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return err
		}
		defer func() {
			if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); onErr != nil {
				// Never hand back a writer that ignores foreign keys.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				err = errors.Join(err, fmt.Errorf("turn foreign keys back on: %w", onErr))
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE package = ? AND version = ?`, pkg, version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	var broken map[string]bool // references broken before the migration
	if fkOff {
		if broken, err = brokenReferences(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if fkOff {
		after, err := brokenReferences(ctx, tx)
		if err != nil {
			return err
		}
		for ref := range after {
			if !broken[ref] {
				table, _, _ := strings.Cut(ref, "|")
				return fmt.Errorf("leaves rows of %s with a broken foreign key", table)
			}
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (package, version, name, applied_at) VALUES (?, ?, ?, ?)`,
		pkg, version, name, FormatTime(time.Now()))
	if err != nil {
		return err
	}
	return tx.Commit()
}

// brokenReferences lists the rows whose foreign key points at nothing, as
// "table|rowid|parent|key".
func brokenReferences(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT "table", COALESCE(rowid, ''), parent, fkid FROM pragma_foreign_key_check`)
	if err != nil {
		return nil, fmt.Errorf("check foreign keys: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var table, rowid, parent, fkid string
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return nil, fmt.Errorf("check foreign keys: %w", err)
		}
		out[table+"|"+rowid+"|"+parent+"|"+fkid] = true
	}
	return out, rows.Err()
}
