//go:build !linux

package benchproc

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// dieWithParent: only Linux has a parent-death signal. A child outlives a
// benchmark killed outright, and is stopped by its deferred clean-up
// otherwise.
func dieWithParent(*syscall.SysProcAttr) {}

// CPUTime is read from /proc, which only Linux has.
func CPUTime(pid int) (time.Duration, error) {
	return 0, fmt.Errorf("CPU time of pid %d: %w", pid, errors.ErrUnsupported)
}
