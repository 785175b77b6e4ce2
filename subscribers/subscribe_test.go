package subscribers_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

func TestSubscribeNormalisesAddresses(t *testing.T) {
	tests := []struct {
		name        string
		su          subscribers.Signup
		wantAddress string
		wantCountry string
	}{
		{"email case and spaces", subscribers.Signup{Mode: notifier.Email, Address: "  Jane.Doe@Example.COM \t"}, "jane.doe@example.com", ""},
		{"email plain", subscribers.Signup{Mode: notifier.Email, Address: "ops+status@example.org"}, "ops+status@example.org", ""},
		{"sms international with spaces", subscribers.Signup{Mode: notifier.SMS, Address: "+1 415 555 0123"}, "+14155550123", "US"},
		{"sms national with region", subscribers.Signup{Mode: notifier.SMS, Address: "(415) 555-0123", PhoneCountry: "US"}, "+14155550123", "US"},
		{"sms region in lower case", subscribers.Signup{Mode: notifier.SMS, Address: "415-555-0123", PhoneCountry: " us "}, "+14155550123", "US"},
		{"sms GB mobile", subscribers.Signup{Mode: notifier.SMS, Address: "+44 7400 123456"}, "+447400123456", "GB"},
		{"sms GB mobile national", subscribers.Signup{Mode: notifier.SMS, Address: "07400 123456", PhoneCountry: "GB"}, "+447400123456", "GB"},
		{"sms region ignored for international", subscribers.Signup{Mode: notifier.SMS, Address: "+44 7400 123456", PhoneCountry: "US"}, "+447400123456", "GB"},
		{"webhook kept as given", subscribers.Signup{Mode: notifier.Webhook, Address: " https://hooks.example.com/Beacon?x=1 "}, "https://hooks.example.com/Beacon?x=1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			res := f.subscribe(t, tt.su)
			if got := res.Subscriber.Address; got != tt.wantAddress {
				t.Errorf("address = %q, want %q", got, tt.wantAddress)
			}
			if got := res.Subscriber.PhoneCountry; got != tt.wantCountry {
				t.Errorf("phone country = %q, want %q", got, tt.wantCountry)
			}
			if got := res.Subscriber.Mode; got != tt.su.Mode {
				t.Errorf("mode = %q, want %q", got, tt.su.Mode)
			}
		})
	}
}

func TestSubscribeSameAddressIsOneSubscriber(t *testing.T) {
	f := newFixture(t, roomy)
	a := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "Jane@Example.com"})
	b := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: " jane@example.COM"})
	if a.Subscriber.ID != b.Subscriber.ID {
		t.Errorf("two spellings of one address made subscribers %s and %s, want one", a.Subscriber.ID, b.Subscriber.ID)
	}
	c := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+1 415 555 0123"})
	d := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "(415) 555-0123", PhoneCountry: "US"})
	if c.Subscriber.ID != d.Subscriber.ID {
		t.Errorf("two spellings of one number made subscribers %s and %s, want one", c.Subscriber.ID, d.Subscriber.ID)
	}
	if n, err := f.svc.Count(context.Background(), subscribers.Filter{}); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
}

func TestSubscribeRefusesInvalidInput(t *testing.T) {
	tests := []struct {
		name      string
		su        subscribers.Signup
		wantField string
	}{
		{"email blank", subscribers.Signup{Mode: notifier.Email, Address: "   "}, "email"},
		{"email no at", subscribers.Signup{Mode: notifier.Email, Address: "jane.example.com"}, "email"},
		{"email no dot in domain", subscribers.Signup{Mode: notifier.Email, Address: "jane@localhost"}, "email"},
		{"email with display name", subscribers.Signup{Mode: notifier.Email, Address: "Jane <jane@example.com>"}, "email"},
		{"email in angle brackets", subscribers.Signup{Mode: notifier.Email, Address: "<jane@example.com>"}, "email"},
		{"email two addresses", subscribers.Signup{Mode: notifier.Email, Address: "a@example.com, b@example.com"}, "email"},
		{"email header injection", subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com\r\nBcc: x@example.com"}, "email"},
		{"email too long", subscribers.Signup{Mode: notifier.Email, Address: strings.Repeat("a", 250) + "@example.com"}, "email"},
		{"sms blank", subscribers.Signup{Mode: notifier.SMS, Address: ""}, "phone_number"},
		{"sms letters", subscribers.Signup{Mode: notifier.SMS, Address: "call me maybe"}, "phone_number"},
		{"sms too short", subscribers.Signup{Mode: notifier.SMS, Address: "+1 555"}, "phone_number"},
		{"sms national without region", subscribers.Signup{Mode: notifier.SMS, Address: "(415) 555-0123"}, "phone_number"},
		{"sms invalid US area code", subscribers.Signup{Mode: notifier.SMS, Address: "+1 123 456 7890"}, "phone_number"},
		{"sms too long", subscribers.Signup{Mode: notifier.SMS, Address: "+1 (415) 555-0123 ext. 1234567890123"}, "phone_number"},
		{"sms US toll-free", subscribers.Signup{Mode: notifier.SMS, Address: "+1 800 555 0199"}, "phone_number"},
		{"sms +44 number of a crown dependency", subscribers.Signup{Mode: notifier.SMS, Address: "+44 7911 123456"}, "phone_number"},
		{"sms country not allowed", subscribers.Signup{Mode: notifier.SMS, Address: "+49 1512 3456789"}, "phone_number"},
		{"sms GB landline", subscribers.Signup{Mode: notifier.SMS, Address: "+44 20 7946 0018"}, "phone_number"},
		{"webhook blank", subscribers.Signup{Mode: notifier.Webhook, Address: ""}, "endpoint"},
		{"webhook ftp", subscribers.Signup{Mode: notifier.Webhook, Address: "ftp://example.com/hook"}, "endpoint"},
		{"webhook javascript", subscribers.Signup{Mode: notifier.Webhook, Address: "javascript:alert(1)"}, "endpoint"},
		{"slack blank", subscribers.Signup{Mode: notifier.Slack, Address: " "}, "endpoint"},
		{"discord not a URL", subscribers.Signup{Mode: notifier.Discord, Address: "discord please"}, "endpoint"},
		{"teams javascript", subscribers.Signup{Mode: notifier.Teams, Address: "javascript:alert(1)"}, "endpoint"},
		{"mattermost with a contact email", subscribers.Signup{Mode: notifier.Mattermost, Address: "https://mm.example.com/hooks/x", ContactEmail: "ops@example.com"}, "contact_email"},
		{"mode empty", subscribers.Signup{Address: "jane@example.com"}, "mode"},
		{"mode unknown", subscribers.Signup{Mode: "fax", Address: "jane@example.com"}, "mode"},
		{"component unknown", subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com", ComponentIDs: []string{"nosuchthing0"}}, "component_ids"},
		{"too many components", subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com", ComponentIDs: make([]string, 501)}, "component_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			tt.su.IP = "192.0.2.1"
			_, err := f.svc.Subscribe(context.Background(), tt.su)
			if got := validationField(err); got != tt.wantField {
				t.Fatalf("Subscribe error = %v (field %q), want a *ValidationError on %q", err, got, tt.wantField)
			}
			if n, err := f.svc.Count(context.Background(), subscribers.Filter{}); err != nil || n != 0 {
				t.Errorf("Count after a refused sign-up = %d, %v; want 0", n, err)
			}
			if got := f.totalDeliveries(t); got != 0 {
				t.Errorf("deliveries after a refused sign-up = %d, want 0", got)
			}
		})
	}
}

func TestSubscribeNewAddressIsUnconfirmedWithOneConfirmation(t *testing.T) {
	tests := []struct {
		name          string
		mode          notifier.Channel
		address       string
		wantVerifyTok bool
	}{
		{"email", notifier.Email, "jane@example.com", false},
		{"sms", notifier.SMS, "+14155550123", true},
		{"webhook", notifier.Webhook, "https://hooks.example.com/beacon", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			res := f.subscribe(t, subscribers.Signup{Mode: tt.mode, Address: tt.address, IP: "192.0.2.1"})
			sub := res.Subscriber
			if sub.State != subscribers.Unconfirmed {
				t.Errorf("state = %s, want unconfirmed", sub.State)
			}
			if sub.ConfirmedAt != nil {
				t.Errorf("ConfirmedAt = %v, want nil", sub.ConfirmedAt)
			}
			if !sub.AllComponents || len(sub.ComponentIDs) != 0 {
				t.Errorf("AllComponents, ComponentIDs = %v, %v; want true, []", sub.AllComponents, sub.ComponentIDs)
			}
			if !strings.HasPrefix(sub.Secret, "whsec_") {
				t.Errorf("Secret = %q, want a whsec_ secret", sub.Secret)
			}
			ds := f.deliveries(t, sub.ID)
			if len(ds) != 1 {
				t.Fatalf("deliveries = %+v, want exactly one", ds)
			}
			d := ds[0]
			if d.Purpose != notifier.PurposeConfirm || d.Channel != tt.mode || d.State != "pending" || d.EventID.Valid {
				t.Errorf("delivery = %+v, want a pending direct confirm on %s", d, tt.mode)
			}
			if got := res.VerifyToken != ""; got != tt.wantVerifyTok {
				t.Errorf("VerifyToken set = %v, want %v", got, tt.wantVerifyTok)
			}
			if tt.mode == notifier.SMS {
				if len(d.Data) != 6 || strings.Trim(d.Data, "0123456789") != "" {
					t.Errorf("SMS confirmation data = %q, want a 6-digit code", d.Data)
				}
			} else if d.Data != "" {
				t.Errorf("confirmation data = %q, want none", d.Data)
			}
		})
	}
}

func TestSubscribeSkipConfirmation(t *testing.T) {
	for _, mode := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, roomy)
			api := f.component(t, "API")
			address := map[notifier.Channel]string{notifier.Email: "jane@example.com", notifier.SMS: "+14155550123", notifier.Webhook: "https://example.com/h"}[mode]
			res := f.subscribe(t, subscribers.Signup{Mode: mode, Address: address, ComponentIDs: []string{api.ID}, SkipConfirmation: true})
			sub := f.get(t, res.Subscriber.ID)
			if sub.State != subscribers.Active {
				t.Errorf("state = %s, want active", sub.State)
			}
			if sub.ConfirmedAt == nil || !sub.ConfirmedAt.Equal(start) {
				t.Errorf("ConfirmedAt = %v, want %v", sub.ConfirmedAt, start)
			}
			if want := []string{api.ID}; sub.AllComponents || !reflect.DeepEqual(sub.ComponentIDs, want) {
				t.Errorf("AllComponents, ComponentIDs = %v, %v; want false, %v", sub.AllComponents, sub.ComponentIDs, want)
			}
			if ds := f.deliveries(t, sub.ID); len(ds) != 0 {
				t.Errorf("deliveries = %+v, want none", ds)
			}
		})
	}
}

func TestSubscribeExpandsGroups(t *testing.T) {
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	web := f.component(t, "Web")
	db := f.component(t, "Database")
	f.component(t, "Unrelated")
	g := f.group(t, "Frontend", web.ID, db.ID)

	res := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com",
		ComponentIDs: []string{g.ID, api.ID, web.ID}, SkipConfirmation: true})
	want := sorted([]string{api.ID, web.ID, db.ID})
	if got := res.Subscriber.ComponentIDs; !reflect.DeepEqual(got, want) {
		t.Errorf("ComponentIDs = %v, want %v (group expanded, duplicates dropped)", got, want)
	}
	if res.Subscriber.AllComponents {
		t.Error("AllComponents = true, want false")
	}
	if slices.Contains(res.Subscriber.ComponentIDs, g.ID) {
		t.Errorf("ComponentIDs %v hold the group %s itself", res.Subscriber.ComponentIDs, g.ID)
	}
}

func TestSubscribeAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	web := f.component(t, "Web")

	t.Run("active email gets a manage link and keeps its components", func(t *testing.T) {
		sub := f.active(t, notifier.Email, "active@example.com", api.ID)
		res := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "Active@example.com", ComponentIDs: []string{web.ID}, IP: "192.0.2.1"})
		if res.Subscriber.ID != sub.ID {
			t.Fatalf("second sign-up made subscriber %s, want %s", res.Subscriber.ID, sub.ID)
		}
		got := f.get(t, sub.ID)
		if got.State != subscribers.Active {
			t.Errorf("state = %s, want active", got.State)
		}
		if want := []string{api.ID}; !reflect.DeepEqual(got.ComponentIDs, want) {
			t.Errorf("ComponentIDs = %v, want %v unchanged", got.ComponentIDs, want)
		}
		ds := f.deliveries(t, sub.ID)
		if len(ds) != 1 || ds[0].Purpose != notifier.PurposeManage || ds[0].Channel != notifier.Email {
			t.Errorf("deliveries = %+v, want one email manage", ds)
		}
	})

	t.Run("unconfirmed email gets another confirmation with the new components", func(t *testing.T) {
		first := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "pending@example.com", ComponentIDs: []string{api.ID}})
		f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "pending@example.com", ComponentIDs: []string{web.ID}})
		got := f.get(t, first.Subscriber.ID)
		if got.State != subscribers.Unconfirmed {
			t.Errorf("state = %s, want unconfirmed", got.State)
		}
		if want := []string{web.ID}; !reflect.DeepEqual(got.ComponentIDs, want) {
			t.Errorf("ComponentIDs = %v, want %v", got.ComponentIDs, want)
		}
		ds := f.deliveries(t, got.ID)
		if len(ds) != 2 || ds[0].Purpose != notifier.PurposeConfirm || ds[1].Purpose != notifier.PurposeConfirm {
			t.Errorf("deliveries = %+v, want two confirmations", ds)
		}
	})

	t.Run("unsubscribed email becomes unconfirmed", func(t *testing.T) {
		sub := f.active(t, notifier.Email, "left@example.com", api.ID)
		if err := f.svc.Unsubscribe(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		res := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "left@example.com", IP: "192.0.2.1"})
		got := f.get(t, sub.ID)
		if res.Subscriber.ID != sub.ID {
			t.Errorf("re-sign-up made subscriber %s, want %s", res.Subscriber.ID, sub.ID)
		}
		if got.State != subscribers.Unconfirmed || got.UnsubscribedAt != nil || got.ConfirmedAt != nil {
			t.Errorf("state, UnsubscribedAt, ConfirmedAt = %s, %v, %v; want unconfirmed, nil, nil", got.State, got.UnsubscribedAt, got.ConfirmedAt)
		}
		if !got.AllComponents {
			t.Errorf("ComponentIDs = %v, want all components as asked", got.ComponentIDs)
		}
		ds := f.deliveries(t, sub.ID)
		if len(ds) != 1 || ds[0].Purpose != notifier.PurposeConfirm {
			t.Errorf("deliveries = %+v, want one confirmation", ds)
		}
	})

	t.Run("active webhook gets nothing and keeps its components", func(t *testing.T) {
		sub := f.active(t, notifier.Webhook, "https://example.com/active", api.ID)
		f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/active", IP: "192.0.2.1"})
		got := f.get(t, sub.ID)
		if got.State != subscribers.Active || !reflect.DeepEqual(got.ComponentIDs, []string{api.ID}) {
			t.Errorf("state, ComponentIDs = %s, %v; want active, [%s]", got.State, got.ComponentIDs, api.ID)
		}
		if ds := f.deliveries(t, sub.ID); len(ds) != 0 {
			t.Errorf("deliveries = %+v, want none", ds)
		}
	})

	t.Run("active sms keeps its components until the new code is entered", func(t *testing.T) {
		sub := f.active(t, notifier.SMS, "+14155550199", api.ID)
		res := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550199", ComponentIDs: []string{web.ID}, IP: "192.0.2.1"})
		got := f.get(t, sub.ID)
		if got.State != subscribers.Active || !reflect.DeepEqual(got.ComponentIDs, []string{api.ID}) {
			t.Errorf("state, ComponentIDs = %s, %v; want active, [%s]", got.State, got.ComponentIDs, api.ID)
		}
		code := f.lastCode(t, sub.ID)
		after, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if after.State != subscribers.Active || !reflect.DeepEqual(after.ComponentIDs, []string{web.ID}) {
			t.Errorf("after the code: state, ComponentIDs = %s, %v; want active, [%s]", after.State, after.ComponentIDs, web.ID)
		}
	})
}

// TestSubscribeRevealsNothing checks that what a public caller gets back
// (everything but the Subscriber, which handlers never show) has the same
// shape whether the address was new, pending, active or had left, and that
// a webhook's signing key is never handed to someone who merely typed the
// URL of an active webhook.
func TestSubscribeRevealsNothing(t *testing.T) {
	type shape struct {
		VerifyToken bool
		Secret      bool
	}
	shapeOf := func(r subscribers.SignupResult) shape {
		return shape{VerifyToken: r.VerifyToken != "", Secret: strings.HasPrefix(r.Secret, "whsec_")}
	}
	if n := reflect.TypeOf(subscribers.SignupResult{}).NumField(); n != 3 {
		t.Fatalf("SignupResult has %d fields; this test knows of Subscriber, VerifyToken and Secret only", n)
	}
	tests := []struct {
		mode      notifier.Channel
		address   string
		wantShape shape
	}{
		{notifier.Email, "x@example.com", shape{}},
		{notifier.SMS, "+14155550123", shape{VerifyToken: true}},
		{notifier.Webhook, "https://example.com/x", shape{Secret: true}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			f := newFixture(t, roomy)
			ctx := context.Background()
			signup := subscribers.Signup{Mode: tt.mode, Address: tt.address, IP: "192.0.2.1"}
			subscribe := func(stage string) subscribers.SignupResult {
				t.Helper()
				res, err := f.svc.Subscribe(ctx, signup)
				if err != nil {
					t.Fatalf("%s: %v", stage, err)
				}
				if got := shapeOf(res); got != tt.wantShape {
					t.Errorf("%s: result shape = %+v, want %+v", stage, got, tt.wantShape)
				}
				return res
			}
			res := subscribe("new")
			id := res.Subscriber.ID
			if tt.mode == notifier.Webhook && res.Secret != f.get(t, id).Secret {
				t.Errorf("new webhook: Secret = %q, want the stored key", res.Secret)
			}
			subscribe("pending")
			if err := f.svc.Reactivate(ctx, id); err != nil {
				t.Fatal(err)
			}
			res = subscribe("active")
			if tt.mode == notifier.Webhook && res.Secret == f.get(t, id).Secret {
				t.Error("public sign-up of an active webhook returned its signing key")
			}
			if err := f.svc.Unsubscribe(ctx, id); err != nil {
				t.Fatal(err)
			}
			subscribe("left")
		})
	}
}

func TestSubscribeWebhookSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	const url = "https://example.com/hook"

	first := f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: url, IP: "192.0.2.1"})
	id := first.Subscriber.ID
	second := f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: url, IP: "192.0.2.2"})
	stored := f.get(t, id).Secret
	if second.Secret == first.Secret {
		t.Error("a pending webhook signed up again kept the key given to the first caller")
	}
	if second.Secret != stored {
		t.Errorf("pending webhook signed up again: Secret = %q, stored %q; want the stored key", second.Secret, stored)
	}

	if err := f.svc.Reactivate(ctx, id); err != nil {
		t.Fatal(err)
	}
	staff := f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: url})
	if staff.Secret != stored {
		t.Errorf("staff sign-up of an active webhook: Secret = %q, want the stored key %q", staff.Secret, stored)
	}
	public := f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: url, IP: "192.0.2.3"})
	if public.Secret == stored {
		t.Error("public sign-up of an active webhook returned its signing key")
	}
	if got := f.get(t, id).Secret; got != stored {
		t.Errorf("public sign-up of an active webhook changed its key from %q to %q", stored, got)
	}
}

// TestSubscribeEmptyGroup checks that choosing only a group with no
// members is refused rather than read as "all components".
func TestSubscribeEmptyGroup(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	empty := f.group(t, "Empty")
	_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com", ComponentIDs: []string{empty.ID}})
	if got := validationField(err); got != "component_ids" {
		t.Errorf("only an empty group: error = %v, want a ValidationError on component_ids", err)
	}
	res, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com", ComponentIDs: []string{empty.ID, api.ID}, SkipConfirmation: true})
	if err != nil {
		t.Fatalf("an empty group and a component: %v", err)
	}
	if got := res.Subscriber; got.AllComponents || !reflect.DeepEqual(got.ComponentIDs, []string{api.ID}) {
		t.Errorf("AllComponents, ComponentIDs = %v, %v; want false, [%s]", got.AllComponents, got.ComponentIDs, api.ID)
	}
}

// TestSubscribeConcurrently checks that a burst of simultaneous sign-ups
// of one address from one IP, spelled differently, makes one subscriber
// and that every one of them succeeds: none fails on the unique address
// index, nor, on PostgreSQL, with a serialization failure once the store's
// retries run out. 64 of them are four times the 16 that once lost that
// way on a loaded machine; with every transaction made to run twice
// (ForceRetries) each holds its rows twice as long.
func TestSubscribeConcurrently(t *testing.T) {
	for _, forced := range []bool{false, true} {
		name := "plain"
		if forced {
			name = "every transaction run twice"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, roomy)
			f.db.ForceRetries(forced)
			spellings := []string{"jane@example.com", "JANE@example.com", " Jane@Example.com", "jane@EXAMPLE.COM"}
			const rounds = 16
			errs := make(chan error, rounds*len(spellings))
			var wg sync.WaitGroup
			for range rounds {
				for _, s := range spellings {
					wg.Go(func() {
						_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: s, IP: "192.0.2.1"})
						errs <- err
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent sign-up: %v", err)
				}
			}
			list, err := f.svc.List(ctx, subscribers.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 {
				t.Fatalf("subscribers = %d, want 1", len(list))
			}
			if got, want := len(f.deliveries(t, list[0].ID)), rounds*len(spellings); got != want {
				t.Errorf("confirmations queued = %d, want %d (one per sign-up)", got, want)
			}
		})
	}
}

// TestSubscribeBurstRefused checks that a burst from one IP larger than
// its sign-up limit ends, for every caller, in a sign-up or the limit's
// refusal, and that exactly the limit's number get through, however the
// simultaneous transactions interleave.
func TestSubscribeBurstRefused(t *testing.T) {
	ctx := context.Background()
	l := roomy
	l.SignupsPerIP = 8
	f := newFixture(t, l)
	const callers = 64
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: fmt.Sprintf("u%d@example.com", i), IP: "192.0.2.1"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	signedUp, refused := 0, 0
	for err := range errs {
		var le *subscribers.LimitError
		switch {
		case err == nil:
			signedUp++
		case errors.As(err, &le):
			refused++
		default:
			t.Errorf("sign-up in a burst: %v, want success or a *LimitError", err)
		}
	}
	if signedUp != l.SignupsPerIP || refused != callers-l.SignupsPerIP {
		t.Errorf("signed up, refused = %d, %d; want %d, %d", signedUp, refused, l.SignupsPerIP, callers-l.SignupsPerIP)
	}
	n, err := f.svc.Count(ctx, subscribers.Filter{})
	if err != nil || n != l.SignupsPerIP {
		t.Errorf("subscribers = %d (%v), want %d", n, err, l.SignupsPerIP)
	}
}
