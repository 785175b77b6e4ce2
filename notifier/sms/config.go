package sms

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Defaults applied by New to a zero Config field.
const (
	DefaultAPIURL  = "https://api.twilio.com"
	DefaultTimeout = 15 * time.Second
)

// The settings that fill a Config, named in Validate's messages.
const (
	SettingAccountSID          = "BEACON_TWILIO_ACCOUNT_SID"
	SettingAuthToken           = "BEACON_TWILIO_AUTH_TOKEN"
	SettingFrom                = "BEACON_TWILIO_FROM"
	SettingMessagingServiceSID = "BEACON_TWILIO_MESSAGING_SERVICE_SID"
	SettingAPIURL              = "BEACON_TWILIO_API_URL"
	SettingMaxPrice            = "BEACON_TWILIO_MAX_PRICE"
	SettingTimeout             = "BEACON_TWILIO_TIMEOUT"
)

var (
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSIDPattern = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	// twilio-go refuses, before sending anything, credentials that are not
	// alphanumeric; catching that here keeps it from failing every message.
	authTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
	e164Pattern      = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	shortCodePattern = regexp.MustCompile(`^[0-9]{3,8}$`)
)

// Config is how Beacon reaches Twilio. Exactly one of From and
// MessagingServiceSID names the sender.
type Config struct {
	AccountSID string
	AuthToken  string
	// From is the sending number: E.164 (+14155550100) or a short code.
	From string
	// MessagingServiceSID lets Twilio pick the sender from a Messaging
	// Service's pool instead of From.
	MessagingServiceSID string
	// APIURL is scheme and host of the API, DefaultAPIURL when empty; set it
	// to reach a Twilio-compatible gateway or a local stand-in.
	APIURL string
	// MaxPrice, when set, is the most to pay for a message, in the account's
	// currency ("0.05").
	MaxPrice string
	// Timeout bounds one request to Twilio, DefaultTimeout when zero.
	Timeout time.Duration
}

// ValidationError reports an invalid setting.
type ValidationError struct {
	Field string // the BEACON_TWILIO_* setting
	Msg   string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Msg) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate reports every problem with c at once, as joined
// *ValidationErrors. Empty APIURL and zero Timeout are valid: New fills in
// the defaults.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.AccountSID == "":
		errs = append(errs, invalid(SettingAccountSID, "is required"))
	case !accountSIDPattern.MatchString(c.AccountSID):
		errs = append(errs, invalid(SettingAccountSID, "must be AC followed by 32 hexadecimal digits"))
	}
	switch {
	case c.AuthToken == "":
		errs = append(errs, invalid(SettingAuthToken, "is required"))
	case !authTokenPattern.MatchString(c.AuthToken):
		errs = append(errs, invalid(SettingAuthToken, "must contain only letters and digits"))
	}
	switch {
	case c.From == "" && c.MessagingServiceSID == "":
		errs = append(errs, invalid(SettingFrom, "or %s is required", SettingMessagingServiceSID))
	case c.From != "" && c.MessagingServiceSID != "":
		errs = append(errs, invalid(SettingFrom, "and %s are both set; set only one", SettingMessagingServiceSID))
	case c.From != "" && !e164Pattern.MatchString(c.From) && !shortCodePattern.MatchString(c.From):
		errs = append(errs, invalid(SettingFrom, "must be an E.164 number (+14155550100) or a short code, got %q", c.From))
	case c.MessagingServiceSID != "" && !serviceSIDPattern.MatchString(c.MessagingServiceSID):
		errs = append(errs, invalid(SettingMessagingServiceSID, "must be MG followed by 32 hexadecimal digits"))
	}
	if c.APIURL != "" {
		if err := checkAPIURL(c.APIURL); err != nil {
			errs = append(errs, invalid(SettingAPIURL, "%v, got %q", err, c.APIURL))
		}
	}
	if c.MaxPrice != "" {
		p, err := strconv.ParseFloat(c.MaxPrice, 32)
		if err != nil || p <= 0 || math.IsInf(p, 0) || math.IsNaN(p) {
			errs = append(errs, invalid(SettingMaxPrice, "must be a positive number such as 0.05, got %q", c.MaxPrice))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, invalid(SettingTimeout, "must not be negative, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// checkAPIURL accepts only scheme and host (and port): requests keep
// Twilio's paths, so a path here would be silently ignored.
func checkAPIURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("must be a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must start with http:// or https://")
	case u.Host == "":
		return errors.New("must name a host")
	case u.User != nil:
		return errors.New("must not hold credentials")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return errors.New("must be scheme and host only, without a path or query")
	}
	return nil
}

// withDefaults returns c with its empty optional fields filled in.
func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// LogValue keeps the auth token out of logs.
func (c Config) LogValue() slog.Value {
	token := ""
	if c.AuthToken != "" {
		token = "[redacted]"
	}
	return slog.GroupValue(
		slog.String("account_sid", c.AccountSID),
		slog.String("auth_token", token),
		slog.String("from", c.From),
		slog.String("messaging_service_sid", c.MessagingServiceSID),
		slog.String("api_url", c.APIURL),
		slog.String("max_price", c.MaxPrice),
		slog.Duration("timeout", c.Timeout),
	)
}
