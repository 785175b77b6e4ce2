package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// BEACON_METRICS_RAW_RETENTION defaults to 7 days and refuses what is not
// a duration of an hour or more.
func TestConfigMetricsRawRetention(t *testing.T) {
	load := func(v string) (Config, error) {
		cfg, _, err := loadConfig("test", nil, func(k string) string {
			if k == "BEACON_METRICS_RAW_RETENTION" {
				return v
			}
			return ""
		}, io.Discard, nil)
		return cfg, err
	}
	for v, want := range map[string]time.Duration{"": 7 * 24 * time.Hour, "720h": 30 * 24 * time.Hour, "1h": time.Hour} {
		if cfg, err := load(v); err != nil || cfg.MetricsRawRetention != want {
			t.Errorf("%q: %v, %v; want %v", v, cfg.MetricsRawRetention, err, want)
		}
	}
	for _, v := range []string{"7d", "59m", "-1h", "soon"} {
		if _, err := load(v); err == nil || !strings.Contains(err.Error(), "BEACON_METRICS_RAW_RETENTION") {
			t.Errorf("%q: err = %v, want one naming BEACON_METRICS_RAW_RETENTION", v, err)
		}
	}
}
