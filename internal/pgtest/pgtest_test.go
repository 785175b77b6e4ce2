package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// dbName is the database a URL names.
func dbName(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// query runs sql on the database at raw and returns psql's unaligned output.
func query(t *testing.T, c *Cluster, raw, sql string) string {
	t.Helper()
	out, err := c.Exec(dbName(t, raw), sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"15", "16", -1},
		{"9.6", "15", -1},
		{"16.1", "16", 1},
		{"15", "15", 0},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestBinOverride(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BEACON_PG_BIN", dir)
	if _, err := Bin(); err == nil {
		t.Fatal("Bin() with BEACON_PG_BIN naming a directory without initdb: no error")
	}
	if err := os.WriteFile(filepath.Join(dir, "initdb"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Bin()
	if err != nil || got != dir {
		t.Fatalf("Bin() = %q, %v; want %q", got, err, dir)
	}
}

// TestWithoutPostgreSQL: with no PostgreSQL installed a test that needs it
// skips, except under CI=true, where it fails (in a child test binary).
func TestWithoutPostgreSQL(t *testing.T) {
	initdbGlob = filepath.Join(t.TempDir(), "*", "bin", "initdb")
	t.Cleanup(func() { initdbGlob = "/usr/lib/postgresql/*/bin/initdb" })
	t.Setenv("BEACON_PG_BIN", "")
	if os.Getenv("PGTEST_CHILD") == "no postgres" {
		need(t, startOwnError())
		return
	}
	if _, err := Bin(); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Bin() without PostgreSQL = %v, want ErrNotInstalled", err)
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutPostgreSQL$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "PGTEST_CHILD=no postgres", "CI="+ci)
		out, err := cmd.CombinedOutput()
		switch {
		case ci == "" && (err != nil || !strings.Contains(string(out), "--- SKIP")):
			t.Errorf("without CI: %v, want a skip\n%s", err, out)
		case ci == "true" && (err == nil || !strings.Contains(string(out), "--- FAIL") || !strings.Contains(string(out), "make deps")):
			t.Errorf("with CI=true: %v, want a failure saying to run make deps\n%s", err, out)
		}
	}
}

// startOwnError is the error starting a cluster returns.
func startOwnError() error {
	_, err := start(false)
	return err
}

func TestNewDatabase(t *testing.T) {
	c := Shared(t)
	var first string
	t.Run("create", func(t *testing.T) {
		first = NewDatabase(t)
		query(t, c, first, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('one')")
		if got := query(t, c, first, "SELECT body FROM notes"); got != "one" {
			t.Errorf("notes = %q, want one", got)
		}
		second := NewDatabase(t)
		if second == first {
			t.Fatalf("two databases share the URL %s", first)
		}
		if got := query(t, c, second, "SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"); got != "0" {
			t.Errorf("a new database holds the other's table (%s)", got)
		}
	})
	if got, err := c.Exec("postgres", fmt.Sprintf("SELECT count(*) FROM pg_database WHERE datname = '%s'", dbName(t, first))); err != nil || got != "0" {
		t.Errorf("after the test, its database is still there (%q, %v)", got, err)
	}
}

func TestSharedIsFastAndSocketOnly(t *testing.T) {
	c := Shared(t)
	raw := NewDatabase(t)
	for setting, want := range map[string]string{"listen_addresses": "", "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"} {
		if got := query(t, c, raw, "SHOW "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	u, _ := url.Parse(raw)
	if host := u.Query().Get("host"); host != c.Dir() || !strings.HasPrefix(host, "/tmp/"+dirPrefix) {
		t.Errorf("URL %s: host is not the cluster's directory %s under /tmp", raw, c.Dir())
	}
}

func TestNewDatabaseFrom(t *testing.T) {
	c := Shared(t)
	var builds int
	build := func(raw string) error {
		builds++
		_, err := c.Exec(dbName(t, raw), "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('built')")
		return err
	}
	key := "notes " + randomHex(4) // new in each run of the test (-count)
	a := NewDatabaseFrom(t, key, build)
	b := NewDatabaseFrom(t, key, build)
	if builds != 1 {
		t.Errorf("template built %d times, want once", builds)
	}
	query(t, c, a, "INSERT INTO notes VALUES ('a only')")
	if got := query(t, c, b, "SELECT string_agg(body, ',') FROM notes"); got != "built" {
		t.Errorf("b's notes = %q, want the template's only", got)
	}
	other := NewDatabaseFrom(t, "empty", func(string) error { return nil })
	if got := query(t, c, other, "SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"); got != "0" {
		t.Errorf("another template's copy holds notes")
	}
}

func TestNewDatabaseFromConcurrent(t *testing.T) {
	c := Shared(t)
	var mu sync.Mutex
	builds := 0
	key := "concurrent " + randomHex(4)
	for i := range 4 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			raw := NewDatabaseFrom(t, key, func(raw string) error {
				mu.Lock()
				builds++
				mu.Unlock()
				_, err := c.Exec(dbName(t, raw), "CREATE TABLE marks (n INT)")
				return err
			})
			query(t, c, raw, "INSERT INTO marks VALUES (1)")
			if got := query(t, c, raw, "SELECT count(*) FROM marks"); got != "1" {
				t.Errorf("marks = %s, want 1", got)
			}
		})
	}
	t.Cleanup(func() {
		if builds != 1 {
			t.Errorf("template built %d times, want once", builds)
		}
	})
}

func TestFailedBuildLeavesNothing(t *testing.T) {
	c := Shared(t)
	boom := errors.New("boom")
	tmpl := c.template("failing " + randomHex(4))
	if err := c.build(tmpl.name, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("build = %v, want boom", err)
	}
	if got, err := c.Exec("postgres", "SELECT count(*) FROM pg_database WHERE datname = '"+tmpl.name+"'"); err != nil || got != "0" {
		t.Errorf("a failed template is left behind (%q, %v)", got, err)
	}
}

func TestDurableSurvivesKill(t *testing.T) {
	c := StartDurable(t)
	raw := c.NewDatabase(t)
	for setting, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"} {
		if got := query(t, c, raw, "SHOW "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	query(t, c, raw, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')")
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(dbName(t, raw), "SELECT 1"); err == nil {
		t.Fatal("the killed server still answers")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c, raw, "SELECT body FROM notes"); got != "kept" {
		t.Errorf("after a crash notes = %q, want kept", got)
	}
}

func TestStopRemovesCluster(t *testing.T) {
	c := Start(t)
	pid := postmasterPID(t, c.Dir())
	c.Stop()
	if alive(pid) {
		t.Errorf("postmaster %d runs after Stop", pid)
	}
	if _, err := os.Stat(c.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there after Stop (%v)", c.Dir(), err)
	}
	c.Stop() // again: nothing to do
}

// TestLaunch starts clusters as a benchmark program does, with no test to
// stop them: as durable as asked, and gone after Stop.
func TestLaunch(t *testing.T) {
	for durable, fsync := range map[bool]string{true: "on", false: "off"} {
		c, err := Launch(durable)
		need(t, err)
		got, err := c.Exec("postgres", "SHOW fsync")
		c.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if got != fsync {
			t.Errorf("Launch(%v): fsync = %q, want %q", durable, got, fsync)
		}
		if _, err := os.Stat(c.Dir()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Launch(%v): %s is still there after Stop (%v)", durable, c.Dir(), err)
		}
	}
}

// TestClusterDiesWithBinary kills a test binary that started a cluster
// and checks that the cluster went with it: the server stopped, the
// directory gone. The watchdog inherits the child's stderr, so the child's
// output ends only when the watchdog has finished.
func TestClusterDiesWithBinary(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") != "" {
		c, err := start(false)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(c.Dir(), postmasterPID(t, c.Dir()))
		time.Sleep(time.Hour) // until killed
	}
	if _, err := Bin(); err != nil {
		need(t, err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestClusterDiesWithBinary$", "-test.count=1")
	child.Env = append(os.Environ(), "PGTEST_CHILD=1")
	line := &firstLine{ready: make(chan struct{})}
	var stderr bytes.Buffer
	child.Stdout, child.Stderr = line, &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case <-line.ready:
	case err := <-exited:
		t.Fatalf("child exited before starting its cluster: %v\n%s", err, stderr.String())
	}
	var dir string
	var pid int
	if _, err := fmt.Sscan(line.String(), &dir, &pid); err != nil {
		child.Process.Kill()
		<-exited
		t.Fatalf("child said %q: %v\n%s", line.String(), err, stderr.String())
	}
	if !alive(pid) {
		t.Fatalf("the child's postmaster %d is not running", pid)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited // once the child and its watchdog have gone
	if alive(pid) {
		t.Errorf("postmaster %d outlives its killed test binary", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s outlives its killed test binary (%v)", dir, err)
	}
}

func TestSweep(t *testing.T) {
	gone := exec.Command("sleep", "60")
	if err := gone.Start(); err != nil {
		t.Fatal(err)
	}
	goneTag := ownerTag(gone.Process.Pid)
	gone.Process.Kill()
	gone.Wait()
	stale, err := os.MkdirTemp("/tmp", dirPrefix+goneTag+"-*")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := os.MkdirTemp("/tmp", dirPrefix+ownerTag(os.Getpid())+"-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(mine)
	sweep(nil)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(stale)
		t.Errorf("sweep left %s, whose owner is gone", stale)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("sweep removed %s, whose owner runs: %v", mine, err)
	}
}

// firstLine is a writer that closes ready at its first newline.
type firstLine struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	done  bool
}

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && bytes.IndexByte(w.buf.Bytes(), '\n') >= 0 {
		w.done = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *firstLine) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	line, _, _ := strings.Cut(w.buf.String(), "\n")
	return line
}

// postmasterPID reads the server's pid from its pid file.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// alive reports whether pid is a running process (not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && !bytes.HasPrefix(bytes.TrimSpace(b[i+1:]), []byte("Z"))
}
