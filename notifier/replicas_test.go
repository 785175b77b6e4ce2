package notifier_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// The replica tests run dispatchers on several handles of one PostgreSQL
// database, each with its own replica id, as several beacon serve
// processes would.

// replicas returns a fixture on a fresh database and n more handles on
// it, each a replica of its own; a handle closed by the test is a replica
// that died.
func replicas(t *testing.T, n int) (*fixture, []*store.DB) {
	t.Helper()
	if testutil.Engine() != store.Postgres {
		t.Skip("replicas share a PostgreSQL database")
	}
	ctx := context.Background()
	addr := testutil.NewDatabase(t)
	var dbs []*store.DB
	for i := range n + 1 {
		db, err := testutil.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if i == 0 {
			if err := db.Migrate(ctx, migrationSets()...); err != nil {
				t.Fatal(err)
			}
		}
		dbs = append(dbs, db)
	}
	return newFixtureOn(t, dbs[0]), dbs[1:]
}

// dispatcherOn is the fixture's dispatcher on db, a replica's handle.
func (f *fixture) dispatcherOn(db *store.DB, cfg notifier.Config, senders map[notifier.Channel]notifier.Sender) *notifier.Dispatcher {
	if senders == nil {
		senders = f.senders
	}
	return notifier.NewDispatcher(db, f.subs, f.renderer, senders, cfg, f.clock.Now, slog.New(slog.DiscardHandler), nil)
}

// runAll runs every dispatcher until stop is called, which waits for them.
func runAll(ds ...*notifier.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { d.Run(ctx) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// claimOwners counts deliveries in state by the replica that claimed them.
func (f *fixture) claimOwners(t *testing.T, state string) map[string]int {
	t.Helper()
	rows, err := f.db.Read.Query(`SELECT claimed_by, COUNT(*) FROM deliveries WHERE state = ? GROUP BY claimed_by`, state)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var owner string
		var n int
		if err := rows.Scan(&owner, &n); err != nil {
			t.Fatal(err)
		}
		out[owner] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Two live replicas share the queue: each message is claimed by one of
// them and sent once, and both do part of the work.
func TestReplicasDeliverOnce(t *testing.T) {
	const subscribers = 300
	f, dbs := replicas(t, 2)
	ids, addrs := f.emailSubscribers(t, subscribers)
	cfg := testConfig()
	cfg.Poll = 10 * time.Millisecond
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 2, Batch: 5, MaxAttempts: 5, Lease: time.Hour}
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	stop := runAll(f.dispatcherOn(dbs[0], cfg, nil), f.dispatcherOn(dbs[1], cfg, nil))
	defer stop()

	deadline := time.Now().Add(60 * time.Second)
	for f.states(t)["sent"] < subscribers {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: deliveries %v, %d messages at the server", f.states(t), len(f.smtp.Received(0)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	checkMail(t, f, ev, ids, addrs)
	owners := f.claimOwners(t, "sent")
	if len(owners) != 2 || owners[dbs[0].ReplicaID()] == 0 || owners[dbs[1].ReplicaID()] == 0 {
		t.Errorf("sent deliveries by claiming replica: %v, want some by each of %s and %s", owners, dbs[0].ReplicaID(), dbs[1].ReplicaID())
	}
}

// A replica that starts (ReleaseClaims) leaves a live replica's claims
// alone, and hands back those of a replica that died, a minute after it
// finds it dead; without ReleaseClaims, the lease alone lets another
// replica take them over.
func TestReplicaClaimsOutliveOthersStart(t *testing.T) {
	ctx := context.Background()
	f, dbs := replicas(t, 3)
	live, dead, starting := dbs[0], dbs[1], dbs[2]
	if err := live.HoldReplicaLock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := dead.HoldReplicaLock(ctx); err != nil {
		t.Fatal(err)
	}
	f.emailSubscribers(t, 8)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 4, MaxAttempts: 5, Lease: 2 * time.Minute}
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, f.dispatcherOn(starting, cfg, nil))
	dies := f.withSender(notifier.Email, senderFunc(func(context.Context, notifier.Message) (string, error) { panic(errCrash) }))
	for _, db := range []*store.DB{live, dead} {
		func() {
			defer func() {
				if r := recover(); r != errCrash {
					t.Fatalf("got %v, want the simulated crash", r)
				}
			}()
			_, _ = f.dispatcherOn(db, cfg, dies).RunOnce(ctx, notifier.Email)
		}()
	}
	if got := f.claimOwners(t, "pending"); got[live.ReplicaID()] != 4 || got[dead.ReplicaID()] != 4 {
		t.Fatalf("claims by replica: %v, want 4 by each of %s and %s", got, live.ReplicaID(), dead.ReplicaID())
	}

	d := f.dispatcherOn(starting, cfg, nil)
	if n, err := d.ReleaseClaims(ctx); err != nil || n != 0 {
		t.Errorf("ReleaseClaims with both replicas alive: got %d, %v; want 0, nil", n, err)
	}
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	releaseDead(t, f, d, 4) // a minute after it is found dead
	if got := runUntilIdle(t, d, notifier.Email); got != 4 {
		t.Errorf("the starting replica claimed %d, want the dead one's 4", got)
	}
	// The live replica's claims come due only when their lease ends.
	f.clock.Advance(time.Minute)
	if got := runUntilIdle(t, d, notifier.Email); got != 4 {
		t.Errorf("after the lease the starting replica claimed %d, want the live one's 4", got)
	}
	if got := f.states(t); got["sent"] != 8 || len(got) != 1 {
		t.Errorf("deliveries %v, want 8 sent", got)
	}
	if got := len(f.smtp.Received(0)); got != 8 {
		t.Errorf("the server got %d messages, want 8", got)
	}
}

// A channel with a rate limit sends from one replica at a time, so that
// the rate holds across replicas.
func TestRateLimitedChannelSendsFromOneReplica(t *testing.T) {
	const texts = 20
	f, dbs := replicas(t, 2)
	for i := range texts {
		f.subscribe(t, notifier.SMS, smsNumber(i))
	}
	cfg := testConfig()
	cfg.Poll = 10 * time.Millisecond
	cfg.Channels[notifier.SMS] = notifier.ChannelConfig{Workers: 2, Batch: 2, Rate: 1000, Burst: 10, MaxAttempts: 5, Lease: time.Hour}
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	stop := runAll(f.dispatcherOn(dbs[0], cfg, nil), f.dispatcherOn(dbs[1], cfg, nil))
	defer stop()
	deadline := time.Now().Add(60 * time.Second)
	for f.states(t)["sent"] < texts {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: deliveries %v", f.states(t))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if got := f.claimOwners(t, "sent"); len(got) != 1 {
		t.Errorf("SMS sent by replica: %v, want all by one", got)
	}
	if got := len(f.twilio.messages()); got != texts {
		t.Errorf("the stand-in got %d messages, want %d", got, texts)
	}
}

// smsNumber is the i-th of the test's US mobile numbers.
func smsNumber(i int) string { return fmt.Sprintf("+1415555%04d", 100+i) }

// One replica at a time fans out: while another holds the fan-out's lock,
// FanOutOnce finds no work, and takes the event up once it is free.
func TestFanOutOneReplicaAtATime(t *testing.T) {
	ctx := context.Background()
	f, dbs := replicas(t, 1)
	f.emailSubscribers(t, 3)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	d := f.dispatcher(testConfig(), nil)

	holding := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- dbs[0].BackgroundTx(ctx, func(tx *sql.Tx) error {
			if ok, err := dbs[0].TryXactLock(ctx, tx, "notifier.fanout"); err != nil || !ok {
				return fmt.Errorf("take the fan-out lock: %v, %v", ok, err)
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	n, more, err := d.FanOutOnce(ctx)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err != nil || n != 0 || more {
		t.Errorf("while another replica fans out: got %d, %v, %v; want 0, false, nil", n, more, err)
	}
	if got := fanOutAll(t, d); got != 3 {
		t.Errorf("once it is free: %d deliveries, want 3", got)
	}
}
