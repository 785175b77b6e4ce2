package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/templates"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"
)

// testEnv is a Beacon app on a real SQLite file in a temporary directory
// (or a PostgreSQL database of its own with BEACON_TEST_ENGINE=postgres),
// driven through its Fiber routes, with one API key.
type testEnv struct {
	t      testing.TB
	app    *app
	fiber  *fiber.App
	clock  *testutil.Clock
	key    string
	pageID string
}

// testConfig returns the default configuration with the data directory in
// dir.
func testConfig(tb testing.TB, dir string) Config {
	tb.Helper()
	cfg, _, err := loadConfig("test", nil, func(string) string { return "" }, io.Discard, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DataDir = dir
	cfg.APIRate, cfg.APIBurst = 1000, 1000
	cfg.BcryptCost = bcrypt.MinCost
	if testutil.Engine() == store.Postgres {
		cfg.DatabaseURL = testDatabase(tb)
	}
	return cfg
}

// testDatabase returns a new PostgreSQL database, migrated (a copy of a
// template migrated once per test binary), dropped when the test ends.
func testDatabase(tb testing.TB) string {
	tb.Helper()
	return pgtest.NewDatabaseFrom(tb, "beacon cmd/beacon", func(url string) error {
		ctx := context.Background()
		db, err := store.OpenPostgres(ctx, url)
		if err != nil {
			return err
		}
		return errors.Join(db.Migrate(ctx, schema.Sets()...), db.Close())
	})
}

// newTestEnv builds an app at 2026-03-10 12:00 UTC unless mutate changes
// the configuration or the clock is moved.
func newTestEnv(tb testing.TB, mutate ...func(*Config)) *testEnv {
	tb.Helper()
	cfg := testConfig(tb, tb.TempDir())
	for _, m := range mutate {
		m(&cfg)
	}
	clock := testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	return openTestEnv(tb, cfg, clock)
}

// testTemplates parses the templates and catalogues once for the test
// binary, for every testEnv to share as a server's requests share the Set
// it loads at start (a Set is read-only): parsing them was most of the
// CPU of building an app, which many tests do once per case. Apps built
// by run or newApp, and the processes the tests start, load their own.
var testTemplates = sync.OnceValues(templates.Load)

// openTestEnv opens an app on cfg (use it again on the same DataDir to
// simulate a restart).
func openTestEnv(tb testing.TB, cfg Config, clock *testutil.Clock) *testEnv {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tpl, err := testTemplates()
	if err != nil {
		tb.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, log, clock.Now, true, tpl)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	_, key, err := a.keys.Create(context.Background(), "test")
	if err != nil {
		tb.Fatal(err)
	}
	page, err := a.components.Page(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return &testEnv{t: tb, app: a, fiber: a.routes(), clock: clock, key: key, pageID: page.ID}
}

// response is a finished request.
type response = testutil.Response

// do sends a request through the app (testutil.Do).
func (e *testEnv) do(method, target string, body any, headers ...string) response {
	e.t.Helper()
	return testutil.Do(e.t, e.fiber, method, target, body, headers...)
}

// api sends an authenticated management API request (apitest.Client).
func (e *testEnv) api(method, path string, body any, headers ...string) response {
	e.t.Helper()
	return e.client().API(method, path, body, headers...)
}

// mustAPI is api that fails the test unless the status is want.
func (e *testEnv) mustAPI(want int, method, path string, body any) response {
	e.t.Helper()
	return e.client().MustAPI(want, method, path, body)
}

// client is the management API's client for e.
func (e *testEnv) client() apitest.Client {
	return apitest.Client{TB: e.t, Do: e.do, Key: e.key, PageID: e.pageID}
}

// v2 fetches a public API body and decodes it into a generic map.
func (e *testEnv) v2(path string) map[string]any {
	e.t.Helper()
	res := e.do("GET", "/api/v2/"+path, nil)
	if res.Status != 200 {
		e.t.Fatalf("GET /api/v2/%s: status %d: %s", path, res.Status, res.Body)
	}
	var m map[string]any
	res.JSON(e.t, &m)
	return m
}
