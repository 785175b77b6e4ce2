package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/datadir"
	"github.com/beacon-status/beacon/internal/testutil"
)

// TestProcessOneServerPerDataDir runs a real server, then tries a second
// one and `migrate` on its data directory (both refused at once, naming the
// holder's pid and the lock), the commands made to share the database with
// a server (which work), and a restart after SIGKILL (which must not find a
// stale lock).
func TestProcessOneServerPerDataDir(t *testing.T) {
	testutil.SQLiteOnly(t) // replicas share a PostgreSQL database by design
	t.Parallel()
	dir := t.TempDir()
	lock := filepath.Join(dir, datadir.LockFile)
	s := procStart(t, dir)
	holder := strconv.Itoa(s.cmd.Process.Pid)

	for _, args := range [][]string{{"serve"}, {"migrate"}} {
		t.Run("refused "+args[0], func(t *testing.T) {
			began := time.Now()
			_, errOut, code := procRun(t, dir, nil, args...)
			took := time.Since(began)
			if code == 0 {
				t.Fatalf("beacon %s beside a running server exited 0\n%s", args[0], errOut)
			}
			if took > 10*time.Second {
				t.Errorf("beacon %s took %s to give up, want an immediate exit", args[0], took)
			}
			want := "beacon: data directory " + dir + " is in use by another beacon server (pid " + holder + ", lock " + lock + ")"
			if !strings.Contains(errOut, want) {
				t.Errorf("beacon %s: stderr %q, want it to contain %q", args[0], errOut, want)
			}
			if strings.Contains(errOut, "beacon serving") {
				t.Errorf("beacon %s served anyway:\n%s", args[0], errOut)
			}
		})
	}
	if s.hasExited() {
		t.Fatalf("the first server exited when a second tried its data directory:\n%s", s.log)
	}

	key := procAPIKey(t, dir)
	s.login(key)
	backup := filepath.Join(t.TempDir(), "backup.db")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{name: "demo", args: []string{"demo"}, want: "demo data written"},
		{name: "apikey list", args: []string{"apikey", "list"}, want: "PREFIX"},
		{name: "user list", args: []string{"user", "list"}, want: "EMAIL"},
		{name: "subscribers export", args: []string{"subscribers", "export"}},
		{name: "backup", args: []string{"backup", "--to", backup}, want: "backed up"},
	} {
		t.Run("beside the server "+tt.name, func(t *testing.T) {
			out, errOut, code := procRun(t, dir, nil, tt.args...)
			if code != 0 {
				t.Fatalf("beacon %s beside a running server: exit %d\n%s", tt.name, code, errOut)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("beacon %s printed %q, want it to contain %q", tt.name, out, tt.want)
			}
		})
	}
	if _, err := os.Stat(backup); err != nil {
		t.Errorf("backup beside the server wrote nothing: %v", err)
	}

	s.createComponent("Added before the kill")
	var before, after []walkComponent
	s.api(200, "GET", "/components", nil, &before)

	s.kill()
	s = procStart(t, dir)
	s.login(key)
	s.api(200, "GET", "/components", nil, &after)
	if len(after) != len(before) || len(after) < 2 {
		t.Errorf("after SIGKILL and restart: %d components, want the %d there before (demo's and one more)", len(after), len(before))
	}
	raw, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(raw)), strconv.Itoa(s.cmd.Process.Pid); got != want {
		t.Errorf("lock file names pid %q after the restart, want the new server's %s", got, want)
	}
}
