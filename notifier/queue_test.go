package notifier_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// A webhook sign-up queues a test delivery; its success confirms the
// webhook.
func TestDirectDeliveryConfirmsWebhook(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.subs.Subscribe(ctx, subscribers.Signup{Mode: notifier.Webhook, Address: f.hooks.URL + "/new"})
	if err != nil {
		t.Fatal(err)
	}
	sub := res.Subscriber.ID
	if res.Subscriber.State != subscribers.Unconfirmed {
		t.Fatalf("got %s, want unconfirmed", res.Subscriber.State)
	}
	dl := f.only(t, "")
	if dl.EventID != 0 || dl.Purpose != string(notifier.PurposeConfirm) || dl.State != "pending" || dl.SubscriberID != sub {
		t.Fatalf("got %+v, want a pending confirmation", dl)
	}
	d := f.dispatcher(testConfig(), nil)
	if got := runOnce(t, d, notifier.Webhook); got != 1 {
		t.Fatalf("claimed %d, want 1", got)
	}
	if dl := f.only(t, ""); dl.State != "sent" {
		t.Errorf("got %s, want sent", dl.State)
	}
	if got := f.state(t, sub); got != subscribers.Active {
		t.Errorf("got %s after the test delivery, want active", got)
	}
	if reqs := f.hooks.received(); len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), "confirm "+sub) {
		t.Errorf("got requests %+v, want one confirmation", reqs)
	}
}

// An SMS sign-up queues its code; the renderer sees it, and once sent it is
// erased from the queue.
func TestDirectDeliveryDataIsErased(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.subs.Subscribe(ctx, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123"}); err != nil {
		t.Fatal(err)
	}
	var data string
	if err := f.db.Read.QueryRowContext(ctx, `SELECT data FROM deliveries`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if len(data) != 6 {
		t.Fatalf("got queued data %q, want a 6-digit code", data)
	}
	d := f.dispatcher(testConfig(), nil)
	runOnce(t, d, notifier.SMS)
	msgs := f.twilio.messages()
	if len(msgs) != 1 || !strings.HasSuffix(msgs[0].Body, " "+data) || msgs[0].To != "+14155550123" {
		t.Errorf("got %+v, want the code sent to +14155550123", msgs)
	}
	if err := f.db.Read.QueryRowContext(ctx, `SELECT data FROM deliveries`).Scan(&data); err != nil || data != "" {
		t.Errorf("got data %q, %v after sending, want it erased", data, err)
	}
}

func TestEnqueueRejectsUnknownChannel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		return f.outbox.EnqueueTx(ctx, tx, notifier.Direct{SubscriberID: "x", Channel: "pigeon", Purpose: notifier.PurposeConfirm, At: start})
	})
	if err == nil {
		t.Error("got nil, want an error for an unknown channel")
	}
	if err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		return f.outbox.AddTx(ctx, tx, notifier.Event{Kind: "incident_exploded"})
	}); err == nil {
		t.Error("got nil, want an error for an unknown event kind")
	}
	if got := f.deliveries(t, ""); len(got) != 0 {
		t.Errorf("got %d deliveries, want 0", len(got))
	}
}

// Events written in a transaction that rolls back leave no trace; those
// committed are listed with what was written.
func TestOutboxAddTxIsTransactional(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	errAbort := errors.New("abort")
	err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := f.outbox.AddTx(ctx, tx, incidentEvent(notifier.IncidentCreated, "aborted")); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("got %v, want the abort", err)
	}
	want := notifier.Event{Kind: notifier.ComponentStatusChanged, ComponentID: "c1", OldStatus: "operational",
		NewStatus: "major_outage", ComponentIDs: []string{"c1"}, DeliverNotifications: true, CreatedAt: start}
	id := f.addEvent(t, want)
	events, err := f.outbox.Events(ctx, notifier.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("got %d events, want 1", len(events))
	}
	got := events[0]
	want.ID = id
	if got.ID != want.ID || got.Kind != want.Kind || got.ComponentID != "c1" || got.OldStatus != want.OldStatus ||
		got.NewStatus != want.NewStatus || len(got.ComponentIDs) != 1 || !got.DeliverNotifications ||
		!got.CreatedAt.Equal(start) || got.FannedOutAt != nil {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestSMSFailures(t *testing.T) {
	t.Run("429 backs off, then delivered", func(t *testing.T) {
		f := newFixture(t)
		sub := f.subscribe(t, notifier.SMS, "+14155550123")
		d := f.dispatcher(testConfig(), nil)
		f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		f.twilio.failNext(http.StatusTooManyRequests, 20429, "120")
		runOnce(t, d, notifier.SMS)
		dl := f.only(t, "")
		if wait := dl.NextAttemptAt.Sub(f.clock.Now()); dl.State != "pending" || dl.ErrorCode != "20429" || wait < 2*time.Minute {
			t.Fatalf("got %+v retrying after %s, want pending with 20429 for at least Retry-After", dl, wait)
		}
		f.clock.Advance(2 * time.Minute)
		runOnce(t, d, notifier.SMS)
		if dl := f.only(t, ""); dl.State != "sent" || dl.Attempts != 2 {
			t.Errorf("got %+v, want sent on the second attempt", dl)
		}
		if got := len(f.twilio.messages()); got != 1 {
			t.Errorf("Twilio accepted %d messages, want 1", got)
		}
		if got := f.state(t, sub); got != subscribers.Active {
			t.Errorf("got %s, want active", got)
		}
	})

	// A permanent refusal fails the delivery; what happens to the
	// subscriber depends on Twilio's code.
	for _, tt := range []struct {
		code int
		want subscribers.State
	}{
		{21610, subscribers.Unsubscribed}, // the number replied STOP
		{21211, subscribers.Quarantined},  // not a valid number
	} {
		t.Run(fmt.Sprintf("%d makes the subscriber %s", tt.code, tt.want), func(t *testing.T) {
			f := newFixture(t)
			sub := f.subscribe(t, notifier.SMS, "+14155550123")
			d := f.dispatcher(testConfig(), nil)
			f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
			fanOutAll(t, d)
			f.twilio.failNext(http.StatusBadRequest, tt.code, "")
			runOnce(t, d, notifier.SMS)
			if dl := f.only(t, ""); dl.State != "failed" || dl.ErrorCode != fmt.Sprint(tt.code) {
				t.Errorf("got %+v, want failed with %d", dl, tt.code)
			}
			if got := f.state(t, sub); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
