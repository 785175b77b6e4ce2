package integrations_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// env is a database with the services integrations work on, components
// API and Web, and a count of committed changes.
type env struct {
	t       testing.TB
	ctx     context.Context
	clock   *testutil.Clock
	db      *store.DB
	outbox  *notifier.Outbox
	comps   *components.Service
	incs    *incidents.Service
	svc     *integrations.Service
	api     string
	web     string
	changed int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: testutil.NewClock(t0)}
	e.db = testutil.OpenDB(t, notifier.Migrations(), components.Migrations(), incidents.Migrations(), integrations.Migrations())
	e.outbox = notifier.NewOutbox(e.db)
	e.comps = components.NewService(e.db, e.outbox, e.clock.Now, nil)
	e.incs = incidents.NewService(e.db, e.comps, e.outbox, e.clock.Now, nil)
	e.svc = integrations.NewService(e.db, e.comps, e.incs, e.clock.Now, func() { e.changed++ })
	e.api = e.component("API")
	e.web = e.component("Web")
	return e
}

func (e *env) component(name string) string {
	e.t.Helper()
	c, err := e.comps.Create(e.ctx, components.Input{Name: &name})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// integration creates one of kind with in's other fields.
func (e *env) integration(kind integrations.Kind, in integrations.Input) integrations.Integration {
	e.t.Helper()
	if in.Name == nil {
		name := string(kind)
		in.Name = &name
	}
	in.Kind = &kind
	it, token, err := e.svc.Create(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	if got, err := e.svc.Authenticate(e.ctx, it.ID, token); err != nil || got.ID != it.ID {
		e.t.Fatalf("Authenticate with the new token: %v, %v", got.ID, err)
	}
	return it
}

// receive posts body (a testdata file's name, or JSON) and fails on an
// error.
func (e *env) receive(it integrations.Integration, body string) integrations.Result {
	e.t.Helper()
	res, err := e.svc.Receive(e.ctx, it, fixture(e.t, body))
	if err != nil {
		e.t.Fatalf("receive %.60s: %v", body, err)
	}
	return res
}

// fixture returns testdata/name, or name itself when it is JSON.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, "{") {
		return []byte(name)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) status(id string) components.Status {
	e.t.Helper()
	c, err := e.comps.Get(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Status
}

func (e *env) wantStatus(id string, want components.Status) {
	e.t.Helper()
	if got := e.status(id); got != want {
		e.t.Errorf("component status %s, want %s", got, want)
	}
}

// incidents returns every incident, newest first.
func (e *env) incidents() []incidents.Incident {
	e.t.Helper()
	list, err := e.incs.List(e.ctx, incidents.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// told counts the events of kind that notify subscribers, and those that
// do not.
func (e *env) told(kind notifier.EventKind) (notify, quiet int) {
	e.t.Helper()
	events, err := e.outbox.Events(e.ctx, notifier.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Kind != kind {
			continue
		}
		if ev.DeliverNotifications {
			notify++
		} else {
			quiet++
		}
	}
	return notify, quiet
}

func ptr[T any](v T) *T { return &v }

func wantValidation(t *testing.T, err error, field string) {
	t.Helper()
	var v *integrations.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error %v, want a validation error on %s", err, field)
	}
	if v.Field != field {
		t.Errorf("field %q (%v), want %q", v.Field, err, field)
	}
}

// generic is a generic payload for component comp.
func generic(comp, status, key string) string {
	return `{"component":"` + comp + `","status":"` + status + `","dedupe_key":"` + key + `"}`
}

// am is an Alertmanager payload of one alert in group key.
func am(status, key, fingerprint, component, severity string) string {
	k, _ := json.Marshal(key)
	return `{"version":"4","groupKey":` + string(k) + `,"status":"` + status + `","receiver":"beacon","alerts":[{"status":"` + status +
		`","labels":{"alertname":"Down","beacon_component":"` + component + `","severity":"` + severity + `"},"annotations":{},` +
		`"startsAt":"2026-03-10T11:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"` + fingerprint + `"}]}`
}
