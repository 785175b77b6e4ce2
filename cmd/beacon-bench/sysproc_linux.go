package main

import "syscall"

// sysProcAttr puts a server in its own process group and has the kernel
// kill it if this program dies without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// loadProcAttr has the kernel kill wrk if this program dies first.
func loadProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
