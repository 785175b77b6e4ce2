// Package benchproc runs the child processes of the benchmark commands
// (cmd/beacon-bench, cmd/beacon-notify-bench) and reads what those
// commands report about the processes and the machine: CPU time, the
// module's Beacon and its revision, and the parts of the machine line.
// Only those commands import it.
//
// A server or sink runs in a process group of its own and is stopped by
// signalling the group, so what it started stops with it; on Linux the
// kernel also kills it if the benchmark dies first. Outside Unix a child
// is only started and killed, and outside Linux CPUTime reports
// errors.ErrUnsupported.
package benchproc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is one long-running child a Group started.
type Proc struct {
	Name string

	cmd  *exec.Cmd
	log  func(string, ...any)
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

// Group owns the children a benchmark starts and stops every one of them
// on the way out, whatever the way out is.
type Group struct {
	// Log notes a child that outlives its grace period; nil writes the
	// note to standard error.
	Log func(format string, args ...any)

	mu    sync.Mutex
	procs []*Proc
}

// Start starts cmd, set up but not started, in a process group of its own
// (so a Ctrl-C in the terminal reaches only the benchmark, which then
// stops its children in order), adding to cmd.SysProcAttr whatever the
// caller put there (a Credential). On Linux the child is killed if this
// program dies first, unless it changes user itself, which clears the
// parent-death signal. Start starts nothing once ctx is done; the child
// does not end with ctx, but with Stop or StopAll.
func (g *Group) Start(ctx context.Context, name string, cmd *exec.Cmd) (*Proc, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	ownGroup(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	log := g.Log
	if log == nil {
		log = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	p := &Proc{Name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// StopAll stops every child still running, the last started first, each
// with ten seconds' grace.
func (g *Group) StopAll() {
	g.mu.Lock()
	procs := g.procs
	g.procs = nil
	g.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(10 * time.Second)
	}
}

// Pid is the child's process id, which is also its process group's.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the child's exit status as exec.Cmd.Wait returns it, once Done is
// closed; nil before.
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Exited returns an error naming the child and its exit status once it
// has exited, and nil while it runs.
func (p *Proc) Exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v", p.Name, p.err)
	default:
		return nil
	}
}

// Stop sends SIGTERM to the child's process group, waits up to grace for
// the child to exit, then kills the group.
func (p *Proc) Stop(grace time.Duration) { p.StopWith(syscall.SIGTERM, grace) }

// StopWith is Stop with another first signal. After SIGKILL it waits five
// seconds more, then gives up with a note to the group's Log.
func (p *Proc) StopWith(sig syscall.Signal, grace time.Duration) {
	if p.Exited() != nil {
		return
	}
	_ = signalGroup(p.cmd.Process, sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	p.log("%s (pid %d) did not stop within %s; killing it", p.Name, p.Pid(), grace)
	_ = signalGroup(p.cmd.Process, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.log("%s (pid %d) did not exit within 5s of SIGKILL", p.Name, p.Pid())
	}
}

// Command is exec.CommandContext for a short-lived helper (wrk, go, git):
// on Linux the kernel kills it if this program dies first, and Wait stops
// waiting for its output five seconds after ctx has killed it.
func Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(cmd.SysProcAttr)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// FreeAddr returns a loopback address, 127.0.0.1:PORT, with a port free at
// the moment.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
