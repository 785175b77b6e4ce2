//go:build unix

package benchproc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// Stopping a child stops its whole process group: the sleep a shell
// started in the background holds the pipe open until it is gone too. A
// shell that ignores SIGTERM (and so does its sleep) is killed once its
// grace period is over.
func TestStopGroup(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		killed       bool
	}{
		{"term", "sleep 30 & wait", false},
		{"kill", `trap "" TERM; sleep 30 & wait`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var notes []string
			g := &benchproc.Group{Log: func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				notes = append(notes, format)
			}}
			defer g.StopAll()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd := exec.Command("sh", "-c", tc.script)
			cmd.Stdout = w
			p, err := g.Start(context.Background(), "sh", cmd)
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Exited(); err != nil {
				t.Fatalf("Exited right after Start: %v", err)
			}
			if runtime.GOOS == "linux" {
				if d, err := benchproc.CPUTime(p.Pid()); err != nil || d < 0 {
					t.Errorf("CPUTime = %v, %v", d, err)
				}
			}
			time.Sleep(100 * time.Millisecond) // let sh start sleep and trap TERM

			start := time.Now()
			p.Stop(200 * time.Millisecond)
			if p.Exited() == nil || p.Err() == nil {
				t.Fatalf("after Stop: Exited %v, Err %v", p.Exited(), p.Err())
			}
			eof := make(chan error, 1)
			go func() {
				_, err := io.ReadAll(r)
				eof <- err
			}()
			select {
			case err := <-eof:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the background sleep still holds the pipe: the group was not signalled")
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("Stop took %s", took)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := len(notes) == 1 && strings.Contains(notes[0], "did not stop within"); got != tc.killed {
				t.Errorf("notes %q, want a kill note: %v", notes, tc.killed)
			}
		})
	}
}

// A child that exits by itself is reported with its status, and StopAll
// leaves it alone.
func TestExited(t *testing.T) {
	g := &benchproc.Group{}
	p, err := g.Start(context.Background(), "false", exec.Command("sh", "-c", "exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("sh -c 'exit 3' did not exit")
	}
	var exit *exec.ExitError
	if err := p.Err(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("Err = %v, want exit status 3", err)
	}
	if err := p.Exited(); err == nil || !strings.Contains(err.Error(), "false exited: exit status 3") {
		t.Errorf("Exited = %v", err)
	}
	g.StopAll()
}

// Nothing starts once the context is done.
func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := exec.Command("sleep", "30")
	if _, err := new(benchproc.Group).Start(ctx, "sleep", cmd); !errors.Is(err, context.Canceled) || cmd.Process != nil {
		t.Errorf("Start = %v, process %v", err, cmd.Process)
	}
}

// CPUTime counts this process's own work.
func TestCPUTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, err := benchproc.CPUTime(os.Getpid()); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("CPUTime = %v, want ErrUnsupported", err)
		}
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for x := 0; ; x++ {
		d, err := benchproc.CPUTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if d > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPUTime still %v after 5s of work (%d)", d, x)
		}
	}
}

func TestFreeAddr(t *testing.T) {
	addr, err := benchproc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("FreeAddr = %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}
