package sms_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
)

// TestContractWithTwilioSpec sends through a Prism mock server that serves
// Twilio's own OpenAPI description of the API: Prism answers 201 only to
// requests that match the spec (path, auth, content type, fields and their
// formats) and 422 to the others. It cannot play Twilio's error replies;
// the stand-in tests cover those.
//
// The spec is the Messages part of Twilio's, copied with its licence into
// testdata/twilio (see the README there). The test needs `npm ci` in the
// repository root (for node_modules/.bin/prism); without it it skips,
// except in CI, where it fails.
func TestContractWithTwilioSpec(t *testing.T) {
	root := repoRoot(t)
	prism := filepath.Join(root, "node_modules", ".bin", "prism")
	spec, err := filepath.Abs(filepath.Join("testdata", "twilio", "twilio_api_v2010_messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spec); err != nil {
		t.Fatalf("Twilio's OpenAPI spec, kept in the repository: %v", err)
	}
	if _, err := os.Stat(prism); err != nil {
		unavailable(t, "prism (run `npm ci` in the repository root): %v", err)
	}
	base := startPrism(t, prism, spec)

	t.Run("sender's requests are accepted", func(t *testing.T) {
		fromNumber := testConfig(base)
		fromNumber.MaxPrice = "0.05"
		fromService := testConfig(base)
		fromService.From, fromService.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef"
		tests := []struct {
			name string
			cfg  sms.Config
			msg  notifier.Message
		}{
			{"from a number, with status callback and max price", fromNumber, notifier.Message{
				To: testTo, Text: "Investigating: API errors — €", StatusCallback: "https://status.example.com/hooks/twilio/status",
			}},
			{"from a messaging service", fromService, notifier.Message{To: testTo, Text: "Resolved 👍"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				sid, err := mustNew(t, tc.cfg).Send(context.Background(), tc.msg)
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if !regexp.MustCompile(`^SM[0-9a-fA-F]{32}$`).MatchString(sid) {
					t.Errorf("sid: got %q, want SM and 32 hex digits", sid)
				}
			})
		}
	})

	// The same wire format by hand, once valid and then broken in ways
	// Prism must notice, so that acceptance above means something.
	t.Run("requests off the spec are rejected", func(t *testing.T) {
		valid := url.Values{"To": {testTo}, "From": {testFrom}, "Body": {"Investigating"}}
		with := func(k, v string) url.Values {
			f := url.Values{}
			for fk, fv := range valid {
				f[fk] = fv
			}
			if v == "" {
				f.Del(k)
			} else {
				f.Set(k, v)
			}
			return f
		}
		tests := []struct {
			name       string
			account    string
			form       url.Values
			noAuth     bool
			wantStatus int
			wantInBody string
		}{
			{name: "valid (control)", account: testSID, form: valid, wantStatus: http.StatusCreated, wantInBody: `"status":"queued"`},
			{name: "no To", account: testSID, form: with("To", ""), wantStatus: http.StatusUnprocessableEntity, wantInBody: "To"},
			{name: "status callback not a URI", account: testSID, form: with("StatusCallback", "not a uri"), wantStatus: http.StatusUnprocessableEntity, wantInBody: "StatusCallback"},
			{name: "max price not a number", account: testSID, form: with("MaxPrice", "cheap"), wantStatus: http.StatusUnprocessableEntity, wantInBody: "MaxPrice"},
			{name: "malformed messaging service SID", account: testSID, form: with("MessagingServiceSid", "MG123"), wantStatus: http.StatusUnprocessableEntity, wantInBody: "MessagingServiceSid"},
			{name: "malformed account SID in the path", account: "AC123", form: valid, wantStatus: http.StatusUnprocessableEntity, wantInBody: "accountsid"},
			{name: "no credentials", account: testSID, form: valid, noAuth: true, wantStatus: http.StatusUnauthorized},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodPost, base+"/2010-04-01/Accounts/"+tc.account+"/Messages.json", strings.NewReader(tc.form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if !tc.noAuth {
					req.SetBasicAuth(testSID, testToken)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantInBody) {
					t.Errorf("got %d %s; want %d mentioning %q", resp.StatusCode, body, tc.wantStatus, tc.wantInBody)
				}
			})
		}
	})
}

// unavailable skips the test for a missing tool, or fails it in CI, where
// the tool must be there.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// repoRoot returns the directory holding go.mod, above the test's.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// startPrism runs `prism mock` on a free loopback port until the test ends
// and returns its base URL once it answers.
func startPrism(t *testing.T, prism, spec string) string {
	t.Helper()
	port := freePort(t)
	logPath := filepath.Join(t.TempDir(), "prism.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prism, "mock", "-h", "127.0.0.1", "-p", port, spec)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		unavailable(t, "start prism: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logFile.Close()
	})

	base := "http://127.0.0.1:" + port
	if err := waitUntilAnswering(base, exited, 60*time.Second); err != nil {
		out, _ := os.ReadFile(logPath)
		t.Fatalf("prism: %v\n%s", err, tail(out, 2000))
	}
	return base
}

// waitUntilAnswering polls base until it answers any HTTP request, the
// process exits or the timeout passes.
func waitUntilAnswering(base string, exited <-chan error, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before answering (%v)", err)
		case <-deadline:
			return fmt.Errorf("not answering after %s", timeout)
		case <-tick.C:
		}
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
