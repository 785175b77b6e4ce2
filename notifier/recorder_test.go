package notifier_test

import (
	"context"
	"testing"
	"time"

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
