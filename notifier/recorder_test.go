package notifier_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
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
	notifier.WithoutSentLog(d) // with one, a place lasts until the log lists its message: TestSentLogAfterKill
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	arrived := make(chan struct{})
	f.smtp.OnReceive(func(got int) {
		if got == holdAt {
			close(arrived)
		}
	})
	runInBackground(t, d)
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

// TestSentLogAfterKill: on SQLite, a transaction holds the deliveries, so
// nothing can be recorded, while a worker sends a batch of 400 emails:
// every one still goes out, each sent message giving its place back once
// the sent log lists it, instead of waiting for a commit. The data
// directory is then copied as a SIGKILL would leave it (the database file,
// its WAL and the sent log, nothing of the process), and a dispatcher
// started on the copy records all 400 from the log and sends none again.
func TestSentLogAfterKill(t *testing.T) {
	if testutil.Engine() != store.SQLite {
		t.Skip("a sent log is kept on SQLite only: on PostgreSQL another replica takes a dead one's claims over")
	}
	const n = 400
	f := newFixture(t)
	f.emailSubscribers(t, n)
	cfg := testConfig()
	cfg.FanOutBatch = n
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 1, Batch: n, MaxAttempts: 5, Lease: time.Hour}
	d := f.dispatcher(cfg, nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	// The writer is held from the first message's arrival, before Beacon
	// hears of it: the batch is claimed, nothing is recorded yet.
	held, release, holding := make(chan error, 1), make(chan struct{}), make(chan struct{})
	var hold sync.Once
	f.smtp.OnReceive(func(int) {
		hold.Do(func() {
			go func() {
				held <- f.db.Tx(context.Background(), func(*sql.Tx) error {
					close(holding)
					<-release
					return nil
				})
			}()
			<-holding
		})
	})
	runInBackground(t, d)
	let := sync.OnceFunc(func() { close(release) })
	t.Cleanup(let) // first: a sender waiting for a place waits for a commit

	logged := func() int {
		lines, err := notifier.SentLogLines(f.db.Path())
		if err != nil {
			t.Fatal(err)
		}
		return lines
	}
	for deadline := time.Now().Add(30 * time.Second); f.smtp.Count() < n || logged() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("while nothing could be recorded, %d of %d messages arrived and the sent log listed %d: "+
				"the sender waited for commits (places: %d)", f.smtp.Count(), n, logged(), notifier.MaxUnrecorded)
		}
	}

	// The kill: the files as they are, the process's memory lost.
	killed := filepath.Join(t.TempDir(), "beacon.db")
	for _, suffix := range []string{"", "-wal", "-sent"} {
		data, err := os.ReadFile(f.db.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(killed+suffix, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	let()
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	db, err := testutil.Open(context.Background(), killed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := newFixtureOn(t, db)
	restarted := g.dispatcher(cfg, nil)
	runInBackground(t, restarted)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var sent int
		var providers int
		if err := db.Read.QueryRow(`SELECT COUNT(*), COUNT(NULLIF(provider_id, '')) FROM deliveries WHERE state = 'sent'`).Scan(&sent, &providers); err != nil {
			t.Fatal(err)
		}
		if sent == n {
			if providers != n {
				t.Errorf("%d of %d deliveries recorded with the server's message id", providers, n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart, %d of %d deliveries recorded as sent", sent, n)
		}
	}
	if got := g.smtp.Count(); got != 0 {
		t.Errorf("after the restart, %d messages sent again, want none: the sent log listed every one", got)
	}
	if lines, err := notifier.SentLogLines(killed); err != nil || lines != 0 {
		t.Errorf("the restarted dispatcher's sent log has %d lines (%v), want it emptied", lines, err)
	}
}
