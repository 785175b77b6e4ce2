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

	"github.com/beacon-status/beacon/internal/store/pgsql"
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
//
// On PostgreSQL a set's file postgres/NNNN_name.sql, when there is one,
// stands for the shared NNNN_name.sql; otherwise the shared file is
// translated (pgsql.Translate). Replicas starting together take turns: the
// first migrates, the others then find nothing left to do. Afterwards the
// tables the public page reads get the triggers that tell the other
// replicas of changes (Watch).
func (db *DB) Migrate(ctx context.Context, sets ...Migrations) (err error) {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", db.engine, err)
	}
	defer conn.Close()
	if db.engine == Postgres {
		unlock, err := sessionLock(ctx, conn, "beacon:migrate")
		if err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		defer func() { err = errors.Join(err, unlock()) }()
	}
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		package    TEXT NOT NULL,
		version    INTEGER NOT NULL,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL,
		PRIMARY KEY (package, version)
	) STRICT`
	if db.engine == Postgres {
		create = pgsql.Translate(create)
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("%s: create schema_migrations: %w", db.engine, err)
	}
	if db.engine == Postgres {
		if _, err := conn.ExecContext(ctx, notifyFunction); err != nil {
			return fmt.Errorf("postgres: install change notifications: %w", err)
		}
	}
	for _, set := range sets {
		if err := db.migrateSet(ctx, conn, set); err != nil {
			return err
		}
	}
	if db.engine == Postgres {
		if err := installNotifyTriggers(ctx, conn); err != nil {
			return fmt.Errorf("postgres: install change notifications: %w", err)
		}
	}
	return nil
}

// sessionLock takes PostgreSQL's session-level advisory lock named name on
// conn, waiting for it, and returns what releases it. A connection whose
// lock could not be released is closed rather than returned to its pool
// still holding it.
func sessionLock(ctx context.Context, conn *sql.Conn, name string) (func() error, error) {
	key := lockKey(name)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, key); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() error {
		// A server that stopped answering must not hold the caller up:
		// the connection is closed then, which releases the lock too.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(?)`, key); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("unlock %s: %w", name, err)
		}
		return nil
	}, nil
}

func (db *DB) migrateSet(ctx context.Context, conn *sql.Conn, set Migrations) error {
	files, err := set.files()
	if err != nil {
		return err
	}
	var overrides map[string]bool
	if db.engine == Postgres {
		if overrides, err = set.overrides(files); err != nil {
			return err
		}
	}
	for _, f := range files {
		name, translated := path.Clean(f.name), false
		if overrides[f.name] {
			name = pgDir + "/" + f.name
		} else if db.engine == Postgres {
			translated = true
		}
		body, err := fs.ReadFile(set.FS, name)
		if err == nil {
			if translated {
				body = []byte(pgsql.Translate(string(body)))
			}
			err = db.apply(ctx, conn, set.Package, f.version, f.name, string(body))
		}
		if err != nil && translated {
			return fmt.Errorf("postgres: migrate %s/%s (translated from SQLite's; a %s/%s would replace it): %w",
				set.Package, f.name, pgDir, f.name, err)
		}
		if err != nil {
			return fmt.Errorf("%s: migrate %s/%s: %w", db.engine, set.Package, name, err)
		}
	}
	return nil
}

// pgDir is the directory of a set's PostgreSQL versions of its migrations.
const pgDir = "postgres"

// overrides returns the names of the set's migrations that have their own
// PostgreSQL version, refusing one that matches no shared migration: a
// version must mean the same change on both engines.
func (set Migrations) overrides(files []migrationFile) (map[string]bool, error) {
	entries, err := fs.ReadDir(set.FS, pgDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read %s migrations: %w", set.Package, err)
	}
	shared := map[string]bool{}
	for _, f := range files {
		shared[f.name] = true
	}
	out := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		if !shared[e.Name()] {
			return nil, fmt.Errorf("postgres: %s migration %s/%s has no shared %s to stand for", set.Package, pgDir, e.Name(), e.Name())
		}
		out[e.Name()] = true
	}
	return out, nil
}

// migrationFile is one migration of a set.
type migrationFile struct {
	version int
	name    string
}

// Len is the number of the set's migrations; 0 when its files cannot be
// listed, which Migrate and Pending report.
func (set Migrations) Len() int {
	files, _ := set.files()
	return len(files)
}

// files lists the set's migrations in version order.
func (set Migrations) files() ([]migrationFile, error) {
	entries, err := fs.ReadDir(set.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("store: read %s migrations: %w", set.Package, err)
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
	if db.engine == Postgres {
		var exists bool
		if err := db.Read.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
		}
		if !exists {
			return pending(applied, sets)
		}
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT package, version FROM schema_migrations`)
	if err != nil && db.engine == Postgres {
		return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
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
				return nil, fmt.Errorf("%s: read schema_migrations: %w", db.engine, err)
			}
			applied[pkg+"/"+strconv.Itoa(v)] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("%s: read schema_migrations: %w", db.engine, err)
		}
	}
	return pending(applied, sets)
}

// pending lists the migrations of sets not in applied.
func pending(applied map[string]bool, sets []Migrations) ([]string, error) {
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
func (db *DB) apply(ctx context.Context, conn *sql.Conn, pkg string, version int, name, body string) (err error) {
	fkOff := db.engine == SQLite && wantsForeignKeysOff(body)
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
