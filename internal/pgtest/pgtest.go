// Package pgtest runs throwaway PostgreSQL servers for tests: one cluster
// per test binary, started on first use in a directory under /tmp, a fresh
// database per test, and databases copied from a template built once per
// binary (a migrated schema). It finds Debian's PostgreSQL programs itself
// (Bin) and runs them as the postgres user when the tests run as root.
// Without PostgreSQL a test skips, or fails under CI=true. It imports
// nothing of Beacon's, so the store's own tests can use it; it is imported
// by tests, and by the benchmark programs, which start a cluster with
// Launch.
package pgtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// shared is the test binary's cluster, started by the first test that asks.
var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared returns the test binary's cluster, starting it on first use. It
// runs with fsync and synchronous commits off: fast, and lost only with the
// machine, never with a process. A test that crashes the server uses
// StartDurable (or Start, to stop it without touching others' databases).
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	shared.once.Do(func() { shared.c, shared.err = start(false) })
	need(tb, shared.err)
	return shared.c
}

// Start starts a cluster of the test's own, as fast as Shared's, and stops
// it when the test ends: for tests that stop or kill the server.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	return startOwn(tb, false)
}

// StartDurable starts a cluster of the test's own with PostgreSQL's default
// durability (fsync, synchronous commits and full-page writes on), for
// tests where a commit must survive the server's crash (Kill), and stops it
// when the test ends.
func StartDurable(tb testing.TB) *Cluster {
	tb.Helper()
	return startOwn(tb, true)
}

// Launch starts a cluster outside a test, for a program such as a
// benchmark: with PostgreSQL's default durability when durable, as fast as
// Shared's otherwise. The caller stops it with Stop; if the program dies
// first, the cluster's watchdog stops it.
func Launch(durable bool) (*Cluster, error) { return start(durable) }

func startOwn(tb testing.TB, durable bool) *Cluster {
	tb.Helper()
	c, err := start(durable)
	need(tb, err)
	tb.Cleanup(c.Stop)
	return c
}

// need ends the test when err is not nil: a skip when PostgreSQL is not
// installed, unless CI=true, where a test that needs it must not pass
// without it.
func need(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case err == nil:
	case errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true":
		tb.Skip(err)
	default:
		tb.Fatal(err)
	}
}

// Main runs the package's tests and then stops the shared cluster, if one
// was started: call it from TestMain. (A test binary that exits without it,
// or dies, leaves the cluster to its watchdog, which stops it as the binary
// goes.)
func Main(m *testing.M) {
	code := m.Run()
	if shared.c != nil {
		shared.c.Stop()
	}
	os.Exit(code)
}

// NewDatabase creates an empty database on the shared cluster, dropped
// when the test ends, and returns its URL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return Shared(tb).NewDatabase(tb)
}

// NewDatabaseFrom creates a database on the shared cluster as a copy of
// template, dropped when the test ends, and returns its URL. The first test
// to name template builds it: build gets the URL of an empty database and
// must have closed every connection to it when it returns. Later tests copy
// the result, which is much faster than building again. A build that
// fails fails every test naming that template.
func NewDatabaseFrom(tb testing.TB, template string, build func(url string) error) string {
	tb.Helper()
	return Shared(tb).NewDatabaseFrom(tb, template, build)
}

// template is one built template database of a cluster.
type template struct {
	once sync.Once
	name string
	err  error
}

// NewDatabase creates an empty database on c, dropped when the test ends,
// and returns its URL.
func (c *Cluster) NewDatabase(tb testing.TB) string {
	tb.Helper()
	return c.create(tb, "template0")
}

// NewDatabaseFrom is NewDatabase copying template, built once per cluster
// by build (see the package's NewDatabaseFrom).
func (c *Cluster) NewDatabaseFrom(tb testing.TB, template string, build func(url string) error) string {
	tb.Helper()
	t := c.template(template)
	t.once.Do(func() { t.err = c.build(t.name, build) })
	if t.err != nil {
		tb.Fatalf("pgtest: template %q: %v", template, t.err)
	}
	return c.create(tb, t.name)
}

func (c *Cluster) template(key string) *template {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.templates == nil {
		c.templates = map[string]*template{}
	}
	t := c.templates[key]
	if t == nil {
		sum := sha256.Sum256([]byte(key))
		t = &template{name: "tmpl_" + hex.EncodeToString(sum[:8])}
		c.templates[key] = t
	}
	return t
}

// build creates the template database name and fills it with build; a
// failed build leaves nothing behind.
func (c *Cluster) build(name string, build func(url string) error) error {
	if _, err := c.Exec("postgres", "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return err
	}
	if err := build(c.URL(name)); err != nil {
		if _, derr := c.Exec("postgres", "DROP DATABASE "+name+" WITH (FORCE)"); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

// create creates a database copying from, dropped (cutting off any
// connection left) when the test ends.
func (c *Cluster) create(tb testing.TB, from string) string {
	tb.Helper()
	name := "t_" + randomHex(8)
	if _, err := c.Exec("postgres", fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, from)); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_, err := c.Exec("postgres", "DROP DATABASE "+name+" WITH (FORCE)")
		if err != nil && c.running() {
			tb.Error(err)
		}
	})
	return c.URL(name)
}

// running reports whether the cluster's server runs (or crashed without
// removing its pid file).
func (c *Cluster) running() bool {
	_, err := os.Stat(filepath.Join(c.data(), "postmaster.pid"))
	return err == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
