package subscribers_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// start is where the fake clock starts: a whole second, as stored
// timestamps keep microseconds only.
var start = time.Date(2025, time.June, 1, 9, 0, 0, 0, time.UTC)

// roomy are limits no test reaches unless it means to: each test that
// exercises a limit lowers the one it is about. Every field is set, as a
// zero field means "no limit" (or, for durations, an empty window).
var roomy = subscribers.Limits{
	SignupsPerIP: 1000, SMSSignupsPerIP: 1000, SMSWindow: 4 * time.Hour,
	SignupsPerHour: 1000, SMSSignupsPerHour: 1000, ConfirmationsPerDay: 1000,
	CodeAttempts: 3, CodeTTL: 10 * time.Minute, VerificationsPerIP: 1000, ConfirmationsPerHour: 1000,
}

// validateURL stands in for the webhook package's check: http(s) with a
// host, nothing else.
func validateURL(_ context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("must be an http or https URL")
	}
	if u.Host == "" {
		return errors.New("must name a host")
	}
	return nil
}

// fixture is a subscribers service on a fresh, migrated database with the
// components and outbox it depends on and a controlled clock.
type fixture struct {
	db     *store.DB
	comps  *components.Service
	outbox *notifier.Outbox
	svc    *subscribers.Service
	clock  *testutil.Clock
	cfg    subscribers.Config
}

// newFixture opens a database in a temporary directory with limits l.
func newFixture(tb testing.TB, l subscribers.Limits) *fixture {
	tb.Helper()
	db := testutil.OpenDB(tb, notifier.Migrations(), components.Migrations(), subscribers.Migrations())
	f := &fixture{db: db, outbox: notifier.NewOutbox(db), clock: testutil.NewClock(start),
		cfg: subscribers.Config{SMSCountries: []string{"US", "GB"}, ValidateURL: validateURL, Limits: l,
			Languages: []string{"en", "ar", "de", "es", "fr", "ja", "pt-BR"}}}
	f.comps = components.NewService(db, f.outbox, f.clock.Now, nil)
	f.restart(tb)
	return f
}

// restart replaces the service with a new one on the same database, as a
// process restart does.
func (f *fixture) restart(tb testing.TB) {
	tb.Helper()
	svc, err := subscribers.NewService(context.Background(), f.db, f.comps, f.outbox, f.clock.Now, f.cfg)
	if err != nil {
		tb.Fatal(err)
	}
	f.svc = svc
}

func ptr[T any](v T) *T { return &v }

// component adds a top-level component.
func (f *fixture) component(tb testing.TB, name string) components.Component {
	tb.Helper()
	c, err := f.comps.Create(context.Background(), components.Input{Name: ptr(name)})
	if err != nil {
		tb.Fatalf("create component %s: %v", name, err)
	}
	return c
}

// group adds a group holding members.
func (f *fixture) group(tb testing.TB, name string, members ...string) components.Component {
	tb.Helper()
	g, err := f.comps.CreateGroup(context.Background(), components.GroupInput{Name: ptr(name), Members: &members})
	if err != nil {
		tb.Fatalf("create group %s: %v", name, err)
	}
	return g
}

// subscribe signs su up and fails the test on an error.
func (f *fixture) subscribe(tb testing.TB, su subscribers.Signup) subscribers.SignupResult {
	tb.Helper()
	res, err := f.svc.Subscribe(context.Background(), su)
	if err != nil {
		tb.Fatalf("subscribe %s %q: %v", su.Mode, su.Address, err)
	}
	return res
}

// active signs address up on mode with staff's SkipConfirmation.
func (f *fixture) active(tb testing.TB, mode notifier.Channel, address string, comps ...string) subscribers.Subscriber {
	tb.Helper()
	return f.subscribe(tb, subscribers.Signup{Mode: mode, Address: address, ComponentIDs: comps, SkipConfirmation: true}).Subscriber
}

// get returns subscriber id as stored.
func (f *fixture) get(tb testing.TB, id string) subscribers.Subscriber {
	tb.Helper()
	sub, err := f.svc.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("get %s: %v", id, err)
	}
	return sub
}

// state returns the stored state of subscriber id.
func (f *fixture) state(tb testing.TB, id string) subscribers.State {
	tb.Helper()
	return f.get(tb, id).State
}

// delivery is a row of the notifier's deliveries table.
type delivery struct {
	Channel notifier.Channel
	Purpose notifier.Purpose
	Data    string
	State   string
	EventID sql.NullInt64
}

// deliveries returns the deliveries queued for subscriber id, oldest first.
func (f *fixture) deliveries(tb testing.TB, id string) []delivery {
	tb.Helper()
	rows, err := f.db.Read.Query(`SELECT channel, purpose, data, state, event_id FROM deliveries WHERE subscriber_id = ? ORDER BY id`, id)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []delivery
	for rows.Next() {
		var d delivery
		if err := rows.Scan(&d.Channel, &d.Purpose, &d.Data, &d.State, &d.EventID); err != nil {
			tb.Fatal(err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// totalDeliveries counts every row of the deliveries table.
func (f *fixture) totalDeliveries(tb testing.TB) int {
	tb.Helper()
	var n int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM deliveries`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// lastCode returns the SMS code in the newest confirmation queued for id.
func (f *fixture) lastCode(tb testing.TB, id string) string {
	tb.Helper()
	ds := f.deliveries(tb, id)
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Purpose == notifier.PurposeConfirm && ds[i].Channel == notifier.SMS {
			if len(ds[i].Data) != 6 {
				tb.Fatalf("SMS confirmation data = %q, want a 6-digit code", ds[i].Data)
			}
			return ds[i].Data
		}
	}
	tb.Fatalf("no SMS confirmation queued for %s", id)
	return ""
}

// wrongCode returns a 6-digit code that is not code.
func wrongCode(code string) string {
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); c != code {
			return c
		}
	}
}

// inTx runs fn in a write transaction, as the dispatcher calls the
// Audience methods.
func (f *fixture) inTx(tb testing.TB, fn func(tx *sql.Tx) error) {
	tb.Helper()
	if err := f.db.Tx(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// validationField returns the field of a *subscribers.ValidationError, or
// "" when err is not one.
func validationField(err error) string {
	var ve *subscribers.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

// sorted returns a sorted copy of list.
func sorted(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}
