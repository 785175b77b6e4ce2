package incidents_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	soon, later := t0.Add(time.Hour), t0.Add(2*time.Hour)
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprintf("%012d", i)
	}

	tests := []struct {
		name      string
		n         incidents.NewIncident
		wantField string // "" means the create succeeds
		wantMsg   string // a part of the message, when the field alone is ambiguous
	}{
		{"blank name", incidents.NewIncident{Name: ""}, "name", ""},
		{"whitespace name", incidents.NewIncident{Name: " \t\n "}, "name", ""},
		{"name of 256 characters", incidents.NewIncident{Name: strings.Repeat("é", 256)}, "name", ""},
		{"name of 255 characters", incidents.NewIncident{Name: strings.Repeat("é", 255)}, "", ""},
		{"body of 25001 characters", incidents.NewIncident{Name: "x", Body: strings.Repeat("b", 25001)}, "body", ""},
		{"body of 25000 characters", incidents.NewIncident{Name: "x", Body: strings.Repeat("b", 25000)}, "", ""},
		{"unknown component id", incidents.NewIncident{Name: "x", ComponentIDs: []string{p.api, "zzzzzzzzzzzz"}}, "component_ids", ""},
		{"unknown component in the map", incidents.NewIncident{Name: "x", Components: map[string]components.Status{"zzzzzzzzzzzz": major}}, "component_ids", ""},
		{"group as component", incidents.NewIncident{Name: "x", ComponentIDs: []string{p.platform}}, "component_ids", ""},
		{"group in the map", incidents.NewIncident{Name: "x", Components: map[string]components.Status{p.platform: major}}, "component_ids", ""},
		{"too many components", incidents.NewIncident{Name: "x", ComponentIDs: many}, "component_ids", "at most 500"},
		{"unknown component status", incidents.NewIncident{Name: "x", Components: map[string]components.Status{p.api: "down"}}, "components", ""},
		{"empty component status", incidents.NewIncident{Name: "x", Components: map[string]components.Status{p.api: ""}}, "components", ""},
		{"unknown status", incidents.NewIncident{Name: "x", Status: "bogus"}, "status", ""},
		{"postmortem on create", incidents.NewIncident{Name: "x", Status: incidents.Postmortem}, "status", ""},
		{"incident status with a window", incidents.NewIncident{Name: "x", Status: incidents.Identified, ScheduledFor: &soon, ScheduledUntil: &later}, "status", ""},
		{"maintenance status without a window", incidents.NewIncident{Name: "x", Status: incidents.InProgress}, "scheduled_for", ""},
		{"maintenance without scheduled_until", incidents.NewIncident{Name: "x", ScheduledFor: &soon}, "scheduled_for", ""},
		{"maintenance without scheduled_for", incidents.NewIncident{Name: "x", ScheduledUntil: &later}, "scheduled_for", ""},
		{"maintenance until equal to for", incidents.NewIncident{Name: "x", ScheduledFor: &soon, ScheduledUntil: &soon}, "scheduled_until", ""},
		{"maintenance until before for", incidents.NewIncident{Name: "x", ScheduledFor: &later, ScheduledUntil: &soon}, "scheduled_until", ""},
		{"unknown impact override", incidents.NewIncident{Name: "x", ImpactOverride: "severe"}, "impact_override", ""},
		{"maintenance", incidents.NewIncident{Name: "x", ScheduledFor: &soon, ScheduledUntil: &later, ComponentIDs: []string{p.api}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			in, err := e.svc.Create(e.ctx, tc.n)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if _, err := e.svc.Delete(e.ctx, in.ID); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := validationField(err); got != tc.wantField {
				t.Fatalf("error: got %v (field %q), want a ValidationError on %q", err, got, tc.wantField)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error: got %q, want it to mention %q", err, tc.wantMsg)
			}
			if after := e.counts(); !reflect.DeepEqual(after, before) {
				t.Errorf("database after a refused create: got %+v, want %+v", after, before)
			}
		})
	}
}

func TestUpdateValidation(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	inc := e.create(incidents.NewIncident{Name: "Outage", Components: map[string]components.Status{p.api: major}})
	mnt := e.create(incidents.NewIncident{Name: "Upgrade", ComponentIDs: []string{p.db},
		ScheduledFor: ptr(t0.Add(3 * time.Hour)), ScheduledUntil: ptr(t0.Add(4 * time.Hour))})
	e.clock.Advance(time.Minute)

	tests := []struct {
		name      string
		id        string
		c         incidents.Change
		wantField string
		wantErr   error
	}{
		{"blank name", inc.ID, incidents.Change{Name: ptr("  ")}, "name", nil},
		{"long name", inc.ID, incidents.Change{Name: ptr(strings.Repeat("n", 256))}, "name", nil},
		{"long body", inc.ID, incidents.Change{Body: ptr(strings.Repeat("b", 25001))}, "body", nil},
		{"unknown component status", inc.ID, incidents.Change{Components: map[string]components.Status{p.api: "broken"}}, "components", nil},
		{"unknown component", inc.ID, incidents.Change{Components: map[string]components.Status{"zzzzzzzzzzzz": op}}, "component_ids", nil},
		{"unknown listed component", inc.ID, incidents.Change{ComponentIDs: &[]string{p.api, "zzzzzzzzzzzz"}}, "component_ids", nil},
		{"group as component", inc.ID, incidents.Change{Components: map[string]components.Status{p.platform: op}}, "component_ids", nil},
		{"unknown status", inc.ID, incidents.Change{Status: ptr(incidents.Status("fixed"))}, "status", nil},
		{"incident to scheduled", inc.ID, incidents.Change{Status: ptr(incidents.Scheduled)}, "status", nil},
		{"incident to in_progress", inc.ID, incidents.Change{Status: ptr(incidents.InProgress)}, "status", nil},
		{"incident to verifying", inc.ID, incidents.Change{Status: ptr(incidents.Verifying)}, "status", nil},
		{"incident to completed", inc.ID, incidents.Change{Status: ptr(incidents.Completed)}, "status", nil},
		{"incident to postmortem", inc.ID, incidents.Change{Status: ptr(incidents.Postmortem)}, "status", nil},
		{"maintenance to investigating", mnt.ID, incidents.Change{Status: ptr(incidents.Investigating)}, "status", nil},
		{"maintenance to resolved", mnt.ID, incidents.Change{Status: ptr(incidents.Resolved)}, "status", nil},
		{"maintenance to postmortem", mnt.ID, incidents.Change{Status: ptr(incidents.Postmortem)}, "status", nil},
		{"window on an incident", inc.ID, incidents.Change{ScheduledFor: ptr(t0)}, "scheduled_for", nil},
		{"maintenance until before for", mnt.ID, incidents.Change{ScheduledUntil: ptr(t0.Add(2 * time.Hour))}, "scheduled_until", nil},
		{"maintenance moved past its end", mnt.ID, incidents.Change{ScheduledFor: ptr(t0.Add(5 * time.Hour))}, "scheduled_until", nil},
		{"unknown impact override", inc.ID, incidents.Change{ImpactOverride: ptr(components.Impact("huge"))}, "impact_override", nil},
		{"unknown incident", "zzzzzzzzzzzz", incidents.Change{Status: ptr(incidents.Resolved)}, "", incidents.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			var was incidents.Incident
			if tc.wantErr == nil {
				was = e.get(tc.id)
			}
			_, err := e.svc.Update(e.ctx, tc.id, tc.c)
			if err == nil {
				t.Fatalf("got no error, want one")
			}
			if got := validationField(err); got != tc.wantField {
				t.Errorf("error: got %v (field %q), want a ValidationError on %q", err, got, tc.wantField)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error: got %v, want %v", err, tc.wantErr)
			}
			if after := e.counts(); !reflect.DeepEqual(after, before) {
				t.Errorf("database after a refused update: got %+v, want %+v", after, before)
			}
			if tc.wantErr == nil {
				if now := e.get(tc.id); !reflect.DeepEqual(now, was) {
					t.Errorf("incident after a refused update: got %+v, want %+v", now, was)
				}
			}
		})
	}
}
