package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"maps"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/emersion/go-smtp"
)

// The crash tests run the real binary against an SMTP server inside the
// test, kill it with SIGKILL while it notifies 5,000 subscribers, restart
// it on the same data directory and count what every recipient received:
// each gets the update, and the only duplicates are messages that were
// sent but not yet safe when the process died: on SQLite, not yet in the
// sent log (at most one per SMTP connection, the message whose final dot
// was written and whose reply had not come back); on PostgreSQL, not yet
// committed (at most 100).
//
// They do not call t.Parallel: each keeps both cores busy for a few
// seconds, and running alone keeps the kill point and the wait bounds far
// from the edges.

const (
	crashSubscribers = 5000
	crashWorkers     = 4   // BEACON_SMTP_POOL: email workers and connections
	crashBatch       = 200 // the email channel's claim batch (app.go build)
	// crashInFlight is how many deliveries the workers can hold claimed
	// at once.
	crashInFlight = crashWorkers * crashBatch
)

// crashSMTP is an SMTP server on 127.0.0.1 that accepts every message after
// a small delay and counts messages per recipient.
type crashSMTP struct {
	port  int
	delay time.Duration // per message, so that a kill lands mid-delivery
	token string        // every message should contain it (the incident name)

	srv *smtp.Server

	mu      sync.Mutex
	counts  map[string]int // recipient → messages
	total   int
	first   time.Time // when the first message arrived
	foreign int       // messages lacking token
	watches []crashWatch
	conns   int                   // sessions opened
	history map[string][]crashMsg // recipient → messages, for failure reports
}

// crashMsg is one accepted message, for explaining duplicates.
type crashMsg struct {
	at    time.Time
	conn  int    // session number
	msgID string // Message-ID header
}

// crashWatch is closed once the server has received n messages.
type crashWatch struct {
	n  int
	ch chan struct{}
}

func crashStartSMTP(t *testing.T, delay time.Duration, token string) *crashSMTP {
	t.Helper()
	s := &crashSMTP{delay: delay, token: token, counts: map[string]int{}, history: map[string][]crashMsg{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.conns++
		return &crashSession{s: s, conn: s.conns}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		_ = ln.Close()
		<-done
	})
	return s
}

// at returns a channel closed once n messages have arrived.
func (s *crashSMTP) at(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if s.total >= n {
		close(ch)
	} else {
		s.watches = append(s.watches, crashWatch{n: n, ch: ch})
	}
	return ch
}

func (s *crashSMTP) received(conn int, rcpts []string, data []byte) {
	m := crashMsg{at: time.Now(), conn: conn}
	if msg, err := netmail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.msgID = msg.Header.Get("Message-Id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rcpts {
		r = strings.ToLower(r)
		s.counts[r]++
		s.history[r] = append(s.history[r], m)
	}
	if s.total == 0 {
		s.first = time.Now()
	}
	s.total++
	if !bytes.Contains(data, []byte(s.token)) {
		s.foreign++
	}
	s.watches = slices.DeleteFunc(s.watches, func(w crashWatch) bool {
		if s.total >= w.n {
			close(w.ch)
			return true
		}
		return false
	})
}

// snapshot returns the messages so far, the distinct recipients and a copy
// of the counts.
func (s *crashSMTP) snapshot() (total, distinct int, counts map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, len(s.counts), maps.Clone(s.counts)
}

func (s *crashSMTP) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.counts)
}

func (s *crashSMTP) firstAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// explain describes the messages addr received, times relative to base.
func (s *crashSMTP) explain(addr string, base time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, m := range s.history[addr] {
		parts = append(parts, fmt.Sprintf("%s conn %d %s", m.at.Sub(base).Round(time.Millisecond), m.conn, m.msgID))
	}
	return addr + ": " + strings.Join(parts, "; ")
}

func (s *crashSMTP) foreignCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.foreign
}

// crashSession is one SMTP session.
type crashSession struct {
	s    *crashSMTP
	conn int
	to   []string
}

func (ss *crashSession) Mail(string, *smtp.MailOptions) error { return nil }

func (ss *crashSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *crashSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.delay > 0 {
		time.Sleep(ss.s.delay)
	}
	// Counted when accepted: a message whose 250 the killed client never
	// read still reached the recipient.
	ss.s.received(ss.conn, ss.to, data)
	return nil
}

func (ss *crashSession) Reset()        { ss.to = nil }
func (ss *crashSession) Logout() error { return nil }

// crashEnv is the beacon environment sending email to mail as fast as it
// can.
func crashEnv(mail *crashSMTP) []string {
	return []string{
		"BEACON_SMTP_HOST=127.0.0.1", "BEACON_SMTP_PORT=" + strconv.Itoa(mail.port), "BEACON_SMTP_TLS=none",
		"BEACON_SMTP_FROM=status@example.com", "BEACON_SMTP_POOL=" + strconv.Itoa(crashWorkers), "BEACON_EMAIL_RATE=0",
		"BEACON_API_RATE_LIMIT=100000", "BEACON_API_BURST=100000",
	}
}

func crashAddress(i int) string { return fmt.Sprintf("user%05d@example.com", i) }

// crashImport makes n active email subscribers with one CSV import.
func crashImport(t *testing.T, s *procServer, n int) {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("mode,address\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&csv, "email,%s\n", crashAddress(i))
	}
	req, err := http.NewRequest("POST", s.url("/api/v1/pages/"+s.pageID+"/subscribers/import"), strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "OAuth "+s.key)
	client := &http.Client{Timeout: time.Minute}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, s.log)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var got struct{ Created, Existing int }
	if res.StatusCode != 201 || json.Unmarshal(body, &got) != nil || got.Created != n {
		t.Fatalf("import of %d subscribers: status %d: %s", n, res.StatusCode, body)
	}
}

// crashDelivery is the state of the incident's deliveries in the database.
type crashDelivery struct {
	rows, sent, pending, claimed, other int
	retried                             int // attempts > 1
	distinct                            int // subscribers
	fannedOut                           bool
	claimedAddrs                        map[string]bool
	// logged counts the pending deliveries the sent log lists: sent,
	// and recorded by the next start.
	logged int
}

// crashInspect reads the deliveries of incident's creation event straight
// from the database, while no server runs.
func crashInspect(t *testing.T, dir, incident string) crashDelivery {
	t.Helper()
	ctx := context.Background()
	db := procOpenDB(t, dir).Read
	var d crashDelivery
	var event int64
	var fannedAt sql.NullString
	err := db.QueryRowContext(ctx, `SELECT id, fanned_out_at FROM notification_events
		WHERE incident_id = ? AND kind = 'incident_created'`, incident).Scan(&event, &fannedAt)
	if err != nil {
		t.Fatalf("the incident's creation event: %v", err)
	}
	d.fannedOut = fannedAt.Valid
	err = db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT subscriber_id),
		COUNT(*) FILTER (WHERE state = 'sent'), COUNT(*) FILTER (WHERE state = 'pending' AND claimed_at IS NULL),
		COUNT(*) FILTER (WHERE state = 'pending' AND claimed_at IS NOT NULL), COUNT(*) FILTER (WHERE state NOT IN ('sent', 'pending')),
		COUNT(*) FILTER (WHERE attempts > 1)
		FROM deliveries WHERE event_id = ? AND channel = 'email'`, event).
		Scan(&d.rows, &d.distinct, &d.sent, &d.pending, &d.claimed, &d.other, &d.retried)
	if err != nil {
		t.Fatalf("count deliveries: %v", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT s.address FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
		WHERE d.event_id = ? AND d.channel = 'email' AND d.state = 'pending' AND d.claimed_at IS NOT NULL`, event)
	if err != nil {
		t.Fatalf("claimed deliveries: %v", err)
	}
	defer rows.Close()
	d.claimedAddrs = map[string]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		d.claimedAddrs[strings.ToLower(a)] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The sent log: "ID TIME PROVIDER-ID" per line; a last line cut short
	// by the kill does not count.
	data, err := os.ReadFile(filepath.Join(dir, dbFile) + "-sent")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, line := range lines[:len(lines)-1] {
		id, _, _ := strings.Cut(line, " ")
		var pending bool
		err := db.QueryRowContext(ctx, `SELECT state = 'pending' FROM deliveries WHERE id = ? AND event_id = ?`, id, event).Scan(&pending)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("the sent log's delivery %s: %v", id, err)
		}
		if pending {
			d.logged++
		}
	}
	return d
}

// crashStats reads the notification counts of incident through the API and
// returns the email counts of its creation event.
func crashStats(s *procServer, incident string) (counts struct{ Pending, Sending, Sent, Failed, Cancelled int }, fannedOut bool) {
	s.t.Helper()
	var stats []struct {
		Kind      string `json:"kind"`
		FannedOut bool   `json:"fanned_out"`
		Channels  map[string]struct {
			Pending, Sending, Sent, Failed, Cancelled int
		} `json:"channels"`
	}
	s.api(200, "GET", "/incidents/"+incident+"/notifications", nil, &stats)
	for _, e := range stats {
		if e.Kind == "incident_created" {
			return e.Channels["email"], e.FannedOut
		}
	}
	s.t.Fatalf("notifications of %s lack the incident_created event: %+v", incident, stats)
	return counts, false
}

// crashScenario imports the subscribers, posts an incident, lets kill
// decide when to SIGKILL the server, restarts it and checks what every
// subscriber received. It returns the deliveries as the kill left them.
func crashScenario(t *testing.T, delay time.Duration, kill func(s *procServer, mail *crashSMTP, incident string) string) crashDelivery {
	name := "Crash test outage " + strconv.FormatInt(time.Now().UnixNano(), 36)
	mail := crashStartSMTP(t, delay, name)
	env := crashEnv(mail)
	dir := t.TempDir()
	s := procStart(t, dir, env...)
	key := procAPIKey(t, dir)
	s.login(key)

	began := time.Now()
	crashImport(t, s, crashSubscribers)
	imported := time.Since(began)
	if total, _, _ := mail.snapshot(); total != 0 {
		t.Fatalf("the import sent %d messages; imported subscribers need no confirmation", total)
	}

	var inc walkIncident
	posted := time.Now()
	s.api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": name, "status": "investigating", "body": "We are looking into **errors** on the API.",
		"deliver_notifications": true,
	}}, &inc)
	postTook := time.Since(posted)
	how := kill(s, mail, inc.ID)
	killedAfter := time.Since(posted)
	atKill, _, _ := mail.snapshot()
	// Anything written to the socket before the kill may still arrive.
	time.Sleep(200 * time.Millisecond)
	settled, _, _ := mail.snapshot()
	before := crashInspect(t, dir, inc.ID)
	first := "no message before the kill"
	if at := mail.firstAt(); !at.IsZero() {
		first = "first message " + at.Sub(posted).Round(time.Millisecond).String() + " after the POST"
	}
	t.Logf("import of %d subscribers %s; POST /incidents %s; %s; %s; killed %s after the POST with %d messages received (%d once settled)",
		crashSubscribers, imported.Round(time.Millisecond), postTook.Round(time.Millisecond), first, how,
		killedAfter.Round(time.Millisecond), atKill, settled)
	t.Logf("at the kill: fanned out %v, %d deliveries (%d sent, %d pending, %d claimed, %d other); the sent log listed %d of the claimed",
		before.fannedOut, before.rows, before.sent, before.pending, before.claimed, before.other, before.logged)
	if settled >= crashSubscribers {
		t.Fatalf("every subscriber had the update before the kill: the test did not crash mid-delivery")
	}
	if before.claimed > crashInFlight {
		t.Errorf("%d deliveries claimed at the kill, more than workers × batch = %d", before.claimed, crashInFlight)
	}

	restarted := time.Now()
	killed := s
	s = procStart(t, dir, env...)
	s.login(key)
	defer func() {
		if t.Failed() {
			t.Logf("warnings and errors of the killed server:\n%s\nof the restarted server:\n%s", crashWarnings(killed), crashWarnings(s))
		}
	}()
	done := procWait(t, 120*time.Second, "every subscriber to receive the update", func() bool {
		return mail.distinct() >= crashSubscribers
	})
	var counts struct{ Pending, Sending, Sent, Failed, Cancelled int }
	procWait(t, 30*time.Second, "every delivery to be recorded as sent", func() bool {
		var fanned bool
		counts, fanned = crashStats(s, inc.ID)
		return fanned && counts.Pending == 0 && counts.Sending == 0
	})
	if counts.Sent != crashSubscribers || counts.Failed != 0 || counts.Cancelled != 0 {
		t.Errorf("notifications API after the restart: %+v, want %d sent and nothing else", counts, crashSubscribers)
	}

	// Each delivery left unsent by the kill is sent once more, and only
	// once: a second claim of a delivery already held would show here.
	code, metrics := s.request("GET", "/metrics", nil)
	var outcomes []string
	sends := 0
	for line := range strings.Lines(string(metrics)) {
		if rest, ok := strings.CutPrefix(line, "beacon_deliveries_total{"); ok {
			outcomes = append(outcomes, "{"+strings.TrimSpace(rest))
			if v, ok := strings.CutPrefix(rest, `channel="email",outcome="sent"} `); ok {
				sends, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
	}
	t.Logf("send attempts of the restarted server (/metrics %d): %s", code, strings.Join(outcomes, ", "))
	if want := crashSubscribers - before.sent - before.logged; sends != want {
		t.Errorf("the restarted server sent %d messages, want one for each of the %d deliveries neither recorded as sent nor in the sent log at the kill",
			sends, want)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.waitExit(30 * time.Second); err != nil {
		t.Errorf("after SIGTERM: %v\n%s", err, s.log)
	}
	total, distinct, got := mail.snapshot()
	after := crashInspect(t, dir, inc.ID)

	missing := 0
	for i := 1; i <= crashSubscribers; i++ {
		if got[crashAddress(i)] == 0 {
			missing++
		}
	}
	duplicates, outside := 0, 0
	var outsideEx []string
	for addr, n := range got {
		if n > 1 {
			duplicates += n - 1
			if !before.claimedAddrs[addr] {
				outside++
				if len(outsideEx) < 5 {
					outsideEx = append(outsideEx, mail.explain(addr, restarted))
				}
			}
		}
	}
	// On SQLite, a message is safe once the sent log lists it: at most
	// one per connection can have arrived and not be listed, the one
	// whose reply had not come back. On PostgreSQL, which keeps no sent
	// log, once committed: notifier's bound of 100 unrecorded.
	bound, boundWhy := crashWorkers, "one per connection: the message whose reply had not come back"
	if testutil.Engine() == store.Postgres {
		bound, boundWhy = 100, "the messages that may be sent and unrecorded"
	}
	t.Logf("all %d subscribers reached %s after the restart (%s after the POST); %d messages, %d duplicates (bound %d: %s), %d deliveries retried",
		distinct, done.Sub(restarted).Round(time.Millisecond), done.Sub(posted).Round(time.Millisecond),
		total, duplicates, bound, boundWhy, after.retried)

	if missing != 0 || distinct != crashSubscribers {
		t.Errorf("%d of %d subscribers received nothing; %d distinct recipients", missing, crashSubscribers, distinct)
	}
	if duplicates > bound {
		t.Errorf("%d duplicate messages, more than %d (%s)", duplicates, bound, boundWhy)
	}
	if duplicates > len(before.claimedAddrs) {
		t.Errorf("%d duplicate messages, more than the %d deliveries claimed at the kill", duplicates, len(before.claimedAddrs))
	}
	if outside > 0 {
		t.Errorf("%d recipients got duplicates although their delivery was not in flight at the kill (times after the restart):\n%s",
			outside, strings.Join(outsideEx, "\n"))
	}
	if total != crashSubscribers+duplicates {
		t.Errorf("%d messages received, want %d subscribers + %d duplicates", total, crashSubscribers, duplicates)
	}
	if n := mail.foreignCount(); n != 0 {
		t.Errorf("%d messages did not name the incident %q", n, name)
	}
	if !after.fannedOut || after.rows != crashSubscribers || after.distinct != crashSubscribers ||
		after.sent != crashSubscribers || after.pending+after.claimed+after.other != 0 {
		t.Errorf("deliveries after the final stop: fanned out %v, %d rows for %d subscribers, %d sent, %d pending, %d claimed, %d other; want %d sent, one per subscriber",
			after.fannedOut, after.rows, after.distinct, after.sent, after.pending, after.claimed, after.other, crashSubscribers)
	}
	if after.retried > before.claimed {
		t.Errorf("%d deliveries took more than one attempt, but only %d were claimed at the kill", after.retried, before.claimed)
	}
	return before
}

// crashWarnings returns the lines of s's log above INFO, at most 40.
func crashWarnings(s *procServer) string {
	var out []string
	for line := range strings.Lines(s.log.String()) {
		if !strings.Contains(line, "INFO") && len(out) < 40 {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(out, "\n")
}

// TestCrashMidFanOut kills the server once a few hundred of the 5,000
// messages have been accepted, while the workers hold claimed batches.
func TestCrashMidFanOut(t *testing.T) {
	const killAt = 500
	before := crashScenario(t, time.Millisecond, func(s *procServer, mail *crashSMTP, _ string) string {
		select {
		case <-mail.at(killAt):
		case <-time.After(60 * time.Second):
			t.Fatalf("only %d messages within 60s of the POST, want %d before the kill\n%s", mail.distinct(), killAt, s.log)
		}
		s.kill()
		return fmt.Sprintf("kill set for %d messages", killAt)
	})
	if before.claimed == 0 {
		t.Errorf("no delivery was claimed at the kill: the workers held nothing in flight")
	}
}

// TestCrashDuringFanOut kills the server while the incident's event is
// being expanded into deliveries: as soon as the first fan-out batch is
// committed and before the last, with hardly anything sent.
func TestCrashDuringFanOut(t *testing.T) {
	before := crashScenario(t, time.Millisecond, func(s *procServer, _ *crashSMTP, incident string) string {
		deadline := time.Now().Add(20 * time.Second)
		for polls := 1; ; polls++ {
			c, fanned := crashStats(s, incident)
			if n := c.Pending + c.Sending + c.Sent + c.Failed + c.Cancelled; fanned || n > 0 {
				s.kill()
				return fmt.Sprintf("killed after %d polls of the notifications API, which showed %d deliveries, fanned out %v", polls, n, fanned)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no delivery created within 20s of the POST\n%s", s.log)
			}
			time.Sleep(time.Millisecond)
		}
	})
	if before.fannedOut || before.rows == 0 {
		t.Errorf("the kill missed the fan-out: fanned out %v with %d deliveries", before.fannedOut, before.rows)
	}
}
