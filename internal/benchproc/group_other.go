//go:build !unix

package benchproc

import (
	"os"
	"syscall"
)

// ownGroup: outside Unix the child shares this program's console group.
func ownGroup(*syscall.SysProcAttr) {}

// signalGroup can only kill p itself.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(sig)
}
