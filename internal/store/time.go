package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width UTC with microseconds, so that text order is time
// order and indexes on timestamp columns serve range queries.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// NullTime renders an optional time for storage: NULL when t is nil or zero.
func NullTime(t *time.Time) driver.Value {
	if t == nil || t.IsZero() {
		return nil
	}
	return FormatTime(*t)
}

// Time returns a scanner that parses a stored timestamp into dst.
func Time(dst *time.Time) *TimeScanner { return &TimeScanner{dst: dst} }

// TimeScanner parses a stored timestamp; see Time.
type TimeScanner struct{ dst *time.Time }

// Scan implements sql.Scanner.
func (s *TimeScanner) Scan(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("sqlite: scan time: got %T", v)
	}
	t, err := time.Parse(timeLayout, str)
	if err != nil {
		return fmt.Errorf("sqlite: scan time: %w", err)
	}
	*s.dst = t
	return nil
}

// OptTime returns a scanner that parses a nullable timestamp into dst,
// leaving it nil for NULL.
func OptTime(dst **time.Time) *OptTimeScanner { return &OptTimeScanner{dst: dst} }

// OptTimeScanner parses a nullable timestamp; see OptTime.
type OptTimeScanner struct{ dst **time.Time }

// Scan implements sql.Scanner.
func (s *OptTimeScanner) Scan(v any) error {
	if v == nil {
		*s.dst = nil
		return nil
	}
	var t time.Time
	if err := (&TimeScanner{dst: &t}).Scan(v); err != nil {
		return err
	}
	*s.dst = &t
	return nil
}

// NullString stores s, or NULL when it is empty: optional text columns keep
// "unset" as NULL.
func NullString(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}
