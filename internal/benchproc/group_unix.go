//go:build unix

package benchproc

import (
	"os"
	"syscall"
)

// ownGroup makes the child the leader of a new process group, whose id is
// its pid.
func ownGroup(a *syscall.SysProcAttr) {
	a.Setpgid = true
	dieWithParent(a)
}

// signalGroup sends sig to every process of p's group.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}
