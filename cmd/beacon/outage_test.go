package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/pgtest"
)

// With its PostgreSQL server down, beacon keeps serving the page and API v2
// as it last rendered them while /readyz answers 503; once the server is
// back, /readyz answers 200 and changes reach the page again.
func TestProcessDatabaseDown(t *testing.T) {
	procBinary(t) // skips in -short
	// Its server is killed: no acknowledged commit may be lost.
	cluster := pgtest.StartDurable(t)
	env := []string{"BEACON_DATABASE_URL=" + cluster.NewDatabase(t)}
	dir := t.TempDir()
	s := procStart(t, dir, env...)
	defer func() {
		if t.Failed() {
			t.Logf("warnings and errors:\n%s", crashWarnings(s))
		}
	}()
	out, errOut, code := procRun(t, dir, env, "apikey", "create", "--name", "t")
	if code != 0 {
		t.Fatalf("beacon apikey create: exit %d\n%s", code, errOut)
	}
	s.login(strings.TrimSpace(out))
	s.createComponent("Made before the outage")
	pageCode, page := s.request("GET", "/", nil)
	summaryCode, summary := s.request("GET", "/api/v2/summary.json", nil)
	if pageCode != 200 || summaryCode != 200 || !bytes.Contains(page, []byte("Made before the outage")) {
		t.Fatalf("before the outage: / %d, summary.json %d", pageCode, summaryCode)
	}

	if err := cluster.Kill(); err != nil {
		t.Fatal(err)
	}
	procWait(t, 10*time.Second, "/readyz to answer 503", func() bool {
		code, _ := s.request("GET", "/readyz", nil)
		return code == 503
	})
	// Long enough for the watch to have found the listening connection
	// gone and marked the snapshot stale, and for a retry.
	time.Sleep(2 * time.Second)
	for _, want := range []struct {
		path string
		body []byte
	}{{"/", page}, {"/api/v2/summary.json", summary}} {
		code, body := s.request("GET", want.path, nil)
		if code != 200 || !bytes.Equal(body, want.body) {
			t.Errorf("GET %s with the database down: %d, same body %v; want 200 and the last page", want.path, code, bytes.Equal(body, want.body))
		}
	}
	if code, _ := s.request("GET", "/healthz", nil); code != 200 {
		t.Errorf("/healthz with the database down: %d, want 200 (the process runs)", code)
	}

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	procWait(t, 30*time.Second, "/readyz to answer 200 again", func() bool {
		code, _ := s.request("GET", "/readyz", nil)
		return code == 200
	})
	// A pooled connection may still be one the restart cut: a write may
	// need a second try, as a client's would.
	procWait(t, 10*time.Second, "a component to be created after the outage", func() bool {
		code, body := s.request("POST", "/api/v1/pages/"+s.pageID+"/components",
			map[string]any{"component": map[string]any{"name": "Made after the outage"}}, "Authorization", "OAuth "+s.key)
		if code != 201 {
			t.Logf("POST /components: %d %s", code, body)
		}
		return code == 201
	})
	procWait(t, 10*time.Second, "the page to show it", func() bool {
		_, body := s.request("GET", "/", nil)
		return bytes.Contains(body, []byte("Made after the outage"))
	})
}
