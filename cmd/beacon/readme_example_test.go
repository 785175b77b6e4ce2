package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunREADMEExample runs the README's example script as a reader would
// paste it, with the built binary for `go run ./cmd/beacon` and a free
// port for 8080: it must wait for the server before its first call and
// print each answer on its own line.
func TestRunREADMEExample(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's example needs %s: %v", tool, err)
		}
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, script, ok := strings.Cut(string(b), "\n### Example\n\n```sh\n")
	if !ok {
		t.Fatal("README.md has no ### Example section with a sh block")
	}
	script, _, _ = strings.Cut(script, "```")
	bin := procBinary(t)
	addr := procFreeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	script = strings.ReplaceAll(script, "go run ./cmd/beacon", bin)
	script = strings.ReplaceAll(script, "localhost:8080", "localhost:"+port)

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = procEnv(filepath.Join(dir, "unused"), addr)
	// The script leaves its server running in the background: the shell
	// gets a process group of its own, ended afterwards, and writes to
	// files, which (unlike pipes) Wait does not wait for the server to close.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Start()
	if err == nil {
		err = cmd.Wait()
		procKillGroup(t, cmd.Process.Pid)
	}
	out, _ := os.ReadFile(stdout.Name())
	if err != nil {
		log, _ := os.ReadFile(stderr.Name())
		t.Fatalf("the README's example failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, log)
	}

	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("the example printed %d lines, want 3 answers, one a line:\n%s", len(lines), out)
	}
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Errorf("line %d is not one JSON answer: %s", i+1, line)
		}
	}
	var status struct {
		Status struct{ Indicator, Description string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &status); err != nil || status.Status.Indicator != "critical" ||
		status.Status.Description != "Major System Outage" {
		t.Errorf("status.json during the incident: %s (%v); want indicator critical, Major System Outage", lines[0], err)
	}
	if !strings.Contains(lines[1], `"status":"resolved"`) {
		t.Errorf("the PATCH answered %s, want the resolved incident", lines[1])
	}
	if _, err := os.Stat(filepath.Join(dir, "data", dbFile)); err != nil {
		t.Errorf("the example's BEACON_DATA_DIR=./data holds no database: %v", err)
	}
}

// procKillGroup kills process group pgid and waits until it is gone, so
// that nothing writes into the test's directory while it is removed.
func procKillGroup(t *testing.T, pgid int) {
	t.Helper()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(-pgid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("process group %d still alive after SIGKILL", pgid)
			return
		}
	}
}
