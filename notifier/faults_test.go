package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// checkBackoff checks that a delivery that failed on attempt n at now is
// due again within the jittered window of the backoff for n: [delay/2,
// delay] with delay = min(max, base << (n-1)).
func checkBackoff(t *testing.T, dl deliveryRow, now time.Time, base, maxDelay time.Duration) {
	t.Helper()
	delay := maxDelay
	if n := dl.Attempts; n < 20 {
		delay = min(maxDelay, base<<(n-1))
	}
	lo, hi := now.Add(delay/2), now.Add(delay)
	if dl.NextAttemptAt.Before(lo) || dl.NextAttemptAt.After(hi) {
		t.Errorf("after attempt %d: got next attempt at +%s, want between +%s and +%s",
			dl.Attempts, dl.NextAttemptAt.Sub(now), delay/2, delay)
	}
}

func TestSMTPTemporaryFailureIsRetried(t *testing.T) {
	for _, stage := range []string{"rcpt", "data"} {
		t.Run(stage, func(t *testing.T) {
			f := newFixture(t)
			ids, addrs := f.emailSubscribers(t, 1)
			cfg := testConfig()
			d := f.dispatcher(cfg, nil)
			ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
			fanOutAll(t, d)
			f.smtp.FailNext(1, stage, 451)

			runOnce(t, d, notifier.Email)
			dl := f.only(t, "")
			if dl.State != "pending" || dl.Attempts != 1 || dl.ErrorCode != "451" || dl.ClaimedAt != nil ||
				!strings.Contains(dl.LastError, "451") || !strings.Contains(dl.LastError, "temporary") {
				t.Fatalf("after a 451: got %+v, want pending, 1 attempt, code 451 and the reply in last_error", dl)
			}
			if strings.Contains(dl.LastError, addrs[ids[0]]) {
				t.Errorf("last_error %q holds the recipient's address", dl.LastError)
			}
			checkBackoff(t, dl, f.clock.Now(), cfg.BackoffBase, cfg.BackoffMax)
			if got := len(f.smtp.Received(0)); got != 0 {
				t.Fatalf("server accepted %d messages, want 0", got)
			}

			// Not due yet.
			if got := runOnce(t, d, notifier.Email); got != 0 {
				t.Errorf("during the backoff: claimed %d, want 0", got)
			}
			f.clock.Advance(dl.NextAttemptAt.Sub(f.clock.Now()))
			if got := runOnce(t, d, notifier.Email); got != 1 {
				t.Fatalf("when due: claimed %d, want 1", got)
			}
			dl = f.only(t, "")
			if dl.State != "sent" || dl.Attempts != 2 || dl.ErrorCode != "" || dl.LastError != "" {
				t.Errorf("after the retry: got %+v, want sent after 2 attempts with the error cleared", dl)
			}
			checkMail(t, f, ev, ids, addrs)
			if got := f.state(t, ids[0]); got != subscribers.Active {
				t.Errorf("got subscriber %s, want active", got)
			}
		})
	}
}

func TestSMTPPermanentFailureIsNotRetried(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 2)
	d := f.dispatcher(testConfig(), nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	f.smtp.FailNext(1, "rcpt", 550)

	if got := runOnce(t, d, notifier.Email); got != 2 {
		t.Fatalf("claimed %d, want 2", got)
	}
	failed := f.only(t, "state = 'failed'")
	if failed.Attempts != 1 || failed.ErrorCode != "550" || !strings.Contains(failed.LastError, "permanent") || failed.ClaimedAt != nil {
		t.Errorf("got %+v, want failed after 1 attempt with code 550", failed)
	}
	if sent := f.deliveries(t, "state = 'sent'"); len(sent) != 1 {
		t.Errorf("got %d sent, want the other one sent", len(sent))
	}
	f.clock.Advance(24 * time.Hour)
	if got := runOnce(t, d, notifier.Email); got != 0 {
		t.Errorf("a day later: claimed %d, want 0 (no retry)", got)
	}
	if got := len(f.smtp.Received(0)); got != 1 {
		t.Errorf("server accepted %d messages, want 1", got)
	}
	// One bounce is not enough to quarantine.
	for _, id := range ids {
		if got := f.state(t, id); got != subscribers.Active {
			t.Errorf("subscriber %s: got %s, want active", id, got)
		}
	}
}

func TestRepeatedBouncesQuarantine(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 1)
	sub := ids[0]
	d := f.dispatcher(testConfig(), nil)
	ctx := context.Background()

	// bounce sends one event to the subscriber, refused with 550.
	bounce := func(incident string) {
		t.Helper()
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, incident))
		fanOutAll(t, d)
		f.smtp.FailNext(1, "rcpt", 550)
		if got := runOnce(t, d, notifier.Email); got != 1 {
			t.Fatalf("claimed %d, want 1", got)
		}
	}

	// Two bounces, then a delivery: the count starts again.
	bounce("inc1")
	bounce("inc2")
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc3"))
	fanOutAll(t, d)
	runOnce(t, d, notifier.Email)
	bounce("inc4")
	bounce("inc5")
	if got := f.state(t, sub); got != subscribers.Active {
		t.Fatalf("after 2 bounces in a row: got %s, want active", got)
	}
	bounce("inc6")
	if got := f.state(t, sub); got != subscribers.Quarantined {
		t.Fatalf("after 3 bounces in a row: got %s, want quarantined", got)
	}

	// A quarantined subscriber hears no more.
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc7"))
	if got := fanOutAll(t, d); got != 0 {
		t.Errorf("fan-out to a quarantined subscriber created %d deliveries, want 0", got)
	}
	if n, _ := d.RunOnce(ctx, notifier.Email); n != 0 {
		t.Errorf("claimed %d, want 0", n)
	}
	if got := f.states(t); got["failed"] != 5 || got["sent"] != 1 || len(got) != 2 {
		t.Errorf("got states %v, want 5 failed and 1 sent", got)
	}
}

// Four events fanned out before the first bounce: the third bounce
// quarantines, and the delivery still queued for the subscriber (in the
// next batch) is then cancelled rather than sent.
func TestQuarantineCancelsQueuedDeliveries(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 1)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 3, MaxAttempts: 5, Lease: time.Minute}
	d := f.dispatcher(cfg, nil)
	for _, inc := range []string{"inc1", "inc2", "inc3", "inc4"} {
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, inc))
	}
	fanOutAll(t, d)
	f.smtp.FailNext(3, "rcpt", 550)
	runUntilIdle(t, d, notifier.Email)
	if got := f.state(t, ids[0]); got != subscribers.Quarantined {
		t.Errorf("got %s, want quarantined", got)
	}
	if got := f.states(t); got["failed"] != 3 || got["cancelled"] != 1 {
		t.Errorf("got states %v, want 3 failed and 1 cancelled", got)
	}
	if got := len(f.smtp.Received(0)); got != 0 {
		t.Errorf("server accepted %d messages, want 0", got)
	}
}

func TestSMTPDropMidDataRedials(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 3)
	d := f.dispatcher(testConfig(), nil)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	runOnce(t, d, notifier.Email) // warm the connection
	conns := f.smtp.Connections()

	ev2 := f.addEvent(t, incidentEvent(notifier.IncidentUpdated, "inc1"))
	fanOutAll(t, d)
	f.smtp.DropNext(1)
	if got := runOnce(t, d, notifier.Email); got != 3 {
		t.Fatalf("claimed %d, want 3", got)
	}
	for _, dl := range f.deliveries(t, "event_id = ?", ev2) {
		if dl.State != "sent" || dl.Attempts != 1 {
			t.Errorf("got %+v, want sent on the first attempt", dl)
		}
	}
	if got := f.smtp.Connections(); got <= conns {
		t.Errorf("got %d connections after the drop, want a new one (had %d)", got, conns)
	}
	// Each subscriber has exactly one message per event.
	perEvent := map[string]int{}
	for _, m := range f.smtp.Received(0) {
		if sm := subjectPattern.FindStringSubmatch(string(m.Data)); sm != nil {
			perEvent[sm[1]+"/"+sm[2]]++
		}
	}
	for _, e := range []int64{ev, ev2} {
		for _, id := range ids {
			if n := perEvent[fmt.Sprintf("%d/%s", e, id)]; n != 1 {
				t.Errorf("event %d, subscriber %s (%s): got %d messages, want 1", e, id, addrs[id], n)
			}
		}
	}
	if len(perEvent) != 6 {
		t.Errorf("got %d distinct messages, want 6", len(perEvent))
	}
}

func TestMaxAttemptsWithTemporaryFailures(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 1)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 10, MaxAttempts: 3, Lease: time.Minute}
	d := f.dispatcher(cfg, nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	f.smtp.FailNext(10, "data", 452)

	for attempt := 1; attempt <= 3; attempt++ {
		if got := runOnce(t, d, notifier.Email); got != 1 {
			t.Fatalf("attempt %d: claimed %d, want 1", attempt, got)
		}
		dl := f.only(t, "")
		if dl.Attempts != attempt || dl.ErrorCode != "452" {
			t.Fatalf("attempt %d: got %+v", attempt, dl)
		}
		wantState := "pending"
		if attempt == 3 {
			wantState = "failed"
		}
		if dl.State != wantState {
			t.Fatalf("after attempt %d: got %s, want %s", attempt, dl.State, wantState)
		}
		f.clock.Advance(cfg.BackoffMax)
	}
	if got := runOnce(t, d, notifier.Email); got != 0 {
		t.Errorf("after giving up: claimed %d, want 0", got)
	}
	// Temporary failures say nothing against the address.
	if got := f.state(t, ids[0]); got != subscribers.Active {
		t.Errorf("got subscriber %s, want active", got)
	}
}

func TestWebhookFailures(t *testing.T) {
	t.Run("5xx is retried", func(t *testing.T) {
		f := newFixture(t)
		sub := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
		cfg := testConfig()
		d := f.dispatcher(cfg, nil)
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		f.hooks.failNext(2, http.StatusInternalServerError, "")

		for attempt := 1; attempt <= 2; attempt++ {
			runOnce(t, d, notifier.Webhook)
			dl := f.only(t, "")
			if dl.State != "pending" || dl.Attempts != attempt || dl.ErrorCode != "500" {
				t.Fatalf("after attempt %d: got %+v, want pending with code 500", attempt, dl)
			}
			checkBackoff(t, dl, f.clock.Now(), cfg.BackoffBase, cfg.BackoffMax)
			f.clock.Advance(dl.NextAttemptAt.Sub(f.clock.Now()))
		}
		runOnce(t, d, notifier.Webhook)
		if dl := f.only(t, ""); dl.State != "sent" || dl.Attempts != 3 {
			t.Errorf("got %+v, want sent on the third attempt", dl)
		}
		reqs := f.hooks.received()
		if len(reqs) != 3 {
			t.Fatalf("got %d requests, want 3", len(reqs))
		}
		for _, r := range reqs {
			if r.Path != "/hook" || !strings.Contains(string(r.Body), sub) || r.Signature == "" {
				t.Errorf("got request %+v, want a signed post about %s to /hook", r, sub)
			}
		}
	})

	t.Run("4xx fails at once", func(t *testing.T) {
		f := newFixture(t)
		sub := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
		d := f.dispatcher(testConfig(), nil)
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		f.hooks.failNext(1, http.StatusGone, "")
		runOnce(t, d, notifier.Webhook)
		if dl := f.only(t, ""); dl.State != "failed" || dl.ErrorCode != "410" {
			t.Errorf("got %+v, want failed with 410", dl)
		}
		if got := f.state(t, sub); got != subscribers.Active {
			t.Errorf("got %s after one failure, want active", got)
		}
	})

	t.Run("ten failures within an hour quarantine", func(t *testing.T) {
		f := newFixture(t)
		sub := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
		other := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/other")
		cfg := testConfig()
		cfg.Channels[notifier.Webhook] = notifier.ChannelConfig{Batch: 10, MaxAttempts: 50, Lease: time.Minute}
		cfg.BackoffBase, cfg.BackoffMax = time.Second, 4*time.Minute
		d := f.dispatcher(cfg, nil)
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		f.hooks.failAlways("/hook", http.StatusServiceUnavailable)

		for attempt := 1; attempt <= 10; attempt++ {
			if got := f.state(t, sub); got != subscribers.Active {
				t.Fatalf("before attempt %d: got %s, want active", attempt, got)
			}
			if got := runOnce(t, d, notifier.Webhook); got == 0 {
				t.Fatalf("attempt %d: claimed nothing", attempt)
			}
			f.clock.Advance(4 * time.Minute) // 10 attempts in 40 minutes
		}
		if got := f.state(t, sub); got != subscribers.Quarantined {
			t.Fatalf("after 10 failures within an hour: got %s, want quarantined", got)
		}
		if got := f.state(t, other); got != subscribers.Active {
			t.Errorf("other webhook: got %s, want active", got)
		}
		// The delivery still queued is cancelled, not sent again.
		runOnce(t, d, notifier.Webhook)
		if dl := f.only(t, "subscriber_id = ?", sub); dl.State != "cancelled" || dl.Attempts != 11 {
			t.Errorf("got %+v, want cancelled", dl)
		}
		if got := len(f.hooks.received()); got != 11 {
			t.Errorf("receiver got %d requests, want 10 to /hook and 1 to /other", got)
		}
	})

	t.Run("failures spread over more than an hour do not quarantine", func(t *testing.T) {
		f := newFixture(t)
		sub := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
		cfg := testConfig()
		cfg.Channels[notifier.Webhook] = notifier.ChannelConfig{Batch: 10, MaxAttempts: 50, Lease: time.Minute}
		cfg.BackoffBase, cfg.BackoffMax = time.Second, 7*time.Minute
		d := f.dispatcher(cfg, nil)
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		f.hooks.failAlways("/hook", http.StatusServiceUnavailable)
		for range 12 {
			runOnce(t, d, notifier.Webhook)
			f.clock.Advance(7 * time.Minute) // at most 9 in any hour
		}
		if got := f.state(t, sub); got != subscribers.Active {
			t.Errorf("got %s, want active", got)
		}
	})
}

// A renderer's error fails the delivery. It is Beacon's own failure, not
// the subscriber's: it must not count against the address.
func TestRenderErrorFailsWithoutBlamingTheSubscriber(t *testing.T) {
	f := newFixture(t)
	mail := f.subscribe(t, notifier.Email, "a@example.com")
	text := f.subscribe(t, notifier.SMS, "+14155550123")
	hook := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
	errBroken := errors.New("template is broken")
	f.renderer.fail = func(notifier.Delivery) error { return errBroken }
	d := f.dispatcher(testConfig(), nil)
	for _, inc := range []string{"inc1", "inc2", "inc3", "inc4"} {
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, inc))
	}
	fanOutAll(t, d)
	for _, ch := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		runUntilIdle(t, d, ch)
	}
	for _, dl := range f.deliveries(t, "") {
		if dl.State != "failed" || !strings.Contains(dl.LastError, errBroken.Error()) {
			t.Errorf("got %+v, want failed with the renderer's error", dl)
		}
	}
	for _, id := range []string{mail, text, hook} {
		if got := f.state(t, id); got != subscribers.Active {
			t.Errorf("subscriber %s: got %s after render errors, want active", id, got)
		}
	}
}

// A delivery claimed more than MaxAttempts times without an outcome (the
// process died while sending it, again and again) is given up. That says
// nothing about the subscriber's address either.
func TestRepeatedCrashesGiveUpWithoutBlamingTheSubscriber(t *testing.T) {
	f := newFixture(t)
	sub := f.subscribe(t, notifier.SMS, "+14155550123")
	cfg := testConfig()
	cfg.Channels[notifier.SMS] = notifier.ChannelConfig{Batch: 10, MaxAttempts: 2, Lease: time.Minute}
	d := f.dispatcher(cfg, nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	for range 2 {
		crash(t, f, cfg, notifier.SMS)
		f.clock.Advance(time.Minute)
	}
	if got := runOnce(t, d, notifier.SMS); got != 1 {
		t.Fatalf("claimed %d, want 1", got)
	}
	if dl := f.only(t, ""); dl.State != "failed" || dl.Attempts != 3 || !strings.Contains(dl.LastError, "maximum number of attempts") {
		t.Errorf("got %+v, want failed after giving up", dl)
	}
	if got := len(f.twilio.messages()); got != 0 {
		t.Errorf("Twilio got %d messages, want 0", got)
	}
	if got := f.state(t, sub); got != subscribers.Active {
		t.Errorf("got subscriber %s, want active", got)
	}
}
