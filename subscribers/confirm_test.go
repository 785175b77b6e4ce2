package subscribers_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

func TestConfirmEmail(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	res := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com", ComponentIDs: []string{api.ID}, IP: "192.0.2.1"})
	id := res.Subscriber.ID
	link := f.svc.Link(subscribers.PurposeConfirm, id)

	f.clock.Advance(time.Hour)
	sub, err := f.svc.ConfirmEmail(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != subscribers.Active {
		t.Errorf("state = %s, want active", sub.State)
	}
	if want := start.Add(time.Hour); sub.ConfirmedAt == nil || !sub.ConfirmedAt.Equal(want) {
		t.Errorf("ConfirmedAt = %v, want %v", sub.ConfirmedAt, want)
	}
	if !reflect.DeepEqual(sub.ComponentIDs, []string{api.ID}) {
		t.Errorf("ComponentIDs = %v, want [%s]", sub.ComponentIDs, api.ID)
	}

	// Clicking again is harmless and keeps the first confirmation time.
	f.clock.Advance(time.Hour)
	again, err := f.svc.ConfirmEmail(ctx, link)
	if err != nil {
		t.Fatalf("second click: %v", err)
	}
	if again.State != subscribers.Active || !again.ConfirmedAt.Equal(*sub.ConfirmedAt) {
		t.Errorf("second click: state, ConfirmedAt = %s, %v; want active, %v", again.State, again.ConfirmedAt, sub.ConfirmedAt)
	}
}

func TestConfirmEmailRefusesBadTokens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	res := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com"})
	id := res.Subscriber.ID
	other := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "other@example.com"}).Subscriber.ID
	good := f.svc.Link(subscribers.PurposeConfirm, id)
	parts := strings.Split(good, ".")

	tests := []struct {
		name    string
		token   func() string
		advance time.Duration
	}{
		{"empty", func() string { return "" }, 0},
		{"garbage", func() string { return "not-a-token" }, 0},
		{"too long", func() string { return good + strings.Repeat("A", 200) }, 0},
		{"other subscriber's id", func() string { return strings.Join([]string{parts[0], other, parts[2], parts[3]}, ".") }, 0},
		{"later expiry", func() string { return strings.Join([]string{parts[0], parts[1], "zzzzzz", parts[3]}, ".") }, 0},
		{"no expiry", func() string { return strings.Join([]string{parts[0], parts[1], "0", parts[3]}, ".") }, 0},
		{"flipped mac", func() string { return good[:len(good)-1] + flip(good[len(good)-1]) }, 0},
		{"truncated mac", func() string { return good[:len(good)-2] }, 0},
		{"extra part", func() string { return good + ".x" }, 0},
		{"manage purpose", func() string { return f.svc.Link(subscribers.PurposeManage, id) }, 0},
		{"unsubscribe purpose", func() string { return f.svc.Link(subscribers.PurposeUnsubscribe, id) }, 0},
		{"sms purpose", func() string { return f.svc.Link(subscribers.PurposeVerifySMS, id) }, 0},
		{"purpose renamed", func() string {
			return "confirm" + strings.TrimPrefix(f.svc.Link(subscribers.PurposeManage, id), "manage")
		}, 0},
		{"unknown subscriber", func() string { return f.svc.Link(subscribers.PurposeConfirm, "nosuchsubscr") }, 0},
		{"expired after 91 days", func() string { return good }, 91 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			f.clock.Advance(tt.advance)
			defer f.clock.Advance(-tt.advance)
			_, err := f.svc.ConfirmEmail(ctx, tok)
			if !errors.Is(err, subscribers.ErrBadToken) {
				t.Errorf("ConfirmEmail(%q) error = %v, want ErrBadToken", tok, err)
			}
			if got := f.state(t, id); got != subscribers.Unconfirmed {
				t.Errorf("state = %s, want unconfirmed", got)
			}
		})
	}

	// The same link still works within 90 days.
	f.clock.Advance(89 * 24 * time.Hour)
	if _, err := f.svc.ConfirmEmail(ctx, good); err != nil {
		t.Errorf("ConfirmEmail after 89 days: %v, want success", err)
	}
}

// flip returns a different base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestConfirmEmailNeverRevives(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		leave func(f *fixture, id string) error
		want  subscribers.State
	}{
		{"unsubscribed", func(f *fixture, id string) error { return f.svc.Unsubscribe(ctx, id) }, subscribers.Unsubscribed},
		{"quarantined", func(f *fixture, id string) error {
			return f.db.Tx(ctx, func(tx *sql.Tx) error {
				return f.svc.FailedTx(ctx, tx, notifier.Delivery{SubscriberID: id, Channel: notifier.SMS}, &notifier.SendError{Permanent: true, Code: "21211"}, true)
			})
		}, subscribers.Quarantined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			mode, address := notifier.Email, "jane@example.com"
			if tt.want == subscribers.Quarantined {
				mode, address = notifier.SMS, "+14155550123"
			}
			id := f.subscribe(t, subscribers.Signup{Mode: mode, Address: address}).Subscriber.ID
			link := f.svc.Link(subscribers.PurposeConfirm, id)
			if err := tt.leave(f, id); err != nil {
				t.Fatal(err)
			}
			sub, err := f.svc.ConfirmEmail(ctx, link)
			if err != nil {
				t.Fatalf("ConfirmEmail: %v", err)
			}
			if sub.State != tt.want {
				t.Errorf("returned state = %s, want %s", sub.State, tt.want)
			}
			if got := f.state(t, id); got != tt.want {
				t.Errorf("stored state = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLinksSurviveRestart(t *testing.T) {
	f := newFixture(t, roomy)
	id := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com"}).Subscriber.ID
	link := f.svc.Link(subscribers.PurposeConfirm, id)
	f.restart(t)
	if _, err := f.svc.ConfirmEmail(context.Background(), link); err != nil {
		t.Errorf("a link made before a restart: %v, want it to work after", err)
	}
}

func TestVerifySMS(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	web := f.component(t, "Web")
	res := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", ComponentIDs: []string{web.ID, api.ID}, IP: "192.0.2.1"})
	id := res.Subscriber.ID
	code := f.lastCode(t, id)

	f.clock.Advance(5 * time.Minute)
	sub, err := f.svc.VerifySMS(ctx, res.VerifyToken, " "+code+" ", "192.0.2.1")
	if err != nil {
		t.Fatalf("VerifySMS with the queued code: %v", err)
	}
	if sub.ID != id || sub.State != subscribers.Active {
		t.Errorf("subscriber, state = %s, %s; want %s, active", sub.ID, sub.State, id)
	}
	if want := sorted([]string{api.ID, web.ID}); sub.AllComponents || !reflect.DeepEqual(sub.ComponentIDs, want) {
		t.Errorf("AllComponents, ComponentIDs = %v, %v; want false, %v", sub.AllComponents, sub.ComponentIDs, want)
	}
	if want := start.Add(5 * time.Minute); sub.ConfirmedAt == nil || !sub.ConfirmedAt.Equal(want) {
		t.Errorf("ConfirmedAt = %v, want %v", sub.ConfirmedAt, want)
	}
	// A code works once.
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, "192.0.2.1"); !errors.Is(err, subscribers.ErrBadCode) {
		t.Errorf("the same code again: error = %v, want ErrBadCode", err)
	}
}

func TestVerifySMSRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// try returns the error of the attempt that should fail.
		try     func(t *testing.T, f *fixture, token, code string) error
		wantErr error
	}{
		{"wrong code", func(t *testing.T, f *fixture, token, code string) error {
			_, err := f.svc.VerifySMS(ctx, token, wrongCode(code), "")
			return err
		}, subscribers.ErrBadCode},
		{"short code", func(t *testing.T, f *fixture, token, code string) error {
			_, err := f.svc.VerifySMS(ctx, token, code[:5], "")
			return err
		}, subscribers.ErrBadCode},
		{"right code after CodeAttempts wrong ones", func(t *testing.T, f *fixture, token, code string) error {
			for i := 0; i < roomy.CodeAttempts; i++ {
				if _, err := f.svc.VerifySMS(ctx, token, wrongCode(code), ""); !errors.Is(err, subscribers.ErrBadCode) {
					t.Fatalf("wrong code %d: error = %v, want ErrBadCode", i+1, err)
				}
			}
			_, err := f.svc.VerifySMS(ctx, token, code, "")
			return err
		}, subscribers.ErrBadCode},
		{"code expired", func(t *testing.T, f *fixture, token, code string) error {
			f.clock.Advance(roomy.CodeTTL + time.Second)
			_, err := f.svc.VerifySMS(ctx, token, code, "")
			return err
		}, subscribers.ErrBadCode},
		{"verify token expired", func(t *testing.T, f *fixture, token, code string) error {
			f.clock.Advance(time.Hour + time.Second)
			_, err := f.svc.VerifySMS(ctx, token, code, "")
			return err
		}, subscribers.ErrBadToken},
		{"verify token forged", func(t *testing.T, f *fixture, token, code string) error {
			_, err := f.svc.VerifySMS(ctx, token+"x", code, "")
			return err
		}, subscribers.ErrBadToken},
		{"confirm link instead of verify token", func(t *testing.T, f *fixture, token, code string) error {
			id := strings.Split(token, ".")[1]
			_, err := f.svc.VerifySMS(ctx, f.svc.Link(subscribers.PurposeConfirm, id), code, "")
			return err
		}, subscribers.ErrBadToken},
		{"another number's code", func(t *testing.T, f *fixture, token, code string) error {
			other := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550124"})
			otherCode := f.lastCode(t, other.Subscriber.ID)
			if otherCode == code {
				t.Skip("both numbers drew the same code")
			}
			_, err := f.svc.VerifySMS(ctx, token, otherCode, "")
			return err
		}, subscribers.ErrBadCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			res := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", IP: "192.0.2.1"})
			code := f.lastCode(t, res.Subscriber.ID)
			err := tt.try(t, f, res.VerifyToken, code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got := f.state(t, res.Subscriber.ID); got != subscribers.Unconfirmed {
				t.Errorf("state = %s, want unconfirmed", got)
			}
		})
	}
}

func TestVerifySMSCountsWrongCodes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	res := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", IP: "192.0.2.1"})
	code := f.lastCode(t, res.Subscriber.ID)
	// One fewer miss than the limit leaves the right code working.
	for i := 0; i < roomy.CodeAttempts-1; i++ {
		if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, wrongCode(code), ""); !errors.Is(err, subscribers.ErrBadCode) {
			t.Fatalf("wrong code %d: error = %v, want ErrBadCode", i+1, err)
		}
	}
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, ""); err != nil {
		t.Errorf("right code after %d misses: %v, want success", roomy.CodeAttempts-1, err)
	}
}

func TestVerifySMSNewCodeAfterLockout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	signup := subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", IP: "192.0.2.1"}
	res := f.subscribe(t, signup)
	code := f.lastCode(t, res.Subscriber.ID)
	for i := 0; i < roomy.CodeAttempts; i++ {
		f.svc.VerifySMS(ctx, res.VerifyToken, wrongCode(code), "")
	}
	// Signing up again sends a new code with fresh attempts; the old one
	// is dead.
	res = f.subscribe(t, signup)
	newCode := f.lastCode(t, res.Subscriber.ID)
	if newCode != code {
		if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, ""); !errors.Is(err, subscribers.ErrBadCode) {
			t.Errorf("old code after a new sign-up: error = %v, want ErrBadCode", err)
		}
	}
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, newCode, ""); err != nil {
		t.Errorf("new code: %v, want success", err)
	}
}

func TestVerifySMSLimitPerIP(t *testing.T) {
	ctx := context.Background()
	l := roomy
	l.VerificationsPerIP = 3
	l.CodeAttempts = 100
	f := newFixture(t, l)
	res := f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", IP: "192.0.2.1"})
	code := f.lastCode(t, res.Subscriber.ID)
	for i := 0; i < l.VerificationsPerIP; i++ {
		if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, wrongCode(code), "198.51.100.7"); !errors.Is(err, subscribers.ErrBadCode) {
			t.Fatalf("attempt %d: error = %v, want ErrBadCode", i+1, err)
		}
	}
	f.clock.Advance(30 * time.Minute)
	_, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, "198.51.100.7")
	var le *subscribers.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("attempt %d from one IP: error = %v, want *LimitError", l.VerificationsPerIP+1, err)
	}
	if le.RetryAfter <= 0 || le.RetryAfter > 30*time.Minute {
		t.Errorf("RetryAfter = %v, want in (0, 30m]", le.RetryAfter)
	}
	if got := f.state(t, res.Subscriber.ID); got != subscribers.Unconfirmed {
		t.Errorf("state = %s, want unconfirmed", got)
	}
	// Another IP, and staff (no IP), are not held back.
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, wrongCode(code), "198.51.100.8"); !errors.Is(err, subscribers.ErrBadCode) {
		t.Errorf("another IP: error = %v, want ErrBadCode", err)
	}
	// The limit outlives a restart and ends with its window.
	f.restart(t)
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, code, "198.51.100.7"); !errors.As(err, &le) {
		t.Errorf("after a restart: error = %v, want *LimitError", err)
	}
	f.clock.Advance(le.RetryAfter)
	res = f.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123"}) // a fresh code and token
	if _, err := f.svc.VerifySMS(ctx, res.VerifyToken, f.lastCode(t, res.Subscriber.ID), "198.51.100.7"); err != nil {
		t.Errorf("after RetryAfter: %v, want success", err)
	}
}
