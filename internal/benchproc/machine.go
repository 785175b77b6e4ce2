package benchproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ModuleRoot is the directory of the go.mod the go command uses from the
// working directory: the beacon module, when run from inside it.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := Command(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the beacon module (or pass -beacon BINARY)")
	}
	return filepath.Dir(mod), nil
}

// BuildBeacon builds ./cmd/beacon of the module at root into the file
// out, within five minutes. The go command's output goes to stderr.
func BuildBeacon(ctx context.Context, root, out string, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := Command(ctx, "go", "build", "-o", out, "./cmd/beacon")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/beacon: %w", err)
	}
	return nil
}

// GitRevision is the commit checked out in the git work tree at dir, its
// hash cut to 12 digits, and whether tracked files have uncommitted
// changes. The commit is "" outside git.
func GitRevision(ctx context.Context, dir string) (commit string, dirty bool) {
	out, err := Command(ctx, "git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "", false
	}
	status, err := Command(ctx, "git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && strings.TrimSpace(string(status)) != ""
}

// GoVersion is the toolchain that builds Beacon as "go version" names it,
// such as "go1.26.8 linux/amd64"; this program's own if the go command
// cannot say.
func GoVersion(ctx context.Context) string {
	out, err := Command(ctx, "go", "version").Output()
	if v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "go version "); err == nil && ok {
		return v
	}
	return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// CPUModel is the first "model name" of /proc/cpuinfo, or "" where there
// is none (outside Linux, and on some architectures).
func CPUModel() string { return procField("/proc/cpuinfo", "model name") }

// MemoryGiB is the machine's memory (MemTotal of /proc/meminfo) in GiB, or
// 0 if it cannot be read.
func MemoryGiB() float64 {
	f := strings.Fields(procField("/proc/meminfo", "MemTotal")) // "16318412 kB"
	if len(f) != 2 || f[1] != "kB" {
		return 0
	}
	kb, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return kb / (1 << 20)
}

// Kernel is the Linux kernel release, or "" outside Linux.
func Kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// LoadAverage is the 1, 5 and 15 minute load average, such as
// "0.52 0.61 0.70": how busy the machine was besides the benchmark. It is
// "" where /proc/loadavg cannot be read.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// procField returns the value of the first "key : value" line of a /proc
// file, or "".
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
