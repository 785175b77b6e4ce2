package incidents_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// t0 is the fake clock's start: a Monday morning, whole seconds, UTC.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// env is one Beacon database with the services built on it.
type env struct {
	t       testing.TB
	ctx     context.Context
	addr    string // the database's, from testutil.NewDatabase
	clock   *testutil.Clock
	db      *store.DB
	outbox  *notifier.Outbox
	comps   *components.Service
	svc     *incidents.Service
	changed *atomic.Int64
}

// newEnv opens a fresh database on the engine tests run on.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{
		t:       t,
		ctx:     context.Background(),
		addr:    testutil.NewDatabase(t),
		clock:   testutil.NewClock(t0),
		changed: new(atomic.Int64),
	}
	e.open()
	t.Cleanup(func() {
		if e.db != nil {
			e.db.Close()
		}
	})
	return e
}

// open opens (or reopens) the database and builds fresh services on it, as
// a restarted process would.
func (e *env) open() {
	e.t.Helper()
	db, err := testutil.Open(e.ctx, e.addr)
	if err != nil {
		e.t.Fatalf("open: %v", err)
	}
	if err := db.Migrate(e.ctx, notifier.Migrations(), components.Migrations(), incidents.Migrations()); err != nil {
		db.Close()
		e.t.Fatalf("migrate: %v", err)
	}
	e.db = db
	e.outbox = notifier.NewOutbox(db)
	e.comps = components.NewService(db, e.outbox, e.clock.Now, nil)
	e.svc = incidents.NewService(db, e.comps, e.outbox, e.clock.Now, func() { e.changed.Add(1) })
}

// restart closes the database and opens it again with new services.
func (e *env) restart() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatalf("close: %v", err)
	}
	e.db = nil
	e.open()
}

// component creates a top-level component (or a member of group when group
// is not "").
func (e *env) component(name, group string) string {
	e.t.Helper()
	in := components.Input{Name: &name}
	if group != "" {
		in.GroupID = &group
	}
	c, err := e.comps.Create(e.ctx, in)
	if err != nil {
		e.t.Fatalf("create component %q: %v", name, err)
	}
	return c.ID
}

func (e *env) group(name string) string {
	e.t.Helper()
	g, err := e.comps.CreateGroup(e.ctx, components.GroupInput{Name: &name})
	if err != nil {
		e.t.Fatalf("create group %q: %v", name, err)
	}
	return g.ID
}

func (e *env) status(id string) components.Status {
	e.t.Helper()
	c, err := e.comps.Get(e.ctx, id)
	if err != nil {
		e.t.Fatalf("get component %s: %v", id, err)
	}
	return c.Status
}

func (e *env) history(id string) []components.Interval {
	e.t.Helper()
	h, err := e.comps.History(e.ctx, id, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0))
	if err != nil {
		e.t.Fatalf("history of %s: %v", id, err)
	}
	return h
}

func (e *env) events() []notifier.Event {
	e.t.Helper()
	evs, err := e.outbox.Events(e.ctx, notifier.EventFilter{})
	if err != nil {
		e.t.Fatalf("events: %v", err)
	}
	return evs
}

// eventsAfter returns the events written after the first n.
func (e *env) eventsAfter(n int) []notifier.Event {
	e.t.Helper()
	evs := e.events()
	if len(evs) < n {
		e.t.Fatalf("got %d events, want at least %d", len(evs), n)
	}
	return evs[n:]
}

func (e *env) get(id string) incidents.Incident {
	e.t.Helper()
	in, err := e.svc.Get(e.ctx, id)
	if err != nil {
		e.t.Fatalf("get incident %s: %v", id, err)
	}
	return in
}

func (e *env) create(n incidents.NewIncident) incidents.Incident {
	e.t.Helper()
	in, err := e.svc.Create(e.ctx, n)
	if err != nil {
		e.t.Fatalf("create %q: %v", n.Name, err)
	}
	return in
}

func (e *env) update(id string, c incidents.Change) incidents.Incident {
	e.t.Helper()
	in, err := e.svc.Update(e.ctx, id, c)
	if err != nil {
		e.t.Fatalf("update %s: %v", id, err)
	}
	return in
}

func (e *env) runDue() int {
	e.t.Helper()
	n, err := e.svc.RunDue(e.ctx)
	if err != nil {
		e.t.Fatalf("RunDue: %v", err)
	}
	return n
}

// counts is how many rows each table holds, plus every component's status:
// what a failed request must leave untouched.
type counts struct {
	Incidents, Updates, IncidentComponents, Intervals, Events int
	Statuses                                                  map[string]components.Status
}

func (e *env) counts() counts {
	e.t.Helper()
	var c counts
	for _, q := range []struct {
		table string
		dst   *int
	}{
		{"incidents", &c.Incidents},
		{"incident_updates", &c.Updates},
		{"incident_components", &c.IncidentComponents},
		{"component_status_intervals", &c.Intervals},
		{"notification_events", &c.Events},
	} {
		if err := e.db.Read.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM `+q.table).Scan(q.dst); err != nil {
			e.t.Fatalf("count %s: %v", q.table, err)
		}
	}
	all, err := e.comps.List(e.ctx)
	if err != nil {
		e.t.Fatalf("list components: %v", err)
	}
	c.Statuses = map[string]components.Status{}
	for _, comp := range all {
		c.Statuses[comp.ID] = comp.Status
	}
	return c
}

// failEvents makes every insert of an outbox event of kind abort, so that a
// use case fails after it has already written other rows.
func (e *env) failEvents(kind notifier.EventKind) {
	e.t.Helper()
	e.failInserts("fail_"+string(kind), "NEW.kind = '"+string(kind)+"'")
}

// failInserts adds the trigger name, which makes an insert of an outbox
// event abort when the SQL condition cond holds (NEW is the row).
func (e *env) failInserts(name, cond string) {
	e.t.Helper()
	ddl := `CREATE TRIGGER ` + name + ` BEFORE INSERT ON notification_events
		WHEN ` + cond + ` BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
	if testutil.Engine() == store.Postgres {
		// A trigger's WHEN may not hold a subquery there: the function
		// tests the condition.
		ddl = `CREATE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF ` + cond + ` THEN RAISE EXCEPTION 'injected failure'; END IF;
				RETURN NEW;
			END $$;
			CREATE TRIGGER ` + name + ` BEFORE INSERT ON notification_events FOR EACH ROW EXECUTE FUNCTION ` + name + `()`
	}
	if _, err := e.db.Write.ExecContext(e.ctx, ddl); err != nil {
		e.t.Fatalf("create trigger: %v", err)
	}
}

func kinds(evs []notifier.Event) []notifier.EventKind {
	out := make([]notifier.EventKind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// sortedChanges orders changes by component id, since the order of a
// Components map is not the caller's.
func sortedChanges(chs []components.Change) []components.Change {
	out := slices.Clone(chs)
	slices.SortFunc(out, func(a, b components.Change) int {
		switch {
		case a.ComponentID < b.ComponentID:
			return -1
		case a.ComponentID > b.ComponentID:
			return 1
		}
		return 0
	})
	return out
}

// validationField returns the Field of err when it is an
// *incidents.ValidationError, and "" otherwise.
func validationField(err error) string {
	var ve *incidents.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func fmtTime(p *time.Time) string {
	if p == nil {
		return "<nil>"
	}
	return p.UTC().Format(time.RFC3339Nano)
}
