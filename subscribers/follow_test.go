package subscribers_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// followFixture adds the incidents service to a fixture, so that events
// come from real incident changes: whether an event reaches followers is
// the incidents package's decision.
type followFixture struct {
	*fixture
	inc *incidents.Service
}

func newFollowFixture(t *testing.T, l subscribers.Limits) *followFixture {
	t.Helper()
	f := newFixture(t, l)
	if err := f.db.Migrate(context.Background(), incidents.Migrations()); err != nil {
		t.Fatal(err)
	}
	return &followFixture{fixture: f, inc: incidents.NewService(f.db, f.comps, f.outbox, f.clock.Now, nil)}
}

// follow makes address follow incidentID and confirms it as its owner
// would: the email link, or the SMS code.
func (f *followFixture) follow(t *testing.T, incidentID string, mode notifier.Channel, address string) subscribers.Follow {
	t.Helper()
	ctx := context.Background()
	res, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: incidentID, Mode: mode, Address: address, IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("follow %s by %s: %v", incidentID, address, err)
	}
	if got := res.Follow.Subscriber.State; got != subscribers.Unconfirmed {
		t.Fatalf("follow before confirmation: state %s, want unconfirmed", got)
	}
	var fl subscribers.Follow
	if mode == notifier.SMS {
		if _, err = f.svc.VerifySMS(ctx, res.VerifyToken, f.lastFollowData(t, res.Follow.Subscriber.ID), "192.0.2.1"); err == nil {
			fl, err = f.svc.Follower(ctx, incidentID, res.Follow.Subscriber.ID)
		}
	} else {
		fl, err = f.svc.ConfirmFollow(ctx, f.svc.FollowLink(res.Follow.Subscriber.ID, incidentID))
	}
	if err != nil {
		t.Fatalf("confirm follow of %s by %s: %v", incidentID, address, err)
	}
	if fl.ConfirmedAt == nil || fl.Subscriber.State != subscribers.Active {
		t.Fatalf("confirmed follow: confirmed_at %v, state %s; want set, active", fl.ConfirmedAt, fl.Subscriber.State)
	}
	return fl
}

// lastFollowData returns the data of the newest follow confirmation
// queued for id: the incident id by email, the code by SMS.
func (f *followFixture) lastFollowData(t *testing.T, id string) string {
	t.Helper()
	ds := f.deliveries(t, id)
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Purpose == notifier.PurposeFollow {
			return ds[i].Data
		}
	}
	t.Fatalf("no follow confirmation queued for %s", id)
	return ""
}

// eventsSince returns the outbox's events after the n-th.
func (f *followFixture) eventsSince(t *testing.T, n int) []notifier.Event {
	t.Helper()
	all, err := f.outbox.Events(context.Background(), notifier.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return all[n:]
}

func TestFollowersHearTheirIncidentUntilItResolves(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)
	a := f.component(t, "A")
	b := f.component(t, "B")
	everything := []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}

	pageAll := f.active(t, notifier.Email, "all@example.com")
	pageB := f.active(t, notifier.Email, "b@example.com", b.ID)
	x, err := f.inc.Create(ctx, incidents.NewIncident{Name: "X", ComponentIDs: []string{a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	follower := f.follow(t, x.ID, notifier.Email, "follower@example.com").Subscriber
	texter := f.follow(t, x.ID, notifier.SMS, "+14155550123").Subscriber
	// A page subscriber of B alone who follows X too hears X through the
	// follow, once per message.
	f.follow(t, x.ID, notifier.Email, "b@example.com")
	// All components and following: still one message each.
	f.follow(t, x.ID, notifier.Email, "all@example.com")
	// Never confirmed: hears nothing, whether the address is new or an
	// active page subscriber (of B) already.
	pageBLazy := f.active(t, notifier.Email, "b2@example.com", b.ID)
	for _, addr := range []string{"lazy@example.com", "b2@example.com"} {
		if _, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: x.ID, Mode: notifier.Email, Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	if follower.PageWide || texter.PageWide {
		t.Errorf("follow-only rows PageWide = %t, %t; want false", follower.PageWide, texter.PageWide)
	}

	xFollowers := sorted([]string{pageAll.ID, pageB.ID, follower.ID, texter.ID})
	steps := []struct {
		name string
		do   func() error
		want []string // recipients of each event the step writes
	}{
		{"an update of X", func() error {
			_, err := f.inc.Update(ctx, x.ID, incidents.Change{Status: ptr(incidents.Identified)})
			return err
		}, xFollowers},
		{"another update of X", func() error {
			_, err := f.inc.Update(ctx, x.ID, incidents.Change{Status: ptr(incidents.Monitoring), Body: ptr("Watching.")})
			return err
		}, xFollowers},
		{"X resolves", func() error {
			_, err := f.inc.Update(ctx, x.ID, incidents.Change{Status: ptr(incidents.Resolved)})
			return err
		}, xFollowers},
		{"an update of X after it resolved", func() error {
			_, err := f.inc.Update(ctx, x.ID, incidents.Change{Body: ptr("Root cause found.")})
			return err
		}, []string{pageAll.ID}},
		{"X reopened", func() error {
			_, err := f.inc.Update(ctx, x.ID, incidents.Change{Status: ptr(incidents.Investigating)})
			return err
		}, []string{pageAll.ID}},
		{"X resolved again", func() error {
			_, err := f.inc.Update(ctx, x.ID, incidents.Change{Status: ptr(incidents.Resolved)})
			return err
		}, []string{pageAll.ID}},
		{"X's postmortem", func() error {
			if _, err := f.inc.SetPostmortem(ctx, x.ID, "What happened."); err != nil {
				return err
			}
			_, err := f.inc.PublishPostmortem(ctx, x.ID, incidents.Publication{NotifySubscribers: true})
			return err
		}, []string{pageAll.ID}},
		{"another incident on A", func() error {
			_, err := f.inc.Create(ctx, incidents.NewIncident{Name: "Y", ComponentIDs: []string{a.ID}})
			return err
		}, []string{pageAll.ID}},
		{"an incident on no component", func() error {
			_, err := f.inc.Create(ctx, incidents.NewIncident{Name: "Z"})
			return err
		}, sorted([]string{pageAll.ID, pageB.ID, pageBLazy.ID})},
	}
	seen := len(f.eventsSince(t, 0))
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		events := f.eventsSince(t, seen)
		seen += len(events)
		checked := 0
		for _, e := range events {
			if e.Kind == notifier.ComponentStatusChanged {
				continue // webhooks' business, not this test's
			}
			checked++
			for _, limit := range []int{1, 100} { // one per page walks the cursor past each row
				got := recipients(t, f.fixture, e, everything, limit)
				if !slices.Equal(got, step.want) {
					t.Errorf("%s (%s, pages of %d): recipients %v, want %v", step.name, e.Kind, limit, got, step.want)
				}
			}
		}
		if checked == 0 {
			t.Fatalf("%s: wrote no incident event to check", step.name)
		}
	}
}

func TestFollowLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)
	const incident = "inc1"
	pageList := func() []string {
		list, err := f.svc.List(ctx, subscribers.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.Address)
		}
		return out
	}

	// A new address that follows is no page subscriber.
	res, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: incident, Mode: notifier.Email, Address: "New@Example.com", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Follow.Subscriber.ID
	if got, want := f.lastFollowData(t, id), incident; got != want {
		t.Errorf("follow confirmation data %q, want the incident id %q", got, want)
	}
	if got := f.get(t, id); got.PageWide || got.Address != "new@example.com" || got.State != subscribers.Unconfirmed {
		t.Errorf("after follow: PageWide %t, address %q, state %s; want false, new@example.com, unconfirmed", got.PageWide, got.Address, got.State)
	}
	if got := pageList(); len(got) != 0 {
		t.Errorf("page list %v, want none: followers are listed per incident", got)
	}
	if n, err := f.svc.Count(ctx, subscribers.Filter{}); err != nil || n != 0 {
		t.Errorf("page count %d, %v; want 0", n, err)
	}

	// Confirming the follow makes the address active for its follow only.
	fl, err := f.svc.ConfirmFollow(ctx, f.svc.FollowLink(id, incident))
	if err != nil {
		t.Fatal(err)
	}
	if fl.Subscriber.State != subscribers.Active || fl.Subscriber.PageWide {
		t.Errorf("confirmed: state %s, PageWide %t; want active, false", fl.Subscriber.State, fl.Subscriber.PageWide)
	}
	list, total, err := f.svc.Followers(ctx, incident, 10, 0)
	if err != nil || total != 1 || len(list) != 1 || list[0].Subscriber.ID != id {
		t.Errorf("Followers = %v, %d, %v; want the one follower", list, total, err)
	}

	// A page sign-up by the same address keeps the follow going and waits
	// for its own confirmation before the address hears the whole page.
	f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "new@example.com", IP: "192.0.2.1"})
	if got := f.get(t, id); got.State != subscribers.Active || got.PageWide {
		t.Errorf("page sign-up before confirming: state %s, PageWide %t; want active, false", got.State, got.PageWide)
	}
	if ds := f.deliveries(t, id); ds[len(ds)-1].Purpose != notifier.PurposeConfirm {
		t.Errorf("page sign-up queued %s, want a confirmation", ds[len(ds)-1].Purpose)
	}
	if _, err := f.svc.ConfirmEmail(ctx, f.svc.Link(subscribers.PurposeConfirm, id)); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, id); !got.PageWide {
		t.Error("page sign-up confirmed: PageWide false, want true")
	}
	if got := pageList(); !slices.Equal(got, []string{"new@example.com"}) {
		t.Errorf("page list %v, want the address now", got)
	}

	// A page subscriber that stops following stays subscribed to the page.
	if fl, err = f.svc.Unfollow(ctx, incident, id); err != nil {
		t.Fatal(err)
	}
	if fl.Subscriber.State != subscribers.Active {
		t.Errorf("page subscriber after unfollow: %s, want active", fl.Subscriber.State)
	}
	if _, err := f.svc.Follower(ctx, incident, id); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("Follower after unfollow: %v, want ErrNotFound", err)
	}

	// A follower of two incidents that stops following one still follows
	// the other; stopping the last unsubscribes it.
	two := f.follow(t, "inc2", notifier.Email, "two@example.com").Subscriber.ID
	f.follow(t, "inc3", notifier.Email, "two@example.com")
	if fl, err = f.svc.Unfollow(ctx, "inc2", two); err != nil || fl.Subscriber.State != subscribers.Active {
		t.Errorf("unfollow one of two: %s, %v; want active", fl.Subscriber.State, err)
	}
	if fl, err = f.svc.Unfollow(ctx, "inc3", two); err != nil || fl.Subscriber.State != subscribers.Unsubscribed {
		t.Errorf("unfollow the last: %s, %v; want unsubscribed", fl.Subscriber.State, err)
	}
}

func TestFollowConfirmationIsItsOwn(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)

	// Someone signed an address up for the page and it never confirmed;
	// confirming a follow makes it active for the follow alone.
	pending := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "pending@example.com", IP: "192.0.2.9"}).Subscriber
	f.follow(t, "inc1", notifier.Email, "pending@example.com")
	if got := f.get(t, pending.ID); got.State != subscribers.Active || got.PageWide {
		t.Errorf("pending page sign-up, then a confirmed follow: state %s, PageWide %t; want active, false", got.State, got.PageWide)
	}

	// An active page subscriber's follow waits for its own confirmation.
	page := f.active(t, notifier.SMS, "+14155550199")
	res, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "inc1", Mode: notifier.SMS, Address: "+1 415 555 0199", IP: "192.0.2.9"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Follow.Subscriber.ID != page.ID || res.Follow.Subscriber.State != subscribers.Unconfirmed || res.VerifyToken == "" {
		t.Errorf("follow by a page subscriber: %s %s token %q; want the same row, unconfirmed, a code-entry token",
			res.Follow.Subscriber.ID, res.Follow.Subscriber.State, res.VerifyToken)
	}
	code := f.lastFollowData(t, page.ID)
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, wrongCode(code), ""); !errors.Is(err, subscribers.ErrBadCode) {
		t.Errorf("wrong code: %v, want ErrBadCode", err)
	}
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, ""); err != nil {
		t.Fatal(err)
	}
	fl, err := f.svc.Follower(ctx, "inc1", page.ID)
	if err != nil || fl.ConfirmedAt == nil {
		t.Errorf("follow after the code: %v, %v; want confirmed", fl.ConfirmedAt, err)
	}
	if got := f.get(t, page.ID); !got.PageWide || !got.AllComponents {
		t.Errorf("page subscriber after confirming a follow: PageWide %t, AllComponents %t; want both unchanged (true)", got.PageWide, got.AllComponents)
	}

	// Staff may resend only an unconfirmed follow's confirmation.
	if err := f.svc.ResendFollowConfirmation(ctx, "inc1", page.ID); validationField(err) != "state" {
		t.Errorf("resend for a confirmed follow: %v, want a state ValidationError", err)
	}
	lazy, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "inc1", Mode: notifier.Email, Address: "lazy@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.deliveries(t, lazy.Follow.Subscriber.ID))
	if err := f.svc.ResendFollowConfirmation(ctx, "inc1", lazy.Follow.Subscriber.ID); err != nil {
		t.Fatal(err)
	}
	if got := len(f.deliveries(t, lazy.Follow.Subscriber.ID)); got != before+1 {
		t.Errorf("resend queued %d messages, want 1", got-before)
	}
	if err := f.svc.ResendFollowConfirmation(ctx, "inc9", lazy.Follow.Subscriber.ID); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("resend for no follow: %v, want ErrNotFound", err)
	}
	// Staff may vouch for an address.
	vouched, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "inc1", Mode: notifier.Email, Address: "vouched@example.com", SkipConfirmation: true})
	if err != nil || vouched.Follow.ConfirmedAt == nil || vouched.Follow.Subscriber.State != subscribers.Active {
		t.Errorf("skip confirmation: %v %s %v; want confirmed, active", vouched.Follow.ConfirmedAt, vouched.Follow.Subscriber.State, err)
	}
}

func TestFollowRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, subscribers.Limits{SignupsPerIP: 2})
	tests := []struct {
		name      string
		req       subscribers.FollowRequest
		wantField string
	}{
		{"webhook", subscribers.FollowRequest{IncidentID: "i", Mode: notifier.Webhook, Address: "https://example.com/"}, "mode"},
		{"bad email", subscribers.FollowRequest{IncidentID: "i", Mode: notifier.Email, Address: "not an address"}, "email"},
		{"blank email", subscribers.FollowRequest{IncidentID: "i", Mode: notifier.Email}, "email"},
		{"number of a country without SMS", subscribers.FollowRequest{IncidentID: "i", Mode: notifier.SMS, Address: "+33612345678"}, "phone_number"},
		{"no incident", subscribers.FollowRequest{Mode: notifier.Email, Address: "a@example.com"}, "incident_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.FollowIncident(ctx, tt.req)
			if got := validationField(err); got != tt.wantField {
				t.Errorf("field %q (err %v), want %q", got, err, tt.wantField)
			}
		})
	}
	if n := f.totalDeliveries(t); n != 0 {
		t.Errorf("refused follows queued %d messages, want 0", n)
	}

	// Public follows count as sign-ups from their IP.
	for i, addr := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		_, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "i", Mode: notifier.Email, Address: addr, IP: "192.0.2.7"})
		var lim *subscribers.LimitError
		if limited := errors.As(err, &lim); limited != (i == 2) {
			t.Errorf("follow %d from one IP: %v, want limited only on the third", i+1, err)
		}
	}

	for _, token := range []string{"", "follow.x.0.mac", f.svc.Link(subscribers.PurposeConfirm, "abc")} {
		if _, err := f.svc.ConfirmFollow(ctx, token); !errors.Is(err, subscribers.ErrBadToken) {
			t.Errorf("ConfirmFollow(%q): %v, want ErrBadToken", token, err)
		}
	}
	// A link for a follow that was removed since does nothing.
	res, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "gone", Mode: notifier.Email, Address: "gone@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Unfollow(ctx, "gone", res.Follow.Subscriber.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmFollow(ctx, f.svc.FollowLink(res.Follow.Subscriber.ID, "gone")); !errors.Is(err, subscribers.ErrBadToken) {
		t.Errorf("link of a removed follow: %v, want ErrBadToken", err)
	}
	if _, err := f.svc.Unfollow(ctx, "gone", res.Follow.Subscriber.ID); !errors.Is(err, subscribers.ErrNotFound) || !strings.Contains(err.Error(), "gone") {
		t.Errorf("unfollow twice: %v, want ErrNotFound naming the incident", err)
	}
}

func TestImportMakesAFollowerAPageSubscriber(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)
	a := f.component(t, "A")
	tests := []struct {
		name         string
		confirm      bool
		wantPageWide bool // right after the import
	}{
		{"vouched for", false, true},
		{"sent a confirmation", true, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := []string{"one@example.com", "two@example.com"}[i]
			id := f.follow(t, "inc1", notifier.Email, addr).Subscriber.ID
			res, err := f.svc.Import(ctx, strings.NewReader("mode,address,components\nemail,"+addr+","+a.ID+"\n"), tt.confirm)
			if err != nil {
				t.Fatal(err)
			}
			if res.Created != 1 || res.Existing != 0 {
				t.Errorf("import: created %d, existing %d; want 1, 0", res.Created, res.Existing)
			}
			got := f.get(t, id)
			if got.PageWide != tt.wantPageWide || !slices.Equal(got.ComponentIDs, []string{a.ID}) || got.State != subscribers.Active {
				t.Errorf("after import: PageWide %t, components %v, state %s; want %t, [A], active", got.PageWide, got.ComponentIDs, got.State, tt.wantPageWide)
			}
			if tt.confirm {
				if _, err := f.svc.ConfirmEmail(ctx, f.svc.Link(subscribers.PurposeConfirm, id)); err != nil {
					t.Fatal(err)
				}
				if !f.get(t, id).PageWide {
					t.Error("confirmed: PageWide false, want true")
				}
			}
		})
	}
}

// TestFollowersWhoLeftStayLeft: an address that left (by its unsubscribe
// link, or by bouncing) is not brought back by an import, and confirming a
// new follow brings it back for that incident only, not for the follows
// it confirmed before it left.
func TestFollowersWhoLeftStayLeft(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)

	gone := f.follow(t, "inc1", notifier.Email, "gone@example.com").Subscriber.ID
	if _, err := f.svc.UnsubscribeByToken(ctx, f.svc.Link(subscribers.PurposeUnsubscribe, gone)); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Import(ctx, strings.NewReader("mode,address\nemail,gone@example.com\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Existing != 1 {
		t.Errorf("import of an address that left: created %d, existing %d; want 0, 1", res.Created, res.Existing)
	}
	if got := f.get(t, gone); got.State != subscribers.Unsubscribed || got.PageWide {
		t.Errorf("after import: state %s, PageWide %t; want unsubscribed, false", got.State, got.PageWide)
	}

	// It follows another incident: inc2 is confirmed, inc1 stays left.
	f.follow(t, "inc2", notifier.Email, "gone@example.com")
	for _, tc := range []struct {
		incident  string
		confirmed bool
	}{{"inc1", false}, {"inc2", true}} {
		fl, err := f.svc.Follower(ctx, tc.incident, gone)
		if err != nil {
			t.Fatal(err)
		}
		if got := fl.ConfirmedAt != nil; got != tc.confirmed {
			t.Errorf("follow of %s confirmed %t, want %t", tc.incident, got, tc.confirmed)
		}
	}
}

// TestResendToAFollowerIsItsIncidents: a page confirmation would sign a
// follower up for the whole page, so resending one by id is refused and a
// bulk resend leaves followers alone.
func TestResendToAFollowerIsItsIncidents(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)
	res, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "inc1", Mode: notifier.Email, Address: "w@example.com", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Follow.Subscriber.ID
	before := len(f.deliveries(t, id))
	if err := f.svc.ResendConfirmation(ctx, id); err == nil {
		t.Error("ResendConfirmation of a follower succeeded, want a refusal")
	}
	br, err := f.svc.BulkApply(ctx, subscribers.Bulk{Action: subscribers.BulkResendConfirmation, IDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if br.Changed != 0 || !slices.Equal(br.Skipped, []string{id}) {
		t.Errorf("bulk resend to a follower: changed %d, skipped %v; want 0, [%s]", br.Changed, br.Skipped, id)
	}
	if got := len(f.deliveries(t, id)); got != before {
		t.Errorf("%d confirmations queued, want none", got-before)
	}
}

// TestOldConfirmationLinkDoesNotReviveAPageSubscriber: an address that
// left the page and came back only to follow an incident is not put back
// on the page by the confirmation link of its first sign-up; a new page
// sign-up's link still promotes it.
func TestOldConfirmationLinkDoesNotReviveAPageSubscriber(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)
	id := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "back@example.com", IP: "192.0.2.1"}).Subscriber.ID
	oldLink := f.svc.Link(subscribers.PurposeConfirm, id)
	if _, err := f.svc.ConfirmEmail(ctx, oldLink); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UnsubscribeByToken(ctx, f.svc.Link(subscribers.PurposeUnsubscribe, id)); err != nil {
		t.Fatal(err)
	}
	f.follow(t, "inc1", notifier.Email, "back@example.com")

	if _, err := f.svc.ConfirmEmail(ctx, oldLink); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, id); got.PageWide {
		t.Error("the old page link made the follower a page subscriber again")
	}

	f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "back@example.com", IP: "192.0.2.1"})
	if _, err := f.svc.ConfirmEmail(ctx, f.svc.Link(subscribers.PurposeConfirm, id)); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, id); !got.PageWide || got.State != subscribers.Active {
		t.Errorf("after a new page sign-up's link: PageWide %t, state %s; want true, active", got.PageWide, got.State)
	}
}

// TestFollowerStates counts an incident's followers as Followers shows
// them: waiting while unconfirmed, else the address's own state.
func TestFollowerStates(t *testing.T) {
	ctx := context.Background()
	f := newFollowFixture(t, roomy)
	f.follow(t, "inc1", notifier.Email, "one@example.com")
	left := f.follow(t, "inc1", notifier.Email, "left@example.com").Subscriber.ID
	if _, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "inc1", Mode: notifier.Email, Address: "lazy@example.com"}); err != nil {
		t.Fatal(err)
	}
	f.follow(t, "inc2", notifier.Email, "other@example.com")
	if err := f.svc.Unsubscribe(ctx, left); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.FollowerStates(ctx, "inc1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[subscribers.State]int{subscribers.Active: 1, subscribers.Unconfirmed: 1, subscribers.Unsubscribed: 1}
	if !maps.Equal(got, want) {
		t.Errorf("FollowerStates = %v, want %v", got, want)
	}
	// They add up to Followers' total.
	_, total, err := f.svc.Followers(ctx, "inc1", 10, 0)
	if err != nil || total != 3 {
		t.Errorf("Followers total %d (%v), want 3", total, err)
	}
	if got, err := f.svc.FollowerStates(ctx, "nosuch"); err != nil || len(got) != 0 {
		t.Errorf("FollowerStates of an incident without followers = %v, %v; want none", got, err)
	}
}
