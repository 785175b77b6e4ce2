package incidents_test

import (
	"testing"
	"time"

	"github.com/beacon-status/beacon/incidents"
)

// TestMaintenanceSequence follows one maintenance's calendar sequence
// through the changes staff make: it rises when the window moves or the
// maintenance is cancelled (or that is undone), stays put for every other
// change, and survives a restart.
func TestMaintenanceSequence(t *testing.T) {
	e := newEnv(t)
	api := e.component("API", "")
	from, until := t0.Add(24*time.Hour), t0.Add(26*time.Hour)
	m := e.create(incidents.NewIncident{Name: "Database upgrade", ScheduledFor: &from, ScheduledUntil: &until, ComponentIDs: []string{api}})
	id := m.ID
	steps := []struct {
		name      string
		change    incidents.Change
		restart   bool
		want      int
		cancelled bool
	}{
		{name: "renamed", change: incidents.Change{Name: ptr("Database upgrade (v16)")}, want: 0},
		{name: "same window sent again", change: incidents.Change{ScheduledFor: ptr(from), ScheduledUntil: ptr(until)}, want: 0},
		{name: "same window in another zone", change: incidents.Change{ScheduledFor: ptr(from.In(time.FixedZone("X", 3600)))}, want: 0},
		{name: "a moment within the same second", change: incidents.Change{ScheduledFor: ptr(from.Add(time.Millisecond))}, want: 0},
		{name: "update posted", change: incidents.Change{Body: ptr("Still on for tomorrow.")}, want: 0},
		{name: "start moved", change: incidents.Change{ScheduledFor: ptr(from.Add(time.Hour))}, want: 1},
		{name: "end moved", change: incidents.Change{ScheduledUntil: ptr(until.Add(time.Hour))}, want: 2},
		{name: "after a restart", restart: true, want: 2},
		{name: "both moved at once", change: incidents.Change{ScheduledFor: ptr(from.Add(48 * time.Hour)), ScheduledUntil: ptr(until.Add(48 * time.Hour))}, want: 3},
		{name: "cancelled", change: incidents.Change{Status: ptr(incidents.Completed), Body: ptr("This scheduled maintenance has been cancelled.")}, want: 4, cancelled: true},
		{name: "cancelled one renamed", change: incidents.Change{Name: ptr("Database upgrade (called off)")}, want: 4, cancelled: true},
		{name: "cancellation undone", change: incidents.Change{Status: ptr(incidents.Scheduled)}, want: 5},
	}
	for _, st := range steps {
		if st.restart {
			e.restart()
		} else {
			e.update(id, st.change)
		}
		got := e.get(id)
		if got.Sequence != st.want || got.Cancelled() != st.cancelled {
			t.Errorf("%s: sequence %d, cancelled %v; want %d, %v", st.name, got.Sequence, got.Cancelled(), st.want, st.cancelled)
		}
	}

	// A maintenance that ran and completed on time, or was completed early
	// once under way, took place: it is not cancelled, and its sequence
	// stays.
	for _, early := range []bool{false, true} {
		e.clock.Set(t0)
		m := e.create(incidents.NewIncident{Name: "Cache flush", ScheduledFor: ptr(t0.Add(time.Hour)), ScheduledUntil: ptr(t0.Add(2 * time.Hour))})
		e.clock.Set(t0.Add(90 * time.Minute))
		e.runDue()
		if early {
			e.update(m.ID, incidents.Change{Status: ptr(incidents.Completed)})
		} else {
			e.clock.Set(t0.Add(3 * time.Hour))
			e.runDue()
		}
		got := e.get(m.ID)
		if got.Status != incidents.Completed || got.Cancelled() || got.Sequence != 0 {
			t.Errorf("completed (early %v): status %s, cancelled %v, sequence %d; want completed, false, 0", early, got.Status, got.Cancelled(), got.Sequence)
		}
	}

	// An incident is never cancelled and has no sequence.
	in := e.create(incidents.NewIncident{Name: "Errors"})
	e.update(in.ID, incidents.Change{Status: ptr(incidents.Resolved)})
	if got := e.get(in.ID); got.Sequence != 0 || got.Cancelled() {
		t.Errorf("incident: sequence %d, cancelled %v", got.Sequence, got.Cancelled())
	}
}
