package subscribers_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// limitErr returns err as a *LimitError, or nil.
func limitErr(err error) *subscribers.LimitError {
	var le *subscribers.LimitError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

// phone returns the i-th of a run of valid US numbers.
func phone(i int) string { return fmt.Sprintf("+1415555%04d", 100+i) }

func TestSignupLimits(t *testing.T) {
	ctx := context.Background()
	type attempt struct {
		mode    notifier.Channel
		address string
		ip      string
	}
	email := func(i int, ip string) attempt { return attempt{notifier.Email, fmt.Sprintf("u%d@example.com", i), ip} }
	sms := func(i int, ip string) attempt { return attempt{notifier.SMS, phone(i), ip} }
	tests := []struct {
		name   string
		limits func(l *subscribers.Limits)
		// before all succeed; then refused is refused with a RetryAfter of
		// wantRetry, and allowed (same clock) still succeeds. (Staff
		// sign-ups are not limited, but the confirmations they send count
		// towards the per-address and global confirmation limits, so
		// those cases have no staff attempt in allowed.)
		before    []attempt
		refused   attempt
		allowed   []attempt
		wantRetry time.Duration
	}{
		{
			name:    "sign-ups per IP",
			limits:  func(l *subscribers.Limits) { l.SignupsPerIP = 3 },
			before:  []attempt{email(1, "192.0.2.1"), sms(2, "192.0.2.1"), email(3, "192.0.2.1")},
			refused: email(4, "192.0.2.1"),
			allowed: []attempt{email(5, "192.0.2.2"), email(6, "")}, wantRetry: time.Hour,
		},
		{
			name:    "SMS sign-ups per IP",
			limits:  func(l *subscribers.Limits) { l.SMSSignupsPerIP = 2 },
			before:  []attempt{sms(1, "192.0.2.1"), sms(2, "192.0.2.1")},
			refused: sms(3, "192.0.2.1"),
			allowed: []attempt{email(4, "192.0.2.1"), sms(5, "192.0.2.2"), sms(6, "")}, wantRetry: 4 * time.Hour,
		},
		{
			name:    "all sign-ups",
			limits:  func(l *subscribers.Limits) { l.SignupsPerHour = 3 },
			before:  []attempt{email(1, "192.0.2.1"), sms(2, "192.0.2.2"), email(3, "192.0.2.3")},
			refused: attempt{notifier.Webhook, "https://example.com/hook", "192.0.2.4"},
			allowed: []attempt{email(5, "")}, wantRetry: time.Hour,
		},
		{
			name:    "all SMS sign-ups",
			limits:  func(l *subscribers.Limits) { l.SMSSignupsPerHour = 2 },
			before:  []attempt{sms(1, "192.0.2.1"), sms(2, "192.0.2.2")},
			refused: sms(3, "192.0.2.3"),
			allowed: []attempt{email(4, "192.0.2.3"), sms(5, "")}, wantRetry: time.Hour,
		},
		{
			name:    "confirmations per address",
			limits:  func(l *subscribers.Limits) { l.ConfirmationsPerDay = 2 },
			before:  []attempt{email(1, "192.0.2.1"), email(1, "192.0.2.2")},
			refused: email(1, "192.0.2.3"),
			allowed: []attempt{email(2, "192.0.2.3")}, wantRetry: 24 * time.Hour,
		},
		{
			name:    "confirmations per address count manage links",
			limits:  func(l *subscribers.Limits) { l.ConfirmationsPerDay = 1 },
			before:  []attempt{{notifier.Email, "active@example.com", "192.0.2.1"}},
			refused: attempt{notifier.Email, "active@example.com", "192.0.2.2"},
			allowed: []attempt{email(2, "192.0.2.2")}, wantRetry: 24 * time.Hour,
		},
		{
			name:    "confirmations per SMS number",
			limits:  func(l *subscribers.Limits) { l.ConfirmationsPerDay = 2 },
			before:  []attempt{sms(1, "192.0.2.1"), sms(1, "192.0.2.2")},
			refused: sms(1, "192.0.2.3"),
			allowed: []attempt{sms(2, "192.0.2.3")}, wantRetry: 24 * time.Hour,
		},
		{
			name:    "all confirmations",
			limits:  func(l *subscribers.Limits) { l.ConfirmationsPerHour = 2 },
			before:  []attempt{email(1, "192.0.2.1"), sms(2, "192.0.2.2")},
			refused: email(3, "192.0.2.3"),
			allowed: nil, wantRetry: time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := roomy
			tt.limits(&l)
			f := newFixture(t, l)
			if tt.name == "confirmations per address count manage links" {
				f.active(t, notifier.Email, "active@example.com")
			}
			do := func(a attempt) error {
				_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: a.mode, Address: a.address, IP: a.ip})
				return err
			}
			for i, a := range tt.before {
				if err := do(a); err != nil {
					t.Fatalf("attempt %d (%s %s from %q): %v", i+1, a.mode, a.address, a.ip, err)
				}
				f.clock.Advance(time.Minute)
			}
			deliveries := f.totalDeliveries(t)
			count, _ := f.svc.Count(ctx, subscribers.Filter{})

			err := do(tt.refused)
			le := limitErr(err)
			if le == nil {
				t.Fatalf("over the limit: error = %v, want *LimitError", err)
			}
			wantRetry := tt.wantRetry - time.Duration(len(tt.before))*time.Minute
			if le.RetryAfter != wantRetry {
				t.Errorf("RetryAfter = %v, want %v (until the oldest attempt leaves the window)", le.RetryAfter, wantRetry)
			}
			if le.Msg == "" {
				t.Error("LimitError has no message")
			}
			if got := f.totalDeliveries(t); got != deliveries {
				t.Errorf("deliveries after a refused sign-up = %d, want %d", got, deliveries)
			}
			if got, _ := f.svc.Count(ctx, subscribers.Filter{}); got != count {
				t.Errorf("subscribers after a refused sign-up = %d, want %d", got, count)
			}
			for _, a := range tt.allowed {
				if err := do(a); err != nil {
					t.Errorf("%s %s from %q alongside the limit: %v, want success", a.mode, a.address, a.ip, err)
				}
			}

			// A restart forgets nothing.
			f.restart(t)
			if err := do(tt.refused); limitErr(err) == nil {
				t.Errorf("after a restart: error = %v, want *LimitError", err)
			}
			// A second before the window ends it still holds; at its end
			// the refused attempt goes through.
			f.clock.Advance(le.RetryAfter - time.Second)
			if err := do(tt.refused); limitErr(err) == nil {
				t.Errorf("a second before RetryAfter: error = %v, want *LimitError", err)
			}
			f.clock.Advance(time.Second)
			if err := do(tt.refused); err != nil {
				t.Errorf("after RetryAfter: %v, want success", err)
			}
		})
	}
}

// TestSMSDefaultLimitPerIP checks the default policy of issue 3: ten SMS
// sign-ups per IP per four hours.
func TestSMSDefaultLimitPerIP(t *testing.T) {
	for _, tt := range []struct {
		name   string
		limits subscribers.Limits
	}{
		{"DefaultLimits", subscribers.DefaultLimits},
		{"zero Limits", subscribers.Limits{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, tt.limits)
			const ip = "203.0.113.9"
			// Ten sign-ups ten minutes apart: the first at start, the tenth
			// at 1h30.
			for i := 0; i < 10; i++ {
				if i > 0 {
					f.clock.Advance(10 * time.Minute)
				}
				if _, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.SMS, Address: phone(i), IP: ip}); err != nil {
					t.Fatalf("SMS sign-up %d: %v", i+1, err)
				}
			}
			f.clock.Advance(30 * time.Minute) // 2h after the first
			_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.SMS, Address: phone(10), IP: ip})
			le := limitErr(err)
			if le == nil {
				t.Fatalf("11th SMS sign-up within 4 hours: error = %v, want *LimitError", err)
			}
			if le.RetryAfter <= 0 || le.RetryAfter > 4*time.Hour {
				t.Errorf("RetryAfter = %v, want in (0, 4h]", le.RetryAfter)
			}
			if want := 2 * time.Hour; le.RetryAfter != want {
				t.Errorf("RetryAfter = %v, want %v (when the first leaves the window)", le.RetryAfter, want)
			}
			// Email from the same IP is still fine.
			if _, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: "x@example.com", IP: ip}); err != nil {
				t.Errorf("email from the same IP: %v", err)
			}
			f.clock.Advance(le.RetryAfter)
			if _, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.SMS, Address: phone(10), IP: ip}); err != nil {
				t.Errorf("11th SMS sign-up 4 hours after the first: %v, want success", err)
			}
			// The window slides: the 12th is refused until the second
			// sign-up leaves it.
			_, err = f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.SMS, Address: phone(11), IP: ip})
			if le := limitErr(err); le == nil || le.RetryAfter != 10*time.Minute {
				t.Errorf("12th SMS sign-up: error = %v, want *LimitError with RetryAfter 10m", err)
			}
		})
	}
}

func TestStaffSignupsAreNotLimited(t *testing.T) {
	ctx := context.Background()
	l := subscribers.Limits{
		SignupsPerIP: 1, SMSSignupsPerIP: 1, SMSWindow: 4 * time.Hour, SignupsPerHour: 1, SMSSignupsPerHour: 1,
		ConfirmationsPerDay: 1, CodeAttempts: 3, CodeTTL: 10 * time.Minute, VerificationsPerIP: 1, ConfirmationsPerHour: 1,
	}
	f := newFixture(t, l)
	for i := 0; i < 5; i++ {
		for _, su := range []subscribers.Signup{
			{Mode: notifier.Email, Address: "staff@example.com"},
			{Mode: notifier.SMS, Address: phone(i)},
			{Mode: notifier.Webhook, Address: fmt.Sprintf("https://example.com/%d", i)},
		} {
			if _, err := f.svc.Subscribe(ctx, su); err != nil {
				t.Errorf("staff sign-up %d of %s %s: %v", i+1, su.Mode, su.Address, err)
			}
		}
	}
	id := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "staff@example.com"}).Subscriber.ID
	for i := 0; i < 3; i++ {
		if err := f.svc.ResendConfirmation(ctx, id); err != nil {
			t.Errorf("staff resend %d: %v", i+1, err)
		}
	}
}

// TestRetryAfterIsHonest checks that waiting RetryAfter is enough even when
// the window holds more attempts than the limit (here a staff resend, which
// is not limited but is counted).
func TestRetryAfterIsHonest(t *testing.T) {
	ctx := context.Background()
	l := roomy
	l.ConfirmationsPerDay = 1
	f := newFixture(t, l)
	signup := subscribers.Signup{Mode: notifier.Email, Address: "jane@example.com", IP: "192.0.2.1"}
	id := f.subscribe(t, signup).Subscriber.ID
	f.clock.Advance(time.Hour)
	mustDo(t, f.svc.ResendConfirmation(ctx, id))
	f.clock.Advance(time.Hour)
	_, err := f.svc.Subscribe(ctx, signup)
	le := limitErr(err)
	if le == nil {
		t.Fatalf("third confirmation in a day: error = %v, want *LimitError", err)
	}
	if want := 23 * time.Hour; le.RetryAfter != want {
		t.Errorf("RetryAfter = %v, want %v (when the window holds fewer than the limit)", le.RetryAfter, want)
	}
	f.clock.Advance(le.RetryAfter)
	if _, err := f.svc.Subscribe(ctx, signup); err != nil {
		t.Errorf("after RetryAfter: %v, want success", err)
	}
}

// TestPruningKeepsTheWindow checks that forgetting old attempts (done now
// and then as attempts are recorded) never forgets one still inside a
// window.
func TestPruningKeepsTheWindow(t *testing.T) {
	ctx := context.Background()
	l := roomy
	l.ConfirmationsPerDay = 2
	f := newFixture(t, l)
	target := subscribers.Signup{Mode: notifier.Email, Address: "target@example.com", IP: "192.0.2.1"}
	// Attempts two days old, which pruning may drop.
	for i := 0; i < 50; i++ {
		f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: fmt.Sprintf("old%d@example.com", i), IP: "192.0.2.9"})
	}
	f.clock.Advance(48 * time.Hour)
	f.subscribe(t, target)
	f.subscribe(t, target)
	// Enough sign-ups (four attempts each) to prune more than once.
	for i := 0; i < 300; i++ {
		f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: fmt.Sprintf("u%d@example.com", i), IP: fmt.Sprintf("198.51.100.%d", i%250)})
	}
	f.clock.Advance(23 * time.Hour)
	if _, err := f.svc.Subscribe(ctx, target); limitErr(err) == nil {
		t.Errorf("third confirmation within a day, after pruning: error = %v, want *LimitError", err)
	}
	var old int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM subscription_attempts WHERE created_at < ?`, "2025-06-02").Scan(&old); err != nil {
		t.Fatal(err)
	}
	if old != 0 {
		t.Errorf("attempts older than a day still stored = %d, want 0 after pruning", old)
	}
}

func TestNewServiceNeedsValidateURL(t *testing.T) {
	f := newFixture(t, roomy)
	cfg := f.cfg
	cfg.ValidateURL = nil
	if _, err := subscribers.NewService(context.Background(), f.db, f.comps, f.outbox, f.clock.Now, cfg); err == nil {
		t.Error("NewService without ValidateURL: no error, want one")
	}
}

func TestStateValid(t *testing.T) {
	for _, tt := range []struct {
		s    subscribers.State
		want bool
	}{
		{subscribers.Unconfirmed, true}, {subscribers.Active, true}, {subscribers.Quarantined, true},
		{subscribers.Unsubscribed, true}, {"", false}, {"deleted", false}, {"Active", false},
	} {
		if got := tt.s.Valid(); got != tt.want {
			t.Errorf("State(%q).Valid() = %v, want %v", tt.s, got, tt.want)
		}
	}
}
