package datadir

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestAcquireCreatesTheDirectoryAndRecordsThePID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if got, want := l.Path(), filepath.Join(dir, LockFile); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(raw), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("lock file holds %q, want %q", got, want)
	}
}

func TestSecondAcquireIsRefusedUntilRelease(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file description, so a second open in
	// the same process is refused like another process would be.
	_, err = Acquire(dir)
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second Acquire: %v, want an *InUseError", err)
	}
	path := filepath.Join(dir, LockFile)
	if inUse.PID != os.Getpid() || inUse.Path != path || inUse.Dir != dir {
		t.Errorf("InUseError = %+v, want pid %d, path %s, dir %s", inUse, os.Getpid(), path, dir)
	}
	for _, want := range []string{dir, "in use by another beacon server", "pid " + strconv.Itoa(os.Getpid()), "lock " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("second Release: %v, want nil", err)
	}
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}

// A lock file left by a process that died names a pid, but nobody holds
// the lock: it must not block.
func TestLeftoverLockFileDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte("999999\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire over a leftover lock file: %v", err)
	}
	defer l.Release()
	raw, _ := os.ReadFile(l.Path())
	if got, want := string(raw), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("lock file holds %q, want %q", got, want)
	}
}

func TestInUseErrorWithoutPID(t *testing.T) {
	err := &InUseError{Dir: "./data", Path: "data/beacon.lock"}
	if got, want := err.Error(), "data directory ./data is in use by another beacon server (pid unknown, lock data/beacon.lock)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestKilledHolderReleasesTheLock runs a holder in another process, sees
// it refused with that process's pid, kills it with SIGKILL and takes the
// lock: the kernel drops flock locks however the holder dies.
func TestKilledHolderReleasesTheLock(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "DATADIR_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The child holds the lock until its standard input closes, which
	// also ends it should this test fail before killing it.
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child holding the lock said %q, %v", line, err)
	}

	_, err = Acquire(dir)
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while the child holds the lock: %v, want an *InUseError naming pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}

// TestHelperHoldLock is the child of TestKilledHolderReleasesTheLock: it
// takes the lock, says so and holds it until killed or its standard input
// closes.
func TestHelperHoldLock(t *testing.T) {
	dir := os.Getenv("DATADIR_HOLD")
	if dir == "" {
		t.Skip("only run as a child process")
	}
	if _, err := Acquire(dir); err != nil {
		os.Stdout.WriteString("error: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("locked\n")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
