package subscribers

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// Limits are counted in the database, not in memory, so a restart does not reset
// them: an SMS sign-up form is an attractive target for toll fraud.

// limitTx returns a *LimitError when kind/key has limit or more attempts
// in the window ending now. limit <= 0 means no limit.
func (s *Service) limitTx(ctx context.Context, tx *sql.Tx, kind, key string, limit int, window time.Duration, now time.Time, msg string) error {
	if limit <= 0 {
		return nil
	}
	since := store.FormatTime(now.Add(-window))
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM subscription_attempts WHERE kind = ? AND key = ? AND created_at > ?`,
		kind, key, since).Scan(&n)
	if err != nil {
		return fmt.Errorf("subscribers: check limit: %w", err)
	}
	if n < limit {
		return nil
	}
	// The window may hold more than limit attempts (unlimited callers are
	// counted too, and a limit can be lowered): the caller may try again
	// once the (n-limit+1)th oldest has left it, not merely the oldest.
	var freed string
	retry := window
	err = tx.QueryRowContext(ctx, `SELECT created_at FROM subscription_attempts WHERE kind = ? AND key = ? AND created_at > ?
		ORDER BY created_at LIMIT 1 OFFSET ?`, kind, key, since, n-limit).Scan(&freed)
	if err != nil {
		return fmt.Errorf("subscribers: check limit: %w", err)
	}
	var t time.Time
	if err := store.Time(&t).Scan(freed); err == nil {
		retry = t.Add(window).Sub(now)
	}
	return &LimitError{Msg: msg, RetryAfter: max(retry, time.Second)}
}

// recordTx counts one attempt, and now and then forgets old ones.
func (s *Service) recordTx(ctx context.Context, tx *sql.Tx, kind, key string, now time.Time) error {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO subscription_attempts (kind, key, created_at) VALUES (?, ?, ?) RETURNING id`,
		kind, key, store.FormatTime(now)).Scan(&id)
	if err != nil {
		return fmt.Errorf("subscribers: record attempt: %w", err)
	}
	if id%500 == 0 {
		// The longest window is a day.
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscription_attempts WHERE created_at < ?`, store.FormatTime(now.Add(-25*time.Hour))); err != nil {
			return fmt.Errorf("subscribers: prune attempts: %w", err)
		}
	}
	return nil
}

// checkSignupLimitsTx applies the per-IP and global sign-up limits to a
// public sign-up and counts it.
func (s *Service) checkSignupLimitsTx(ctx context.Context, tx *sql.Tx, su Signup, now time.Time) error {
	l := s.cfg.Limits
	busy := "Too many sign-ups right now. Please try again later."
	checks := []limitCheck{
		{"signup_ip", su.IP, l.SignupsPerIP, time.Hour, "Too many sign-ups from your network. Please try again later."},
		{"signup_all", "", l.SignupsPerHour, time.Hour, busy},
	}
	if su.Mode == notifier.SMS {
		checks = append(checks,
			limitCheck{"sms_ip", su.IP, l.SMSSignupsPerIP, l.SMSWindow, "Too many SMS sign-ups from your network. Please try again later."},
			limitCheck{"sms_all", "", l.SMSSignupsPerHour, time.Hour, busy})
	}
	for _, c := range checks {
		if err := s.limitTx(ctx, tx, c.kind, c.key, c.limit, c.window, now, c.msg); err != nil {
			return err
		}
	}
	for _, c := range checks {
		if err := s.recordTx(ctx, tx, c.kind, c.key, now); err != nil {
			return err
		}
	}
	return nil
}

type limitCheck struct {
	kind, key string
	limit     int
	window    time.Duration
	msg       string
}
