// Package datadir guards a data directory so that one Beacon server at a
// time uses it.
//
// Two servers on one SQLite database steal each other's delivery claims
// (each releases the other's claims at start-up, thinking them left over
// from a crash) and send the same notifications twice. The server therefore
// holds an exclusive lock on a file in the data directory for as long as it
// runs. The lock is an flock(2) lock: the kernel drops it when the process
// exits in any way, SIGKILL included, so a killed server never leaves a
// stale lock behind. The file itself stays; it holds the holder's pid only
// so that a refused second server can say who is there.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the lock's name inside the data directory.
const LockFile = "beacon.lock"

// ErrUnsupported is returned by Acquire on systems without flock(2).
var ErrUnsupported = errors.New("datadir: locking is not supported on this system")

// Lock is a held lock on a data directory.
type Lock struct {
	f *os.File
}

// InUseError reports a data directory whose lock another process holds.
type InUseError struct {
	Dir, Path string
	// PID is the holder's process id, or 0 when the lock file does not
	// name one (the holder has only just taken it).
	PID int
}

func (e *InUseError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("data directory %s is in use by another beacon server (%s, lock %s)", e.Dir, pid, e.Path)
}

// Acquire creates dir if needed and takes its lock without waiting. If
// another process holds it, the error is an *InUseError naming that
// process. The lock lasts until Release or the end of the process.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("datadir: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("datadir: open lock: %w", err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("datadir: lock %s: %w", path, err)
	}
	if !ok {
		defer f.Close()
		return nil, &InUseError{Dir: dir, Path: path, PID: readPID(f)}
	}
	// The pid is written through the locked descriptor itself: closing
	// any descriptor of the file would drop the lock on systems where
	// flock is emulated with fcntl locks.
	if err := writePID(f, os.Getpid()); err != nil {
		f.Close()
		return nil, fmt.Errorf("datadir: write %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.f.Name() }

// Release gives up the lock. The file is left in place: removing it would
// let a process that opened it before the removal lock a file nobody else
// sees, and a second server lock a new one beside it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Clear the pid first, so that nobody later reads a dead process in it.
	err := l.f.Truncate(0)
	err = errors.Join(err, unlock(l.f), l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("datadir: release: %w", err)
	}
	return nil
}

func writePID(f *os.File, pid int) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

// readPID reads the holder's pid from the lock file, or 0.
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
