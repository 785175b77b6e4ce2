package sms

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		floor  time.Duration
		want   time.Duration
	}{
		{"absent", "", time.Second, time.Second},
		{"seconds", "30", time.Second, 30 * time.Second},
		{"shorter than the floor", "1", time.Minute, time.Minute},
		{"negative", "-5", time.Second, time.Second},
		{"garbage", "soon", time.Second, time.Second},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), time.Second, 90 * time.Second},
		{"HTTP date in the past", now.Add(-time.Hour).Format(http.TimeFormat), time.Second, time.Second},
		{"capped", "86400", time.Second, maxRetryAfter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfter(tc.header, now, tc.floor); got != tc.want {
				t.Errorf("retryAfter(%q): got %s, want %s", tc.header, got, tc.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+14155550123", "+14*******23"},
		{"+4420", "*****"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := mask(tc.in); got != tc.want {
			t.Errorf("mask(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
