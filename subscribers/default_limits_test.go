package subscribers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// TestEmailDefaultLimitPerIP checks the default policy a server runs with
// when nothing is configured: twenty sign-ups per IP per hour. Every other
// limit test sets its own numbers, so raising the default (say to 2,000)
// is noticed only here.
func TestEmailDefaultLimitPerIP(t *testing.T) {
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
			const ip = "203.0.113.20"
			signup := func(i int, ip string) error {
				_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: fmt.Sprintf("reader%d@example.com", i), IP: ip})
				return err
			}
			// Twenty sign-ups, two minutes apart: the twentieth 38 minutes
			// after the first.
			for i := range 20 {
				if i > 0 {
					f.clock.Advance(2 * time.Minute)
				}
				if err := signup(i, ip); err != nil {
					t.Fatalf("sign-up %d of 20 within the hour: %v", i+1, err)
				}
			}
			err := signup(20, ip)
			le := limitErr(err)
			if le == nil {
				t.Fatalf("21st sign-up from one IP within the hour: error = %v, want *LimitError", err)
			}
			// It may try again once the first sign-up is an hour old: 22
			// minutes from now.
			if want := 22 * time.Minute; le.RetryAfter != want {
				t.Errorf("RetryAfter = %v, want %v", le.RetryAfter, want)
			}
			if err := signup(21, "203.0.113.21"); err != nil {
				t.Errorf("a sign-up from another IP: %v, want success (the limit is per IP)", err)
			}
			f.clock.Advance(22 * time.Minute)
			if err := signup(20, ip); err != nil {
				t.Errorf("after RetryAfter: %v, want success", err)
			}
		})
	}
}
