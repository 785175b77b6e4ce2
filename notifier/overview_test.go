package notifier_test

import (
	"context"
	"maps"
	"testing"

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
