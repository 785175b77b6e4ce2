package email

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	valid := Config{Host: "smtp.example.com", Port: 587, TLS: TLSStartTLS, From: "status@example.com", FromName: "Example Status"}
	tests := []struct {
		name string
		mod  func(*Config)
		want []string // settings named in the error, none if valid
	}{
		{"valid", func(*Config) {}, nil},
		{"zero values take defaults", func(c *Config) { c.Port, c.TLS, c.Pool, c.Timeout = 0, "", 0, 0 }, nil},
		{"with credentials", func(c *Config) { c.Username, c.Password = "u", "p" }, nil},
		{"credentials in clear to localhost", func(c *Config) { c.Host, c.TLS, c.Username, c.Password = "localhost", TLSNone, "u", "p" }, nil},
		{"IPv6 host", func(c *Config) { c.Host = "::1" }, nil},
		{"missing host", func(c *Config) { c.Host = "" }, []string{"BEACON_SMTP_HOST"}},
		{"host with port", func(c *Config) { c.Host = "smtp.example.com:587" }, []string{"BEACON_SMTP_HOST"}},
		{"port out of range", func(c *Config) { c.Port = 70000 }, []string{"BEACON_SMTP_PORT"}},
		{"negative port", func(c *Config) { c.Port = -1 }, []string{"BEACON_SMTP_PORT"}},
		{"unknown TLS mode", func(c *Config) { c.TLS = "ssl" }, []string{"BEACON_SMTP_TLS"}},
		{"missing from", func(c *Config) { c.From = "" }, []string{"BEACON_SMTP_FROM"}},
		{"from with display name", func(c *Config) { c.From = "Status <status@example.com>" }, []string{"BEACON_SMTP_FROM"}},
		{"from not an address", func(c *Config) { c.From = "status" }, []string{"BEACON_SMTP_FROM"}},
		{"from name on two lines", func(c *Config) { c.FromName = "a\r\nBcc: x@example.com" }, []string{"BEACON_SMTP_FROM_NAME"}},
		{"username without password", func(c *Config) { c.Username = "u" }, []string{"BEACON_SMTP_PASSWORD"}},
		{"password without username", func(c *Config) { c.Password = "p" }, []string{"BEACON_SMTP_USERNAME"}},
		{"credentials in clear", func(c *Config) { c.TLS, c.Username, c.Password = TLSNone, "u", "p" }, []string{"BEACON_SMTP_TLS"}},
		{"negative pool", func(c *Config) { c.Pool = -1 }, []string{"BEACON_SMTP_POOL"}},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"BEACON_SMTP_TIMEOUT"}},
		{"every problem at once", func(c *Config) { *c = Config{TLS: "x", Pool: -1, Timeout: -1} },
			[]string{"BEACON_SMTP_HOST", "BEACON_SMTP_TLS", "BEACON_SMTP_FROM", "BEACON_SMTP_POOL", "BEACON_SMTP_TIMEOUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mod(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error naming %v", tt.want)
			}
			for _, setting := range tt.want {
				if !strings.Contains(err.Error(), setting) {
					t.Errorf("got %q, want it to name %s", err, setting)
				}
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != len(tt.want) {
				t.Errorf("got %d problems (%q), want %d", lines, err, len(tt.want))
			}
		})
	}
}

func TestConfigValidateNeverShowsPassword(t *testing.T) {
	c := Config{Host: "smtp.example.com", TLS: TLSNone, From: "status@example.com", Username: "u", Password: "hunter2"}
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("got %v, want an error without the password", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		tls      string
		wantTLS  string
		wantPort int
	}{
		{"", TLSStartTLS, 587},
		{TLSNone, TLSNone, 25},
		{TLSStartTLS, TLSStartTLS, 587},
		{TLSImplicit, TLSImplicit, 465},
	}
	for _, tt := range tests {
		got := Config{TLS: tt.tls}.withDefaults()
		if got.TLS != tt.wantTLS || got.Port != tt.wantPort || got.Pool != DefaultPool || got.Timeout != DefaultTimeout {
			t.Errorf("TLS %q: got TLS %q port %d pool %d timeout %s, want %q %d %d %s",
				tt.tls, got.TLS, got.Port, got.Pool, got.Timeout, tt.wantTLS, tt.wantPort, DefaultPool, DefaultTimeout)
		}
	}
	if got := (Config{Port: 2525}).withDefaults().Port; got != 2525 {
		t.Errorf("got port %d, want 2525 kept", got)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	if _, err := New(Config{}, nil); err == nil || !strings.Contains(err.Error(), "BEACON_SMTP_HOST") {
		t.Errorf("got %v, want an error naming BEACON_SMTP_HOST", err)
	}
}
