package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/beacon-status/beacon/internal/dbcopy"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// runMigrateDB copies the SQLite database of the data directory into an
// empty PostgreSQL database (dbcopy.Copy), holding the data directory's
// lock so that no server writes to the source meanwhile.
func runMigrateDB(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var to string
	cfg, _, err := loadConfig("migrate-db", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "the empty PostgreSQL database to copy into (postgres://…)")
	})
	if err != nil {
		return err
	}
	if err := (&Config{}).setDatabaseURL(to); err != nil || to == "" {
		return errors.New("migrate-db: --to must be a postgres:// or postgresql:// URL")
	}
	cfg.DatabaseURL = "" // the source is the data directory's SQLite, whatever the environment says
	log := newLogger(cfg, stderr)
	path := filepath.Join(cfg.DataDir, dbFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("migrate-db: no database at %s", path)
	}
	release, err := lockDataDir(cfg, log)
	if err != nil {
		return err
	}
	defer release()
	if err := recordSentLog(ctx, cfg, log, path); err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	src, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()
	tables, err := dbcopy.Copy(ctx, src, dst, schema.Sets()...)
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	// Statistics now, not when autovacuum comes by: the first fan-out is
	// planned for the tables' real sizes.
	if _, err := dst.Write.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("migrate-db: analyze: %w", err)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "TABLE\tROWS\t")
	rows := 0
	for _, t := range tables {
		fmt.Fprintf(w, "%s\t%d\t\n", t.Name, t.Rows)
		rows += t.Rows
	}
	w.Flush()
	fmt.Fprintf(stdout, "copied %d rows of %d tables from %s to %s, each table checked on both sides;\n"+
		"start beacon with BEACON_DATABASE_URL set to it (the SQLite file is left as it was)\n", rows, len(tables), path, redactURL(to))
	return nil
}

// recordSentLog records the messages a killed server sent and left in the
// sent log beside path, as its next start would: copied as pending, they
// would be sent again from PostgreSQL. The data directory's lock is held.
func recordSentLog(ctx context.Context, cfg Config, log *slog.Logger, path string) error {
	if waiting, err := notifier.SentLogWaiting(path); err != nil || !waiting {
		return err
	}
	a, err := buildApp(ctx, cfg, log, time.Now, false, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = a.dispatcher.RecordSentLog(ctx)
	return err
}
