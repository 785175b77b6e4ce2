//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one child process the benchmark started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

// procs owns every child and stops each one on the way out, whatever the
// way out is.
type procs struct {
	mu   sync.Mutex
	list []*proc
}

// start runs bin with args and env in its own process group (so a Ctrl-C
// in the terminal reaches only this program, which then stops the children
// in order), as the user in cred if not nil. The child is killed if this
// program dies first, unless it changes user itself (smtp-sink -u), which
// clears the parent-death signal.
func (g *procs) start(name, bin string, args, env []string, stdout, stderr io.Writer, cred *syscall.Credential) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	g.mu.Lock()
	g.list = append(g.list, p)
	g.mu.Unlock()
	return p, nil
}

// startPipe is start with the child's standard output readable by the
// caller.
func (g *procs) startPipe(name, bin string, args, env []string, stderr io.Writer, cred *syscall.Credential) (*proc, io.Reader, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	p, err := g.start(name, bin, args, env, w, stderr, cred)
	w.Close() // the child holds its own copy
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return p, r, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// running reports an error if p has exited.
func (p *proc) running() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	default:
		return nil
	}
}

// stop sends SIGTERM to p's process group, waits up to grace, then kills
// the group.
func (p *proc) stop(grace time.Duration) { p.stopWith(syscall.SIGTERM, grace) }

// stopWith is stop with another first signal.
func (p *proc) stopWith(sig syscall.Signal, grace time.Duration) {
	if p.running() != nil {
		return
	}
	pgid := p.pid() // Setpgid: the group id is the child's pid
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		fmt.Fprintf(os.Stderr, "warning: %s (pid %d) did not exit after SIGKILL\n", p.name, pgid)
	}
}

// stopAll stops every child still running, the last started first.
func (g *procs) stopAll() {
	g.mu.Lock()
	list := g.list
	g.list = nil
	g.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop(10 * time.Second)
	}
}

// run runs a short command to completion within ctx and returns its
// standard output.
func run(ctx context.Context, dir string, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// procStatusKB reads a "Name:   123 kB" field of /proc/PID/status.
func procStatusKB(pid int, field string) (int64, error) {
	return procStatusKBFile(fmt.Sprintf("/proc/%d/status", pid), field)
}

// procStatusKBFile reads a "Name:   123 kB" field of a /proc file.
func procStatusKBFile(path, field string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", field, path)
}

// cpuTime is the user plus system CPU time pid has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after its ")".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	// After ")": state is field 3 of the man page, utime 14, stime 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// readChars is the bytes pid has read with read(2) and friends, sockets
// included (rchar of /proc/PID/io).
func readChars(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "rchar:"); ok {
			return strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		}
	}
	return 0, errors.New("no rchar in /proc io")
}
