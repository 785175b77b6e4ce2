package notifier_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// failingHooks subscribes n webhooks that answer status to everything.
func failingHooks(t *testing.T, f *fixture, n, status int) {
	t.Helper()
	for i := range n {
		path := fmt.Sprintf("/hook%d", i)
		f.subscribe(t, notifier.Webhook, f.hooks.URL+path)
		f.hooks.failAlways(path, status)
	}
}

// The retry delay doubles from BackoffBase up to BackoffMax, and each
// delivery's delay is drawn from [delay/2, delay] so that a burst of
// failures does not retry in lockstep.
func TestBackoffGrowsWithJitter(t *testing.T) {
	f := newFixture(t)
	failingHooks(t, f, 20, http.StatusInternalServerError)
	cfg := testConfig()
	cfg.Channels[notifier.Webhook] = notifier.ChannelConfig{Batch: 20, MaxAttempts: 10, Lease: time.Minute}
	d := f.dispatcher(cfg, nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	for attempt := 1; attempt <= 6; attempt++ {
		if got := runOnce(t, d, notifier.Webhook); got != 20 {
			t.Fatalf("attempt %d: claimed %d, want 20", attempt, got)
		}
		now := f.clock.Now()
		offsets := map[time.Duration]bool{}
		for _, dl := range f.deliveries(t, "") {
			if dl.State != "pending" || dl.Attempts != attempt || dl.ErrorCode != "500" {
				t.Fatalf("attempt %d: got %+v, want pending with code 500", attempt, dl)
			}
			checkBackoff(t, dl, now, cfg.BackoffBase, cfg.BackoffMax)
			offsets[dl.NextAttemptAt.Sub(now)] = true
		}
		if len(offsets) < 2 {
			t.Errorf("attempt %d: all 20 deliveries retry after the same %v, want jitter", attempt, offsets)
		}
		// Nothing is due before the shortest possible delay.
		f.clock.Advance(min(cfg.BackoffMax, cfg.BackoffBase<<(attempt-1))/2 - time.Millisecond)
		if got := runOnce(t, d, notifier.Webhook); got != 0 {
			t.Fatalf("attempt %d: claimed %d before any backoff ended, want 0", attempt, got)
		}
		f.clock.Advance(cfg.BackoffMax)
	}
}

// A Retry-After longer than the backoff wins, even beyond BackoffMax; a
// shorter one does not shorten the backoff.
func TestBackoffRespectsRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		least      time.Duration
		most       time.Duration
	}{
		{"429 asking for 10 minutes", http.StatusTooManyRequests, "600", 10 * time.Minute, 10 * time.Minute},
		{"503 asking for 2 hours gets the webhook's cap", http.StatusServiceUnavailable, "7200", time.Hour, time.Hour},
		{"503 asking for 1 second", http.StatusServiceUnavailable, "1", 5 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
			cfg := testConfig() // backoff 10s to 80s
			d := f.dispatcher(cfg, nil)
			f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
			fanOutAll(t, d)
			f.hooks.failNext(1, tt.status, tt.retryAfter)
			runOnce(t, d, notifier.Webhook)
			dl := f.only(t, "")
			wait := dl.NextAttemptAt.Sub(f.clock.Now())
			if dl.State != "pending" || wait < tt.least || wait > tt.most {
				t.Errorf("got %s retrying after %s, want pending and between %s and %s", dl.State, wait, tt.least, tt.most)
			}
			f.clock.Advance(wait - time.Millisecond)
			if got := runOnce(t, d, notifier.Webhook); got != 0 {
				t.Errorf("claimed %d before Retry-After, want 0", got)
			}
			f.clock.Advance(time.Millisecond)
			if got := runOnce(t, d, notifier.Webhook); got != 1 {
				t.Errorf("claimed %d once due, want 1", got)
			}
		})
	}
}

// However many attempts, the delay stays within BackoffMax: doubling a
// long base many times must not overflow.
func TestBackoffCappedForManyAttempts(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, notifier.Webhook, f.hooks.URL+"/hook")
	f.hooks.failAlways("/hook", http.StatusBadGateway)
	cfg := testConfig()
	cfg.Channels[notifier.Webhook] = notifier.ChannelConfig{Batch: 1, MaxAttempts: 40, Lease: time.Minute}
	cfg.BackoffBase, cfg.BackoffMax = time.Hour, 2*time.Hour
	d := f.dispatcher(cfg, nil)
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	for attempt := 1; attempt < 40; attempt++ {
		if got := runOnce(t, d, notifier.Webhook); got != 1 {
			t.Fatalf("attempt %d: claimed %d, want 1", attempt, got)
		}
		dl := f.only(t, "")
		if dl.State != "pending" {
			t.Fatalf("attempt %d: got %s, want pending", attempt, dl.State)
		}
		checkBackoff(t, dl, f.clock.Now(), cfg.BackoffBase, cfg.BackoffMax)
		f.clock.Advance(cfg.BackoffMax)
	}
	runOnce(t, d, notifier.Webhook)
	if dl := f.only(t, ""); dl.State != "failed" || dl.Attempts != 40 {
		t.Errorf("got %+v, want failed after 40 attempts", dl)
	}
}
