package notifier_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// TestOutcomesRecordedMidBatch holds the 151st message of a batch of 200
// at the SMTP server: while the batch is still being sent, the 150
// messages before it are already recorded as sent. A process killed at
// that moment resends only what it had not recorded, not the whole batch.
func TestOutcomesRecordedMidBatch(t *testing.T) {
	const batch, before = 200, 150
	f := newFixture(t)
	f.emailSubscribers(t, batch)
	cfg := testConfig()
	cfg.FanOutBatch = batch
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 1, Batch: batch, MaxAttempts: 5, Lease: time.Hour}
	d := f.dispatcher(cfg, map[notifier.Channel]notifier.Sender{notifier.Email: f.senders[notifier.Email]})
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	f.smtp.PassNext(before)
	stalled := f.smtp.StallNext()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		f.smtp.HangUpAll() // ends the held message, and so the batch
		<-done
	})
	select {
	case <-stalled:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server never held message %d; it received %d", before+1, f.smtp.Count())
	}

	var sent, claimed int
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f.db.Read.QueryRow(`SELECT COUNT(*) FILTER (WHERE state = 'sent'), COUNT(*) FILTER (WHERE state = 'pending' AND claimed_at IS NOT NULL)
			FROM deliveries`).Scan(&sent, &claimed)
		if err != nil {
			t.Fatal(err)
		}
		if sent == before || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sent != before || claimed != batch-before {
		t.Errorf("while message %d was held: %d recorded as sent and %d claimed, want %d sent and %d still claimed",
			before+1, sent, claimed, before, batch-before)
	}
	if got := f.smtp.Count(); got != before {
		t.Errorf("the server accepted %d messages, want %d before the held one", got, before)
	}
}

// TestUnrecordedBound stops the recorder's commits (a transaction holds
// the deliveries) while two workers send 400 emails through a pipelining
// server: the messages that arrived without being recorded, those a kill
// would make Beacon send again, reach MaxUnrecorded and go no further. A
// message takes its place only when its final dot is written, so every
// place is then held by a message that arrived, none by one whose
// commands were still going back and forth. Once the commits resume,
// every subscriber gets the email once.
func TestUnrecordedBound(t *testing.T) {
	const n, holdAt = 400, 50
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, n)
	cfg := testConfig()
	cfg.FanOutBatch = n
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 2, Batch: 200, MaxAttempts: 5, Lease: time.Hour}
	d := f.dispatcher(cfg, nil)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	arrived := make(chan struct{})
	f.smtp.OnReceive(func(got int) {
		if got == holdAt {
			close(arrived)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server received %d messages, want %d before the commits stop", f.smtp.Count(), holdAt)
	}

	// recorded is what was recorded as sent once the holder has the
	// deliveries: nothing more is until it lets go.
	recorded, release, held := make(chan int, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		var once sync.Once
		held <- f.db.Tx(context.Background(), func(tx *sql.Tx) error {
			if f.db.Engine() == store.Postgres {
				// Before any query, so that its snapshot follows the lock.
				if _, err := tx.Exec(`LOCK TABLE deliveries IN EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			var sent int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE state = 'sent'`).Scan(&sent); err != nil {
				return err
			}
			once.Do(func() { recorded <- sent })
			<-release
			return nil
		})
	}()
	var before int
	select {
	case before = <-recorded:
	case err := <-held:
		t.Fatalf("hold the deliveries: %v", err)
	}
	unrecorded := func() int { return f.smtp.Count() - before }
	for deadline := time.Now().Add(30 * time.Second); unrecorded() < notifier.MaxUnrecorded && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // time enough to go past the bound, were it not kept
	if got := unrecorded(); got != notifier.MaxUnrecorded {
		t.Errorf("while nothing was recorded, %d messages arrived unrecorded, want the bound, %d", got, notifier.MaxUnrecorded)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("hold the deliveries: %v", err)
	}

	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var sent int
		if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE state = 'sent'`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries recorded as sent after the commits resumed", sent, n)
		}
	}
	checkMail(t, f, ev, ids, addrs)
}
