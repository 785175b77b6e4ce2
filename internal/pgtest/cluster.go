package pgtest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrNotInstalled is returned by Bin when no PostgreSQL server programs are
// found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL not installed (no /usr/lib/postgresql/*/bin/initdb): run make deps, or set BEACON_PG_BIN")

// Bin returns the directory of PostgreSQL's server programs: BEACON_PG_BIN
// when set, otherwise the highest version's /usr/lib/postgresql/*/bin
// (where Debian puts them, off PATH). PATH is never searched: a machine's
// hand-made links there are not what CI has.
func Bin() (string, error) {
	if dir := os.Getenv("BEACON_PG_BIN"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
			return "", fmt.Errorf("pgtest: BEACON_PG_BIN=%s: %w", dir, err)
		}
		return dir, nil
	}
	found, _ := filepath.Glob(initdbGlob)
	if len(found) == 0 {
		return "", ErrNotInstalled
	}
	slices.SortFunc(found, func(a, b string) int { return compareVersions(versionOf(a), versionOf(b)) })
	return filepath.Dir(found[len(found)-1]), nil
}

// initdbGlob is where Debian's packages put initdb, one directory per
// major version.
var initdbGlob = "/usr/lib/postgresql/*/bin/initdb"

// versionOf is the version directory of a /usr/lib/postgresql/V/bin/initdb.
func versionOf(initdb string) string { return filepath.Base(filepath.Dir(filepath.Dir(initdb))) }

// compareVersions orders dotted versions numerically ("9.6" < "15" < "16.1").
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// A Cluster is a throwaway PostgreSQL server in a directory of its own under
// /tmp, listening on a Unix socket there only (no TCP port, so test
// binaries running side by side never collide), with trust authentication
// for the superuser "beacon".
type Cluster struct {
	dir     string   // /tmp/beacon-pg-…: data/, log, the socket
	bin     string   // PostgreSQL's programs
	asUser  []string // runuser prefix when running as root
	durable bool

	// watchdog stops the cluster and removes dir when its stdin, the
	// other end of release, closes: when Stop closes it or when the test
	// binary dies, however hard.
	watchdog *exec.Cmd
	release  *os.File

	mu        sync.Mutex
	templates map[string]*template // by the caller's key
}

// dirPrefix starts every cluster's directory name; the owner's pid and
// start time follow, so a later run can tell a cluster whose owner is gone.
const dirPrefix = "beacon-pg-"

// start makes and starts a cluster. A durable cluster keeps PostgreSQL's
// default durability (for tests that crash the server); others trade it
// for speed.
func start(durable bool) (c *Cluster, err error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	c = &Cluster{bin: bin, durable: durable}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: its programs run as the
		// postgres user Debian's package creates.
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	sweep(c.asUser)
	// /tmp, not TMPDIR: TMPDIR may be under /root, which postgres cannot
	// traverse.
	c.dir, err = os.MkdirTemp("/tmp", dirPrefix+ownerTag(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	if err := c.startWatchdog(); err != nil {
		return c, err
	}
	if c.asUser != nil {
		u, err := user.Lookup("postgres")
		if err != nil {
			return c, fmt.Errorf("pgtest: running as root needs the postgres user (Debian's postgresql package makes it): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return c, fmt.Errorf("pgtest: %w", err)
		}
	}
	// --no-sync: a cluster that dies with the test need not survive a
	// power cut, even a durable one (its durability is the server's).
	if _, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "beacon", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return c, err
	}
	return c, c.Start()
}

// ownerTag names the process pid as it is now: its pid and its start time
// (clock ticks after boot), so a reused pid is not taken for the owner.
func ownerTag(pid int) string { return strconv.Itoa(pid) + "." + startTime(pid) }

// startTime is field 22 of /proc/PID/stat, "" when there is no such process.
func startTime(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces and parentheses: count
	// from the last ")".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// sweep stops and removes the clusters of test binaries that are gone,
// which their watchdogs did not (a reboot, a killed watchdog). A directory
// whose owner lives is left alone, as is anything not named as ours.
func sweep(asUser []string) {
	dirs, _ := filepath.Glob(filepath.Join("/tmp", dirPrefix+"*"))
	for _, dir := range dirs {
		tag, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), dirPrefix), "-")
		pidText, _, _ := strings.Cut(tag, ".")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || startTime(pid) != "" && ownerTag(pid) == tag {
			continue
		}
		stopCluster(asUser, dir)
		os.RemoveAll(dir)
	}
}

// stopCluster stops the server of the cluster in dir, if it runs, as a
// crash would (no checkpoint: the cluster is thrown away).
func stopCluster(asUser []string, dir string) {
	bin, err := Bin()
	if err != nil {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err != nil {
		return
	}
	args := append(slices.Clone(asUser), filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env()
	cmd.Run()
}

// startWatchdog starts the shell that stops the cluster and removes its
// directory once its stdin reaches end of file. The test binary holds the
// only writer; the kernel closes it when the binary exits or is killed, so
// no cluster outlives its test binary by more than its shutdown. The shell
// runs in a process group of its own, so a Ctrl-C meant for the tests does
// not kill it first.
func (c *Cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer r.Close()
	script := `read -r _; [ -f "$0/data/postmaster.pid" ] && "$@" -D "$0/data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$0"`
	args := append([]string{"-c", script, c.dir}, c.asUser...)
	args = append(args, filepath.Join(c.bin, "pg_ctl"))
	c.watchdog = exec.Command("/bin/sh", args...)
	c.watchdog.Stdin = r
	c.watchdog.Stderr = os.Stderr // what go test shows; and it waits for the watchdog
	c.watchdog.Env = env()
	c.watchdog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.watchdog.Start(); err != nil {
		w.Close()
		c.watchdog = nil
		return fmt.Errorf("pgtest: start watchdog: %w", err)
	}
	c.release = w
	return nil
}

// Start starts the cluster's server, again after Kill.
func (c *Cluster) Start() error {
	opts := "-p 5432 -k " + c.dir + " -c listen_addresses='' -c max_connections=500"
	if !c.durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if _, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "120", "-o", opts, "start"); err != nil {
		return fmt.Errorf("%w\nserver log:\n%s", err, c.Log())
	}
	return nil
}

// Kill stops the server at once, as a crash would: no checkpoint, clients
// cut off. Start starts it again on the same data.
func (c *Cluster) Kill() error {
	_, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	return err
}

// Stop kills the server and removes the cluster's directory. It is safe to
// call more than once.
func (c *Cluster) Stop() {
	if c.release == nil {
		if c.watchdog == nil && c.dir != "" { // the watchdog never started
			stopCluster(c.asUser, c.dir)
			os.RemoveAll(c.dir)
			c.dir = ""
		}
		return
	}
	// The watchdog does the work, so that this path and a dead test
	// binary's are one.
	c.release.Close()
	c.release = nil
	c.watchdog.Wait()
}

// Dir is the cluster's directory: its socket, its log (Dir/log) and its
// data (Dir/data).
func (c *Cluster) Dir() string { return c.dir }

// Log returns the server's log so far, for a failing test to show.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// URL returns the connection URL of database name, over the cluster's
// socket.
func (c *Cluster) URL(name string) string {
	return "postgres://beacon@/" + name + "?host=" + c.dir + "&port=5432&sslmode=disable"
}

// Exec runs SQL statements as the superuser in database name with psql.
func (c *Cluster) Exec(name, sql string) (string, error) {
	args := []string{filepath.Join(c.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", c.dir, "-p", "5432", "-U", "beacon", "-d", name, "-c", sql}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pgtest: psql %q: %w: %s", sql, err, bytes.TrimSpace(out))
	}
	return string(bytes.TrimSpace(out)), nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of PostgreSQL's programs as the user that owns the cluster.
func (c *Cluster) run(prog string, args ...string) (string, error) {
	full := append(slices.Clone(c.asUser), filepath.Join(c.bin, prog))
	full = append(full, args...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = env()
	cmd.Dir = "/" // postgres may not be allowed in the test's directory
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pgtest: %s: %w: %s", strings.Join(full, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// env is the environment without PG* variables, which would point
// PostgreSQL's programs at another server, port or data directory.
func env() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}
