package notifier_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// TestBacklog: an event counts until it is fanned out, then each delivery
// counts under its channel until sent.
func TestBacklog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.emailSubscribers(t, 3)
	f.subscribe(t, notifier.SMS, "+14155550100")
	check := func(step string, wantEvents int, want map[notifier.Channel]int) {
		t.Helper()
		events, deliveries, err := f.outbox.Backlog(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if events != wantEvents || !maps.Equal(deliveries, want) {
			t.Errorf("%s: got %d events, deliveries %v; want %d, %v", step, events, deliveries, wantEvents, want)
		}
	}
	check("empty", 0, map[notifier.Channel]int{notifier.Email: 0, notifier.SMS: 0, notifier.Webhook: 0})
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	check("written", 1, map[notifier.Channel]int{notifier.Email: 0, notifier.SMS: 0, notifier.Webhook: 0})
	d := f.dispatcher(testConfig(), nil)
	for {
		_, more, err := d.FanOutOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	check("fanned out", 0, map[notifier.Channel]int{notifier.Email: 3, notifier.SMS: 1, notifier.Webhook: 0})
}

// TestQueue: per channel, deliveries waiting, claimed, and sent or failed
// since the time asked about.
func TestQueue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.emailSubscribers(t, 4)
	f.subscribe(t, notifier.SMS, "+14155550100")
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 2, MaxAttempts: 5, Lease: time.Minute}
	d := f.dispatcher(cfg, nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	f.smtp.FailNext(1, "rcpt", 550)
	runOnce(t, d, notifier.Email) // one failed, one sent
	f.clock.Advance(time.Hour)
	runOnce(t, d, notifier.Email) // two more sent, an hour later
	crash(t, f, cfg, notifier.SMS)

	got, err := f.outbox.Queue(ctx, start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := map[notifier.Channel]notifier.Counts{
		notifier.Email:   {Sent: 2},
		notifier.SMS:     {Sending: 1},
		notifier.Webhook: {},
	}
	if !maps.Equal(got, want) {
		t.Errorf("since a minute after the first batch: got %+v, want %+v", got, want)
	}
	got, err = f.outbox.Queue(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	want[notifier.Email] = notifier.Counts{Sent: 3, Failed: 1}
	if !maps.Equal(got, want) {
		t.Errorf("since the start: got %+v, want %+v", got, want)
	}
}
