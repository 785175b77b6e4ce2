package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// These tests run the real beacon binary as a subprocess: the scheduler on
// the wall clock, SIGKILL and SIGTERM, and the command-line tools against a
// live server. Every wait polls with a deadline.

// procBuild is the beacon binary, built once per test run.
var procBuild struct {
	once sync.Once
	path string
	err  error
}

// procBinary builds the binary on first use and returns its path. The
// temporary directory holding it outlives the run: without a TestMain (which
// other test files of this package may want) nothing can remove it after
// the last test.
func procBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the beacon binary")
	}
	procBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "beacon-process-test-")
		if err != nil {
			procBuild.err = err
			return
		}
		path := filepath.Join(dir, "beacon")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		began := time.Now()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			procBuild.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		procBuild.path = path
		t.Logf("built %s in %s", path, time.Since(began).Round(time.Millisecond))
	})
	if procBuild.err != nil {
		t.Fatal(procBuild.err)
	}
	return procBuild.path
}

// procEnv is the environment of a beacon subprocess: the test's own minus
// any BEACON_ setting, then the data directory, the address, a rate limit
// no test reaches, and extra NAME=value pairs.
func procEnv(dir, addr string, extra ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "BEACON_") })
	env = append(env, "BEACON_DATA_DIR="+dir, "BEACON_ADDR="+addr,
		"BEACON_API_RATE_LIMIT=1000", "BEACON_API_BURST=1000")
	return append(env, extra...)
}

// procDatabases are the PostgreSQL databases of the tests' data
// directories (dir → URL) when the tests run on PostgreSQL.
var procDatabases sync.Map

// procDatabase returns the setting that puts the processes a test runs on
// data directory dir on PostgreSQL when the tests run there
// (BEACON_TEST_ENGINE=postgres): one fresh database per directory, for
// every server and command on it, dropped when the test ends. It returns
// nothing on SQLite, or when extra chooses a database already.
func procDatabase(t *testing.T, dir string, extra []string) []string {
	t.Helper()
	if testutil.Engine() != store.Postgres || slices.ContainsFunc(extra, func(kv string) bool { return strings.HasPrefix(kv, "BEACON_DATABASE_URL=") }) {
		return nil
	}
	url, ok := procDatabases.Load(dir)
	if !ok {
		url, _ = procDatabases.LoadOrStore(dir, pgtest.NewDatabase(t))
	}
	return []string{"BEACON_DATABASE_URL=" + url.(string)}
}

// procOpenDB opens the database of the processes on data directory dir
// (procDatabase).
func procOpenDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	ctx := context.Background()
	var db *store.DB
	var err error
	if url, ok := procDatabases.Load(dir); ok {
		db, err = store.OpenPostgres(ctx, url.(string))
	} else {
		db, err = store.Open(ctx, filepath.Join(dir, dbFile))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// procLog collects a subprocess's output.
type procLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *procLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *procLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// procRun runs a one-shot beacon command on data directory dir and returns
// its stdout, stderr and exit code.
func procRun(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin := procBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = procEnv(dir, "127.0.0.1:0", append(procDatabase(t, dir, env), env...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("beacon %s: still running after a minute\n%s", strings.Join(args, " "), errOut.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("beacon %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// procAPIKey creates an API key with the CLI and checks that it is printed
// alone on one line.
func procAPIKey(t *testing.T, dir string) string {
	t.Helper()
	out, errOut, code := procRun(t, dir, nil, "apikey", "create", "--name", "t")
	if code != 0 {
		t.Fatalf("beacon apikey create: exit %d\n%s", code, errOut)
	}
	if !regexp.MustCompile(`^\S+\n$`).MatchString(out) {
		t.Fatalf("beacon apikey create printed %q, want the key alone on one line", out)
	}
	return strings.TrimSpace(out)
}

// procFreeAddr returns a loopback address with a port free right now.
func procFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var procClient = &http.Client{Timeout: 10 * time.Second}

// procServer is a running `beacon serve`.
type procServer struct {
	t      *testing.T
	dir    string
	addr   string
	cmd    *exec.Cmd
	log    *procLog
	exited chan struct{}
	err    error // from Wait, once exited is closed

	key, pageID string
}

// procStart starts `beacon serve` on dir and waits until /healthz answers.
// The process is killed when the test ends.
func procStart(t *testing.T, dir string, env ...string) *procServer {
	t.Helper()
	bin := procBinary(t)
	for attempt := 1; ; attempt++ {
		s := &procServer{t: t, dir: dir, addr: procFreeAddr(t), log: &procLog{}, exited: make(chan struct{})}
		s.cmd = exec.Command(bin, "serve")
		s.cmd.Env = procEnv(dir, s.addr, append(procDatabase(t, dir, env), env...)...)
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			s.err = s.cmd.Wait()
			close(s.exited)
		}()
		t.Cleanup(s.kill)
		err := s.waitHealthy(20 * time.Second)
		if err == nil {
			return s
		}
		// Another process may have taken the port between the probe and
		// the start.
		if s.hasExited() && strings.Contains(s.log.String(), "address already in use") && attempt < 3 {
			continue
		}
		t.Fatalf("beacon serve: %v\n%s", err, s.log)
	}
}

func (s *procServer) url(path string) string { return "http://" + s.addr + path }

func (s *procServer) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

func (s *procServer) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if s.hasExited() {
			return fmt.Errorf("exited before serving: %v", s.err)
		}
		res, err := procClient.Get(s.url("/healthz"))
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/healthz did not answer 200 within %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits at most limit for the process to exit and returns Wait's
// error.
func (s *procServer) waitExit(limit time.Duration) error {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(limit):
		s.t.Fatalf("beacon serve still running %s after the signal\n%s", limit, s.log)
		return nil
	}
}

// kill sends SIGKILL unless the process has exited, and reaps it.
func (s *procServer) kill() {
	if s.hasExited() {
		return
	}
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.t.Errorf("beacon serve (pid %d) did not die after SIGKILL", s.cmd.Process.Pid)
	}
}

// login uses key for the management API and learns the page id.
func (s *procServer) login(key string) {
	s.t.Helper()
	s.key = key
	var st walkBody
	s.v2("status.json", &st)
	if st.Page.ID == "" {
		s.t.Fatal("status.json has no page id")
	}
	s.pageID = st.Page.ID
}

// request sends one HTTP request and returns the status and body.
func (s *procServer) request(method, path string, body any, headers ...string) (int, []byte) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url(path), r)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := procClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", method, path, err, s.log)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, out
}

// api sends a management API request below /api/v1/pages/{page_id}, fails
// the test unless the status is want, and decodes the answer into dst
// (unless nil).
func (s *procServer) api(want int, method, path string, body, dst any) {
	s.t.Helper()
	code, out := s.request(method, "/api/v1/pages/"+s.pageID+path, body, "Authorization", "OAuth "+s.key)
	if code != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, out)
	}
	if dst != nil {
		if err := json.Unmarshal(out, dst); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

// v2 fetches a public API body into dst.
func (s *procServer) v2(path string, dst any) {
	s.t.Helper()
	code, out := s.request("GET", "/api/v2/"+path, nil)
	if code != 200 {
		s.t.Fatalf("GET /api/v2/%s: status %d: %s", path, code, out)
	}
	if err := json.Unmarshal(out, dst); err != nil {
		s.t.Fatalf("GET /api/v2/%s: decode %s: %v", path, out, err)
	}
}

func (s *procServer) createComponent(name string) string {
	s.t.Helper()
	var c walkComponent
	s.api(201, "POST", "/components", map[string]any{"component": map[string]any{"name": name}}, &c)
	return c.ID
}

// createMaintenance schedules a maintenance of comps over [start, end)
// that starts and completes on its own and moves its components.
func (s *procServer) createMaintenance(name string, start, end time.Time, comps []string) walkIncident {
	s.t.Helper()
	var m walkIncident
	s.api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": name, "status": "scheduled",
		"scheduled_for": start.Format(time.RFC3339Nano), "scheduled_until": end.Format(time.RFC3339Nano),
		"component_ids":              comps,
		"scheduled_remind_prior":     false,
		"scheduled_auto_in_progress": true, "scheduled_auto_completed": true,
		"auto_transition_to_maintenance_state": true, "auto_transition_to_operational_state": true,
	}}, &m)
	if m.Status != "scheduled" {
		s.t.Fatalf("new maintenance is %q, want scheduled", m.Status)
	}
	return m
}

// procWait polls cond every 100ms until it holds, failing the test after
// limit. It returns when cond first held.
func procWait(t *testing.T, limit time.Duration, what string, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// procFind returns the incident id in list.
func procFind(list []walkIncident, id string) (walkIncident, bool) {
	for _, in := range list {
		if in.ID == id {
			return in, true
		}
	}
	return walkIncident{}, false
}

// procEvents reads the outbox straight from the database of dir.
func procEvents(t *testing.T, dir string) []notifier.Event {
	t.Helper()
	ctx := context.Background()
	evs, err := notifier.NewOutbox(procOpenDB(t, dir)).Events(ctx, notifier.EventFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// procKinds lists the kinds of the events of incident id, and the status
// changes of component comp as "old>new".
func procKinds(evs []notifier.Event, id, comp string) (kinds, changes []string) {
	for _, e := range evs {
		switch {
		case e.IncidentID == id:
			kinds = append(kinds, string(e.Kind))
		case e.Kind == notifier.ComponentStatusChanged && e.ComponentID == comp:
			changes = append(changes, e.OldStatus+">"+e.NewStatus)
		}
	}
	return kinds, changes
}

// procCheckTimeline checks a finished maintenance's updates: the start and
// the completion stamped with the window's edges, moving comp to
// under_maintenance and back.
func procCheckTimeline(t *testing.T, m walkIncident, comp string, start, end time.Time) {
	t.Helper()
	got := walkIDs(m.IncidentUpdates, func(u walkUpdate) string { return u.Status })
	if want := []string{"completed", "in_progress", "scheduled"}; !slices.Equal(got, want) {
		t.Fatalf("updates %v, want %v", got, want)
	}
	for i, w := range []struct {
		at       time.Time
		old, new string
	}{{end, "under_maintenance", "operational"}, {start, "operational", "under_maintenance"}} {
		u := m.IncidentUpdates[i]
		if at, err := time.Parse(time.RFC3339Nano, u.DisplayAt); err != nil || !at.Equal(w.at) {
			t.Errorf("%s update display_at %s, want %s", u.Status, u.DisplayAt, w.at.Format(time.RFC3339Nano))
		}
		want := []walkAffected{{Code: comp, Name: "API", OldStatus: w.old, NewStatus: w.new}}
		if u.AffectedComponents == nil || !slices.Equal(*u.AffectedComponents, want) {
			t.Errorf("%s update affected_components %+v, want %+v", u.Status, u.AffectedComponents, want)
		}
	}
	if m.ResolvedAt == nil {
		t.Error("completed maintenance has no resolved_at")
	} else if at, _ := time.Parse(time.RFC3339Nano, *m.ResolvedAt); !at.Equal(end) {
		t.Errorf("resolved_at %s, want %s", *m.ResolvedAt, end.Format(time.RFC3339Nano))
	}
}

// procComponentStatus reads a component's status from components.json.
func procComponentStatus(s *procServer, id string) string {
	s.t.Helper()
	st, ok := procComponentListed(s, id)
	if !ok {
		s.t.Fatalf("components.json lacks %s", id)
	}
	return st
}

// procComponentListed is component id's status on s's components.json,
// and whether s lists it yet: a component made through another replica
// reaches s's page within a second, not at once.
func procComponentListed(s *procServer, id string) (string, bool) {
	s.t.Helper()
	var b walkBody
	s.v2("components.json", &b)
	for _, c := range b.Components {
		if c.ID == id {
			return c.Status, true
		}
	}
	return "", false
}

func TestProcessMaintenanceRunsOnItsOwn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := procStart(t, dir)
	s.login(procAPIKey(t, dir))
	comp := s.createComponent("API")

	start := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond)
	end := start.Add(3 * time.Second)
	m := s.createMaintenance("Quick maintenance", start, end, []string{comp})
	if time.Now().Before(start.Add(-time.Second)) {
		var up walkBody
		s.v2("scheduled-maintenances/upcoming.json", &up)
		if _, ok := procFind(up.ScheduledMaintenances, m.ID); !ok {
			t.Errorf("upcoming.json lacks the new maintenance: %v", walkIncidentIDs(up.ScheduledMaintenances))
		}
	}

	var active walkIncident
	started := procWait(t, 30*time.Second, "the maintenance to start", func() bool {
		var b walkBody
		s.v2("scheduled-maintenances/active.json", &b)
		var ok bool
		active, ok = procFind(b.ScheduledMaintenances, m.ID)
		return ok
	})
	if started.Before(start) {
		t.Errorf("the maintenance was in progress at %s, before its start %s", started.Format(time.StampMilli), start.Format(time.StampMilli))
	}
	if active.Status != "in_progress" || len(active.Components) != 1 || active.Components[0].Status != "under_maintenance" {
		t.Errorf("active maintenance is %q with components %+v, want in_progress with API under_maintenance", active.Status, active.Components)
	}

	var done walkIncident
	completed := procWait(t, 30*time.Second, "the maintenance to complete", func() bool {
		var b walkBody
		s.v2("scheduled-maintenances.json", &b)
		done, _ = procFind(b.ScheduledMaintenances, m.ID)
		return done.Status == "completed"
	})
	if completed.Before(end) {
		t.Errorf("the maintenance completed at %s, before its end %s", completed.Format(time.StampMilli), end.Format(time.StampMilli))
	}
	procCheckTimeline(t, done, comp, start, end)
	if got := procComponentStatus(s, comp); got != "operational" {
		t.Errorf("after the maintenance the component is %q, want operational", got)
	}
	var sum walkBody
	s.v2("summary.json", &sum)
	if len(sum.ScheduledMaintenances) != 0 || sum.Status == nil || sum.Status.Indicator != "none" {
		t.Errorf("summary after the maintenance: maintenances %v, status %+v", walkIncidentIDs(sum.ScheduledMaintenances), sum.Status)
	}
	kinds, changes := procKinds(procEvents(t, dir), m.ID, comp)
	if want := []string{"maintenance_scheduled", "maintenance_started", "maintenance_completed"}; !slices.Equal(kinds, want) {
		t.Errorf("maintenance events %v, want %v", kinds, want)
	}
	if want := []string{"operational>under_maintenance", "under_maintenance>operational"}; !slices.Equal(changes, want) {
		t.Errorf("component events %v, want %v", changes, want)
	}
	t.Logf("started %s after scheduled_for, completed %s after scheduled_until",
		started.Sub(start).Round(time.Millisecond), completed.Sub(end).Round(time.Millisecond))
}

func TestProcessRestartDuringWindow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := procStart(t, dir)
	key := procAPIKey(t, dir)
	s.login(key)
	comp := s.createComponent("API")

	start := time.Now().Add(2 * time.Second).UTC().Truncate(time.Millisecond)
	end := start.Add(6 * time.Second)
	m := s.createMaintenance("Window across a crash", start, end, []string{comp})
	s.kill()
	if !time.Now().Before(start) {
		t.Fatal("the server was killed after the maintenance's start; the test did not exercise a restart across the edge")
	}
	if kinds, _ := procKinds(procEvents(t, dir), m.ID, comp); !slices.Equal(kinds, []string{"maintenance_scheduled"}) {
		t.Fatalf("events before the start %v, want only maintenance_scheduled", kinds)
	}

	// Stay down across the start: waiting for a wall-clock time, not for
	// something to happen.
	time.Sleep(time.Until(start.Add(500 * time.Millisecond)))
	restarted := time.Now()
	s = procStart(t, dir)
	s.login(key)

	var active walkIncident
	started := procWait(t, 5*time.Second, "the maintenance to start after the restart", func() bool {
		var b walkBody
		s.v2("scheduled-maintenances/active.json", &b)
		var ok bool
		active, ok = procFind(b.ScheduledMaintenances, m.ID)
		return ok
	})
	if active.Status != "in_progress" || len(active.Components) != 1 || active.Components[0].Status != "under_maintenance" {
		t.Errorf("after the restart the maintenance is %q with components %+v, want in_progress with API under_maintenance", active.Status, active.Components)
	}
	if len(active.IncidentUpdates) != 2 || active.IncidentUpdates[0].Status != "in_progress" {
		t.Fatalf("after the restart the updates are %v, want in_progress, scheduled",
			walkIDs(active.IncidentUpdates, func(u walkUpdate) string { return u.Status }))
	}
	// The start is stamped with the scheduled time, not the restart's, and
	// is still news since the window is open.
	if u := active.IncidentUpdates[0]; u.DisplayAt == "" || !u.DeliverNotifications {
		t.Errorf("start update display_at %q deliver %v, want %s true", u.DisplayAt, u.DeliverNotifications, start.Format(time.RFC3339Nano))
	} else if at, _ := time.Parse(time.RFC3339Nano, u.DisplayAt); !at.Equal(start) {
		t.Errorf("start update display_at %s, want %s", u.DisplayAt, start.Format(time.RFC3339Nano))
	}
	kinds, _ := procKinds(procEvents(t, dir), m.ID, comp)
	if want := []string{"maintenance_scheduled", "maintenance_started"}; !slices.Equal(kinds, want) {
		t.Errorf("events after the restart %v, want %v", kinds, want)
	}

	var done walkIncident
	procWait(t, 30*time.Second, "the maintenance to complete", func() bool {
		s.api(200, "GET", "/incidents/"+m.ID, nil, &done)
		return done.Status == "completed"
	})
	procCheckTimeline(t, done, comp, start, end)
	if got := procComponentStatus(s, comp); got != "operational" {
		t.Errorf("after the maintenance the component is %q, want operational", got)
	}
	kinds, changes := procKinds(procEvents(t, dir), m.ID, comp)
	if want := []string{"maintenance_scheduled", "maintenance_started", "maintenance_completed"}; !slices.Equal(kinds, want) {
		t.Errorf("maintenance events %v, want %v", kinds, want)
	}
	if want := []string{"operational>under_maintenance", "under_maintenance>operational"}; !slices.Equal(changes, want) {
		t.Errorf("component events %v, want %v", changes, want)
	}
	t.Logf("in progress %s after the restart began (%s after scheduled_for)",
		started.Sub(restarted).Round(time.Millisecond), started.Sub(start).Round(time.Millisecond))
}

func TestProcessKillKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := procStart(t, dir)
	key := procAPIKey(t, dir)
	s.login(key)
	page := s.pageID

	a, b, c := s.createComponent("API"), s.createComponent("Dashboard"), s.createComponent("Search")
	var group walkComponent
	s.api(201, "POST", "/component-groups", map[string]any{"component_group": map[string]any{"name": "Platform", "components": []string{a, b}}}, &group)
	var inc walkIncident
	s.api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Dashboard down", "components": map[string]string{b: "major_outage"},
	}}, &inc)
	s.kill() // right after the 201

	s = procStart(t, dir)
	s.login(key)
	if s.pageID != page {
		t.Errorf("page id changed across the restart: %s, then %s", page, s.pageID)
	}
	var sum walkBody
	s.v2("summary.json", &sum)
	got := map[string]string{}
	for _, comp := range sum.Components {
		got[comp.ID] = comp.Status
	}
	want := map[string]string{group.ID: "major_outage", a: "operational", b: "major_outage", c: "operational"}
	if len(got) != len(want) {
		t.Errorf("after the restart the page has components %v, want %v", got, want)
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("after the restart component %s is %q, want %q", id, got[id], st)
		}
	}
	if ids := walkIncidentIDs(sum.Incidents); !slices.Equal(ids, []string{inc.ID}) {
		t.Errorf("after the restart summary incidents %v, want [%s]", ids, inc.ID)
	}
	var again walkIncident
	s.api(200, "GET", "/incidents/"+inc.ID, nil, &again)
	if again.Status != "investigating" || len(again.IncidentUpdates) != 1 || again.IncidentUpdates[0].ID != inc.IncidentUpdates[0].ID {
		t.Errorf("after the restart the incident is %q with %d updates", again.Status, len(again.IncidentUpdates))
	}
	kinds, changes := procKinds(procEvents(t, dir), inc.ID, b)
	if !slices.Equal(kinds, []string{"incident_created"}) || !slices.Equal(changes, []string{"operational>major_outage"}) {
		t.Errorf("after the restart events %v and component changes %v", kinds, changes)
	}
}

func TestProcessGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := procStart(t, dir)
	// Leave a keep-alive connection open, as browsers and pollers do.
	var st walkBody
	s.v2("status.json", &st)

	sent := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.waitExit(5 * time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v, want exit status 0\n%s", err, s.log)
	}
	t.Logf("exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(s.log.String(), "shutting down") {
		t.Errorf("the log does not record the shutdown:\n%s", s.log)
	}
}

func TestProcessBackupWhileServing(t *testing.T) {
	testutil.SQLiteOnly(t) // PostgreSQL is backed up with pg_dump
	t.Parallel()
	dir := t.TempDir()
	s := procStart(t, dir)
	s.login(procAPIKey(t, dir))
	names := []string{"API", "Dashboard", "Search"}
	for _, n := range names {
		s.createComponent(n)
	}

	// Keep writing while the backup runs.
	stop := make(chan struct{})
	var writes sync.WaitGroup
	var written int
	var writeErr error
	writes.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			body, _ := json.Marshal(map[string]any{"component": map[string]any{"name": fmt.Sprintf("load %d", i)}})
			req, _ := http.NewRequest("POST", s.url("/api/v1/pages/"+s.pageID+"/components"), bytes.NewReader(body))
			req.Header.Set("Authorization", "OAuth "+s.key)
			res, err := procClient.Do(req)
			if err != nil {
				writeErr = err
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				writeErr = fmt.Errorf("create component: status %d", res.StatusCode)
				return
			}
			written = i + 1
		}
	})

	backup := filepath.Join(t.TempDir(), "backup.db")
	out, errOut, code := procRun(t, dir, nil, "backup", "--to", backup)
	close(stop)
	writes.Wait()
	if code != 0 {
		t.Fatalf("beacon backup: exit %d\n%s", code, errOut)
	}
	if writeErr != nil {
		t.Errorf("writes during the backup: %v", writeErr)
	}
	if !strings.Contains(out, backup) {
		t.Errorf("beacon backup printed %q, want it to name %s", out, backup)
	}
	before, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}

	// A second backup to the same file is refused and leaves it alone.
	_, errOut, code = procRun(t, dir, nil, "backup", "--to", backup)
	if code == 0 || !strings.Contains(errOut, "already exists") {
		t.Errorf("backup over an existing file: exit %d, stderr %q; want a failure saying it already exists", code, errOut)
	}
	if after, err := os.Stat(backup); err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the refused backup touched the existing file: %v", err)
	}

	ctx := context.Background()
	db, err := store.Open(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.Read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("backup integrity_check: %q, %v", check, err)
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT name FROM components`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !slices.Contains(got, n) {
			t.Errorf("the backup lacks component %q: has %v", n, got)
		}
	}
	if len(got) > len(names)+written {
		t.Errorf("the backup has %d components, more than the %d written", len(got), len(names)+written)
	}
	if err := s.waitHealthy(time.Second); err != nil {
		t.Errorf("after the backup the server is unwell: %v", err)
	}
	t.Logf("backup holds %d components; %d were written during the backup", len(got), written)
}

func TestProcessDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errOut, code := procRun(t, dir, nil, "demo")
	if code != 0 {
		t.Fatalf("beacon demo: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "demo data written") {
		t.Errorf("beacon demo printed %q", out)
	}

	s := procStart(t, dir)
	var sum walkBody
	s.v2("summary.json", &sum)
	var groups, leaves int
	for _, c := range sum.Components {
		if c.Group {
			groups++
		} else {
			leaves++
		}
	}
	if groups < 1 || leaves < 3 {
		t.Errorf("demo summary has %d groups and %d components", groups, leaves)
	}
	if len(sum.Incidents) == 0 {
		t.Error("demo summary has no unresolved incident")
	}
	for _, in := range sum.Incidents {
		if in.Status == "resolved" || in.Status == "postmortem" {
			t.Errorf("summary lists incident %q, which is %s", in.Name, in.Status)
		}
	}
	upcoming := 0
	for _, m := range sum.ScheduledMaintenances {
		if m.Status == "scheduled" {
			upcoming++
		}
	}
	if upcoming == 0 {
		t.Errorf("demo summary has no upcoming maintenance: %v", walkIncidentIDs(sum.ScheduledMaintenances))
	}
	if sum.Status == nil || sum.Status.Indicator == "none" {
		t.Errorf("demo summary status %+v, want the active incident to show", sum.Status)
	}
	var history walkBody
	s.v2("incidents.json", &history)
	resolved := 0
	for _, in := range history.Incidents {
		if in.Status == "resolved" && len(in.IncidentUpdates) > 1 {
			resolved++
		}
	}
	if resolved == 0 {
		t.Error("demo incidents.json has no resolved incident with several updates")
	}

	// The page charts the demo's metrics, every bucket of the day filled.
	code, page := s.request("GET", "/", nil)
	if code != 200 {
		t.Fatalf("GET / after the demo: %d", code)
	}
	for _, name := range []string{"API response time", "Webhook delivery time"} {
		if !strings.Contains(string(page), name) {
			t.Errorf("the demo page has no chart named %q", name)
		}
	}
	// The last bucket is empty when five minutes turned between the
	// demo's writing and this request.
	if n := strings.Count(string(page), "<li><span>") + strings.Count(string(page), `<li tabindex="0"><span>`); n < 2*287 || n > 2*288 {
		t.Errorf("the demo page charts %d points, want a full day's 288 (or 287) in each of two charts", n)
	}

	_, errOut, code = procRun(t, dir, nil, "demo")
	if code == 0 || !strings.Contains(errOut, "already has components") {
		t.Errorf("second demo: exit %d, stderr %q; want a failure saying the page already has components", code, errOut)
	}
	var again walkBody
	s.v2("components.json", &again)
	if len(again.Components) != len(sum.Components) {
		t.Errorf("the refused demo changed the components: %d, then %d", len(sum.Components), len(again.Components))
	}
}

func TestProcessInvalidSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, errOut, code := procRun(t, dir, []string{"BEACON_TIME_ZONE=Mars/Base", "BEACON_LOG_FORMAT=xml"})
	if code == 0 {
		t.Fatalf("beacon with BEACON_TIME_ZONE=Mars/Base exited 0")
	}
	for _, want := range []string{"BEACON_TIME_ZONE", "Mars/Base", "BEACON_LOG_FORMAT"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not name %s", errOut, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid configuration still created the database: %v", err)
	}
}
