package integrations_test

import (
	"context"

	"github.com/beacon-status/beacon/internal/accounts"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/notifier"
)

// A flap with no incident to update (a draft, or a dismissed one) changed
// the page quietly; still firing when its window ends, subscribers are
// told the component's status, once, so that what they last heard is not
// "operational" while the page shows an outage.
func TestFlapWithoutIncidentIsTold(t *testing.T) {
	for _, dismiss := range []bool{false, true} {
		name := "draft"
		if dismiss {
			name = "dismissed"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			it := e.integration(integrations.Generic, integrations.Input{})
			e.receive(it, "generic-firing.json")
			if dismiss {
				d, err := e.svc.Drafts(e.ctx)
				if err != nil || len(d) != 1 {
					t.Fatalf("drafts %+v, %v; want one", d, err)
				}
				if err := e.svc.DismissDraft(e.ctx, d[0].ID); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Advance(30 * time.Second)
			e.receive(it, "generic-resolved.json")
			e.clock.Advance(30 * time.Second)
			e.receive(it, "generic-firing.json")
			e.wantStatus(e.api, components.MajorOutage)
			if n, q := e.told(notifier.ComponentStatusChanged); n != 2 || q != 1 {
				t.Fatalf("component events: %d told, %d quiet before the window ends; want 2, 1", n, q)
			}
			e.clock.Advance(integrations.DefaultFlapWindow)
			var recorded []string
			n, err := e.svc.RunDue(e.ctx, func(_ context.Context, entries ...accounts.Entry) error {
				for _, en := range entries {
					recorded = append(recorded, en.Action+" "+en.Target)
				}
				return nil
			})
			if err != nil || n != 1 {
				t.Fatalf("RunDue: %d, %v; want 1", n, err)
			}
			if n, q := e.told(notifier.ComponentStatusChanged); n != 3 || q != 1 {
				t.Errorf("component events: %d told, %d quiet; want the outage told once more", n, q)
			}
			events, err := e.outbox.Events(e.ctx, notifier.EventFilter{})
			if err != nil {
				t.Fatal(err)
			}
			last := events[len(events)-1]
			if last.ComponentID != e.api || last.NewStatus != string(components.MajorOutage) || !last.DeliverNotifications {
				t.Errorf("last event %+v, want API's major outage told", last)
			}
			if len(recorded) != 1 || recorded[0] != "integration: notify component major_outage "+e.api {
				t.Errorf("audit %q, want the notification recorded", recorded)
			}
			logged, err := e.svc.Alerts(e.ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := logged[0].Outcome; !strings.Contains(got, "told subscribers API major outage") {
				t.Errorf("log %q, want it to say subscribers were told", got)
			}
			if n, _ := e.svc.RunDue(e.ctx, nil); n != 0 {
				t.Errorf("RunDue again handled %d, want 0", n)
			}
			if n, _ := e.told(notifier.ComponentStatusChanged); n != 3 {
				t.Errorf("%d component events told, want still 3", n)
			}
		})
	}
}

// A group RunDue cannot handle does not hold up the groups after it: they
// are handled, and its error is returned.
func TestRunDueGoesOnPastAFailingGroup(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{})
	for _, key := range []string{"api", "web"} {
		comp := map[string]string{"api": "API", "web": "Web"}[key]
		e.receive(it, generic(comp, "major_outage", key))
		e.receive(it, generic(comp, "resolved", key))
		e.receive(it, generic(comp, "major_outage", key))
		e.clock.Advance(time.Second) // api's window ends first
	}
	// The api group's row is broken: RunDue cannot read it.
	if _, err := e.db.Write.ExecContext(e.ctx, `UPDATE integration_groups SET alerts = 'broken' WHERE key = 'api'`); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(integrations.DefaultFlapWindow)
	for i := range 2 {
		n, err := e.svc.RunDue(e.ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "due flap") {
			t.Errorf("run %d: error %v, want the broken group's", i, err)
		}
		if want := 1 - i; n != want {
			t.Errorf("run %d: handled %d, want %d", i, n, want)
		}
	}
	events, err := e.outbox.Events(e.ctx, notifier.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var told int
	for _, ev := range events {
		if ev.ComponentID == e.web && ev.NewStatus == string(components.MajorOutage) && ev.DeliverNotifications {
			told++
		}
	}
	if told != 2 {
		t.Errorf("web's outage told %d times, want 2 (its first firing and after the flap window)", told)
	}
}

// Two runners (replicas) that both listed a group as due tell its
// subscribers once: the one that comes second finds the group told. Here
// the second runner runs, whole, between the first one's two groups.
func TestRunDueTellsOnceAcrossRunners(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{})
	for _, key := range []string{"api", "web"} {
		comp := map[string]string{"api": "API", "web": "Web"}[key]
		e.receive(it, generic(comp, "major_outage", key))
		e.receive(it, generic(comp, "resolved", key))
		e.receive(it, generic(comp, "major_outage", key))
	}
	before, _ := e.told(notifier.ComponentStatusChanged)
	e.clock.Advance(integrations.DefaultFlapWindow)
	other := integrations.NewService(e.db, e.comps, e.incs, e.clock.Now, nil)
	var second int
	first, err := e.svc.RunDue(e.ctx, func(ctx context.Context, _ ...accounts.Entry) error {
		if second == 0 {
			n, err := other.RunDue(ctx, nil)
			second = n
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if first != 1 || second != 1 {
		t.Errorf("handled %d by the first runner and %d by the second, want 1 each", first, second)
	}
	if after, _ := e.told(notifier.ComponentStatusChanged); after-before != 2 {
		t.Errorf("%d component events told, want 2 (API's and Web's, once each)", after-before)
	}
}

// On PostgreSQL a transaction may run its function again after losing a
// conflict: RunDue then reports and records what its committed run did,
// not both runs' changes (store.ForceRetries makes every transaction run
// twice, on either engine).
func TestRunDueRunsAgain(t *testing.T) {
	e := newEnv(t)
	it := e.integration(integrations.Generic, integrations.Input{})
	e.receive(it, "generic-firing.json")
	e.receive(it, "generic-resolved.json")
	e.receive(it, "generic-firing.json")
	e.clock.Advance(integrations.DefaultFlapWindow)
	e.db.ForceRetries(true)
	var recorded []string
	n, err := e.svc.RunDue(e.ctx, func(_ context.Context, entries ...accounts.Entry) error {
		for _, en := range entries {
			recorded = append(recorded, en.Action+" "+en.Target)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("RunDue: %d, %v; want 1", n, err)
	}
	if want := []string{"integration: notify component major_outage " + e.api}; !slices.Equal(recorded, want) {
		t.Errorf("audit %q, want %q", recorded, want)
	}
	if n, _ := e.told(notifier.ComponentStatusChanged); n != 3 {
		t.Errorf("%d component events told, want 3 (the first firing, the flap's end, and the one after the window)", n)
	}
}
