package notifier

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogErrorOncePerMinute: while the database is down every worker fails
// every poll; each kind of failure is logged once, not once per poll, and
// a different failure is logged at once.
func TestLogErrorOncePerMinute(t *testing.T) {
	var buf bytes.Buffer
	d := &Dispatcher{log: slog.New(slog.NewTextHandler(&buf, nil)), logged: map[string]loggedError{}}
	down := errors.New("dial unix /tmp/.s.PGSQL.5432: connect: no such file or directory")
	for range 100 {
		d.logError("email worker", down)
		d.logError("fan-out", down)
	}
	d.logError("email worker", errors.New("disk full"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("logged %d lines, want 3 (one per kind of work, then the new failure):\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[2], "disk full") {
		t.Errorf("the new failure was not logged: %s", lines[2])
	}

	// A minute on, the same failure is logged again with its repeats.
	last := d.logged["fan-out"]
	last.at = last.at.Add(-time.Minute)
	d.logged["fan-out"] = last
	buf.Reset()
	d.logError("fan-out", down)
	if got := buf.String(); !strings.Contains(got, "repeats=99") {
		t.Errorf("a minute later: %q, want the failure with repeats=99", got)
	}
}
