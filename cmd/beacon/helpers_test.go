package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// testEnv is a Beacon app on a real SQLite file in a temporary directory,
// driven through its Fiber routes, with one API key.
type testEnv struct {
	t      testing.TB
	app    *app
	fiber  *fiber.App
	clock  *testClock
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
	return cfg
}

// newTestEnv builds an app at 2026-03-10 12:00 UTC unless mutate changes
// the configuration or the clock is moved.
func newTestEnv(tb testing.TB, mutate ...func(*Config)) *testEnv {
	tb.Helper()
	cfg := testConfig(tb, tb.TempDir())
	for _, m := range mutate {
		m(&cfg)
	}
	clock := &testClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	return openTestEnv(tb, cfg, clock)
}

// openTestEnv opens an app on cfg (use it again on the same DataDir to
// simulate a restart).
func openTestEnv(tb testing.TB, cfg Config, clock *testClock) *testEnv {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(context.Background(), cfg, log, clock.Now)
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
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request through the app. body may be nil, a string (sent
// as is) or any value (sent as JSON). headers are name, value pairs.
func (e *testEnv) do(method, target string, body any, headers ...string) response {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, target, r)
	if _, ok := body.(string); !ok && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.fiber.Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: out}
}

// api sends an authenticated management API request to path below
// /api/v1/pages/{page_id}.
func (e *testEnv) api(method, path string, body any, headers ...string) response {
	e.t.Helper()
	headers = append([]string{"Authorization", "OAuth " + e.key}, headers...)
	return e.do(method, "/api/v1/pages/"+e.pageID+path, body, headers...)
}

// mustAPI is api that fails the test unless the status is want.
func (e *testEnv) mustAPI(want int, method, path string, body any) response {
	e.t.Helper()
	res := e.api(method, path, body)
	if res.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.Status, want, res.Body)
	}
	return res
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
