package sms_test

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier/sms"
)

func TestConfigValidate(t *testing.T) {
	valid := testConfig("")
	tests := []struct {
		name   string
		edit   func(c *sms.Config)
		fields []string // settings reported, in order; none when valid
	}{
		{"from an E.164 number", func(c *sms.Config) {}, nil},
		{"from a short code", func(c *sms.Config) { c.From = "89757" }, nil},
		{"from a messaging service", func(c *sms.Config) {
			c.From, c.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef"
		}, nil},
		{"local stand-in with options", func(c *sms.Config) {
			c.APIURL, c.MaxPrice, c.Timeout = "http://127.0.0.1:4010/", "0.0075", 3*time.Second
		}, nil},
		{"nothing set", func(c *sms.Config) { *c = sms.Config{} },
			[]string{sms.SettingAccountSID, sms.SettingAuthToken, sms.SettingFrom}},
		{"account SID not AC…", func(c *sms.Config) { c.AccountSID = "SK0123456789abcdef0123456789abcdef" },
			[]string{sms.SettingAccountSID}},
		{"auth token with punctuation", func(c *sms.Config) { c.AuthToken = "f00d-feed" },
			[]string{sms.SettingAuthToken}},
		{"both sender settings", func(c *sms.Config) { c.MessagingServiceSID = "MG0123456789abcdef0123456789abcdef" },
			[]string{sms.SettingFrom}},
		{"from without +", func(c *sms.Config) { c.From = "14155550100" }, []string{sms.SettingFrom}},
		{"from an alphanumeric ID", func(c *sms.Config) { c.From = "Beacon" }, []string{sms.SettingFrom}},
		{"bad messaging service SID", func(c *sms.Config) { c.From, c.MessagingServiceSID = "", "MG123" },
			[]string{sms.SettingMessagingServiceSID}},
		{"API URL with a path", func(c *sms.Config) { c.APIURL = "https://gw.example.com/twilio" }, []string{sms.SettingAPIURL}},
		{"API URL not http", func(c *sms.Config) { c.APIURL = "ftp://gw.example.com" }, []string{sms.SettingAPIURL}},
		{"API URL without host", func(c *sms.Config) { c.APIURL = "api.twilio.com" }, []string{sms.SettingAPIURL}},
		{"API URL with credentials", func(c *sms.Config) { c.APIURL = "https://u:p@gw.example.com" }, []string{sms.SettingAPIURL}},
		{"max price not a number", func(c *sms.Config) { c.MaxPrice = "five cents" }, []string{sms.SettingMaxPrice}},
		{"max price zero", func(c *sms.Config) { c.MaxPrice = "0" }, []string{sms.SettingMaxPrice}},
		{"max price negative", func(c *sms.Config) { c.MaxPrice = "-0.05" }, []string{sms.SettingMaxPrice}},
		{"max price NaN", func(c *sms.Config) { c.MaxPrice = "NaN" }, []string{sms.SettingMaxPrice}},
		{"negative timeout", func(c *sms.Config) { c.Timeout = -time.Second }, []string{sms.SettingTimeout}},
		{"every optional setting wrong at once", func(c *sms.Config) {
			c.AuthToken, c.APIURL, c.MaxPrice, c.Timeout = "a b", "localhost:4010", "x", -1
		}, []string{sms.SettingAuthToken, sms.SettingAPIURL, sms.SettingMaxPrice, sms.SettingTimeout}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.edit(&cfg)
			err := cfg.Validate()
			var got []string
			for _, e := range unjoin(err) {
				var ve *sms.ValidationError
				if !errors.As(e, &ve) {
					t.Fatalf("problem %v (%T) is not a *sms.ValidationError", e, e)
				}
				if !strings.HasPrefix(e.Error(), ve.Field+" ") {
					t.Errorf("message %q does not start with the setting %s", e.Error(), ve.Field)
				}
				got = append(got, ve.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("settings reported: got %v, want %v (%v)", got, tc.fields, err)
			}
			if _, newErr := sms.New(cfg); (newErr == nil) != (err == nil) {
				t.Errorf("New: got %v, Validate: %v; want both to fail or neither", newErr, err)
			}
		})
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestConfigLogValueHidesAuthToken(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("twilio", "config", testConfig(""))
	if out := buf.String(); strings.Contains(out, testToken) || !strings.Contains(out, testSID) {
		t.Errorf("log line: got %q, want the account SID and not the auth token", out)
	}
}
