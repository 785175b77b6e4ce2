package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/pgtest"
	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/internal/store"
)

// The replica tests run two `beacon serve` on one PostgreSQL database (a
// durable cluster of their own) notifying 10,000 email subscribers through
// a loopback SMTP server, post an incident through replica A and SIGKILL
// one replica mid-delivery, while a maintenance window runs across the
// kill. Every subscriber must get the update, with no more duplicates than
// the killed replica had in flight; the incident must be on both pages
// within a second of its commit; the window must start and complete once.
// They need PostgreSQL whatever BEACON_TEST_ENGINE says, and fail without
// it under CI=true.

const (
	replicaSubscribers = 10_000
	replicaKillAt      = 2_500 // messages accepted before the kill
	replicaWindow      = 20 * time.Second
)

func TestReplicasKillB(t *testing.T) { replicaScenario(t, "B") }

func TestReplicasKillA(t *testing.T) { replicaScenario(t, "A") }

// replicaMail counts what the SMTP server accepted, per recipient, of the
// messages naming token.
func replicaMail(mail *smtptest.Server, token string) (perRecipient map[string]int, total int) {
	perRecipient = map[string]int{}
	for _, m := range mail.Received(0) {
		if !strings.Contains(string(m.Data), token) {
			continue
		}
		for _, to := range m.To {
			perRecipient[strings.ToLower(to)]++
			total++
		}
	}
	return perRecipient, total
}

// replicaID reads the replica id a server logged as it started.
func replicaID(t *testing.T, s *procServer) string {
	t.Helper()
	m := regexp.MustCompile(`beacon serving.* replica=(\S+)`).FindStringSubmatch(s.log.String())
	if m == nil {
		t.Fatalf("the server did not log its replica id:\n%s", s.log)
	}
	return m[1]
}

// replicaShows waits until s's page and summary.json both name name, and
// returns when they first did.
func replicaShows(t *testing.T, s *procServer, name string, limit time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		_, page := s.request("GET", "/", nil)
		_, summary := s.request("GET", "/api/v2/summary.json", nil)
		if strings.Contains(string(page), name) && strings.Contains(string(summary), name) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's page and summary.json did not show %q within %s of the commit", s.addr, name, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// replicaEvents counts the notification events of incident id by kind,
// through the management API.
func replicaEvents(s *procServer, id string) map[string]int {
	s.t.Helper()
	var events []struct {
		Kind string `json:"kind"`
	}
	s.api(200, "GET", "/incidents/"+id+"/notifications", nil, &events)
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	return kinds
}

func replicaScenario(t *testing.T, victim string) {
	procBinary(t) // skips in -short
	cluster := pgtest.StartDurable(t)
	url := cluster.NewDatabase(t)
	name := "Replica outage " + strconv.FormatInt(time.Now().UnixNano(), 36)

	mail := smtptest.Start(t)
	killNow := make(chan struct{})
	var once sync.Once
	mail.OnReceive(func(n int) {
		if n >= replicaKillAt {
			once.Do(func() { close(killNow) })
		}
		// A little time per message, so that the kill lands mid-delivery.
		time.Sleep(time.Millisecond)
	})
	env := []string{"BEACON_DATABASE_URL=" + url,
		"BEACON_SMTP_HOST=127.0.0.1", "BEACON_SMTP_PORT=" + strconv.Itoa(mail.Port), "BEACON_SMTP_TLS=none",
		"BEACON_SMTP_FROM=status@example.com", "BEACON_SMTP_POOL=4", "BEACON_EMAIL_RATE=0",
		"BEACON_API_RATE_LIMIT=100000", "BEACON_API_BURST=100000"}

	servers := map[string]*procServer{"A": procStart(t, t.TempDir(), env...), "B": procStart(t, t.TempDir(), env...)}
	a, b := servers["A"], servers["B"]
	defer func() {
		if t.Failed() {
			t.Logf("warnings and errors of A:\n%s\nof B:\n%s", crashWarnings(a), crashWarnings(b))
		}
	}()
	out, errOut, code := procRun(t, a.dir, env, "apikey", "create", "--name", "replicas")
	if code != 0 {
		t.Fatalf("beacon apikey create: exit %d\n%s", code, errOut)
	}
	key := strings.TrimSpace(out)
	a.login(key)
	b.login(key)
	if a.pageID != b.pageID {
		t.Fatalf("the replicas serve pages %s and %s, want one page", a.pageID, b.pageID)
	}
	crashImport(t, a, replicaSubscribers)
	comp := a.createComponent("API")

	// A maintenance window that starts before the kill and ends after it,
	// telling no subscriber: the messages are the incident's alone.
	start := time.Now().Add(2 * time.Second).Truncate(time.Second)
	end := start.Add(replicaWindow)
	var m walkIncident
	a.api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Replica window", "status": "scheduled", "deliver_notifications": false,
		"scheduled_for": start.Format(time.RFC3339), "scheduled_until": end.Format(time.RFC3339),
		"component_ids": []string{comp}, "scheduled_remind_prior": false,
		"scheduled_auto_in_progress": true, "scheduled_auto_completed": true,
		"auto_transition_to_maintenance_state": true, "auto_transition_to_operational_state": true,
		"auto_transition_deliver_notifications_at_start": false, "auto_transition_deliver_notifications_at_end": false,
	}}, &m)
	procWait(t, 30*time.Second, "the maintenance to start", func() bool {
		onB, _ := procComponentListed(b, comp)
		return onB == "under_maintenance" && procComponentStatus(a, comp) == "under_maintenance"
	})

	// The incident, through A: on both pages within a second of the
	// commit (the POST's answer).
	var inc walkIncident
	a.api(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": name, "status": "investigating", "body": "We are looking into errors on the API.",
		"deliver_notifications": true,
	}}, &inc)
	committed := time.Now()
	for _, id := range []string{"A", "B"} {
		shown := replicaShows(t, servers[id], name, time.Second)
		t.Logf("the incident on %s's page and summary.json %s after the commit", id, shown.Sub(committed).Round(time.Millisecond))
	}

	// The kill, mid-delivery, and what the killed replica held.
	select {
	case <-killNow:
	case <-time.After(90 * time.Second):
		t.Fatalf("only %d messages within 90s of the incident, want %d before the kill", mail.Count(), replicaKillAt)
	}
	dead, survivor := servers[victim], servers[map[string]string{"A": "B", "B": "A"}[victim]]
	deadID := replicaID(t, dead)
	dead.kill()
	killedAt := time.Now()
	time.Sleep(200 * time.Millisecond) // what was on the wire arrives
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var inFlight int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND claimed_by = ?`, deadID).Scan(&inFlight); err != nil {
		t.Fatal(err)
	}
	_, atKill := replicaMail(mail, name)
	t.Logf("killed %s (replica %s) %s after the incident, %d messages received; %d deliveries claimed by it",
		victim, deadID, killedAt.Sub(committed).Round(time.Millisecond), atKill, inFlight)
	if procComponentStatus(survivor, comp) != "under_maintenance" {
		t.Fatal("the maintenance window ended before the kill: the test did not span it")
	}

	// Every subscriber gets the update: the survivor takes the dead
	// replica's claims over once their lease ends.
	done := procWait(t, 5*time.Minute, "every subscriber to receive the update", func() bool {
		got, _ := replicaMail(mail, name)
		return len(got) >= replicaSubscribers
	})
	t.Logf("every subscriber reached %s after the kill", done.Sub(killedAt).Round(time.Millisecond))
	procWait(t, time.Minute, "every delivery to be recorded as sent", func() bool {
		c, fanned := crashStats(survivor, inc.ID)
		return fanned && c.Pending == 0 && c.Sending == 0
	})
	if c, _ := crashStats(survivor, inc.ID); c.Sent != replicaSubscribers || c.Failed != 0 || c.Cancelled != 0 {
		t.Errorf("the incident's email deliveries: %+v, want %d sent and nothing else", c, replicaSubscribers)
	}
	got, total := replicaMail(mail, name)
	duplicates := total - len(got)
	missing := 0
	for i := 1; i <= replicaSubscribers; i++ {
		if got[crashAddress(i)] == 0 {
			missing++
		}
	}
	t.Logf("%d messages to %d subscribers: %d duplicates (bound: %d deliveries the killed replica had claimed)",
		total, len(got), duplicates, inFlight)
	if all := mail.Count(); all != total {
		t.Errorf("%d messages received, %d of them about the incident: want no other", all, total)
	}
	if missing != 0 || len(got) != replicaSubscribers {
		t.Errorf("%d subscribers received nothing; %d distinct recipients, want %d", missing, len(got), replicaSubscribers)
	}
	if duplicates > inFlight {
		t.Errorf("%d duplicates, more than the %d deliveries the killed replica had in flight", duplicates, inFlight)
	}

	// The window completes, once, on the survivor's watch.
	procWait(t, replicaWindow+time.Minute, "the maintenance to complete", func() bool {
		return procComponentStatus(survivor, comp) == "operational"
	})
	var final walkIncident
	survivor.api(200, "GET", "/incidents/"+m.ID, nil, &final)
	procCheckTimeline(t, final, comp, start, end)
	events := replicaEvents(survivor, m.ID)
	for kind, n := range events {
		if n != 1 {
			t.Errorf("the maintenance has %d %s events, want 1 (all: %v)", n, kind, events)
		}
	}
	if len(events) != 3 {
		t.Errorf("the maintenance's events %v, want one for its creation, start and completion", events)
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_updates WHERE incident_id = ?`, m.ID).Scan(&n); err != nil || n != 3 {
		t.Errorf("the maintenance has %d updates (%v), want 3: scheduled, in progress, completed", n, err)
	}
}
