package testutil

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/internal/store"
)

// notes is a one-table migration set, valid on both engines.
func notes(extra ...string) store.Migrations {
	fsys := fstest.MapFS{"0001_create_notes.sql": {Data: []byte(`CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;`)}}
	for i, body := range extra {
		fsys[fmt.Sprintf("%04d_more.sql", i+2)] = &fstest.MapFile{Data: []byte(body)}
	}
	return store.Migrations{Package: "notes", FS: fsys}
}

func addNote(t *testing.T, db *store.DB, id, body string) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO notes (id, body) VALUES (?, ?)`, id, body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countNotes(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM notes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenDB(t *testing.T) {
	a := OpenDB(t, notes())
	if got, want := a.Engine(), Engine(); got != want {
		t.Fatalf("OpenDB's engine = %v, want %v (%s=%q)", got, want, EngineVar, os.Getenv(EngineVar))
	}
	addNote(t, a, "n1", "first")
	b := OpenDB(t, notes())
	if got := countNotes(t, b); got != 0 {
		t.Errorf("a second database holds %d notes of the first", got)
	}
	if got := countNotes(t, a); got != 1 {
		t.Errorf("notes = %d, want 1", got)
	}
}

func TestNewDatabaseReopens(t *testing.T) {
	ctx := context.Background()
	addr := NewDatabase(t)
	db, err := Open(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, notes()); err != nil {
		t.Fatal(err)
	}
	addNote(t, db, "n1", "kept")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Engine() != Engine() {
		t.Errorf("reopened on %v, want %v", again.Engine(), Engine())
	}
	var body string
	if err := again.Read.QueryRow(`SELECT body FROM notes WHERE id = ?`, "n1").Scan(&body); err != nil || body != "kept" {
		t.Errorf("after reopening: body %q, %v; want kept", body, err)
	}
}

func TestTemplateKey(t *testing.T) {
	same := templateKey(t, []store.Migrations{notes()})
	if again := templateKey(t, []store.Migrations{notes()}); again != same {
		t.Errorf("the same sets: keys %q and %q", same, again)
	}
	if other := templateKey(t, []store.Migrations{notes("CREATE TABLE tags (name TEXT) STRICT;")}); other == same {
		t.Errorf("sets differing in a file share the key %q", same)
	}
	changed := notes()
	changed.FS.(fstest.MapFS)["0001_create_notes.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE notes (id TEXT) STRICT;`)}
	if other := templateKey(t, []store.Migrations{changed}); other == same {
		t.Errorf("sets differing in a file's content share the key %q", same)
	}
}

func TestSQLiteOnly(t *testing.T) {
	var ran bool
	t.Run("sqlite only", func(t *testing.T) {
		SQLiteOnly(t)
		ran = true
	})
	if want := Engine() == store.SQLite; ran != want {
		t.Errorf("a SQLite-only test ran = %v on %s=%q, want %v", ran, EngineVar, os.Getenv(EngineVar), want)
	}
}

// TestMainRefusesUnknownEngine runs this test binary with a misspelt
// engine: it must stop before any test, not run them on SQLite.
func TestMainRefusesUnknownEngine(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenDB$", "-test.v")
	cmd.Env = append(os.Environ(), EngineVar+"=postgresql")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("with %s=postgresql: %v, want exit status 2\n%s", EngineVar, err, out)
	}
	if want := "want sqlite or postgres"; !strings.Contains(string(out), want) || strings.Contains(string(out), "=== RUN") {
		t.Errorf("output %q: want %q and no test run", out, want)
	}
}
