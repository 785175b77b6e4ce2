package subscribers_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

func TestByToken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	sub := f.active(t, notifier.Email, "jane@example.com")
	tests := []struct {
		name    string
		purpose subscribers.Purpose
		token   string
		advance time.Duration
		wantErr error
	}{
		{"manage", subscribers.PurposeManage, f.svc.Link(subscribers.PurposeManage, sub.ID), 0, nil},
		{"manage at 30 days", subscribers.PurposeManage, f.svc.Link(subscribers.PurposeManage, sub.ID), 30 * 24 * time.Hour, nil},
		{"manage expired", subscribers.PurposeManage, f.svc.Link(subscribers.PurposeManage, sub.ID), 31 * 24 * time.Hour, subscribers.ErrBadToken},
		{"unsubscribe after 2 years", subscribers.PurposeUnsubscribe, f.svc.Link(subscribers.PurposeUnsubscribe, sub.ID), 2 * 365 * 24 * time.Hour, nil},
		{"wrong purpose", subscribers.PurposeManage, f.svc.Link(subscribers.PurposeUnsubscribe, sub.ID), 0, subscribers.ErrBadToken},
		{"unknown subscriber", subscribers.PurposeManage, f.svc.Link(subscribers.PurposeManage, "nosuchsubscr"), 0, subscribers.ErrBadToken},
		{"forged", subscribers.PurposeManage, f.svc.Link(subscribers.PurposeManage, sub.ID) + "A", 0, subscribers.ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.advance)
			defer f.clock.Advance(-tt.advance)
			got, err := f.svc.ByToken(ctx, tt.purpose, tt.token)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ByToken error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.ID != sub.ID {
				t.Errorf("ByToken returned %s, want %s", got.ID, sub.ID)
			}
		})
	}
}

func TestSetPreferences(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	web := f.component(t, "Web")
	db := f.component(t, "DB")
	g := f.group(t, "Storage", db.ID)
	sub := f.active(t, notifier.Email, "jane@example.com", api.ID)
	link := f.svc.Link(subscribers.PurposeManage, sub.ID)

	tests := []struct {
		name      string
		ids       []string
		wantAll   bool
		wantComps []string
		wantField string
	}{
		{"a set", []string{web.ID, api.ID}, false, sorted([]string{api.ID, web.ID}), ""},
		{"a group", []string{g.ID}, false, []string{db.ID}, ""},
		{"none means all", nil, true, []string{}, ""},
		{"back to one", []string{web.ID}, false, []string{web.ID}, ""},
		{"unknown refused", []string{api.ID, "nosuchthing0"}, false, []string{web.ID}, "component_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(time.Minute)
			got, err := f.svc.SetPreferences(ctx, link, tt.ids, "")
			if field := validationField(err); field != tt.wantField {
				t.Fatalf("SetPreferences error = %v, want a ValidationError on %q", err, tt.wantField)
			}
			if err == nil && !got.UpdatedAt.Equal(f.clock.Now()) {
				t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, f.clock.Now())
			}
			stored := f.get(t, sub.ID)
			if stored.AllComponents != tt.wantAll || !reflect.DeepEqual(stored.ComponentIDs, tt.wantComps) {
				t.Errorf("AllComponents, ComponentIDs = %v, %v; want %v, %v", stored.AllComponents, stored.ComponentIDs, tt.wantAll, tt.wantComps)
			}
			if stored.State != subscribers.Active {
				t.Errorf("state = %s, want active", stored.State)
			}
		})
	}

	for name, tok := range map[string]string{
		"unsubscribe link": f.svc.Link(subscribers.PurposeUnsubscribe, sub.ID),
		"confirm link":     f.svc.Link(subscribers.PurposeConfirm, sub.ID),
	} {
		if _, err := f.svc.SetPreferences(ctx, tok, []string{api.ID}, ""); !errors.Is(err, subscribers.ErrBadToken) {
			t.Errorf("SetPreferences with a %s: error = %v, want ErrBadToken", name, err)
		}
	}
}

func TestUnsubscribeByToken(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		purpose subscribers.Purpose
		advance time.Duration
		wantErr error
	}{
		{"unsubscribe link", subscribers.PurposeUnsubscribe, 0, nil},
		{"unsubscribe link after 2 years", subscribers.PurposeUnsubscribe, 2 * 365 * 24 * time.Hour, nil},
		{"manage link", subscribers.PurposeManage, 0, nil},
		{"manage link expired", subscribers.PurposeManage, 31 * 24 * time.Hour, subscribers.ErrBadToken},
		{"confirm link", subscribers.PurposeConfirm, 0, subscribers.ErrBadToken},
		{"sms verify token", subscribers.PurposeVerifySMS, 0, subscribers.ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			sub := f.active(t, notifier.Email, "jane@example.com")
			tok := f.svc.Link(tt.purpose, sub.ID)
			f.clock.Advance(tt.advance)
			got, err := f.svc.UnsubscribeByToken(ctx, tok)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("UnsubscribeByToken error = %v, want %v", err, tt.wantErr)
			}
			want := subscribers.Unsubscribed
			if tt.wantErr != nil {
				want = subscribers.Active
			} else {
				if got.State != subscribers.Unsubscribed {
					t.Errorf("returned state = %s, want unsubscribed", got.State)
				}
				if got.UnsubscribedAt == nil || !got.UnsubscribedAt.Equal(f.clock.Now()) {
					t.Errorf("UnsubscribedAt = %v, want %v", got.UnsubscribedAt, f.clock.Now())
				}
			}
			if s := f.state(t, sub.ID); s != want {
				t.Errorf("stored state = %s, want %s", s, want)
			}
			if tt.wantErr == nil {
				// One-click unsubscribe may be sent twice (a mail client
				// and the person); the second is harmless.
				if _, err := f.svc.UnsubscribeByToken(ctx, tok); err != nil {
					t.Errorf("second unsubscribe: %v", err)
				}
			}
		})
	}
}

func TestUnsubscribeAndReactivate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	sub := f.active(t, notifier.Email, "jane@example.com", api.ID)
	confirmed := *f.get(t, sub.ID).ConfirmedAt

	if err := f.svc.Unsubscribe(ctx, "nosuchsubscr"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("Unsubscribe of an unknown id: error = %v, want ErrNotFound", err)
	}
	if err := f.svc.Reactivate(ctx, "nosuchsubscr"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("Reactivate of an unknown id: error = %v, want ErrNotFound", err)
	}

	f.clock.Advance(time.Hour)
	if err := f.svc.Unsubscribe(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if err := f.svc.Reactivate(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	got := f.get(t, sub.ID)
	if got.State != subscribers.Active || got.UnsubscribedAt != nil || got.QuarantinedAt != nil {
		t.Errorf("after Reactivate: state, UnsubscribedAt, QuarantinedAt = %s, %v, %v; want active, nil, nil", got.State, got.UnsubscribedAt, got.QuarantinedAt)
	}
	if got.ConfirmedAt == nil || !got.ConfirmedAt.Equal(confirmed) {
		t.Errorf("ConfirmedAt = %v, want the first confirmation %v", got.ConfirmedAt, confirmed)
	}
	if !reflect.DeepEqual(got.ComponentIDs, []string{api.ID}) {
		t.Errorf("ComponentIDs = %v, want [%s] kept", got.ComponentIDs, api.ID)
	}

	// A quarantined subscriber comes back too.
	quarantine(t, f, sub.ID, notifier.Email)
	if s := f.state(t, sub.ID); s != subscribers.Quarantined {
		t.Fatalf("state = %s, want quarantined", s)
	}
	if err := f.svc.Reactivate(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, sub.ID); got.State != subscribers.Active || got.QuarantinedAt != nil {
		t.Errorf("after Reactivate: state, QuarantinedAt = %s, %v; want active, nil", got.State, got.QuarantinedAt)
	}
}

// quarantine fails permanent deliveries to id until it is quarantined.
func quarantine(t *testing.T, f *fixture, id string, ch notifier.Channel) {
	t.Helper()
	for i := 0; i < 10; i++ {
		fail(t, f, id, ch, &notifier.SendError{Permanent: true, Code: "550"})
	}
}

func TestResendConfirmation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		mode      notifier.Channel
		address   string
		make      func(f *fixture, id string) error
		wantField string
	}{
		{"unconfirmed email", notifier.Email, "jane@example.com", nil, ""},
		{"unconfirmed webhook", notifier.Webhook, "https://example.com/h", nil, ""},
		{"unconfirmed sms", notifier.SMS, "+14155550123", nil, ""},
		{"active refused", notifier.Email, "jane@example.com", func(f *fixture, id string) error { return f.svc.Reactivate(ctx, id) }, "state"},
		{"unsubscribed refused", notifier.Email, "jane@example.com", func(f *fixture, id string) error { return f.svc.Unsubscribe(ctx, id) }, "state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			api := f.component(t, "API")
			res := f.subscribe(t, subscribers.Signup{Mode: tt.mode, Address: tt.address, ComponentIDs: []string{api.ID}, IP: "192.0.2.1"})
			id := res.Subscriber.ID
			if tt.make != nil {
				if err := tt.make(f, id); err != nil {
					t.Fatal(err)
				}
			}
			before := f.deliveries(t, id)
			err := f.svc.ResendConfirmation(ctx, id)
			if got := validationField(err); got != tt.wantField {
				t.Fatalf("ResendConfirmation error = %v, want a ValidationError on %q", err, tt.wantField)
			}
			after := f.deliveries(t, id)
			if tt.wantField != "" {
				if len(after) != len(before) {
					t.Errorf("deliveries = %d, want %d (nothing queued)", len(after), len(before))
				}
				return
			}
			if len(after) != len(before)+1 {
				t.Fatalf("deliveries = %+v, want one more than %d", after, len(before))
			}
			d := after[len(after)-1]
			if d.Purpose != notifier.PurposeConfirm || d.Channel != tt.mode {
				t.Errorf("new delivery = %+v, want a %s confirmation", d, tt.mode)
			}
			if tt.mode != notifier.SMS {
				return
			}
			// The new code replaces the old one and keeps the components
			// chosen at sign-up.
			oldCode, newCode := before[0].Data, d.Data
			if len(newCode) != 6 {
				t.Fatalf("new code = %q, want 6 digits", newCode)
			}
			if oldCode != newCode {
				if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, oldCode, ""); !errors.Is(err, subscribers.ErrBadCode) {
					t.Errorf("old code after a resend: error = %v, want ErrBadCode", err)
				}
			}
			sub, err := f.svc.VerifySMS(ctx, res.VerifyToken, newCode, "")
			if err != nil {
				t.Fatalf("new code: %v", err)
			}
			if sub.State != subscribers.Active || !reflect.DeepEqual(sub.ComponentIDs, []string{api.ID}) {
				t.Errorf("state, ComponentIDs = %s, %v; want active, [%s]", sub.State, sub.ComponentIDs, api.ID)
			}
		})
	}

	f := newFixture(t, roomy)
	if err := f.svc.ResendConfirmation(ctx, "nosuchsubscr"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("ResendConfirmation of an unknown id: error = %v, want ErrNotFound", err)
	}
}

func TestHandleReply(t *testing.T) {
	ctx := context.Background()
	const number = "+14155550123"
	tests := []struct {
		name      string
		from      subscribers.State
		phone     string
		keyword   string
		wantFound bool
		want      subscribers.State
	}{
		{"STOP", subscribers.Active, number, "STOP", true, subscribers.Unsubscribed},
		{"stop lower case with spaces", subscribers.Active, number, "  stop\n", true, subscribers.Unsubscribed},
		{"UNSUBSCRIBE", subscribers.Active, number, "UNSUBSCRIBE", true, subscribers.Unsubscribed},
		{"Cancel", subscribers.Active, number, "Cancel", true, subscribers.Unsubscribed},
		{"STOP while unconfirmed", subscribers.Unconfirmed, number, "STOP", true, subscribers.Unsubscribed},
		{"STOP while quarantined", subscribers.Quarantined, number, "STOP", true, subscribers.Unsubscribed},
		{"START after STOP", subscribers.Unsubscribed, number, "START", true, subscribers.Active},
		{"unstop after STOP", subscribers.Unsubscribed, number, "unstop", true, subscribers.Active},
		{"START while unconfirmed", subscribers.Unconfirmed, number, "START", true, subscribers.Unconfirmed},
		{"START while quarantined", subscribers.Quarantined, number, "START", true, subscribers.Quarantined},
		{"START while active", subscribers.Active, number, "START", true, subscribers.Active},
		{"other word", subscribers.Active, number, "thanks", false, subscribers.Active},
		{"STOP inside a sentence", subscribers.Active, number, "please stop", false, subscribers.Active},
		{"HELP", subscribers.Active, number, "HELP", false, subscribers.Active},
		{"unknown number", subscribers.Active, "+14155550999", "STOP", false, subscribers.Active},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			// An email subscriber whose address looks like the number must
			// never be touched.
			other := f.active(t, notifier.Email, "x@example.com")
			id := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: number}).Subscriber.ID
			switch tt.from {
			case subscribers.Active:
				mustDo(t, f.svc.Reactivate(ctx, id))
			case subscribers.Unsubscribed:
				mustDo(t, f.svc.Reactivate(ctx, id))
				mustDo(t, f.svc.Unsubscribe(ctx, id))
			case subscribers.Quarantined:
				quarantine(t, f, id, notifier.SMS)
			}
			if s := f.state(t, id); s != tt.from {
				t.Fatalf("set-up: state = %s, want %s", s, tt.from)
			}
			found, err := f.svc.HandleReply(ctx, tt.phone, tt.keyword)
			if err != nil {
				t.Fatal(err)
			}
			if found != tt.wantFound {
				t.Errorf("found = %v, want %v", found, tt.wantFound)
			}
			if s := f.state(t, id); s != tt.want {
				t.Errorf("state = %s, want %s", s, tt.want)
			}
			if s := f.state(t, other.ID); s != subscribers.Active {
				t.Errorf("email subscriber state = %s, want active", s)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
