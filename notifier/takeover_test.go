package notifier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// A batch starts no message once half its lease has passed: the rest go
// back to the queue before another replica may take them over, instead of
// being sent by both.
func TestBatchStopsAtHalfItsLease(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 4)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 4, MaxAttempts: 5, Lease: 200 * time.Millisecond}
	slow := senderFunc(func(ctx context.Context, m notifier.Message) (string, error) {
		time.Sleep(150 * time.Millisecond) // past half the lease
		return f.senders[notifier.Email].Send(ctx, m)
	})
	d := f.dispatcher(cfg, f.withSender(notifier.Email, slow))
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	if n := runOnce(t, d, notifier.Email); n != 4 {
		t.Fatalf("claimed %d, want 4", n)
	}
	if got := len(f.smtp.Received(0)); got != 1 {
		t.Errorf("the server got %d messages, want the first only", got)
	}
	for _, dl := range f.deliveries(t, "state = 'pending'") {
		if dl.ClaimedAt != nil || dl.Attempts != 0 {
			t.Errorf("after half the lease: got %+v, want handed back unattempted", dl)
		}
	}
	if got := f.states(t); got["sent"] != 1 || got["pending"] != 3 {
		t.Errorf("deliveries %v, want 1 sent and 3 pending", got)
	}
	if got := runUntilIdle(t, f.dispatcher(cfg, nil), notifier.Email); got != 3 {
		t.Errorf("the next runs claimed %d, want the 3 handed back", got)
	}
	checkMail(t, f, ev, ids, addrs)
}

// A replica whose lease ended mid-send and whose delivery another replica
// took over and sent does not overwrite that success with its own late
// failure, nor count the failure against the subscriber.
func TestLateFailureKeepsTakeoverSent(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 1)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 1, MaxAttempts: 5, Lease: time.Minute}
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, f.dispatcher(cfg, nil))

	started, finish := make(chan struct{}), make(chan struct{})
	stuck := senderFunc(func(context.Context, notifier.Message) (string, error) {
		close(started)
		<-finish
		return "", notifier.Permanent("550", errors.New("mailbox unavailable"))
	})
	cfgA := cfg
	cfgA.Replica = "replica-a"
	a := f.dispatcher(cfgA, f.withSender(notifier.Email, stuck))
	done := make(chan error, 1)
	go func() {
		_, err := a.RunOnce(context.Background(), notifier.Email)
		done <- err
	}()
	<-started
	f.clock.Advance(time.Minute) // a's lease ends
	cfgB := cfg
	cfgB.Replica = "replica-b"
	if n := runOnce(t, f.dispatcher(cfgB, nil), notifier.Email); n != 1 {
		t.Fatalf("replica b claimed %d after a's lease, want 1", n)
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	dl := f.deliveries(t, "")
	if len(dl) != 1 || dl[0].State != "sent" {
		t.Fatalf("deliveries %+v, want one, sent by replica b", dl)
	}
	var failures int
	if err := f.db.Read.QueryRow(`SELECT permanent_failures FROM subscribers WHERE id = ?`, ids[0]).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != 0 {
		t.Errorf("the subscriber has %d permanent failures, want 0: its message was delivered", failures)
	}
}

// A replica that loses its replica lock (its connection failed, and
// another holds the lock meanwhile) starts no message and claims nothing
// until it holds the lock again: the others may take its claims over.
func TestReplicaStopsSendingWithoutItsLock(t *testing.T) {
	ctx := context.Background()
	f, dbs := replicas(t, 2)
	a, other := dbs[0], dbs[1]
	ids, addrs := f.emailSubscribers(t, 4)
	cfg := testConfig()
	cfg.Poll = 10 * time.Millisecond
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 4, MaxAttempts: 5, Lease: time.Hour}
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, f.dispatcherOn(a, cfg, nil))

	started, proceed := make(chan struct{}, 8), make(chan struct{})
	gated := senderFunc(func(ctx context.Context, m notifier.Message) (string, error) {
		started <- struct{}{}
		<-proceed
		return f.senders[notifier.Email].Send(ctx, m)
	})
	stop := runAll(f.dispatcherOn(a, cfg, f.withSender(notifier.Email, gated)))
	defer stop()
	<-started

	// a's lock connection dies, and the lock is taken by another
	// connection before a can take it again.
	name := "beacon:replica:" + a.ReplicaID()
	var l *store.Lock
	for deadline := time.Now().Add(time.Minute); l == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("could not take a's replica lock within a minute")
		}
		if a.ReplicaLockHeld() {
			if _, err := other.Write.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = ? AND query LIKE '%pg_try_advisory_lock%'`, a.ReplicaID()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var err error
		if l, err = other.TryLock(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	close(proceed)
	waitFor(t, "the message being sent recorded, the rest handed back", func() bool {
		got := f.states(t)
		return got["sent"] == 1 && len(f.deliveries(t, "state = 'pending' AND claimed_at IS NULL")) == 3
	})
	time.Sleep(200 * time.Millisecond) // twenty polls of a's idle workers
	if got := len(f.smtp.Received(0)); got != 1 {
		t.Errorf("without its lock a sent %d messages, want only the one it had started", got)
	}
	if got := f.deliveries(t, "claimed_at IS NOT NULL"); len(got) != 0 {
		t.Errorf("without its lock a claimed %+v", got)
	}

	l.Release()
	waitFor(t, "a sending again once it holds its lock", func() bool { return f.states(t)["sent"] == 4 })
	stop()
	checkMail(t, f, ev, ids, addrs)
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}
