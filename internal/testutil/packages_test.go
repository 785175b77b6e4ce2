package testutil

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dbHelpers are the calls by which a test opens a database.
var dbHelpers = regexp.MustCompile(`\b(testutil\.(OpenDB|NewDatabase)|OpenDB|apptest\.New|consoletest\.|apitest\.|pgtest\.|store\.Open(Postgres)?)\(`)

// runsMain matches a TestMain running testutil.Main (plain Main here).
var runsMain = regexp.MustCompile(`func TestMain\(m \*testing\.M\) \{ (testutil\.)?Main\(m\) \}`)

// TestDatabasePackagesRunOnBothEngines finds every package whose tests
// open a database and checks that its TestMain is testutil.Main (which
// stops the package's PostgreSQL cluster and refuses an unknown engine)
// and that the Makefile's DB_PKGS, the packages `make test` runs again on
// PostgreSQL, lists it.
func TestDatabasePackagesRunOnBothEngines(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^DB_PKGS\s*=((?:.*\\\n)*.*)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("no DB_PKGS in the Makefile")
	}
	listed := strings.Fields(strings.ReplaceAll(string(m[1]), "\\", " "))

	var found []string
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		rel, _ := filepath.Rel(root, dir)
		pkg := "./" + filepath.ToSlash(rel)
		if slices.Contains(found, pkg) || pkg == "./internal/pgtest" {
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if dbHelpers.Match(body) {
			found = append(found, pkg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d packages whose tests open a database: %v", len(found), found)
	}
	for _, pkg := range found {
		main, err := os.ReadFile(filepath.Join(root, pkg, "main_test.go"))
		if err != nil || !runsMain.Match(main) {
			t.Errorf("%s: its tests open a database but its main_test.go does not run testutil.Main(m) (%v)", pkg, err)
		}
		if !slices.Contains(listed, pkg) {
			t.Errorf("%s: its tests open a database but the Makefile's DB_PKGS does not list it", pkg)
		}
	}
	for _, pkg := range listed {
		if !slices.Contains(found, pkg) {
			t.Errorf("DB_PKGS lists %s, whose tests open no database", pkg)
		}
	}
}
