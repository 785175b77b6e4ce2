package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// serverCmd is the command line of a server the benchmark starts. Its
// output goes to stderr: Beacon runs at log level warn, so anything it
// prints there is worth seeing.
func serverCmd(stderr io.Writer, bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stderr, stderr
	return cmd
}

// waitReady polls url until it answers 200, p exits, or 20 seconds pass.
func waitReady(ctx context.Context, p *benchproc.Proc, url string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := p.Exited(); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s after 20s: %v", p.Name, url, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
