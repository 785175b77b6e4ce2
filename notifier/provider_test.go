package notifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// smsSent fans out one event to the given SMS numbers, sends it through the
// Twilio stand-in and returns each subscriber's message SID.
func smsSent(t *testing.T, f *fixture, d *notifier.Dispatcher, numbers ...string) map[string]string {
	t.Helper()
	for _, n := range numbers {
		f.subscribe(t, notifier.SMS, n)
	}
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	runUntilIdle(t, d, notifier.SMS)
	sids := map[string]string{}
	for _, dl := range f.deliveries(t, "channel = 'sms'") {
		if dl.State != "sent" || !strings.HasPrefix(dl.ProviderID, "SM") {
			t.Fatalf("got %+v, want sent with a message SID", dl)
		}
		sids[dl.SubscriberID] = dl.ProviderID
	}
	got := map[string]bool{}
	for _, m := range f.twilio.messages() {
		got[m.To] = true
	}
	for _, n := range numbers {
		if !got[n] {
			t.Errorf("Twilio got no message to %s", n)
		}
	}
	return sids
}

func TestRecordProviderStatus(t *testing.T) {
	ctx := context.Background()

	t.Run("delivered", func(t *testing.T) {
		f := newFixture(t)
		d := f.dispatcher(testConfig(), nil)
		sids := smsSent(t, f, d, "+14155550123")
		for sub, sid := range sids {
			for _, status := range []string{"sent", "delivered"} {
				found, err := d.RecordProviderStatus(ctx, sid, status, "")
				if err != nil || !found {
					t.Fatalf("%s: got %v, %v; want found", status, found, err)
				}
			}
			dl := f.only(t, "provider_id = ?", sid)
			if dl.ProviderStatus != "delivered" || dl.State != "sent" {
				t.Errorf("got %+v, want sent with provider status delivered", dl)
			}
			if got := f.state(t, sub); got != subscribers.Active {
				t.Errorf("got subscriber %s, want active", got)
			}
		}
	})

	t.Run("undelivered to a dead number", func(t *testing.T) {
		f := newFixture(t)
		d := f.dispatcher(testConfig(), nil)
		sids := smsSent(t, f, d, "+14155550123", "+14155550124")
		var dead, alive string
		for sub := range sids {
			if dead == "" {
				dead = sub
			} else {
				alive = sub
			}
		}
		found, err := d.RecordProviderStatus(ctx, sids[dead], "undelivered", "30005")
		if err != nil || !found {
			t.Fatalf("got %v, %v; want found", found, err)
		}
		dl := f.only(t, "provider_id = ?", sids[dead])
		if dl.State != "failed" || dl.ProviderStatus != "undelivered" || dl.ErrorCode != "30005" || !strings.Contains(dl.LastError, "undelivered") {
			t.Errorf("got %+v, want failed with code 30005", dl)
		}
		if got := f.state(t, dead); got != subscribers.Quarantined {
			t.Errorf("got subscriber %s, want quarantined", got)
		}
		if got := f.state(t, alive); got != subscribers.Active {
			t.Errorf("other subscriber: got %s, want active", got)
		}
		if dl := f.only(t, "provider_id = ?", sids[alive]); dl.State != "sent" {
			t.Errorf("other delivery: got %s, want sent", dl.State)
		}
	})

	t.Run("failed for a reason that is not the number's", func(t *testing.T) {
		f := newFixture(t)
		d := f.dispatcher(testConfig(), nil)
		sids := smsSent(t, f, d, "+14155550123")
		for sub, sid := range sids {
			if found, err := d.RecordProviderStatus(ctx, sid, "failed", "30008"); err != nil || !found {
				t.Fatalf("got %v, %v; want found", found, err)
			}
			if dl := f.only(t, "provider_id = ?", sid); dl.State != "failed" || dl.ErrorCode != "30008" {
				t.Errorf("got %+v, want failed with 30008", dl)
			}
			if got := f.state(t, sub); got != subscribers.Active {
				t.Errorf("got subscriber %s, want active", got)
			}
		}
	})

	t.Run("unknown message", func(t *testing.T) {
		f := newFixture(t)
		d := f.dispatcher(testConfig(), nil)
		smsSent(t, f, d, "+14155550123")
		for _, sid := range []string{"SM00000000000000000000000000000000", ""} {
			found, err := d.RecordProviderStatus(ctx, sid, "undelivered", "30005")
			if err != nil || found {
				t.Errorf("sid %q: got %v, %v; want not found, nil", sid, found, err)
			}
		}
		if got := f.states(t); got["sent"] != 1 || len(got) != 1 {
			t.Errorf("got states %v, want the one delivery still sent", got)
		}
	})
}

func TestStats(t *testing.T) {
	f := newFixture(t)
	_, addrs := f.emailSubscribers(t, 4)
	f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 4, MaxAttempts: 5, Lease: time.Minute}
	cfg.Channels[notifier.Webhook] = notifier.ChannelConfig{Batch: 1, MaxAttempts: 5, Lease: time.Minute}
	d := f.dispatcher(cfg, nil)
	created := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	updated := f.addEvent(t, incidentEvent(notifier.IncidentUpdated, "inc1"))
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "other")) // another incident
	ctx := context.Background()

	// Before fan-out: the events, no deliveries.
	st, err := f.outbox.Stats(ctx, "inc1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].EventID != created || st[1].EventID != updated || st[0].FannedOut || len(st[0].Channels) != 0 {
		t.Fatalf("before fan-out: got %+v, want two events not fanned out, no counts", st)
	}

	fanOutAll(t, d)
	// First event: one email refused for good, one deferred, two sent;
	// the webhook sent.
	f.smtp.FailNext(1, "rcpt", 550)
	f.smtp.FailNext(1, "rcpt", 451)
	if got := runOnce(t, d, notifier.Email); got != 4 {
		t.Fatalf("claimed %d, want 4", got)
	}
	runOnce(t, d, notifier.Webhook)
	// Second event: the process dies holding the batch.
	crash(t, f, cfg, notifier.Email)

	st, err = f.outbox.Stats(ctx, "inc1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 {
		t.Fatalf("got %d events, want 2", len(st))
	}
	first, second := st[0], st[1]
	if first.Kind != notifier.IncidentCreated || first.UpdateID != "inc1-u" || !first.FannedOut {
		t.Errorf("got %+v, want the fanned-out creation", first)
	}
	if got, want := first.Channels[notifier.Email], (notifier.Counts{Pending: 1, Sent: 2, Failed: 1}); got != want {
		t.Errorf("first event email: got %+v, want %+v", got, want)
	}
	if got, want := first.Channels[notifier.Webhook], (notifier.Counts{Sent: 1}); got != want {
		t.Errorf("first event webhook: got %+v, want %+v", got, want)
	}
	if _, ok := first.Channels[notifier.SMS]; ok {
		t.Errorf("got SMS counts %+v with no SMS subscriber", first.Channels[notifier.SMS])
	}
	if got, want := second.Channels[notifier.Email], (notifier.Counts{Sending: 4}); got != want {
		t.Errorf("second event email: got %+v, want %+v", got, want)
	}
	if got, want := second.Channels[notifier.Webhook], (notifier.Counts{Pending: 1}); got != want {
		t.Errorf("second event webhook: got %+v, want %+v", got, want)
	}

	if len(first.Failures) != 2 {
		t.Fatalf("got failures %+v, want 2", first.Failures)
	}
	byCode := map[string]notifier.Failure{}
	for _, fl := range first.Failures {
		byCode[fl.Code] = fl
		if fl.Channel != notifier.Email || fl.Error == "" || !fl.At.Equal(f.clock.Now()) {
			t.Errorf("got failure %+v, want an email failure with its error, at %s", fl, f.clock.Now())
		}
		if strings.Contains(fl.Error, addrs[fl.SubscriberID]) {
			t.Errorf("failure %q shows the address", fl.Error)
		}
	}
	if fl, ok := byCode["550"]; !ok || !fl.Final {
		t.Errorf("got %+v, want a final 550", byCode)
	}
	if fl, ok := byCode["451"]; !ok || fl.Final {
		t.Errorf("got %+v, want a non-final 451", byCode)
	}
	if len(second.Failures) != 0 {
		t.Errorf("second event: got failures %+v, want none", second.Failures)
	}

	// An incident without events has none.
	if st, err := f.outbox.Stats(ctx, "nothing"); err != nil || len(st) != 0 {
		t.Errorf("got %+v, %v; want no events", st, err)
	}
}
