package components_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// fixture is a service on a fresh database with a controlled clock and a
// record of the changed callback.
type fixture struct {
	db     *store.DB
	svc    *components.Service
	outbox *notifier.Outbox
	clock  *testutil.Clock

	mu      sync.Mutex
	changes int
	// onChange, when set, runs inside the changed callback.
	onChange func()
}

// changeCount returns how often the service called its changed callback.
func (f *fixture) changeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changes
}

// start is where the fake clock starts: a whole second, as every stored
// timestamp keeps microseconds only.
var start = time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC)

// mustOpen opens a migrated database in a temporary directory and returns a
// service on it whose clock starts at start.
func mustOpen(tb testing.TB) *fixture {
	tb.Helper()
	db := testutil.OpenDB(tb, notifier.Migrations(), components.Migrations())
	f := &fixture{db: db, outbox: notifier.NewOutbox(db), clock: testutil.NewClock(start)}
	f.svc = components.NewService(db, notifier.NewOutbox(db), f.clock.Now, func() {
		f.mu.Lock()
		f.changes++
		hook := f.onChange
		f.mu.Unlock()
		if hook != nil {
			hook()
		}
	})
	return f
}

func ptr[T any](v T) *T { return &v }

// mustCreate adds a top-level component with the given name and status.
func (f *fixture) mustCreate(tb testing.TB, name string, status components.Status) components.Component {
	tb.Helper()
	c, err := f.svc.Create(context.Background(), components.Input{Name: ptr(name), Status: ptr(status)})
	if err != nil {
		tb.Fatalf("create %s: %v", name, err)
	}
	return c
}

// mustGroup adds a group holding members.
func (f *fixture) mustGroup(tb testing.TB, name string, members ...string) components.Component {
	tb.Helper()
	g, err := f.svc.CreateGroup(context.Background(), components.GroupInput{Name: ptr(name), Members: &members})
	if err != nil {
		tb.Fatalf("create group %s: %v", name, err)
	}
	return g
}

// mustGet returns component id.
func (f *fixture) mustGet(tb testing.TB, id string) components.Component {
	tb.Helper()
	c, err := f.svc.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("get %s: %v", id, err)
	}
	return c
}

// mustSetStatus moves component id to status at the clock's time.
func (f *fixture) mustSetStatus(tb testing.TB, id string, status components.Status) {
	tb.Helper()
	if _, err := f.svc.Update(context.Background(), id, components.Input{Status: &status}); err != nil {
		tb.Fatalf("set %s to %s: %v", id, status, err)
	}
}

// mustEvents returns every outbox event.
func (f *fixture) mustEvents(tb testing.TB) []notifier.Event {
	tb.Helper()
	events, err := f.outbox.Events(context.Background(), notifier.EventFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	return events
}

// names lists the names of cs in order.
func names(cs []components.Component) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// mustListNames returns the names of every component in List order.
func (f *fixture) mustListNames(tb testing.TB) []string {
	tb.Helper()
	all, err := f.svc.List(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return names(all)
}

// checkValidation fails unless err is a *components.ValidationError on field.
func checkValidation(tb testing.TB, err error, field string) {
	tb.Helper()
	var verr *components.ValidationError
	if !errors.As(err, &verr) {
		tb.Fatalf("err = %v (%T), want a *components.ValidationError on %s", err, err, field)
	}
	if got, want := verr.Field, field; got != want {
		tb.Errorf("ValidationError.Field = %q, want %q (%v)", got, want, err)
	}
}

func TestCreateAndGet(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	first, err := f.svc.Create(ctx, components.Input{Name: ptr("  API  ")})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	second, err := f.svc.Create(ctx, components.Input{
		Name:               ptr("Website"),
		Description:        ptr("The marketing site"),
		Status:             ptr(components.DegradedPerformance),
		Showcase:           ptr(false),
		OnlyShowIfDegraded: ptr(true),
		StartDate:          ptr("2024-01-15"),
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		got  components.Component
		want components.Component
	}{
		{"defaults", first, components.Component{
			ID: first.ID, Name: "API", Position: 1, Showcase: true,
			Status: components.Operational, CreatedAt: start, UpdatedAt: start,
		}},
		{"every field set", second, components.Component{
			ID: second.ID, Name: "Website", Description: "The marketing site", Position: 2,
			OnlyShowIfDegraded: true, StartDate: "2024-01-15", Status: components.DegradedPerformance,
			CreatedAt: start.Add(time.Minute), UpdatedAt: start.Add(time.Minute),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !ids.Valid(tt.got.ID) {
				t.Errorf("ID = %q, not a valid id", tt.got.ID)
			}
			checkComponent(t, "Create", tt.got, tt.want)
			checkComponent(t, "Get", f.mustGet(t, tt.want.ID), tt.want)
		})
	}
}

// checkComponent compares every field of a component, times by instant.
func checkComponent(tb testing.TB, op string, got, want components.Component) {
	tb.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Errorf("%s: created/updated = %v/%v, want %v/%v", op, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !slices.Equal(got.Members, want.Members) {
		tb.Errorf("%s: Members = %v, want %v", op, got.Members, want.Members)
	}
	got.Members, want.Members = nil, nil
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got %+v\nwant %+v", op, got, want)
	}
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name string
		in   components.Input
		want func(c *components.Component)
	}{
		{"nil fields change nothing", components.Input{}, func(c *components.Component) {}},
		{"rename trims spaces", components.Input{Name: ptr("  API v2 ")},
			func(c *components.Component) { c.Name = "API v2" }},
		{"clear description", components.Input{Description: ptr("")},
			func(c *components.Component) { c.Description = "" }},
		{"set start date", components.Input{StartDate: ptr("2023-03-31")},
			func(c *components.Component) { c.StartDate = "2023-03-31" }},
		{"clear start date", components.Input{StartDate: ptr("")},
			func(c *components.Component) { c.StartDate = "" }},
		{"move", components.Input{Position: ptr(7)},
			func(c *components.Component) { c.Position = 7 }},
		{"flags", components.Input{Showcase: ptr(false), OnlyShowIfDegraded: ptr(true)},
			func(c *components.Component) { c.Showcase, c.OnlyShowIfDegraded = false, true }},
		{"status", components.Input{Status: ptr(components.MajorOutage)},
			func(c *components.Component) { c.Status = components.MajorOutage }},
		{"long name in runes", components.Input{Name: ptr(strings.Repeat("é", 255))},
			func(c *components.Component) { c.Name = strings.Repeat("é", 255) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := mustOpen(t)
			created, err := f.svc.Create(ctx, components.Input{
				Name: ptr("API"), Description: ptr("Public API"), StartDate: ptr("2024-01-01"),
			})
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Hour)

			got, err := f.svc.Update(ctx, created.ID, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := created
			tt.want(&want)
			want.UpdatedAt = start.Add(time.Hour)
			checkComponent(t, "Update", got, want)
			checkComponent(t, "Get", f.mustGet(t, created.ID), want)
		})
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	api := f.mustCreate(t, "API", components.Operational)
	web := f.mustCreate(t, "Website", components.Operational)
	f.clock.Advance(time.Hour)
	f.mustSetStatus(t, api.ID, components.MajorOutage)

	if err := f.svc.Delete(ctx, api.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, api.ID); !errors.Is(err, components.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	history, err := f.svc.History(ctx, api.ID, start, start.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 0 {
		t.Errorf("History after Delete = %v, want none", history)
	}
	if got, want := f.mustListNames(t), []string{web.Name}; !slices.Equal(got, want) {
		t.Errorf("List after Delete = %v, want %v", got, want)
	}
	if err := f.svc.Delete(ctx, api.ID); !errors.Is(err, components.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want ErrNotFound", err)
	}
}

func TestValidation(t *testing.T) {
	// Each case runs against a page holding one plain component and one
	// empty group.
	type env struct {
		plain, group components.Component
	}
	tests := []struct {
		name  string
		run   func(ctx context.Context, svc *components.Service, e env) error
		field string
	}{
		{"create without name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{})
			return err
		}, "name"},
		{"create with blank name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr(" \t ")})
			return err
		}, "name"},
		{"create with too long name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr(strings.Repeat("x", 256))})
			return err
		}, "name"},
		{"create with bad status", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), Status: ptr(components.Status("down"))})
			return err
		}, "status"},
		{"create with empty status", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), Status: ptr(components.Status(""))})
			return err
		}, "status"},
		{"create with impossible start date", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), StartDate: ptr("2025-02-30")})
			return err
		}, "start_date"},
		{"create with start date in another format", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), StartDate: ptr("01/06/2025")})
			return err
		}, "start_date"},
		{"create with unknown group", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), GroupID: ptr("nosuchgroup0")})
			return err
		}, "group_id"},
		{"create inside a plain component", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), GroupID: &e.plain.ID})
			return err
		}, "group_id"},
		{"create with too long description", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), Description: ptr(strings.Repeat("x", 2001))})
			return err
		}, "description"},
		{"create with negative position", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Create(ctx, components.Input{Name: ptr("API"), Position: ptr(-1)})
			return err
		}, "position"},
		{"update with blank name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Update(ctx, e.plain.ID, components.Input{Name: ptr("")})
			return err
		}, "name"},
		{"update with too long name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Update(ctx, e.plain.ID, components.Input{Name: ptr(strings.Repeat("x", 256))})
			return err
		}, "name"},
		{"update with bad status", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Update(ctx, e.plain.ID, components.Input{Status: ptr(components.Status("Operational"))})
			return err
		}, "status"},
		{"update with bad start date", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Update(ctx, e.plain.ID, components.Input{StartDate: ptr("2025-1-5")})
			return err
		}, "start_date"},
		{"update with unknown group", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.Update(ctx, e.plain.ID, components.Input{GroupID: ptr("nosuchgroup0")})
			return err
		}, "group_id"},
		{"create group without name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.CreateGroup(ctx, components.GroupInput{})
			return err
		}, "name"},
		{"create group with unknown member", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.CreateGroup(ctx, components.GroupInput{Name: ptr("G"), Members: &[]string{"nosuchthing0"}})
			return err
		}, "components"},
		{"create group listing a member twice", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.CreateGroup(ctx, components.GroupInput{Name: ptr("G"), Members: &[]string{e.plain.ID, e.plain.ID}})
			return err
		}, "components"},
		{"nest a group in a new group", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.CreateGroup(ctx, components.GroupInput{Name: ptr("G"), Members: &[]string{e.plain.ID, e.group.ID}})
			return err
		}, "components"},
		{"nest a group in itself", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.UpdateGroup(ctx, e.group.ID, components.GroupInput{Members: &[]string{e.group.ID}})
			return err
		}, "components"},
		{"update group with blank name", func(ctx context.Context, svc *components.Service, e env) error {
			_, err := svc.UpdateGroup(ctx, e.group.ID, components.GroupInput{Name: ptr("  ")})
			return err
		}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := mustOpen(t)
			e := env{plain: f.mustCreate(t, "API", components.Operational), group: f.mustGroup(t, "Group")}
			before, changes := f.mustListNames(t), f.changeCount()

			checkValidation(t, tt.run(ctx, f.svc, e), tt.field)

			if got := f.mustListNames(t); !slices.Equal(got, before) {
				t.Errorf("components after a refused change = %v, want %v", got, before)
			}
			if got := f.mustGet(t, e.plain.ID); got.GroupID != "" || got.Name != "API" {
				t.Errorf("component after a refused change = %+v, want it untouched", got)
			}
			if got, want := f.changeCount(), changes; got != want {
				t.Errorf("changed called %d times in all, want %d (not on a refused change)", got, want)
			}
			if got := f.mustEvents(t); len(got) != 0 {
				t.Errorf("events after a refused change = %+v, want none", got)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	const unknown = "nosuchthing0"
	tests := []struct {
		name string
		run  func(ctx context.Context, svc *components.Service, plain, group string) error
	}{
		{"get", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.Get(ctx, unknown)
			return err
		}},
		{"update", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.Update(ctx, unknown, components.Input{Name: ptr("x")})
			return err
		}},
		{"update status", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.Update(ctx, unknown, components.Input{Status: ptr(components.MajorOutage)})
			return err
		}},
		{"delete", func(ctx context.Context, svc *components.Service, plain, group string) error {
			return svc.Delete(ctx, unknown)
		}},
		{"update group", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.UpdateGroup(ctx, unknown, components.GroupInput{Name: ptr("x")})
			return err
		}},
		{"delete group", func(ctx context.Context, svc *components.Service, plain, group string) error {
			return svc.DeleteGroup(ctx, unknown)
		}},
		{"uptime", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.Uptime(ctx, unknown, start, start, time.UTC, start)
			return err
		}},
		{"update a group as a component", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.Update(ctx, group, components.Input{Name: ptr("x")})
			return err
		}},
		{"delete a group as a component", func(ctx context.Context, svc *components.Service, plain, group string) error {
			return svc.Delete(ctx, group)
		}},
		{"update a component as a group", func(ctx context.Context, svc *components.Service, plain, group string) error {
			_, err := svc.UpdateGroup(ctx, plain, components.GroupInput{Name: ptr("x")})
			return err
		}},
		{"delete a component as a group", func(ctx context.Context, svc *components.Service, plain, group string) error {
			return svc.DeleteGroup(ctx, plain)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustOpen(t)
			plain := f.mustCreate(t, "API", components.Operational)
			group := f.mustGroup(t, "Group")
			changes := f.changeCount()

			err := tt.run(context.Background(), f.svc, plain.ID, group.ID)
			if !errors.Is(err, components.ErrNotFound) {
				t.Fatalf("err = %v, want one wrapping components.ErrNotFound", err)
			}
			if got, want := f.changeCount(), changes; got != want {
				t.Errorf("changed called %d times in all, want %d", got, want)
			}
			if got, want := f.mustListNames(t), []string{"API", "Group"}; !slices.Equal(got, want) {
				t.Errorf("components = %v, want %v", got, want)
			}
		})
	}
}

func TestGroupsList(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	a := f.mustCreate(t, "A", components.Operational)
	b := f.mustCreate(t, "B", components.Operational)
	c := f.mustCreate(t, "C", components.Operational)
	f.mustCreate(t, "D", components.Operational)

	g := f.mustGroup(t, "G", c.ID, b.ID)
	if got, want := g.Members, []string{c.ID, b.ID}; !slices.Equal(got, want) {
		t.Errorf("CreateGroup Members = %v, want %v", got, want)
	}
	if !g.Group {
		t.Errorf("CreateGroup Group = false, want true")
	}
	for _, id := range []string{b.ID, c.ID} {
		if got := f.mustGet(t, id).GroupID; got != g.ID {
			t.Errorf("member %s GroupID = %q, want %q", id, got, g.ID)
		}
	}
	if got := f.mustGet(t, a.ID).GroupID; got != "" {
		t.Errorf("non-member GroupID = %q, want top level", got)
	}

	// A component created later goes after everything at its level.
	f.mustCreate(t, "E", components.Operational)
	if _, err := f.svc.Create(ctx, components.Input{Name: ptr("F"), GroupID: &g.ID}); err != nil {
		t.Fatal(err)
	}
	// A group created at position 0 goes first.
	if _, err := f.svc.CreateGroup(ctx, components.GroupInput{Name: ptr("H"), Position: ptr(0)}); err != nil {
		t.Fatal(err)
	}

	all, err := f.svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(all), []string{"H", "A", "D", "G", "C", "B", "F", "E"}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	groups, err := f.svc.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(groups), []string{"H", "G"}; !slices.Equal(got, want) {
		t.Errorf("Groups = %v, want %v", got, want)
	}
	if got, want := len(f.mustGet(t, g.ID).Members), 3; got != want {
		t.Errorf("group has %d members after creating F in it, want %d", got, want)
	}
}

func TestGroupStatus(t *testing.T) {
	tests := []struct {
		name    string
		members []components.Status
		want    components.Status
	}{
		{"no members", nil, components.Operational},
		{"all operational", []components.Status{op, op}, components.Operational},
		{"maintenance beats operational", []components.Status{op, maint}, components.UnderMaintenance},
		{"maintenance is better than degraded", []components.Status{maint, degr}, components.DegradedPerformance},
		{"one partial outage", []components.Status{op, part, degr}, components.PartialOutage},
		{"worst is major", []components.Status{part, major, maint}, components.MajorOutage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := mustOpen(t)
			var members []string
			for i, s := range tt.members {
				members = append(members, f.mustCreate(t, string(rune('A'+i)), s).ID)
			}
			g := f.mustGroup(t, "G", members...)
			if got := g.Status; got != tt.want {
				t.Errorf("CreateGroup status = %q, want %q", got, tt.want)
			}
			if got := f.mustGet(t, g.ID).Status; got != tt.want {
				t.Errorf("Get status = %q, want %q", got, tt.want)
			}
			all, err := f.svc.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(c components.Component) bool { return c.ID == g.ID })
			if got := all[i].Status; got != tt.want {
				t.Errorf("List status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGroupStatusFollowsMembers(t *testing.T) {
	f := mustOpen(t)
	a := f.mustCreate(t, "A", components.Operational)
	b := f.mustCreate(t, "B", components.Operational)
	g := f.mustGroup(t, "G", a.ID, b.ID)
	steps := []struct {
		name   string
		member string
		status components.Status
		want   components.Status
	}{
		{"one member degraded", a.ID, degr, degr},
		{"other member under maintenance", b.ID, maint, degr},
		{"degraded member recovers", a.ID, op, maint},
		{"maintenance ends", b.ID, op, op},
	}
	for _, st := range steps {
		f.clock.Advance(time.Minute)
		f.mustSetStatus(t, st.member, st.status)
		got := f.mustGet(t, g.ID)
		if got.Status != st.want {
			t.Errorf("%s: group status = %q, want %q", st.name, got.Status, st.want)
		}
		if !got.UpdatedAt.Equal(f.clock.Now()) {
			t.Errorf("%s: group updated_at = %v, want the member's %v", st.name, got.UpdatedAt, f.clock.Now())
		}
	}
}

func TestUpdateGroupReplacesMembers(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	a := f.mustCreate(t, "A", components.Operational)
	b := f.mustCreate(t, "B", components.Operational)
	c := f.mustCreate(t, "C", components.MajorOutage)
	f.mustCreate(t, "D", components.Operational)
	g := f.mustGroup(t, "G", a.ID, b.ID)
	if got, want := f.mustListNames(t), []string{"C", "D", "G", "A", "B"}; !slices.Equal(got, want) {
		t.Fatalf("List before = %v, want %v", got, want)
	}

	got, err := f.svc.UpdateGroup(ctx, g.ID, components.GroupInput{Name: ptr("Core"), Members: &[]string{c.ID, b.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Core" {
		t.Errorf("Name = %q, want %q", got.Name, "Core")
	}
	if want := []string{c.ID, b.ID}; !slices.Equal(got.Members, want) {
		t.Errorf("Members = %v, want %v", got.Members, want)
	}
	if got.Status != components.MajorOutage {
		t.Errorf("Status = %q, want the new member's %q", got.Status, components.MajorOutage)
	}
	if got := f.mustGet(t, a.ID).GroupID; got != "" {
		t.Errorf("former member GroupID = %q, want top level", got)
	}
	if got, want := f.mustListNames(t), []string{"D", "Core", "C", "B", "A"}; !slices.Equal(got, want) {
		t.Errorf("List after = %v, want %v", got, want)
	}

	// An empty list empties the group; nil leaves membership alone.
	if _, err := f.svc.UpdateGroup(ctx, g.ID, components.GroupInput{Position: ptr(0)}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.mustGet(t, g.ID).Members, []string{c.ID, b.ID}; !slices.Equal(got, want) {
		t.Errorf("Members after an update without Members = %v, want %v", got, want)
	}
	if _, err := f.svc.UpdateGroup(ctx, g.ID, components.GroupInput{Members: &[]string{}}); err != nil {
		t.Fatal(err)
	}
	if got := f.mustGet(t, g.ID).Members; len(got) != 0 {
		t.Errorf("Members after emptying = %v, want none", got)
	}
	if got, want := f.mustListNames(t), []string{"Core", "D", "A", "C", "B"}; !slices.Equal(got, want) {
		t.Errorf("List after emptying = %v, want %v", got, want)
	}
}

func TestMoveComponentBetweenLevels(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	a := f.mustCreate(t, "A", components.Operational)
	b := f.mustCreate(t, "B", components.Operational)
	g := f.mustGroup(t, "G", a.ID)

	tests := []struct {
		name        string
		id          string
		in          components.Input
		wantGroupID string
		wantList    []string
	}{
		{"into a group", b.ID, components.Input{GroupID: &g.ID}, g.ID, []string{"G", "A", "B"}},
		{"to the top level", a.ID, components.Input{GroupID: ptr("")}, "", []string{"G", "B", "A"}},
		{"into a group at a position", a.ID, components.Input{GroupID: &g.ID, Position: ptr(0)}, g.ID, []string{"G", "A", "B"}},
	}
	for _, tt := range tests {
		got, err := f.svc.Update(ctx, tt.id, tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.GroupID != tt.wantGroupID {
			t.Errorf("%s: GroupID = %q, want %q", tt.name, got.GroupID, tt.wantGroupID)
		}
		if got := f.mustListNames(t); !slices.Equal(got, tt.wantList) {
			t.Errorf("%s: List = %v, want %v", tt.name, got, tt.wantList)
		}
	}
}

func TestDeleteGroupKeepsMembers(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	a := f.mustCreate(t, "A", components.PartialOutage)
	b := f.mustCreate(t, "B", components.Operational)
	f.mustCreate(t, "C", components.Operational)
	g := f.mustGroup(t, "G", a.ID, b.ID)
	f.clock.Advance(time.Hour)

	if err := f.svc.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, g.ID); !errors.Is(err, components.ErrNotFound) {
		t.Errorf("Get of the deleted group: err = %v, want ErrNotFound", err)
	}
	if got, want := f.mustListNames(t), []string{"C", "A", "B"}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	gotA := f.mustGet(t, a.ID)
	if gotA.GroupID != "" || gotA.Status != components.PartialOutage {
		t.Errorf("former member = group %q status %q, want top level and %q", gotA.GroupID, gotA.Status, components.PartialOutage)
	}
	history, err := f.svc.History(ctx, a.ID, start, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 1 || history[0].Status != components.PartialOutage {
		t.Errorf("former member's history = %+v, want its one partial outage interval kept", history)
	}
}

func TestStatusChangesHistoryAndEvents(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	api := f.mustCreate(t, "API", components.Operational)

	steps := []struct {
		name      string
		at        time.Time
		status    components.Status
		wantEvent bool
	}{
		{"degrade", start.Add(1 * time.Hour), degr, true},
		{"major outage", start.Add(3 * time.Hour), major, true},
		{"same status again", start.Add(4 * time.Hour), major, false},
		{"recover", start.Add(6 * time.Hour), op, true},
		{"operational again", start.Add(7 * time.Hour), op, false},
	}
	var lastID int64
	prev := components.Operational
	for _, st := range steps {
		f.clock.Set(st.at)
		f.mustSetStatus(t, api.ID, st.status)
		events, err := f.outbox.Events(ctx, notifier.EventFilter{AfterID: lastID})
		if err != nil {
			t.Fatal(err)
		}
		if !st.wantEvent {
			if len(events) != 0 {
				t.Errorf("%s: events = %+v, want none", st.name, events)
			}
			continue
		}
		if len(events) != 1 {
			t.Fatalf("%s: %d events, want exactly 1: %+v", st.name, len(events), events)
		}
		got := events[0]
		lastID = got.ID
		want := notifier.Event{
			ID: got.ID, Kind: notifier.ComponentStatusChanged, ComponentID: api.ID,
			OldStatus: string(prev), NewStatus: string(st.status), ComponentIDs: []string{api.ID},
			DeliverNotifications: true, CreatedAt: st.at,
		}
		if got.Kind != want.Kind || got.ComponentID != want.ComponentID || got.OldStatus != want.OldStatus ||
			got.NewStatus != want.NewStatus || !slices.Equal(got.ComponentIDs, want.ComponentIDs) ||
			got.DeliverNotifications != want.DeliverNotifications || !got.CreatedAt.Equal(want.CreatedAt) ||
			got.IncidentID != "" {
			t.Errorf("%s: event\n got %+v\nwant %+v", st.name, got, want)
		}
		prev = st.status
	}

	at := func(h int) *time.Time { t := start.Add(time.Duration(h) * time.Hour); return &t }
	tests := []struct {
		name     string
		from, to time.Time
		want     []components.Interval
	}{
		{"everything", start.Add(-time.Hour), start.Add(48 * time.Hour), []components.Interval{
			{Status: op, Start: start, End: at(1)},
			{Status: degr, Start: *at(1), End: at(3)},
			{Status: major, Start: *at(3), End: at(6)},
			{Status: op, Start: *at(6)},
		}},
		{"a window inside the outage", start.Add(2 * time.Hour), start.Add(4 * time.Hour), []components.Interval{
			{Status: degr, Start: *at(1), End: at(3)},
			{Status: major, Start: *at(3), End: at(6)},
		}},
		{"window ending where an interval starts", start, start.Add(time.Hour), []components.Interval{
			{Status: op, Start: start, End: at(1)},
		}},
		{"before creation", start.Add(-48 * time.Hour), start, []components.Interval{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.History(ctx, api.ID, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			checkIntervals(t, got, tt.want)
		})
	}
}

func checkIntervals(tb testing.TB, got, want []components.Interval) {
	tb.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		g, w := got[i], want[i]
		same = g.Status == w.Status && g.Start.Equal(w.Start) &&
			(g.End == nil) == (w.End == nil) && (g.End == nil || g.End.Equal(*w.End))
	}
	if !same {
		tb.Errorf("History =\n%s\nwant\n%s", formatIntervals(got), formatIntervals(want))
	}
}

func formatIntervals(ivs []components.Interval) string {
	var b strings.Builder
	for _, iv := range ivs {
		end := "open"
		if iv.End != nil {
			end = iv.End.UTC().Format(time.RFC3339)
		}
		b.WriteString("  " + string(iv.Status) + " " + iv.Start.UTC().Format(time.RFC3339) + " – " + end + "\n")
	}
	return b.String()
}

func TestSetStatusTx(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	api := f.mustCreate(t, "API", components.Operational)
	db := f.mustCreate(t, "Database", components.Operational)
	g := f.mustGroup(t, "Backend", db.ID)

	setStatus := func(id string, s components.Status, at time.Time, deliver bool) (components.Change, error) {
		var ch components.Change
		err := f.db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			ch, err = f.svc.SetStatusTx(ctx, tx, id, s, at, deliver)
			return err
		})
		return ch, err
	}

	t.Run("member is named after its group", func(t *testing.T) {
		f.clock.Set(start.Add(time.Hour))
		got, err := setStatus(db.ID, part, f.clock.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		want := components.Change{ComponentID: db.ID, Name: "Backend - Database", OldStatus: op, NewStatus: part}
		if got != want {
			t.Errorf("Change = %+v, want %+v", got, want)
		}
		events := f.mustEvents(t)
		if len(events) != 1 || events[0].DeliverNotifications {
			t.Errorf("events = %+v, want one with deliver_notifications false", events)
		}
	})

	t.Run("same status changes nothing", func(t *testing.T) {
		got, err := setStatus(api.ID, op, f.clock.Now(), true)
		if err != nil {
			t.Fatal(err)
		}
		want := components.Change{ComponentID: api.ID, Name: "API", OldStatus: op, NewStatus: op}
		if got != want {
			t.Errorf("Change = %+v, want %+v", got, want)
		}
		if got, want := len(f.mustEvents(t)), 1; got != want {
			t.Errorf("%d events, want %d", got, want)
		}
	})

	t.Run("late edge does not go back in time", func(t *testing.T) {
		f.clock.Set(start.Add(3 * time.Hour))
		f.mustSetStatus(t, api.ID, major) // a manual change at 3h
		// A scheduled edge for 2h processed only now.
		if _, err := setStatus(api.ID, maint, start.Add(2*time.Hour), true); err != nil {
			t.Fatal(err)
		}
		history, err := f.svc.History(ctx, api.ID, start, start.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		end1, end2 := start.Add(3*time.Hour), start.Add(3*time.Hour)
		checkIntervals(t, history, []components.Interval{
			{Status: op, Start: start, End: &end1},
			{Status: major, Start: end1, End: &end2},
			{Status: maint, Start: end2},
		})
		events := f.mustEvents(t)
		last := events[len(events)-1]
		if !last.CreatedAt.Equal(end2) {
			t.Errorf("event created_at = %v, want it clamped to %v", last.CreatedAt, end2)
		}
	})

	t.Run("group refused", func(t *testing.T) {
		_, err := setStatus(g.ID, major, f.clock.Now(), true)
		checkValidation(t, err, "components")
	})

	t.Run("bad status refused", func(t *testing.T) {
		_, err := setStatus(api.ID, "broken", f.clock.Now(), true)
		checkValidation(t, err, "status")
	})

	t.Run("unknown component", func(t *testing.T) {
		_, err := setStatus("nosuchthing0", major, f.clock.Now(), true)
		if !errors.Is(err, components.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("rolled back with the caller's transaction", func(t *testing.T) {
		before := len(f.mustEvents(t))
		abort := errors.New("abort")
		err := f.db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := f.svc.SetStatusTx(ctx, tx, db.ID, major, f.clock.Now(), true); err != nil {
				return err
			}
			return abort
		})
		if !errors.Is(err, abort) {
			t.Fatalf("err = %v, want %v", err, abort)
		}
		if got := f.mustGet(t, db.ID).Status; got != part {
			t.Errorf("status = %q, want %q kept", got, part)
		}
		if got := len(f.mustEvents(t)); got != before {
			t.Errorf("%d events, want %d: the aborted change left an event", got, before)
		}
		history, err := f.svc.History(ctx, db.ID, start, start.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(history), 2; got != want {
			t.Errorf("%d intervals, want %d", got, want)
		}
	})
}

func TestChangedCallback(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	if _, err := f.svc.EnsurePage(ctx, components.PageInput{}); err != nil {
		t.Fatal(err)
	}
	var id, groupID string
	steps := []struct {
		name string
		run  func() error
		want int // calls this step adds
	}{
		{"create", func() error {
			c, err := f.svc.Create(ctx, components.Input{Name: ptr("API")})
			id = c.ID
			return err
		}, 1},
		{"refused create", func() error {
			_, err := f.svc.Create(ctx, components.Input{Name: ptr("")})
			return err
		}, 0},
		{"status change", func() error {
			_, err := f.svc.Update(ctx, id, components.Input{Status: ptr(major)})
			return err
		}, 1},
		{"refused update", func() error {
			_, err := f.svc.Update(ctx, id, components.Input{Status: ptr(components.Status("bad"))})
			return err
		}, 0},
		{"update of an unknown component", func() error {
			_, err := f.svc.Update(ctx, "nosuchthing0", components.Input{Name: ptr("x")})
			return err
		}, 0},
		{"create group", func() error {
			g, err := f.svc.CreateGroup(ctx, components.GroupInput{Name: ptr("G"), Members: &[]string{id}})
			groupID = g.ID
			return err
		}, 1},
		{"refused group nesting", func() error {
			_, err := f.svc.CreateGroup(ctx, components.GroupInput{Name: ptr("H"), Members: &[]string{groupID}})
			return err
		}, 0},
		{"update group", func() error {
			_, err := f.svc.UpdateGroup(ctx, groupID, components.GroupInput{Name: ptr("Core")})
			return err
		}, 1},
		{"delete group", func() error { return f.svc.DeleteGroup(ctx, groupID) }, 1},
		{"update page", func() error {
			_, err := f.svc.UpdatePage(ctx, components.PageInput{Name: ptr("Acme")})
			return err
		}, 1},
		{"refused page update", func() error {
			_, err := f.svc.UpdatePage(ctx, components.PageInput{TimeZone: ptr("Nowhere/Special")})
			return err
		}, 0},
		{"delete", func() error { return f.svc.Delete(ctx, id) }, 1},
		{"delete again", func() error { return f.svc.Delete(ctx, id) }, 0},
	}
	for _, st := range steps {
		before := f.changeCount()
		err := st.run()
		if st.want > 0 && err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.want == 0 && err == nil {
			t.Fatalf("%s: succeeded, want an error", st.name)
		}
		if got := f.changeCount() - before; got != st.want {
			t.Errorf("%s: changed called %d times, want %d", st.name, got, st.want)
		}
	}
}

func TestChangedSeesCommittedChange(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	api := f.mustCreate(t, "API", components.Operational)
	var seen []components.Status
	f.onChange = func() {
		// Another connection must already see the change.
		c, err := f.svc.Get(ctx, api.ID)
		if err != nil {
			t.Error(err)
			return
		}
		seen = append(seen, c.Status)
	}
	f.clock.Advance(time.Minute)
	f.mustSetStatus(t, api.ID, major)
	if want := []components.Status{major}; !slices.Equal(seen, want) {
		t.Errorf("statuses seen by the callback = %v, want %v", seen, want)
	}
}

func TestEnsurePage(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	if _, err := f.svc.Page(ctx); !errors.Is(err, components.ErrNotFound) {
		t.Errorf("Page before EnsurePage: err = %v, want ErrNotFound", err)
	}

	first, err := f.svc.EnsurePage(ctx, components.PageInput{
		Name: ptr("Acme"), URL: ptr("https://status.acme.test"), TimeZone: ptr("Europe/Paris"),
		SupportURL: ptr("https://acme.test/help"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ids.Valid(first.ID) {
		t.Errorf("ID = %q, not a valid id", first.ID)
	}
	want := components.Page{
		ID: first.ID, Name: "Acme", URL: "https://status.acme.test", TimeZone: "Europe/Paris",
		SupportURL: "https://acme.test/help", CreatedAt: start, UpdatedAt: start,
	}
	checkPage(t, "first EnsurePage", first, want)

	f.clock.Advance(24 * time.Hour)
	second, err := f.svc.EnsurePage(ctx, components.PageInput{Name: ptr("Other"), TimeZone: ptr("Asia/Tokyo")})
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, "second EnsurePage", second, want)
	got, err := f.svc.Page(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, "Page", got, want)
	if got, want := got.Location().String(), "Europe/Paris"; got != want {
		t.Errorf("Location = %s, want %s", got, want)
	}
}

func TestEnsurePageDefaults(t *testing.T) {
	f := mustOpen(t)
	got, err := f.svc.EnsurePage(context.Background(), components.PageInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := components.Page{
		ID: got.ID, Name: "Beacon", URL: "http://localhost:8080", TimeZone: "Etc/UTC", CreatedAt: start, UpdatedAt: start,
	}
	checkPage(t, "EnsurePage", got, want)
}

func TestEnsurePageRefusesBadDefaults(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	_, err := f.svc.EnsurePage(ctx, components.PageInput{TimeZone: ptr("Europe/Atlantis")})
	checkValidation(t, err, "time_zone")
	if _, err := f.svc.Page(ctx); !errors.Is(err, components.ErrNotFound) {
		t.Errorf("Page after refused defaults: err = %v, want ErrNotFound", err)
	}
}

func checkPage(tb testing.TB, op string, got, want components.Page) {
	tb.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Errorf("%s: created/updated = %v/%v, want %v/%v", op, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		tb.Errorf("%s:\n got %+v\nwant %+v", op, got, want)
	}
}

func TestUpdatePage(t *testing.T) {
	base := components.Page{
		Name: "Acme", URL: "https://status.acme.test", TimeZone: "Etc/UTC", SupportURL: "https://acme.test/help",
		CreatedAt: start, UpdatedAt: start.Add(time.Hour),
	}
	tests := []struct {
		name  string
		in    components.PageInput
		field string // "" when the update is valid
		want  func(p *components.Page)
	}{
		{"rename", components.PageInput{Name: ptr(" Acme Status ")}, "",
			func(p *components.Page) { p.Name = "Acme Status" }},
		{"time zone", components.PageInput{TimeZone: ptr("America/Los_Angeles")}, "",
			func(p *components.Page) { p.TimeZone = "America/Los_Angeles" }},
		{"http url", components.PageInput{URL: ptr("http://status.internal:8080/")}, "",
			func(p *components.Page) { p.URL, p.URLExplicit = "http://status.internal:8080/", true }},
		{"clear support url", components.PageInput{SupportURL: ptr("")}, "",
			func(p *components.Page) { p.SupportURL = "" }},
		{"nothing set", components.PageInput{}, "", func(p *components.Page) {}},
		{"email footer", components.PageInput{EmailFooter: ptr("\r\nAcme Inc.\r\n1 Main St\tSuite 2\r\n")}, "",
			func(p *components.Page) { p.EmailFooter = "Acme Inc.\n1 Main St\tSuite 2" }},
		{"email footer of 500 characters", components.PageInput{EmailFooter: ptr(strings.Repeat("ß", 500))}, "",
			func(p *components.Page) { p.EmailFooter = strings.Repeat("ß", 500) }},

		{"blank name", components.PageInput{Name: ptr("   ")}, "name", nil},
		{"too long name", components.PageInput{Name: ptr(strings.Repeat("n", 256))}, "name", nil},
		{"empty time zone", components.PageInput{TimeZone: ptr("")}, "time_zone", nil},
		{"Local time zone", components.PageInput{TimeZone: ptr("Local")}, "time_zone", nil},
		{"unknown time zone", components.PageInput{TimeZone: ptr("Mars/Olympus_Mons")}, "time_zone", nil},
		{"offset instead of zone", components.PageInput{TimeZone: ptr("+02:00")}, "time_zone", nil},
		{"ftp url", components.PageInput{URL: ptr("ftp://status.acme.test")}, "url", nil},
		{"url without host", components.PageInput{URL: ptr("https://")}, "url", nil},
		{"relative url", components.PageInput{URL: ptr("status.acme.test")}, "url", nil},
		{"javascript support url", components.PageInput{SupportURL: ptr("javascript:alert(1)")}, "support_url", nil},
		{"support url too long", components.PageInput{SupportURL: ptr("https://acme.test/" + strings.Repeat("a", 2000))}, "support_url", nil},
		{"email footer too long", components.PageInput{Name: ptr("Renamed"), EmailFooter: ptr(strings.Repeat("a", 501))}, "notifications_email_footer", nil},
		{"email footer with a control character", components.PageInput{EmailFooter: ptr("Acme\u0000")}, "notifications_email_footer", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := mustOpen(t)
			created, err := f.svc.EnsurePage(ctx, components.PageInput{
				Name: &base.Name, URL: &base.URL, TimeZone: &base.TimeZone, SupportURL: &base.SupportURL,
			})
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Hour)
			want := base
			want.ID = created.ID

			got, err := f.svc.UpdatePage(ctx, tt.in)
			if tt.field != "" {
				checkValidation(t, err, tt.field)
				want.UpdatedAt = start
			} else {
				if err != nil {
					t.Fatal(err)
				}
				tt.want(&want)
				checkPage(t, "UpdatePage", got, want)
			}
			stored, err := f.svc.Page(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, "Page", stored, want)
		})
	}
}
