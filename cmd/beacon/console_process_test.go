package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/console/consoletest"
)

// TestProcessConsoleUsers drives the real binary: a fresh server logs a
// first-run link that creates the first admin; `beacon user create` prints
// a set-password link, or with --password-stdin sets the password given,
// refusing a weak one without leaving a user behind.
func TestProcessConsoleUsers(t *testing.T) {
	dir := t.TempDir()
	s := procStart(t, dir)
	procWait(t, 10*time.Second, "the first-run link in the log", func() bool {
		return strings.Contains(s.log.String(), "/console/password?token=")
	})
	path := regexp.MustCompile(`/console/password\?token=[A-Za-z0-9_-]+`).FindString(s.log.String())
	code, body := s.request("GET", path, nil)
	if code != 200 || !strings.Contains(string(body), "Create the first admin") {
		t.Fatalf("first-run link: status %d\n%s", code, body)
	}

	out, errOut, exit := procRun(t, dir, nil, "user", "create", "--email", "oncall@example.com", "--role", "responder")
	if exit != 0 || !regexp.MustCompile(`^\S+/console/password\?token=[A-Za-z0-9_-]+\n$`).MatchString(out) {
		t.Fatalf("user create: exit %d, stdout %q, stderr %s", exit, out, errOut)
	}
	u, _ := url.Parse(strings.TrimSpace(out))
	if code, body := s.request("GET", u.RequestURI(), nil); code != 200 || !strings.Contains(string(body), "oncall@example.com") {
		t.Errorf("set-password link: status %d\n%s", code, body)
	}
	// Once any user exists, the first-run link is dead.
	if code, _ := s.request("GET", path, nil); code != 410 {
		t.Errorf("first-run link once a user exists: status %d, want 410", code)
	}

	run := func(stdin string, args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, procBinary(t), args...)
		cmd.Env = procEnv(dir, "127.0.0.1:0", procDatabase(t, dir, nil)...)
		cmd.Stdin = strings.NewReader(stdin)
		var all bytes.Buffer
		cmd.Stdout, cmd.Stderr = &all, &all
		cmd.Run()
		return all.String(), cmd.ProcessState.ExitCode()
	}
	if msg, code := run("short\n", "user", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin"); code == 0 || !strings.Contains(msg, "at least 10") {
		t.Errorf("weak password: exit %d: %s", code, msg)
	}
	if msg, code := run(consoletest.Password+"\n", "user", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user create --password-stdin: exit %d: %s", code, msg)
	}
	list, code := run("", "user", "list")
	if code != 0 || !regexp.MustCompile(`admin@example.com\s+admin\s+set`).MatchString(list) || !regexp.MustCompile(`oncall@example.com\s+responder\s+not set`).MatchString(list) {
		t.Errorf("user list: exit %d\n%s", code, list)
	}

	// The admin signs in through the real server, cookies and all.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := client.Get(s.url("/console"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if res.Request.URL.Path != "/console/signin" || token == nil {
		t.Fatalf("the console did not lead to the sign-in form: %s\n%s", res.Request.URL, page)
	}
	res, err = client.PostForm(s.url("/console/signin"), url.Values{"_csrf": {string(token[1])}, "next": {"/console"},
		"email": {"admin@example.com"}, "password": {consoletest.Password}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/console" || !strings.Contains(string(page), "<h1>Dashboard</h1>") {
		t.Errorf("sign in: status %d at %s\n%s", res.StatusCode, res.Request.URL, page)
	}
}
