//go:build !linux

package main

import "syscall"

// sysProcAttr: elsewhere than Linux the servers share this program's
// process group and are stopped by its deferred clean-up.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func loadProcAttr() *syscall.SysProcAttr { return nil }
