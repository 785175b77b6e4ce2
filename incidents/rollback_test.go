package incidents_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/notifier"
)

// TestFailedRequestWritesNothing checks that a request that fails, whether
// on a bad id or on an error after some rows were already written, leaves
// the database exactly as it was.
func TestFailedRequestWritesNothing(t *testing.T) {
	tests := []struct {
		name string
		// prepare runs before the snapshot; it returns the request, which
		// must fail.
		prepare func(e *env, p page) func() error
	}{
		{
			name: "create whose second component does not exist",
			prepare: func(e *env, p page) func() error {
				return func() error {
					_, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: "Outage",
						ComponentIDs: []string{p.api, "zzzzzzzzzzzz"},
						Components:   map[string]components.Status{p.api: major, "zzzzzzzzzzzz": major}})
					return err
				}
			},
		},
		{
			name: "update with one bad component id",
			prepare: func(e *env, p page) func() error {
				in := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{p.api: part}})
				return func() error {
					_, err := e.svc.Update(e.ctx, in.ID, incidents.Change{Status: ptr(incidents.Identified),
						Components: map[string]components.Status{p.api: major, p.db: major, "zzzzzzzzzzzz": major}})
					return err
				}
			},
		},
		{
			name: "create failing on its event after changing components",
			prepare: func(e *env, p page) func() error {
				e.failEvents(notifier.IncidentCreated)
				return func() error {
					_, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: "Outage",
						Components: map[string]components.Status{p.api: major, p.db: degr}})
					return err
				}
			},
		},
		{
			name: "create failing on its second component event",
			prepare: func(e *env, p page) func() error {
				// The first component event is written, the second aborts.
				e.failInserts("fail_second", "(SELECT COUNT(*) FROM notification_events) >= 1")
				return func() error {
					_, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: "Outage",
						Components: map[string]components.Status{p.api: major, p.db: degr}})
					return err
				}
			},
		},
		{
			name: "resolve failing on its event after returning components",
			prepare: func(e *env, p page) func() error {
				in := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{p.api: major, p.db: part}})
				e.clock.Advance(time.Minute)
				e.failEvents(notifier.IncidentResolved)
				return func() error {
					_, err := e.svc.Update(e.ctx, in.ID, incidents.Change{Status: ptr(incidents.Resolved)})
					return err
				}
			},
		},
		{
			name: "maintenance start failing on its event",
			prepare: func(e *env, p page) func() error {
				e.create(incidents.NewIncident{Name: "Upgrade", ComponentIDs: []string{p.api, p.db},
					ScheduledFor: ptr(t0.Add(30 * time.Minute)), ScheduledUntil: ptr(t0.Add(time.Hour))})
				e.clock.Set(t0.Add(30 * time.Minute))
				e.failEvents(notifier.MaintenanceStarted)
				return func() error {
					_, err := e.svc.RunDue(e.ctx)
					return err
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newPage(e)
			e.clock.Advance(time.Minute)
			request := tc.prepare(e, p)
			before := e.counts()
			var incBefore []incidents.Incident
			if list, err := e.svc.List(e.ctx, incidents.Filter{}); err != nil {
				t.Fatal(err)
			} else {
				incBefore = list
			}
			histBefore := map[string][]components.Interval{}
			for _, id := range []string{p.api, p.db, p.web} {
				histBefore[id] = e.history(id)
			}
			changedBefore := e.changed.Load()

			err := request()
			if err == nil {
				t.Fatalf("got no error, want the request to fail")
			}
			if after := e.counts(); !reflect.DeepEqual(after, before) {
				t.Errorf("database after a failed request: got %+v, want %+v", after, before)
			}
			list, lerr := e.svc.List(e.ctx, incidents.Filter{})
			if lerr != nil {
				t.Fatal(lerr)
			}
			if !reflect.DeepEqual(list, incBefore) {
				t.Errorf("incidents after a failed request: got %+v, want %+v", list, incBefore)
			}
			for _, id := range []string{p.api, p.db, p.web} {
				if got, want := e.history(id), histBefore[id]; !reflect.DeepEqual(got, want) {
					t.Errorf("history of %s: got %+v, want %+v", id, got, want)
				}
			}
			if got := e.changed.Load() - changedBefore; got != 0 {
				t.Errorf("changed calls after a failed request: got %d, want 0", got)
			}
		})
	}
}
