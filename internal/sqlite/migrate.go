package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
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
	entries, err := fs.ReadDir(set.FS, ".")
	if err != nil {
		return fmt.Errorf("sqlite: read %s migrations: %w", set.Package, err)
	}
	type file struct {
		version int
		name    string
	}
	var files []file
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		files = append(files, file{v, e.Name()})
	}
	slices.SortFunc(files, func(a, b file) int { return a.version - b.version })

	for _, f := range files {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			err := tx.QueryRowContext(ctx,
				`SELECT COUNT(*) FROM schema_migrations WHERE package = ? AND version = ?`,
				set.Package, f.version).Scan(&n)
			if err != nil || n > 0 {
				return err
			}
			body, err := fs.ReadFile(set.FS, path.Clean(f.name))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (package, version, name, applied_at) VALUES (?, ?, ?, ?)`,
				set.Package, f.version, f.name, FormatTime(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migrate %s/%s: %w", set.Package, f.name, err)
		}
	}
	return nil
}
