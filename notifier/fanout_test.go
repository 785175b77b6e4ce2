package notifier_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/beacon-status/beacon/notifier"
)

// fanOutState returns an event's fan-out cursor and whether it is done.
func (f *fixture) fanOutState(t *testing.T, eventID int64) (cursor string, done bool) {
	t.Helper()
	var at *string
	err := f.db.Read.QueryRowContext(context.Background(),
		`SELECT fanout_cursor, fanned_out_at FROM notification_events WHERE id = ?`, eventID).Scan(&cursor, &at)
	if err != nil {
		t.Fatal(err)
	}
	return cursor, at != nil
}

func TestFanOutInBatches(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 50)
	cfg := testConfig()
	cfg.FanOutBatch = 7
	d := f.dispatcher(cfg, nil)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	ctx := context.Background()

	// 50 subscribers in batches of 7: seven full batches, each leaving the
	// cursor at the last subscriber it reached, then a short one that
	// finishes the event.
	for i := range 7 {
		n, more, err := d.FanOutOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 7 || !more {
			t.Fatalf("batch %d: got %d created, more %v; want 7, true", i, n, more)
		}
		cursor, done := f.fanOutState(t, ev)
		if want := ids[7*i+6]; cursor != want || done {
			t.Fatalf("batch %d: got cursor %q done %v, want %q not done", i, cursor, done, want)
		}
		if got := len(f.deliveries(t, "")); got != 7*(i+1) {
			t.Fatalf("batch %d: got %d deliveries, want %d", i, got, 7*(i+1))
		}
	}
	n, more, err := d.FanOutOnce(ctx)
	if err != nil || n != 1 || !more {
		t.Fatalf("last batch: got %d, %v, %v; want 1, true, nil", n, more, err)
	}
	if cursor, done := f.fanOutState(t, ev); cursor != "" || !done {
		t.Fatalf("after the last batch: got cursor %q done %v, want cleared and done", cursor, done)
	}
	n, more, err = d.FanOutOnce(ctx)
	if err != nil || n != 0 || more {
		t.Fatalf("with nothing left: got %d, %v, %v; want 0, false, nil", n, more, err)
	}

	ds := f.deliveries(t, "")
	var got []string
	for _, dl := range ds {
		if dl.EventID != ev || dl.Channel != notifier.Email || dl.State != "pending" || dl.Attempts != 0 || dl.Purpose != "event" {
			t.Errorf("got delivery %+v, want a pending email for event %d", dl, ev)
		}
		if !dl.NextAttemptAt.Equal(start) {
			t.Errorf("got next_attempt_at %s, want %s (due at once)", dl.NextAttemptAt, start)
		}
		got = append(got, dl.SubscriberID)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("got deliveries to %v, want one to each of %v", got, ids)
	}
}

// A batch that exactly fills FanOutBatch cannot tell that it was the last:
// the next call finds nobody left and finishes the event.
func TestFanOutExactMultipleOfBatch(t *testing.T) {
	f := newFixture(t)
	f.emailSubscribers(t, 14)
	cfg := testConfig()
	cfg.FanOutBatch = 7
	d := f.dispatcher(cfg, nil)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	if got := fanOutAll(t, d); got != 14 {
		t.Errorf("got %d deliveries, want 14", got)
	}
	if _, done := f.fanOutState(t, ev); !done {
		t.Error("got event not fanned out, want fanned_out_at set")
	}
}

func TestFanOutIsIdempotent(t *testing.T) {
	f := newFixture(t)
	f.emailSubscribers(t, 20)
	cfg := testConfig()
	cfg.FanOutBatch = 6
	d := f.dispatcher(cfg, nil)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	if got := fanOutAll(t, d); got != 20 {
		t.Fatalf("got %d deliveries, want 20", got)
	}

	ctx := context.Background()
	tests := []struct {
		name  string
		reset string // SQL putting the event back as if its fan-out had not finished
	}{
		{"from the start", `UPDATE notification_events SET fanned_out_at = NULL, fanout_cursor = '' WHERE id = ?`},
		{"from a stale cursor", `UPDATE notification_events SET fanned_out_at = NULL,
			fanout_cursor = (SELECT MIN(subscriber_id) FROM deliveries) WHERE id = ?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.db.Write.ExecContext(ctx, tt.reset, ev); err != nil {
				t.Fatal(err)
			}
			if got := fanOutAll(t, d); got != 0 {
				t.Errorf("re-run created %d deliveries, want 0", got)
			}
			if got := len(f.deliveries(t, "")); got != 20 {
				t.Errorf("got %d deliveries, want 20", got)
			}
			if _, done := f.fanOutState(t, ev); !done {
				t.Error("got event not fanned out after the re-run")
			}
		})
	}

	// A new dispatcher, as after a restart, finds nothing to do either.
	if n, more, err := f.dispatcher(cfg, nil).FanOutOnce(ctx); n != 0 || more || err != nil {
		t.Errorf("after restart: got %d, %v, %v; want 0, false, nil", n, more, err)
	}
}

// Events are fanned out oldest first, one at a time.
func TestFanOutEventsInOrder(t *testing.T) {
	f := newFixture(t)
	f.emailSubscribers(t, 3)
	cfg := testConfig()
	cfg.FanOutBatch = 2
	d := f.dispatcher(cfg, nil)
	first := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	second := f.addEvent(t, incidentEvent(notifier.IncidentUpdated, "inc1"))
	ctx := context.Background()

	if _, _, err := d.FanOutOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(f.deliveries(t, "event_id = ?", second)); got != 0 {
		t.Errorf("got %d deliveries of the second event before the first was done, want 0", got)
	}
	fanOutAll(t, d)
	for _, ev := range []int64{first, second} {
		if got := len(f.deliveries(t, "event_id = ?", ev)); got != 3 {
			t.Errorf("event %d: got %d deliveries, want 3", ev, got)
		}
	}
}

// TestFanOutRouting checks who hears about which event on which channel.
func TestFanOutRouting(t *testing.T) {
	all := []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook, notifier.Slack}
	noSMS := []notifier.Channel{notifier.Email, notifier.Webhook, notifier.Slack}
	tests := []struct {
		kind         notifier.EventKind
		deliver      bool
		keyMoments   bool // SMSKeyMomentsOnly
		withoutSMS   bool // no SMS sender configured
		wantChannels []notifier.Channel
	}{
		{notifier.IncidentCreated, true, true, false, all},
		{notifier.IncidentUpdated, true, true, false, noSMS},
		{notifier.IncidentUpdated, true, false, false, all},
		{notifier.IncidentResolved, true, true, false, all},
		{notifier.MaintenanceScheduled, true, true, false, all},
		{notifier.MaintenanceReminder, true, true, false, noSMS},
		{notifier.MaintenanceReminder, true, false, false, all},
		{notifier.MaintenanceStarted, true, true, false, all},
		{notifier.MaintenanceUpdated, true, true, false, noSMS},
		{notifier.MaintenanceCompleted, true, true, false, all},
		{notifier.PostmortemPublished, true, false, false, noSMS},
		{notifier.ComponentStatusChanged, true, false, false, []notifier.Channel{notifier.Webhook}},
		{notifier.IncidentCreated, false, false, false, nil},
		{notifier.ComponentStatusChanged, false, false, false, nil},
		{notifier.IncidentCreated, true, false, true, noSMS},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s deliver=%v keyMomentsOnly=%v withoutSMS=%v", tt.kind, tt.deliver, tt.keyMoments, tt.withoutSMS)
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			byChannel := map[notifier.Channel]string{
				notifier.Email:   f.subscribe(t, notifier.Email, "a@example.com"),
				notifier.SMS:     f.subscribe(t, notifier.SMS, "+14155550123"),
				notifier.Webhook: f.subscribe(t, notifier.Webhook, f.hooks.URL+"/a"),
				notifier.Slack:   f.subscribe(t, notifier.Slack, f.hooks.URL+"/services/T/B/x"),
			}
			cfg := testConfig()
			cfg.SMSKeyMomentsOnly = tt.keyMoments
			senders := f.senders
			if tt.withoutSMS {
				senders = map[notifier.Channel]notifier.Sender{notifier.Email: f.senders[notifier.Email], notifier.Webhook: f.senders[notifier.Webhook],
					notifier.Slack: f.senders[notifier.Slack]}
			}
			d := f.dispatcher(cfg, senders)
			e := notifier.Event{Kind: tt.kind, DeliverNotifications: tt.deliver}
			if tt.kind == notifier.ComponentStatusChanged {
				e.ComponentID, e.OldStatus, e.NewStatus = "c1", "operational", "major_outage"
			} else {
				e.IncidentID, e.UpdateID = "inc1", "u1"
			}
			ev := f.addEvent(t, e)
			created := fanOutAll(t, d)

			var got []notifier.Channel
			for _, dl := range f.deliveries(t, "") {
				if dl.EventID != ev || dl.SubscriberID != byChannel[dl.Channel] {
					t.Errorf("got delivery %+v, want one for event %d to the %s subscriber", dl, ev, dl.Channel)
				}
				got = append(got, dl.Channel)
			}
			slices.Sort(got)
			want := slices.Clone(tt.wantChannels)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got deliveries on %v, want %v", got, want)
			}
			if created != len(want) {
				t.Errorf("FanOutOnce reported %d created, want %d", created, len(want))
			}
			if _, done := f.fanOutState(t, ev); !done {
				t.Error("got event not fanned out, want done")
			}
		})
	}
}

// Subscribers to a set of components hear only about events touching one
// of them; subscribers to everything hear about every event; an event
// touching no component reaches everyone. Only active subscribers hear.
func TestFanOutComponentsAndStates(t *testing.T) {
	f := newFixture(t)
	api := f.component(t, "API")
	web := f.component(t, "Website")
	db := f.component(t, "Database")
	everything := f.subscribe(t, notifier.Email, "all@example.com")
	apiOnly := f.subscribe(t, notifier.Email, "api@example.com", api)
	webOnly := f.subscribe(t, notifier.Email, "web@example.com", web)
	apiOrDB := f.subscribe(t, notifier.Webhook, f.hooks.URL+"/api-db", api, db)
	left := f.subscribe(t, notifier.Email, "left@example.com")
	if err := f.subs.Unsubscribe(context.Background(), left); err != nil {
		t.Fatal(err)
	}
	d := f.dispatcher(testConfig(), nil)

	tests := []struct {
		name       string
		components []string
		want       []string
	}{
		{"API", []string{api}, []string{everything, apiOnly, apiOrDB}},
		{"Website", []string{web}, []string{everything, webOnly}},
		{"Database and Website", []string{db, web}, []string{everything, webOnly, apiOrDB}},
		{"no component", nil, []string{everything, apiOnly, webOnly, apiOrDB}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, fmt.Sprintf("inc%d", i), tt.components...))
			fanOutAll(t, d)
			var got []string
			for _, dl := range f.deliveries(t, "event_id = ?", ev) {
				got = append(got, dl.SubscriberID)
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got recipients %v, want %v", got, want)
			}
		})
	}
}
