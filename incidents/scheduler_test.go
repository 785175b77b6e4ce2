package incidents_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// The window every scheduler test uses: announced at t0, starting two hours
// later, lasting two hours.
var (
	winStart  = t0.Add(2 * time.Hour)
	winEnd    = t0.Add(4 * time.Hour)
	remindAt  = winStart.Add(-incidents.ReminderLead)
	reminder1 = "Maintenance will begin as scheduled in 60 minutes."
)

// evWant is an expected event: its kind, its deliver flag and, for a
// component event, the change.
type evWant struct {
	kind     notifier.EventKind
	deliver  bool
	comp     string
	old, new components.Status
}

func (w evWant) String() string {
	if w.kind == notifier.ComponentStatusChanged {
		return fmt.Sprintf("%s(%s %s→%s deliver=%v)", w.kind, w.comp, w.old, w.new, w.deliver)
	}
	return fmt.Sprintf("%s(deliver=%v)", w.kind, w.deliver)
}

func asWant(evs []notifier.Event) []evWant {
	out := make([]evWant, len(evs))
	for i, ev := range evs {
		out[i] = evWant{kind: ev.Kind, deliver: ev.DeliverNotifications, comp: ev.ComponentID,
			old: components.Status(ev.OldStatus), new: components.Status(ev.NewStatus)}
	}
	return out
}

// normalize sorts each run of consecutive component events by component,
// since their order within one update follows the components' order.
func normalize(ws []evWant) []evWant {
	out := slices.Clone(ws)
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && out[j].kind == notifier.ComponentStatusChanged {
			j++
		}
		if j > i {
			slices.SortFunc(out[i:j], func(a, b evWant) int {
				switch {
				case a.comp < b.comp:
					return -1
				case a.comp > b.comp:
					return 1
				}
				return 0
			})
			i = j
		} else {
			i++
		}
	}
	return out
}

func checkEvents(t *testing.T, got []notifier.Event, want []evWant) {
	t.Helper()
	if g, w := normalize(asWant(got)), normalize(want); !slices.Equal(g, w) {
		t.Errorf("events:\n got %v\nwant %v", g, w)
	}
}

// compEvents are the component events of one update moving comps from old
// to new.
func compEvents(deliver bool, old, new components.Status, comps ...string) []evWant {
	out := make([]evWant, len(comps))
	for i, c := range comps {
		out[i] = evWant{kind: notifier.ComponentStatusChanged, deliver: deliver, comp: c, old: old, new: new}
	}
	return out
}

func ev(kind notifier.EventKind, deliver bool) evWant { return evWant{kind: kind, deliver: deliver} }

func concat[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// scheduleMaintenance announces the standard window at the clock's time.
func (e *env) scheduleMaintenance(ids []string, a incidents.AutomationInput) incidents.Incident {
	e.t.Helper()
	return e.create(incidents.NewIncident{Name: "Database upgrade", ComponentIDs: ids,
		ScheduledFor: ptr(winStart), ScheduledUntil: ptr(winEnd), Automation: a})
}

func (e *env) nextDue() (time.Time, bool) {
	e.t.Helper()
	at, ok, err := e.svc.NextDue(e.ctx)
	if err != nil {
		e.t.Fatalf("NextDue: %v", err)
	}
	return at, ok
}

func TestMaintenanceDefaultAutomation(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	m := e.scheduleMaintenance([]string{p.api, p.db}, incidents.AutomationInput{})

	if got, want := m.Status, incidents.Scheduled; got != want {
		t.Errorf("status: got %q, want %q", got, want)
	}
	if got, want := m.Impact, components.ImpactMaintenance; got != want {
		t.Errorf("impact: got %q, want %q", got, want)
	}
	if got, want := m.Kind, incidents.KindMaintenance; got != want {
		t.Errorf("kind: got %q, want %q", got, want)
	}
	if want := (incidents.Automation{RemindPrior: true, AutoInProgress: true, AutoCompleted: true,
		ToMaintenanceState: true, ToOperationalState: true, NotifyAtStart: true, NotifyAtEnd: true}); m.Automation != want {
		t.Errorf("automation: got %+v, want every flag on", m.Automation)
	}
	if !m.StartedAt.Equal(winStart) || !timeEq(m.ScheduledFor, &winStart) || !timeEq(m.ScheduledUntil, &winEnd) {
		t.Errorf("started_at, window: got %s, %s..%s, want %s, %s..%s", m.StartedAt, fmtTime(m.ScheduledFor), fmtTime(m.ScheduledUntil), winStart, winStart, winEnd)
	}
	if u := m.Updates[0]; u.Body != incidents.Scheduled.StockBody() || u.AffectedComponents != nil || !u.DeliverNotifications {
		t.Errorf("first update: got body %q affected %v deliver %v, want the stock body, no changes, true", u.Body, u.AffectedComponents, u.DeliverNotifications)
	}
	for _, id := range []string{p.api, p.db} {
		if got := e.status(id); got != op {
			t.Errorf("status of %s on announcement: got %q, want operational", id, got)
		}
	}
	evs := e.events()
	checkEvents(t, evs, []evWant{ev(notifier.MaintenanceScheduled, true)})
	checkIncidentEvent(t, evs[0], notifier.MaintenanceScheduled, m, true)

	steps := []struct {
		name       string
		at         time.Time
		wantDone   int
		wantStatus incidents.Status
		wantEvents []evWant
		wantComp   components.Status
		wantNext   *time.Time
		check      func(t *testing.T, m incidents.Incident)
	}{
		{
			name: "before the reminder", at: t0.Add(30 * time.Minute),
			wantStatus: incidents.Scheduled, wantComp: op, wantNext: &remindAt,
		},
		{
			name: "a second before the reminder", at: remindAt.Add(-time.Second),
			wantStatus: incidents.Scheduled, wantComp: op, wantNext: &remindAt,
		},
		{
			name: "reminder", at: remindAt, wantDone: 1,
			wantStatus: incidents.Scheduled, wantComp: op, wantNext: &winStart,
			wantEvents: []evWant{ev(notifier.MaintenanceReminder, true)},
			check: func(t *testing.T, m incidents.Incident) {
				u := m.Updates[0]
				if u.Status != incidents.Scheduled || u.Body != reminder1 || !u.DisplayAt.Equal(remindAt) || u.AffectedComponents != nil {
					t.Errorf("reminder update: got status %q body %q display_at %s affected %v, want scheduled %q %s none",
						u.Status, u.Body, u.DisplayAt, u.AffectedComponents, reminder1, remindAt)
				}
				if !timeEq(m.RemindedAt, &remindAt) {
					t.Errorf("scheduled_reminded_at: got %s, want %s", fmtTime(m.RemindedAt), remindAt)
				}
			},
		},
		{
			name: "between the reminder and the start", at: remindAt.Add(30 * time.Minute),
			wantStatus: incidents.Scheduled, wantComp: op, wantNext: &winStart,
		},
		{
			name: "start", at: winStart, wantDone: 1,
			wantStatus: incidents.InProgress, wantComp: maint, wantNext: &winEnd,
			wantEvents: concat(compEvents(true, op, maint, p.api, p.db), []evWant{ev(notifier.MaintenanceStarted, true)}),
			check: func(t *testing.T, m incidents.Incident) {
				u := m.Updates[0]
				if u.Status != incidents.InProgress || u.Body != incidents.InProgress.StockBody() || !u.DisplayAt.Equal(winStart) {
					t.Errorf("start update: got status %q body %q display_at %s, want in_progress, the stock body, %s", u.Status, u.Body, u.DisplayAt, winStart)
				}
				want := sortedChanges([]components.Change{
					{ComponentID: p.api, Name: "API", OldStatus: op, NewStatus: maint},
					{ComponentID: p.db, Name: "Platform - Database", OldStatus: op, NewStatus: maint},
				})
				if got := sortedChanges(u.AffectedComponents); !slices.Equal(got, want) {
					t.Errorf("start update affected components: got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "during the window", at: winStart.Add(time.Hour),
			wantStatus: incidents.InProgress, wantComp: maint, wantNext: &winEnd,
		},
		{
			name: "completion", at: winEnd, wantDone: 1,
			wantStatus: incidents.Completed, wantComp: op,
			wantEvents: concat(compEvents(true, maint, op, p.api, p.db), []evWant{ev(notifier.MaintenanceCompleted, true)}),
			check: func(t *testing.T, m incidents.Incident) {
				u := m.Updates[0]
				if u.Status != incidents.Completed || u.Body != incidents.Completed.StockBody() || !u.DisplayAt.Equal(winEnd) {
					t.Errorf("completion update: got status %q body %q display_at %s, want completed, the stock body, %s", u.Status, u.Body, u.DisplayAt, winEnd)
				}
				if !timeEq(m.ResolvedAt, &winEnd) {
					t.Errorf("resolved_at: got %s, want %s", fmtTime(m.ResolvedAt), winEnd)
				}
				for _, id := range []string{p.api, p.db} {
					checkMaintenanceInterval(t, e, id)
				}
			},
		},
		{
			name: "after the window", at: winEnd.Add(24 * time.Hour),
			wantStatus: incidents.Completed, wantComp: op,
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e.clock.Set(step.at)
			before := len(e.events())
			// However often the scheduler runs at one moment, each edge
			// happens once.
			done := 0
			for i := 0; i < 5; i++ {
				n := e.runDue()
				if i > 0 && n != 0 {
					t.Errorf("RunDue call %d: got %d transitions, want 0", i+1, n)
				}
				done += n
			}
			if done != step.wantDone {
				t.Errorf("transitions: got %d, want %d", done, step.wantDone)
			}
			m := e.get(m.ID)
			if m.Status != step.wantStatus {
				t.Errorf("status: got %q, want %q", m.Status, step.wantStatus)
			}
			for _, id := range []string{p.api, p.db} {
				if got := e.status(id); got != step.wantComp {
					t.Errorf("status of %s: got %q, want %q", id, got, step.wantComp)
				}
			}
			if got := e.status(p.web); got != op {
				t.Errorf("status of an unaffected component: got %q, want operational", got)
			}
			evs := e.eventsAfter(before)
			checkEvents(t, evs, step.wantEvents)
			if len(evs) > 0 {
				checkIncidentEvent(t, evs[len(evs)-1], step.wantEvents[len(step.wantEvents)-1].kind, m, step.wantEvents[len(step.wantEvents)-1].deliver)
			}
			next, ok := e.nextDue()
			if step.wantNext == nil && ok {
				t.Errorf("NextDue: got %s, want none", next)
			}
			if step.wantNext != nil && (!ok || !next.Equal(*step.wantNext)) {
				t.Errorf("NextDue: got %s (%v), want %s", next, ok, step.wantNext)
			}
			if step.check != nil {
				step.check(t, m)
			}
		})
	}
	if got, want := len(e.get(m.ID).Updates), 4; got != want {
		t.Errorf("timeline: got %d updates, want %d (scheduled, reminder, in progress, completed)", got, want)
	}
}

// checkMaintenanceInterval checks that component id was under maintenance
// for exactly the window, operational before and after.
func checkMaintenanceInterval(t *testing.T, e *env, id string) {
	t.Helper()
	h := e.history(id)
	i := slices.IndexFunc(h, func(iv components.Interval) bool { return iv.Status == maint })
	if i < 0 {
		t.Fatalf("history of %s: got %+v, want an under_maintenance interval", id, h)
	}
	iv := h[i]
	if !iv.Start.Equal(winStart) || iv.End == nil || !iv.End.Equal(winEnd) {
		t.Errorf("history of %s: under_maintenance from %s until %s, want %s until %s", id, iv.Start, fmtTime(iv.End), winStart, winEnd)
	}
	if i == 0 || h[i-1].Status != op || h[i-1].End == nil || !h[i-1].End.Equal(winStart) {
		t.Errorf("history of %s before the window: got %+v, want operational until %s", id, h[:i], winStart)
	}
	if i+1 >= len(h) || h[i+1].Status != op || !h[i+1].Start.Equal(winEnd) || h[i+1].End != nil {
		t.Errorf("history of %s after the window: got %+v, want operational from %s, open", id, h[i+1:], winEnd)
	}
	if len(h) != i+2 {
		t.Errorf("history of %s: got %d intervals %+v, want %d", id, len(h), h, i+2)
	}
}

func TestMaintenanceAutomationFlags(t *testing.T) {
	off := ptr(false)
	allOff := incidents.AutomationInput{RemindPrior: off, AutoInProgress: off, AutoCompleted: off,
		ToMaintenanceState: off, ToOperationalState: off, NotifyAtStart: off, NotifyAtEnd: off}
	remind := ev(notifier.MaintenanceReminder, true)

	tests := []struct {
		name       string
		automation func(c string) incidents.AutomationInput
		// wantEvents are the events after the announcement, over the whole
		// window.
		wantEvents func(c string) []evWant
		wantStatus incidents.Status
		wantComp   components.Status
	}{
		{
			name:       "defaults",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{} },
			wantEvents: func(c string) []evWant {
				return concat([]evWant{remind}, compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)},
					compEvents(true, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			wantStatus: incidents.Completed, wantComp: op,
		},
		{
			name:       "no reminder",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{RemindPrior: off} },
			wantEvents: func(c string) []evWant {
				return concat(compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)},
					compEvents(true, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			wantStatus: incidents.Completed, wantComp: op,
		},
		{
			name:       "no automatic start",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{AutoInProgress: off} },
			wantEvents: func(c string) []evWant {
				return []evWant{remind, ev(notifier.MaintenanceCompleted, true)}
			},
			wantStatus: incidents.Completed, wantComp: op,
		},
		{
			name:       "no automatic completion",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{AutoCompleted: off} },
			wantEvents: func(c string) []evWant {
				return concat([]evWant{remind}, compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)})
			},
			wantStatus: incidents.InProgress, wantComp: maint,
		},
		{
			name:       "components left alone at the start",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{ToMaintenanceState: off} },
			wantEvents: func(c string) []evWant {
				return []evWant{remind, ev(notifier.MaintenanceStarted, true), ev(notifier.MaintenanceCompleted, true)}
			},
			wantStatus: incidents.Completed, wantComp: op,
		},
		{
			name:       "components left under maintenance at the end",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{ToOperationalState: off} },
			wantEvents: func(c string) []evWant {
				return concat([]evWant{remind}, compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)},
					[]evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			wantStatus: incidents.Completed, wantComp: maint,
		},
		{
			name:       "start without notifications",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{NotifyAtStart: off} },
			wantEvents: func(c string) []evWant {
				return concat([]evWant{remind}, compEvents(false, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, false)},
					compEvents(true, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			wantStatus: incidents.Completed, wantComp: op,
		},
		{
			name:       "end without notifications",
			automation: func(string) incidents.AutomationInput { return incidents.AutomationInput{NotifyAtEnd: off} },
			wantEvents: func(c string) []evWant {
				return concat([]evWant{remind}, compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)},
					compEvents(false, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, false)})
			},
			wantStatus: incidents.Completed, wantComp: op,
		},
		{
			name:       "no automation",
			automation: func(string) incidents.AutomationInput { return allOff },
			wantEvents: func(string) []evWant { return nil },
			wantStatus: incidents.Scheduled, wantComp: op,
		},
		{
			name: "only a quiet start",
			automation: func(string) incidents.AutomationInput {
				a := allOff
				a.AutoInProgress, a.ToMaintenanceState = ptr(true), ptr(true)
				return a
			},
			wantEvents: func(c string) []evWant {
				return concat(compEvents(false, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, false)})
			},
			wantStatus: incidents.InProgress, wantComp: maint,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.component("API", "")
			m := e.scheduleMaintenance([]string{c}, tc.automation(c))
			before := len(e.events())
			for _, at := range []time.Time{remindAt, remindAt.Add(time.Minute), winStart, winStart.Add(time.Minute), winEnd, winEnd.Add(time.Hour)} {
				e.clock.Set(at)
				e.runDue()
				e.runDue()
			}
			checkEvents(t, e.eventsAfter(before), tc.wantEvents(c))
			m = e.get(m.ID)
			if m.Status != tc.wantStatus {
				t.Errorf("status: got %q, want %q", m.Status, tc.wantStatus)
			}
			if got := e.status(c); got != tc.wantComp {
				t.Errorf("component status: got %q, want %q", got, tc.wantComp)
			}
		})
	}
}

// TestSchedulerConcurrentRunners runs the scheduler from several goroutines
// and from a second connection to the same database (a second replica or
// process) at once: at each edge, and late for a whole window (both edges
// overdue together). Each edge still happens once, with one update and its
// events written once. On PostgreSQL the runners' transactions truly
// overlap, on different connections.
func TestSchedulerConcurrentRunners(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   []time.Time // when the runners run
		want []int       // transitions performed in all at each
		// events are the events after the maintenance's announcement.
		events func(c string) []evWant
		// updates is the length of the final timeline.
		updates int
	}{
		{
			name: "at each edge", at: []time.Time{remindAt, winStart, winEnd}, want: []int{1, 1, 1},
			events: func(c string) []evWant {
				return concat([]evWant{ev(notifier.MaintenanceReminder, true)},
					compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)},
					compEvents(true, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			updates: 4,
		},
		{
			name: "late for the whole window", at: []time.Time{winEnd.Add(time.Hour)}, want: []int{2},
			events: func(c string) []evWant {
				return concat(compEvents(false, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, false)},
					compEvents(true, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			updates: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.component("API", "")
			m := e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})

			db2, err := testutil.Open(e.ctx, e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			out2 := notifier.NewOutbox(db2)
			comps2 := components.NewService(db2, out2, e.clock.Now, nil)
			svc2 := incidents.NewService(db2, comps2, out2, e.clock.Now, nil)

			for i, at := range tc.at {
				e.clock.Set(at)
				var wg sync.WaitGroup
				var mu sync.Mutex
				total := 0
				var errs []error
				for i := range 8 {
					svc := e.svc
					if i%2 == 1 {
						svc = svc2
					}
					wg.Go(func() {
						n, err := svc.RunDue(e.ctx)
						mu.Lock()
						defer mu.Unlock()
						total += n
						if err != nil {
							errs = append(errs, err)
						}
					})
				}
				wg.Wait()
				if len(errs) > 0 {
					t.Fatalf("at %s: RunDue errors: %v", at, errs)
				}
				if total != tc.want[i] {
					t.Errorf("at %s: got %d transitions in all, want %d", at, total, tc.want[i])
				}
			}
			checkEvents(t, e.eventsAfter(1), tc.events(c))
			if got := len(e.get(m.ID).Updates); got != tc.updates {
				t.Errorf("timeline: got %d updates, want %d", got, tc.updates)
			}
			checkMaintenanceInterval(t, e, c)
		})
	}
}

// TestSchedulerAfterRestart stops the server before the scheduler could run
// and starts a new one on the same file at a later time.
func TestSchedulerAfterRestart(t *testing.T) {
	tests := []struct {
		name       string
		restartAt  time.Time
		wantDone   int
		wantStatus incidents.Status
		wantEvents func(a, b string) []evWant
		check      func(t *testing.T, e *env, m incidents.Incident, a, b string)
	}{
		{
			name: "before the reminder", restartAt: remindAt.Add(-time.Minute),
			wantStatus: incidents.Scheduled,
			wantEvents: func(a, b string) []evWant { return nil },
		},
		{
			name: "late for the reminder", restartAt: winStart.Add(-20 * time.Minute), wantDone: 1,
			wantStatus: incidents.Scheduled,
			wantEvents: func(a, b string) []evWant { return []evWant{ev(notifier.MaintenanceReminder, true)} },
			check: func(t *testing.T, e *env, m incidents.Incident, a, b string) {
				if got, want := m.Updates[0].Body, "Maintenance will begin as scheduled in 20 minutes."; got != want {
					t.Errorf("reminder body: got %q, want %q", got, want)
				}
			},
		},
		{
			name: "during the window", restartAt: winStart.Add(10 * time.Minute), wantDone: 1,
			wantStatus: incidents.InProgress,
			wantEvents: func(a, b string) []evWant {
				return concat(compEvents(true, op, maint, a, b), []evWant{ev(notifier.MaintenanceStarted, true)})
			},
			check: func(t *testing.T, e *env, m incidents.Incident, a, b string) {
				if m.RemindedAt != nil {
					t.Errorf("scheduled_reminded_at: got %s, want none (the start has passed)", fmtTime(m.RemindedAt))
				}
				if u := m.Updates[0]; !u.DisplayAt.Equal(winStart) {
					t.Errorf("start update display_at: got %s, want the scheduled start %s", u.DisplayAt, winStart)
				}
				for _, id := range []string{a, b} {
					h := e.history(id)
					if last := h[len(h)-1]; last.Status != maint || !last.Start.Equal(winStart) || last.End != nil {
						t.Errorf("history of %s: got %+v, want open under_maintenance from %s", id, h, winStart)
					}
				}
				// The window then ends with the server up.
				e.clock.Set(winEnd)
				if got, want := e.runDue(), 1; got != want {
					t.Errorf("at the end: got %d transitions, want %d", got, want)
				}
				for _, id := range []string{a, b} {
					checkMaintenanceInterval(t, e, id)
				}
			},
		},
		{
			name: "at the end", restartAt: winEnd, wantDone: 2,
			wantStatus: incidents.Completed,
			wantEvents: func(a, b string) []evWant {
				return concat(compEvents(false, op, maint, a, b), []evWant{ev(notifier.MaintenanceStarted, false)},
					compEvents(true, maint, op, a, b), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
		},
		{
			name: "after the whole window", restartAt: winEnd.Add(3 * time.Hour), wantDone: 2,
			wantStatus: incidents.Completed,
			wantEvents: func(a, b string) []evWant {
				return concat(compEvents(false, op, maint, a, b), []evWant{ev(notifier.MaintenanceStarted, false)},
					compEvents(true, maint, op, a, b), []evWant{ev(notifier.MaintenanceCompleted, true)})
			},
			check: func(t *testing.T, e *env, m incidents.Incident, a, b string) {
				for _, id := range []string{a, b} {
					checkMaintenanceInterval(t, e, id)
				}
				if m.RemindedAt != nil {
					t.Errorf("scheduled_reminded_at: got %s, want none", fmtTime(m.RemindedAt))
				}
				if !timeEq(m.ResolvedAt, &winEnd) {
					t.Errorf("resolved_at: got %s, want %s", fmtTime(m.ResolvedAt), winEnd)
				}
				if got, want := len(m.Updates), 3; got != want {
					t.Fatalf("timeline: got %d updates, want %d", got, want)
				}
				wantTimeline := []struct {
					status incidents.Status
					at     time.Time
				}{{incidents.Completed, winEnd}, {incidents.InProgress, winStart}, {incidents.Scheduled, t0}}
				for i, w := range wantTimeline {
					if u := m.Updates[i]; u.Status != w.status || !u.DisplayAt.Equal(w.at) {
						t.Errorf("update %d: got %s at %s, want %s at %s", i, u.Status, u.DisplayAt, w.status, w.at)
					}
				}
				// Both edges are also ordered in the outbox: start before
				// completion.
				evs := e.events()
				started := slices.IndexFunc(evs, func(ev notifier.Event) bool { return ev.Kind == notifier.MaintenanceStarted })
				completed := slices.IndexFunc(evs, func(ev notifier.Event) bool { return ev.Kind == notifier.MaintenanceCompleted })
				if started < 0 || completed < started {
					t.Errorf("outbox order: started at %d, completed at %d, want started first", started, completed)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newPage(e)
			m := e.scheduleMaintenance([]string{p.api, p.db}, incidents.AutomationInput{})
			before := len(e.events())

			e.clock.Set(tc.restartAt)
			e.restart()
			done := 0
			for range 3 {
				done += e.runDue()
			}
			if done != tc.wantDone {
				t.Errorf("transitions after the restart: got %d, want %d", done, tc.wantDone)
			}
			checkEvents(t, e.eventsAfter(before), tc.wantEvents(p.api, p.db))
			m = e.get(m.ID)
			if m.Status != tc.wantStatus {
				t.Errorf("status: got %q, want %q", m.Status, tc.wantStatus)
			}
			if tc.check != nil {
				tc.check(t, e, m, p.api, p.db)
			}
		})
	}
}

func TestRescheduleResetsReminder(t *testing.T) {
	e := newEnv(t)
	c := e.component("API", "")
	m := e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})

	e.clock.Set(remindAt)
	if got, want := e.runDue(), 1; got != want {
		t.Fatalf("first reminder: got %d transitions, want %d", got, want)
	}
	newStart, newEnd := winStart.Add(24*time.Hour), winEnd.Add(24*time.Hour)
	e.clock.Advance(5 * time.Minute)
	m = e.update(m.ID, incidents.Change{ScheduledFor: &newStart, ScheduledUntil: &newEnd})
	if m.RemindedAt != nil {
		t.Errorf("scheduled_reminded_at after rescheduling: got %s, want none", fmtTime(m.RemindedAt))
	}
	if !m.StartedAt.Equal(newStart) || !timeEq(m.ScheduledFor, &newStart) || !timeEq(m.ScheduledUntil, &newEnd) {
		t.Errorf("started_at, window: got %s, %s..%s, want %s, %s..%s", m.StartedAt, fmtTime(m.ScheduledFor), fmtTime(m.ScheduledUntil), newStart, newStart, newEnd)
	}
	if next, ok := e.nextDue(); !ok || !next.Equal(newStart.Add(-incidents.ReminderLead)) {
		t.Errorf("NextDue: got %s (%v), want %s", next, ok, newStart.Add(-incidents.ReminderLead))
	}

	// The old window passes with nothing happening.
	for _, at := range []time.Time{winStart, winEnd} {
		e.clock.Set(at)
		if got := e.runDue(); got != 0 {
			t.Errorf("at the old %s: got %d transitions, want 0", at, got)
		}
	}
	e.clock.Set(newStart.Add(-incidents.ReminderLead))
	if got, want := e.runDue(), 1; got != want {
		t.Fatalf("second reminder: got %d transitions, want %d", got, want)
	}
	m = e.get(m.ID)
	if got := m.Updates[0].Body; got != reminder1 {
		t.Errorf("second reminder body: got %q, want %q", got, reminder1)
	}
	if !timeEq(m.RemindedAt, ptr(e.clock.Now())) {
		t.Errorf("scheduled_reminded_at: got %s, want %s", fmtTime(m.RemindedAt), e.clock.Now())
	}
	checkEvents(t, e.events(), []evWant{ev(notifier.MaintenanceScheduled, true),
		ev(notifier.MaintenanceReminder, true), ev(notifier.MaintenanceReminder, true)})
	if got := e.runDue(); got != 0 {
		t.Errorf("RunDue again: got %d transitions, want 0", got)
	}
}

func TestManualTransitionsAndScheduler(t *testing.T) {
	e := newEnv(t)
	c := e.component("API", "")
	m := e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})

	// Staff start early, before the reminder.
	e.clock.Set(t0.Add(30 * time.Minute))
	m = e.update(m.ID, incidents.Change{Status: ptr(incidents.InProgress)})
	if got := e.status(c); got != maint {
		t.Errorf("component after a manual start: got %q, want %q", got, maint)
	}
	e.clock.Advance(10 * time.Minute)
	m = e.update(m.ID, incidents.Change{Status: ptr(incidents.Verifying)})
	for _, at := range []time.Time{remindAt, winStart} {
		e.clock.Set(at)
		if got := e.runDue(); got != 0 {
			t.Errorf("at %s: got %d transitions, want 0 (already started)", at, got)
		}
	}
	if next, ok := e.nextDue(); !ok || !next.Equal(winEnd) {
		t.Errorf("NextDue: got %s (%v), want %s", next, ok, winEnd)
	}
	e.clock.Set(winEnd)
	if got, want := e.runDue(), 1; got != want {
		t.Errorf("at the end: got %d transitions, want %d", got, want)
	}
	checkEvents(t, e.eventsAfter(1), concat(
		compEvents(true, op, maint, c), []evWant{ev(notifier.MaintenanceStarted, true)},
		[]evWant{ev(notifier.MaintenanceUpdated, true)},
		compEvents(true, maint, op, c), []evWant{ev(notifier.MaintenanceCompleted, true)}))
	if got := e.get(m.ID).Status; got != incidents.Completed {
		t.Errorf("status: got %q, want %q", got, incidents.Completed)
	}
}

func TestNextDue(t *testing.T) {
	off := ptr(false)
	tests := []struct {
		name  string
		setup func(e *env, c string)
		want  *time.Time
	}{
		{"nothing scheduled", func(e *env, c string) {}, nil},
		{"incidents have no edges", func(e *env, c string) {
			e.create(incidents.NewIncident{Name: "Outage", ComponentIDs: []string{c}})
		}, nil},
		{"the reminder first", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
		}, &remindAt},
		{"no reminder: the start", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{RemindPrior: off})
		}, &winStart},
		{"announced less than an hour ahead: the start", func(e *env, c string) {
			e.clock.Set(winStart.Add(-30 * time.Minute))
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
		}, &winStart},
		{"reminded: the start", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
			e.clock.Set(remindAt)
			e.runDue()
		}, &winStart},
		{"started: the end", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
			e.clock.Set(winStart)
			e.runDue()
		}, &winEnd},
		{"completed: nothing", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
			e.clock.Set(winEnd)
			e.runDue()
		}, nil},
		{"no automatic start: the reminder", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{AutoInProgress: off})
		}, &remindAt},
		{"no automatic start, reminded: the end", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{AutoInProgress: off})
			e.clock.Set(remindAt)
			e.runDue()
		}, &winEnd},
		{"no automatic start, reminder missed: the end", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{AutoInProgress: off})
			e.clock.Set(winStart.Add(30 * time.Minute))
			e.runDue()
		}, &winEnd},
		{"no automatic start or completion, reminder missed: nothing", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{AutoInProgress: off, AutoCompleted: off})
			e.clock.Set(winStart.Add(30 * time.Minute))
			e.runDue()
		}, nil},
		{"no automation: nothing", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{RemindPrior: off, AutoInProgress: off, AutoCompleted: off})
		}, nil},
		{"in progress without automatic completion: nothing", func(e *env, c string) {
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{AutoCompleted: off})
			e.clock.Set(winStart)
			e.runDue()
		}, nil},
		{"started by hand: the end", func(e *env, c string) {
			m := e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
			e.update(m.ID, incidents.Change{Status: ptr(incidents.InProgress)})
		}, &winEnd},
		{"the earliest of two maintenances", func(e *env, c string) {
			e.create(incidents.NewIncident{Name: "Later", ComponentIDs: []string{c},
				ScheduledFor: ptr(winStart.Add(time.Hour)), ScheduledUntil: ptr(winEnd.Add(time.Hour))})
			e.create(incidents.NewIncident{Name: "Sooner", ComponentIDs: []string{c},
				ScheduledFor: ptr(winStart.Add(-30 * time.Minute)), ScheduledUntil: ptr(winEnd),
				Automation: incidents.AutomationInput{RemindPrior: off}})
		}, ptr(winStart.Add(-30 * time.Minute))},
		{"the earliest of two maintenances, one reminded", func(e *env, c string) {
			e.create(incidents.NewIncident{Name: "Later", ComponentIDs: []string{c},
				ScheduledFor: ptr(winStart.Add(3 * time.Hour)), ScheduledUntil: ptr(winEnd.Add(3 * time.Hour))})
			e.scheduleMaintenance([]string{c}, incidents.AutomationInput{})
			e.clock.Set(remindAt)
			e.runDue()
		}, &winStart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.component("API", "")
			tc.setup(e, c)
			got, ok := e.nextDue()
			switch {
			case tc.want == nil && ok:
				t.Errorf("NextDue: got %s, want none", got)
			case tc.want != nil && (!ok || !got.Equal(*tc.want)):
				t.Errorf("NextDue: got %s (%v), want %s", got, ok, tc.want)
			}
			// Once the scheduler has run, the next edge is in the future:
			// a past one would have the scheduler loop spin.
			if ok && e.runDue() == 0 && got.Before(e.clock.Now()) {
				t.Errorf("NextDue: got %s, before now (%s) with nothing due", got, e.clock.Now())
			}
		})
	}
}
