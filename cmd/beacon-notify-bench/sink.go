//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// postfix locates smtp-sink and smtp-source and the environment they run in.
type postfix struct {
	sink, source string
	env          []string
}

// findPostfix looks for the two programs in dir (an unpacked postfix .deb,
// or a directory holding them), or on PATH and in /usr/sbin when dir is
// empty.
func findPostfix(dir string) (postfix, error) {
	env := os.Environ()
	if dir != "" {
		var pf postfix
		for _, sub := range []string{"usr/sbin", "sbin", "."} {
			s, src := filepath.Join(dir, sub, "smtp-sink"), filepath.Join(dir, sub, "smtp-source")
			if isExec(s) && isExec(src) {
				pf.sink, pf.source = s, src
				break
			}
		}
		if pf.sink == "" {
			return postfix{}, fmt.Errorf("no smtp-sink and smtp-source under %s", dir)
		}
		if lib := filepath.Join(dir, "usr/lib/postfix"); isDir(lib) {
			ld := lib
			if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
				ld += ":" + old
			}
			env = append(env, "LD_LIBRARY_PATH="+ld)
		}
		pf.env = env
		return pf, nil
	}
	find := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		if p := filepath.Join("/usr/sbin", name); isExec(p) {
			return p
		}
		return ""
	}
	pf := postfix{sink: find("smtp-sink"), source: find("smtp-source"), env: env}
	if pf.sink == "" || pf.source == "" {
		return postfix{}, errors.New("smtp-sink and smtp-source not found")
	}
	return pf, nil
}

const postfixHelp = `smtp-sink and smtp-source (Debian package postfix) are needed; this program
installs nothing. They run straight from the unpacked package:

    sudo apt-get update
    mkdir -p /tmp/postfix && cd /tmp/postfix
    apt-get download postfix && dpkg -x postfix_*.deb root

then pass -postfix /tmp/postfix/root (it sets LD_LIBRARY_PATH to
root/usr/lib/postfix itself).`

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// sink is a running smtp-sink -c. It follows the counter line the sink
// rewrites (with a carriage return) after every message and session, and
// notes when the count of messages reached a target.
type sink struct {
	p    *benchproc.Proc
	addr string

	mu      sync.Mutex
	count   int // messages received ("." answered)
	first   time.Time
	target  int
	reached time.Time
	hit     chan struct{} // closed when count reaches target
	eof     chan struct{} // closed when the counter stream ends
}

// startSink starts smtp-sink on a free loopback port and waits until it
// answers. As root, smtp-sink must drop to another user: it is started as
// nobody, which keeps the parent-death signal (so it dies with this
// program even if this program is killed); where nobody cannot run it (the
// unpacked package is not readable by nobody), it is started as root with
// -u nobody instead.
func startSink(ctx context.Context, g *benchproc.Group, pf postfix, name string) (*sink, error) {
	if os.Geteuid() != 0 {
		return startSinkAs(ctx, g, pf, name, nil)
	}
	nobody, err := nobodyCredential()
	if err == nil {
		var s *sink
		if s, err = startSinkAs(ctx, g, pf, name, nobody); err == nil {
			return s, nil
		}
	}
	logf("%s: cannot run as nobody (%v); running it with -u nobody", name, err)
	return startSinkAs(ctx, g, pf, name, nil)
}

func startSinkAs(ctx context.Context, g *benchproc.Group, pf postfix, name string, cred *syscall.Credential) (*sink, error) {
	addr, err := benchproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"-c", addr, "1024"}
	if os.Geteuid() == 0 && cred == nil {
		args = append([]string{"-u", "nobody"}, args...)
	}
	out, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stderr := &syncWriter{}
	cmd := exec.Command(pf.sink, args...)
	cmd.Env = pf.env
	cmd.Stdout, cmd.Stderr = w, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p, err := g.Start(ctx, name, cmd)
	w.Close() // the child holds its own copy
	if err != nil {
		out.Close()
		return nil, err
	}
	s := &sink{p: p, addr: addr, hit: make(chan struct{}), eof: make(chan struct{})}
	go s.follow(out)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := smtpHello(addr); err == nil {
			return s, nil
		} else if time.Now().After(deadline) || p.Exited() != nil || ctx.Err() != nil {
			p.Stop(time.Second)
			return nil, fmt.Errorf("%s on %s did not answer: %v; its stderr: %s", name, addr, err, strings.TrimSpace(stderr.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func nobodyCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// smtpHello opens a session, reads the greeting and quits.
func smtpHello(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", line)
	}
	if _, err := io.WriteString(c, "QUIT\r\n"); err != nil {
		return err
	}
	_, err = r.ReadString('\n')
	return err
}

// follow parses lines such as "sess=8 quit=8 mesg=20000", separated by
// carriage returns.
func (s *sink) follow(r io.Reader) {
	defer close(s.eof)
	sc := bufio.NewScanner(r)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "mesg=")
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(strings.Fields(line[i+len("mesg="):] + " ")[0])
		if err != nil {
			continue
		}
		now := time.Now()
		s.mu.Lock()
		if n > s.count {
			if s.count == 0 {
				s.first = now
			}
			s.count = n
			if s.target > 0 && n >= s.target && s.reached.IsZero() {
				s.reached = now
				close(s.hit)
			}
		}
		s.mu.Unlock()
	}
}

// expect sets the count to wait for; call it before the messages start.
func (s *sink) expect(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = n
	if s.count >= n {
		s.reached = time.Now()
		close(s.hit)
	}
}

// received returns the count so far and when the first message arrived.
func (s *sink) received() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.first
}

// wait returns when the target count arrived. Every few seconds it calls
// progress, which may end the wait with an error (a stall).
func (s *sink) wait(ctx context.Context, progress func(count int) error) (time.Time, error) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.hit:
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.reached, nil
		case <-s.eof:
			return time.Time{}, fmt.Errorf("smtp-sink stopped: %v", s.p.Exited())
		case <-ctx.Done():
			n, _ := s.received()
			return time.Time{}, fmt.Errorf("%d of %d messages arrived: %w", n, s.target, ctx.Err())
		case <-tick.C:
			if progress != nil {
				n, _ := s.received()
				if err := progress(n); err != nil {
					return time.Time{}, err
				}
			}
		}
	}
}

// bytesRead is how much the sink has read from its clients.
func (s *sink) bytesRead() int64 {
	n, err := readChars(s.p.Pid())
	if err != nil {
		return -1
	}
	return n
}

// sourceResult is one smtp-source run.
type sourceResult struct {
	Messages int
	Payload  int           // smtp-source -l, 0 for its default
	Elapsed  time.Duration // from starting smtp-source to the last message counted by the sink
	Rate     float64
	Bytes    float64       // read by the sink per message, SMTP dialogue included
	CPU      time.Duration // smtp-source's user+system CPU
	SinkCPU  time.Duration
}

// runSource sends n messages over sessions parallel sessions, each kept
// open for the next message (-d), to a fresh sink.
func runSource(ctx context.Context, g *benchproc.Group, pf postfix, n, sessions, payload int, timeout time.Duration) (sourceResult, error) {
	sk, err := startSink(ctx, g, pf, "smtp-sink (reference)")
	if err != nil {
		return sourceResult{}, err
	}
	defer sk.p.Stop(5 * time.Second)
	before := sk.bytesRead()
	sinkCPU0, _ := benchproc.CPUTime(sk.p.Pid())
	sk.expect(n)
	args := []string{"-s", strconv.Itoa(sessions), "-m", strconv.Itoa(n), "-d"}
	if payload > 0 {
		args = append(args, "-l", strconv.Itoa(payload))
	}
	args = append(args, sk.addr)
	stderr := &syncWriter{}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	cmd := exec.Command(pf.source, args...)
	cmd.Env = pf.env
	cmd.Stderr = stderr
	src, err := g.Start(ctx, "smtp-source", cmd)
	if err != nil {
		return sourceResult{}, err
	}
	defer src.Stop(2 * time.Second)
	end, err := sk.wait(ctx, func(int) error { return nil })
	if err != nil {
		return sourceResult{}, fmt.Errorf("smtp-source: %w; its stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	select {
	case <-src.Done():
		if err := src.Err(); err != nil {
			return sourceResult{}, fmt.Errorf("smtp-source: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
	case <-ctx.Done():
		return sourceResult{}, fmt.Errorf("smtp-source did not exit: %w", ctx.Err())
	}
	r := sourceResult{Messages: n, Payload: payload, Elapsed: end.Sub(start)}
	r.Rate = float64(n) / r.Elapsed.Seconds()
	if ps := cmd.ProcessState; ps != nil {
		r.CPU = ps.UserTime() + ps.SystemTime()
	}
	if sinkCPU1, err := benchproc.CPUTime(sk.p.Pid()); err == nil {
		r.SinkCPU = sinkCPU1 - sinkCPU0
	}
	if after := sk.bytesRead(); before >= 0 && after >= 0 {
		r.Bytes = float64(after-before) / float64(n)
	}
	return r, nil
}

// syncWriter lets a child's stderr be written while it is read.
type syncWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
