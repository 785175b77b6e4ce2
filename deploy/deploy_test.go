// Package deploy_test proves the deployment files beside it on this machine:
// the static build of `make static` serves, and the systemd unit verifies.
// The container image is proven by `make image-test` (image-test.sh), which
// needs buildah, podman and runc. A missing tool skips a test here, but
// fails it in CI, where `make deps` installs it. They live in their own
// package, not in cmd/beacon, so that the static build (minutes on a cold
// build cache: netgo and the SQLite tag rebuild most packages) counts
// against a test binary of its own.
package deploy_test

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deployTool returns the path of a program the deployment tests run.
func deployTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (`make deps` installs it: a deployment test must not be skipped in CI)", name)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return path
}

// deployRoot is the repository's top directory, holding the Makefile.
func deployRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "Makefile")); err != nil {
		t.Fatalf("no Makefile at the repository's root: %v", err)
	}
	return root
}

// assertStatic fails unless the ELF file at path asks for no dynamic
// loader and no shared library.
func assertStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %s program header: it is linked dynamically", filepath.Base(path), p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", filepath.Base(path), libs)
	}
}

// TestDeployStaticBinary builds the binaries as `make static` does for the
// container image and a bare host, checks that they are statically linked,
// then serves with one on loopback until /readyz answers, asks it through
// beacon-healthcheck (the image's HEALTHCHECK), and stops it with SIGTERM.
func TestDeployStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the static binaries")
	}
	makeBin := deployTool(t, "make")
	deployTool(t, "gcc")
	root := deployRoot(t)
	bin := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	began := time.Now()
	build := exec.CommandContext(ctx, makeBin, "-s", "-C", root, "static", "STATIC_DIR="+bin)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make static: %v\n%s", err, out)
	} else if len(out) > 0 {
		// A static link that works but warns (glibc's "Using 'dlopen' in
		// statically linked applications…") is a binary that would fail
		// at run time on a host without glibc's shared libraries.
		t.Errorf("make static printed what it should not:\n%s", out)
	}
	t.Logf("make static: %s", time.Since(began).Round(time.Millisecond))
	beacon, check := filepath.Join(bin, "beacon"), filepath.Join(bin, "beacon-healthcheck")
	assertStatic(t, beacon)
	assertStatic(t, check)

	addr := freeAddr(t)
	var log bytes.Buffer // written by exec's copying goroutine; read after Wait
	srv := exec.Command(beacon, "serve")
	srv.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "BEACON_") }),
		"BEACON_DATA_DIR="+t.TempDir(), "BEACON_ADDR="+addr, "BEACON_TIME_ZONE=Europe/Paris")
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stopped := false // once exited has been received from
	kill := func() {
		if !stopped {
			_ = srv.Process.Kill()
			<-exited
			stopped = true
		}
	}
	defer kill()

	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case werr := <-exited:
			stopped = true
			t.Fatalf("the static beacon exited before /readyz answered: %v\n%s", werr, log.String())
		default:
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatalf("GET /readyz: %v after 30s\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	healthcheck := func() (string, error) {
		c := exec.CommandContext(ctx, check)
		c.Env = append(os.Environ(), "BEACON_ADDR="+addr)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := healthcheck(); err != nil {
		t.Errorf("beacon-healthcheck while beacon runs: %v\n%s", err, out)
	}

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("beacon after SIGTERM: %v, want exit 0\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		kill()
		t.Fatalf("beacon still running 30s after SIGTERM\n%s", log.String())
	}
	if out, err := healthcheck(); err == nil {
		t.Errorf("beacon-healthcheck with beacon stopped: exit 0, want 1\n%s", out)
	}
}

// TestDeploySystemdUnit runs `systemd-analyze verify` on deploy/beacon.service
// in a root of its own, holding the host's systemd units and a stand-in for
// /usr/local/bin/beacon, so that nothing is installed on the host. Verify
// exits 0 on unknown or misspelt settings and only warns, so any output
// fails the test.
func TestDeploySystemdUnit(t *testing.T) {
	analyze := deployTool(t, "systemd-analyze")
	root := deployRoot(t)
	unit, err := os.ReadFile(filepath.Join(root, "deploy", "beacon.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ExecStart=/usr/local/bin/beacon serve", "DynamicUser=yes", "StateDirectory=beacon",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
	} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("deploy/beacon.service lacks the line %q", strings.TrimSpace(want))
		}
	}

	sysroot := t.TempDir()
	units := "/usr/lib/systemd/system"
	if _, err := os.Stat(units); err != nil {
		t.Fatalf("the host's systemd units: %v", err)
	}
	if err := deployCopyTree(filepath.Join(sysroot, units), units); err != nil {
		t.Fatalf("copying the host's systemd units: %v", err)
	}
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{"usr/local/bin/beacon", []byte("#!/bin/sh\n"), 0o755},
		{"etc/systemd/system/beacon.service", unit, 0o644},
	} {
		full := filepath.Join(sysroot, f.path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, f.data, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(analyze, "verify", "--root="+sysroot, "/etc/systemd/system/beacon.service").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify deploy/beacon.service: %v\n%s", err, out)
	}
}

// deployCopyTree copies the directory src to dst: files, directories, and
// symbolic links as links (systemd's aliases are links).
func deployCopyTree(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&os.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
		return nil
	})
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
