package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
)

// The base URL follows the listen address unless it is configured.
func TestConfigBaseURL(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    string
		wantSet bool
	}{
		{name: "defaults", want: "http://localhost:8080"},
		{name: "--addr with a host", args: []string{"--addr", "127.0.0.1:9000"}, want: "http://127.0.0.1:9000"},
		{name: "--addr with a port only", args: []string{"--addr", ":9000"}, want: "http://localhost:9000"},
		{name: "every IPv4 interface", args: []string{"--addr", "0.0.0.0:9000"}, want: "http://localhost:9000"},
		{name: "every IPv6 interface", args: []string{"--addr", "[::]:9000"}, want: "http://localhost:9000"},
		{name: "IPv6 loopback", args: []string{"--addr", "[::1]:9000"}, want: "http://[::1]:9000"},
		{name: "a host name", env: map[string]string{"BEACON_ADDR": "status.lan:80"}, want: "http://status.lan:80"},
		{name: "BEACON_ADDR", env: map[string]string{"BEACON_ADDR": "127.0.0.1:9001"}, want: "http://127.0.0.1:9001"},
		{name: "flag over environment", env: map[string]string{"BEACON_ADDR": "127.0.0.1:9001"}, args: []string{"--addr", "127.0.0.2:9002"},
			want: "http://127.0.0.2:9002"},
		{name: "BEACON_BASE_URL wins", env: map[string]string{"BEACON_BASE_URL": "https://status.example.com/"},
			args: []string{"--addr", "127.0.0.1:9000"}, want: "https://status.example.com", wantSet: true},
		{name: "--base-url wins", args: []string{"--addr", "127.0.0.1:9000", "--base-url", "http://10.0.0.5:8080"},
			want: "http://10.0.0.5:8080", wantSet: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := loadConfig("test", tc.args, func(k string) string { return tc.env[k] }, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.BaseURL != tc.want || cfg.BaseURLSet != tc.wantSet {
				t.Errorf("base URL %q (set %v), want %q (set %v)", cfg.BaseURL, cfg.BaseURLSet, tc.want, tc.wantSet)
			}
		})
	}
}

func TestConfigRefusesBadAddr(t *testing.T) {
	for _, addr := range []string{"8080", "localhost", "http://localhost:8080"} {
		_, _, err := loadConfig("test", []string{"--addr", addr}, func(string) string { return "" }, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "BEACON_ADDR") {
			t.Errorf("--addr %s: err = %v, want one naming BEACON_ADDR", addr, err)
		}
	}
}

func TestConfigBaseURLElsewhere(t *testing.T) {
	tests := []struct {
		base, addr string
		want       bool
	}{
		{"http://127.0.0.1:9000", "127.0.0.1:9000", false},
		{"http://localhost:9000", "127.0.0.1:9000", false},
		{"http://[::1]:9000", "localhost:9000", false},
		{"http://status.lan:8080", ":8080", false},
		{"http://192.0.2.7:8080", "0.0.0.0:8080", false},
		{"http://status.lan", "0.0.0.0:80", false},
		{"https://status.example.com", ":8080", true},
		{"https://localhost:8080", ":8080", true},
		{"http://localhost:8080", "127.0.0.1:9000", true},
		{"http://status.lan:8080", "127.0.0.1:8080", true},
		{"http://status.lan", ":8080", true},
	}
	for _, tc := range tests {
		if got := baseURLElsewhere(tc.base, tc.addr); got != tc.want {
			t.Errorf("baseURLElsewhere(%q, %q) = %v, want %v", tc.base, tc.addr, got, tc.want)
		}
	}
}

// `beacon --help` and `beacon help` list the commands rather than serve's
// flags; a command's --help lists its flags.
func TestHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"help"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
		if err != nil {
			t.Errorf("beacon %s: %v", args[0], err)
		}
		for _, want := range []string{"Commands:", "serve", "migrate", "apikey create", "user create", "backup", "subscribers import", "demo"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("beacon %s printed %q, missing %q", args[0], out.String(), want)
			}
		}
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"demo", "--help"}, func(string) string { return "" }, &out, &errOut)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "-base-url") {
		t.Errorf("beacon demo --help: err %v, stderr %q; want flag.ErrHelp and the flags", err, errOut.String())
	}
}

// TestFirstRunLinksOpen starts the binary as the README does, with only a
// listen address: the first-admin link it logs and the one `user create`
// prints name that address and open.
func TestFirstRunLinksOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := procStart(t, dir)
	link := regexp.MustCompile(`url="?([^"\s]+)`).FindStringSubmatch(s.log.String())
	if link == nil {
		t.Fatalf("no first-admin link in the log:\n%s", s.log)
	}
	checkLinkOpens(t, s, link[1])
	if strings.Contains(s.log.String(), "not the listen address") {
		t.Errorf("a base URL following the listen address was logged as differing:\n%s", s.log)
	}

	out, errOut, code := procRun(t, dir, []string{"BEACON_ADDR=" + s.addr}, "user", "create", "--email", "ops@example.com", "--role", "admin")
	if code != 0 {
		t.Fatalf("beacon user create: exit %d\n%s", code, errOut)
	}
	checkLinkOpens(t, s, strings.TrimSpace(out))
}

func checkLinkOpens(t *testing.T, s *procServer, link string) {
	t.Helper()
	if want := "http://" + s.addr + "/console/password?token="; !strings.HasPrefix(link, want) {
		t.Errorf("link %q, want it to start with %s", link, want)
		return
	}
	res, err := procClient.Get(link)
	if err != nil {
		t.Fatalf("open %s: %v", link, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<form")) {
		t.Errorf("open %s: status %d, want 200 and a form to set the password:\n%s", link, res.StatusCode, body)
	}
}

// TestFirstRunLogsBaseURLElsewhere: a base URL set to somewhere other than
// the listen address is said once at start, since links follow it.
func TestFirstRunLogsBaseURLElsewhere(t *testing.T) {
	t.Parallel()
	s := procStart(t, t.TempDir(), "BEACON_BASE_URL=https://status.example.test")
	if n := strings.Count(s.log.String(), "not the listen address"); n != 1 {
		t.Errorf("the differing base URL was logged %d times, want once:\n%s", n, s.log)
	}
	if !regexp.MustCompile(`url="?https://status\.example\.test/console/password\?token=`).MatchString(s.log.String()) {
		t.Errorf("the first-admin link does not use the configured base URL:\n%s", s.log)
	}
}

// TestPageURLFollowsBaseURL: running `demo` before the server no longer
// freezes the page's URL at the demo's base URL; a URL staff set is kept
// over restarts (components tests cover handing it back).
func TestPageURLFollowsBaseURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, errOut, code := procRun(t, dir, []string{"BEACON_ADDR=:8080"}, "demo"); code != 0 {
		t.Fatalf("beacon demo: exit %d\n%s", code, errOut)
	}
	key := procAPIKey(t, dir)
	pageURL := func(s *procServer) string {
		t.Helper()
		var sum struct {
			Page struct {
				URL string `json:"url"`
			} `json:"page"`
		}
		s.v2("summary.json", &sum)
		return sum.Page.URL
	}

	s := procStart(t, dir, "BEACON_BASE_URL=https://status.example.test")
	if got, want := pageURL(s), "https://status.example.test"; got != want {
		t.Errorf("after demo, then serve: page url %q, want %q (BEACON_BASE_URL)", got, want)
	}
	s.login(key)
	s.api(200, "PATCH", "", map[string]any{"page": map[string]any{"url": "https://example.test"}}, nil)
	if got, want := pageURL(s), "https://example.test"; got != want {
		t.Errorf("after PATCH: page url %q, want %q", got, want)
	}
	s.kill()

	s = procStart(t, dir, "BEACON_BASE_URL=https://status2.example.test")
	if got, want := pageURL(s), "https://example.test"; got != want {
		t.Errorf("restart after staff set the URL: page url %q, want theirs, %q", got, want)
	}
	s.kill()

	s = procStart(t, dir)
	if got, want := pageURL(s), "https://example.test"; got != want {
		t.Errorf("restart without BEACON_BASE_URL: page url %q, want %q", got, want)
	}
}

// TestPageURLConsole: the console's settings form sends every field back,
// so saving it with the URL untouched leaves the URL following the base
// URL; a new URL is the staff's own, and clearing it hands it back.
func TestPageURLConsole(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.BaseURL, c.BaseURLSet = "https://status.example.test", true })
	admin := e.newStaff(accounts.Admin)
	save := func(pageURL string) {
		t.Helper()
		admin.MustPost(http.StatusSeeOther, "/console/settings", url.Values{"name": {"Beacon"}, "url": {pageURL},
			"time_zone": {"Etc/UTC"}, "support_url": {""}, "logo_url": {""}, "accent_color": {""}})
	}
	check := func(step, wantURL string, wantExplicit bool) {
		t.Helper()
		p, err := e.app.components.Page(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum := e.v2("summary.json")
		got, _ := sum["page"].(map[string]any)["url"].(string)
		if got != wantURL || p.URL != wantURL || p.URLExplicit != wantExplicit {
			t.Errorf("%s: summary.json page.url %q, stored %q (explicit %v); want %q (explicit %v)",
				step, got, p.URL, p.URLExplicit, wantURL, wantExplicit)
		}
	}
	save("https://status.example.test")
	check("saved untouched", "https://status.example.test", false)
	save("https://www.example.test")
	check("saved a new URL", "https://www.example.test", true)
	save("")
	check("cleared", "https://status.example.test", false)
}
