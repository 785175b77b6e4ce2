//go:build linux

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/store"
)

// engine is where the Beacons under measurement keep their data: SQLite in
// each server's data directory, or PostgreSQL, a database per server on a
// cluster of the benchmark's own.
type engine struct {
	name    string          // "sqlite" or "postgres"
	pg      *pgtest.Cluster // postgres only
	version string          // the PostgreSQL server's, for the report
	durable bool            // fsync and synchronous commits on
	dbs     int             // databases created so far, for their names
}

// knownEngines are the values of -engines, in the order a report lists
// them.
var knownEngines = []string{"sqlite", "postgres"}

// parseEngines reads -engines: names from knownEngines, each once.
func parseEngines(s string) ([]string, error) {
	var names []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(knownEngines, name) {
			return nil, fmt.Errorf("-engines: unknown engine %q (want sqlite, postgres)", name)
		}
		if slices.Contains(names, name) {
			return nil, fmt.Errorf("-engines: %s named twice", name)
		}
		names = append(names, name)
	}
	return names, nil
}

// startEngines returns the engines named, starting the PostgreSQL cluster
// when postgres is among them, on a Unix socket in a directory under /tmp:
// when durable, with PostgreSQL's default durability (fsync and
// synchronous commits on), as a production server has. stop stops it.
func startEngines(ctx context.Context, names []string, durable bool) (engines []*engine, stop func(), err error) {
	stop = func() {}
	for _, name := range names {
		e := &engine{name: name, durable: durable}
		if name == "postgres" {
			logf("postgres: starting a cluster")
			if e.pg, err = pgtest.Launch(durable); err != nil {
				stop()
				return nil, nil, err
			}
			stop = e.pg.Stop
			if e.version, err = e.pg.Exec("postgres", "SHOW server_version"); err != nil {
				stop()
				return nil, nil, err
			}
			logf("postgres %s in %s", e.version, e.pg.Dir())
		}
		engines = append(engines, e)
	}
	return engines, stop, ctx.Err()
}

// newDatabase creates an empty database, or a copy of from when it is not
// empty, and returns its name.
func (e *engine) newDatabase(from string) (string, error) {
	e.dbs++
	name := fmt.Sprintf("bench_%d", e.dbs)
	sql := "CREATE DATABASE " + name + " TEMPLATE template0"
	if from != "" {
		sql = "CREATE DATABASE " + name + " TEMPLATE " + from
	}
	_, err := e.pg.Exec("postgres", sql)
	return name, err
}

// dropDatabase drops a database made by newDatabase, cutting off any
// connection left.
func (e *engine) dropDatabase(name string) error {
	_, err := e.pg.Exec("postgres", "DROP DATABASE "+name+" WITH (FORCE)")
	return err
}

// vars are the settings that point a server at database db (none for
// SQLite, whose database is in the data directory).
func (e *engine) vars(db string) map[string]string {
	if e.pg == nil {
		return nil
	}
	return map[string]string{"BEACON_DATABASE_URL": e.pg.URL(db)}
}

// copySeed lays out a copy of seed for one server in dir: the seed's data
// directory, and on PostgreSQL a database copied from the seed's
// (CREATE DATABASE … TEMPLATE, as fast as copying a file). It returns the
// copy's database (empty for SQLite) and a function that drops it.
func (e *engine) copySeed(seed *emailSeed, dir string) (db string, drop func(), err error) {
	if err := copyDir(seed.dir, dir); err != nil {
		return "", nil, err
	}
	if e.pg == nil {
		return "", func() {}, nil
	}
	if db, err = e.newDatabase(seed.db); err != nil {
		return "", nil, err
	}
	return db, func() {
		if err := e.dropDatabase(db); err != nil {
			logf("postgres: %v", err)
		}
	}, nil
}

// openStore opens what a stopped server in dir on database db wrote.
func (e *engine) openStore(ctx context.Context, dir, db string) (*store.DB, error) {
	if e.pg == nil {
		return store.Open(ctx, filepath.Join(dir, "beacon.db"))
	}
	return store.OpenPostgres(ctx, e.pg.URL(db))
}

// seedNote names what each run copies of the seed, for the report.
func (e *engine) seedNote() string {
	if e.pg == nil {
		return "data directory"
	}
	return "database (`CREATE DATABASE … TEMPLATE`)"
}

// title names the engine in the report.
func (e *engine) title() string {
	if e.pg == nil {
		return "SQLite"
	}
	durability := "default durability: fsync and synchronous_commit on"
	if !e.durable {
		durability = "fsync, synchronous_commit and full_page_writes off (-pg-durable=false)"
	}
	return "PostgreSQL " + e.version + " (a cluster of the benchmark's own on a Unix socket, " + durability + ")"
}
