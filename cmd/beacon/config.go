package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/settings"
)

// Config is every setting, read from BEACON_… environment variables and, for
// the common ones, flags (which win).
type Config struct {
	Addr            string        // BEACON_ADDR
	DataDir         string        // BEACON_DATA_DIR
	DatabaseURL     string        // BEACON_DATABASE_URL: PostgreSQL instead of SQLite in DataDir
	BaseURL         string        // BEACON_BASE_URL, or http:// and Addr
	BaseURLSet      bool          // BEACON_BASE_URL or --base-url was given
	PageName        string        // BEACON_PAGE_NAME
	TimeZone        string        // BEACON_TIME_ZONE
	Language        string        // BEACON_LANGUAGE
	SupportURL      string        // BEACON_SUPPORT_URL
	LogoURL         string        // BEACON_LOGO_URL
	AccentColor     string        // BEACON_ACCENT_COLOR
	PageCache       string        // BEACON_PAGE_CACHE_CONTROL
	LogLevel        slog.Level    // BEACON_LOG_LEVEL
	LogFormat       string        // BEACON_LOG_FORMAT
	APIRate         float64       // BEACON_API_RATE_LIMIT
	APIBurst        int           // BEACON_API_BURST
	BodyLimit       int           // BEACON_BODY_LIMIT
	ShutdownTimeout time.Duration // BEACON_SHUTDOWN_TIMEOUT
	ProxyHeader     string        // BEACON_PROXY_HEADER
	FrameAncestors  string        // BEACON_FRAME_ANCESTORS
	// MetricsRawRetention is BEACON_METRICS_RAW_RETENTION.
	MetricsRawRetention time.Duration

	SMTP struct {
		Host, Username, Password, TLS, From, FromName string
		Port, Pool                                    int
	}
	Twilio struct {
		AccountSID, AuthToken, From, MessagingServiceSID, APIURL, MaxPrice string
	}
	SMSCountries        []string // BEACON_SMS_COUNTRIES
	SMSAllUpdates       bool     // BEACON_SMS_EVENTS: all (the default) or key
	WebhookAllowPrivate bool     // BEACON_WEBHOOK_ALLOW_PRIVATE
	Delivery            map[string]*channelSettings
	MaxAttempts         int           // BEACON_DELIVERY_MAX_ATTEMPTS
	RetryBase           time.Duration // BEACON_RETRY_BASE
	// BcryptCost hashes staff passwords; zero is bcrypt's default. Only
	// tests lower it, to keep sign-ins fast.
	BcryptCost int
}

// channelSettings are one channel's workers and rate.
type channelSettings struct {
	Workers int
	Rate    float64
}

// setting is one row of the configuration table: the README lists the same.
type setting struct {
	env, flag, def, help string
	parse                func(c *Config, v string) error
}

var envSettings = []setting{
	{"BEACON_ADDR", "addr", ":8080", "listen address", func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("must be host:port or :port, such as :8080 or 127.0.0.1:9000")
		}
		c.Addr = v
		return nil
	}},
	{"BEACON_DATA_DIR", "data-dir", "./data", "directory holding the SQLite database", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"BEACON_DATABASE_URL", "database-url", "", "PostgreSQL database (postgres://user:password@host/db) instead of SQLite in the data directory", (*Config).setDatabaseURL},
	{"BEACON_BASE_URL", "base-url", "", "public URL of the page, used in links (default: http:// and the listen address)", func(c *Config, v string) error {
		if v == "" {
			return nil // follows the listen address: see loadConfig
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("must be an http or https URL")
		}
		c.BaseURL, c.BaseURLSet = strings.TrimRight(v, "/"), true
		return nil
	}},
	{"BEACON_PAGE_NAME", "", "Beacon", "page name on first start (then edited through the API)", func(c *Config, v string) error { c.PageName = v; return nil }},
	{"BEACON_TIME_ZONE", "", "Etc/UTC", "page time zone (IANA) on first start", func(c *Config, v string) error {
		if _, err := time.LoadLocation(v); err != nil || v == "" || v == "Local" {
			return errors.New("must be an IANA time zone name such as Europe/Paris")
		}
		c.TimeZone = v
		return nil
	}},
	{"BEACON_LANGUAGE", "", i18n.Source, "page language on first start: " + strings.Join(i18n.Codes(), ", "), func(c *Config, v string) error {
		var ok bool
		if c.Language, ok = i18n.Canonical(v); !ok {
			return errors.New("must be one of " + strings.Join(i18n.Codes(), ", "))
		}
		return nil
	}},
	{"BEACON_SUPPORT_URL", "", "", "support URL on first start", func(c *Config, v string) error { c.SupportURL = v; return nil }},
	{"BEACON_LOGO_URL", "", "", "logo shown in the page header on first start", func(c *Config, v string) error { c.LogoURL = v; return nil }},
	{"BEACON_ACCENT_COLOR", "", "", "accent colour (#rrggbb) on first start", func(c *Config, v string) error { c.AccentColor = v; return nil }},
	{"BEACON_PAGE_CACHE_CONTROL", "", "public, max-age=0, must-revalidate", "Cache-Control of the public pages and API", func(c *Config, v string) error {
		if strings.ContainsAny(v, "\r\n") {
			return errors.New("must be one line")
		}
		c.PageCache = v
		return nil
	}},
	{"BEACON_LOG_LEVEL", "", "info", "debug, info, warn or error", func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"BEACON_LOG_FORMAT", "", "text", "text or json", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{"BEACON_API_RATE_LIMIT", "", "10", "management API requests per second per key", func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return errors.New("must be a positive number")
		}
		c.APIRate = f
		return nil
	}},
	{"BEACON_API_BURST", "", "100", "management API burst per key", func(c *Config, v string) error { return positiveInt(&c.APIBurst, v) }},
	{"BEACON_BODY_LIMIT", "", "1048576", "largest request body in bytes", func(c *Config, v string) error { return positiveInt(&c.BodyLimit, v) }},
	{"BEACON_SHUTDOWN_TIMEOUT", "", "15s", "how long SIGTERM waits for requests in flight", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("must be a positive duration such as 15s")
		}
		c.ShutdownTimeout = d
		return nil
	}},
	{"BEACON_METRICS_RAW_RETENTION", "", "168h", "how long raw 30 s metric points are kept (then 5-minute and hourly aggregates)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return errors.New("must be a duration of at least 1h, such as 168h")
		}
		c.MetricsRawRetention = d
		return nil
	}},
	{"BEACON_FRAME_ANCESTORS", "", "'self'", "CSP frame-ancestors of the public pages: who may embed them in a frame", func(c *Config, v string) error {
		return parseFrameAncestors(&c.FrameAncestors, v)
	}},
}

// notificationSettings configure email, SMS, webhooks and delivery.
var notificationSettings = []setting{
	{"BEACON_PROXY_HEADER", "", "", "header holding the client IP behind a reverse proxy, such as X-Forwarded-For (set only behind a proxy)", func(c *Config, v string) error { c.ProxyHeader = v; return nil }},
	{"BEACON_SMTP_HOST", "", "", "SMTP server; email is off when empty", func(c *Config, v string) error { c.SMTP.Host = v; return nil }},
	{"BEACON_SMTP_PORT", "", "587", "SMTP port", func(c *Config, v string) error { return positiveInt(&c.SMTP.Port, v) }},
	{"BEACON_SMTP_USERNAME", "", "", "SMTP user (AUTH is used when set)", func(c *Config, v string) error { c.SMTP.Username = v; return nil }},
	{"BEACON_SMTP_PASSWORD", "", "", "SMTP password", func(c *Config, v string) error { c.SMTP.Password = v; return nil }},
	{"BEACON_SMTP_TLS", "", "starttls", "none, starttls or tls", func(c *Config, v string) error {
		if v != "none" && v != "starttls" && v != "tls" {
			return errors.New("must be none, starttls or tls")
		}
		c.SMTP.TLS = v
		return nil
	}},
	{"BEACON_SMTP_FROM", "", "", "sender address of notification emails", func(c *Config, v string) error { c.SMTP.From = v; return nil }},
	{"BEACON_SMTP_FROM_NAME", "", "", "sender name (default: the page name)", func(c *Config, v string) error { c.SMTP.FromName = v; return nil }},
	{"BEACON_SMTP_POOL", "", "4", "SMTP connections kept open (and email workers)", func(c *Config, v string) error { return positiveInt(&c.SMTP.Pool, v) }},
	{"BEACON_TWILIO_ACCOUNT_SID", "", "", "Twilio account SID; SMS is off when empty", func(c *Config, v string) error { c.Twilio.AccountSID = v; return nil }},
	{"BEACON_TWILIO_AUTH_TOKEN", "", "", "Twilio auth token", func(c *Config, v string) error { c.Twilio.AuthToken = v; return nil }},
	{"BEACON_TWILIO_FROM", "", "", "sending number (E.164) or short code", func(c *Config, v string) error { c.Twilio.From = v; return nil }},
	{"BEACON_TWILIO_MESSAGING_SERVICE_SID", "", "", "messaging service SID, instead of a from number", func(c *Config, v string) error { c.Twilio.MessagingServiceSID = v; return nil }},
	{"BEACON_TWILIO_API_URL", "", "https://api.twilio.com", "Twilio API base URL (a compatible gateway or a local stand-in)", func(c *Config, v string) error { c.Twilio.APIURL = strings.TrimRight(v, "/"); return nil }},
	{"BEACON_TWILIO_MAX_PRICE", "", "", "highest price per SMS Twilio may charge, in the account's currency", func(c *Config, v string) error {
		if v != "" {
			if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 {
				return errors.New("must be a positive number such as 0.05")
			}
		}
		c.Twilio.MaxPrice = v
		return nil
	}},
	{"BEACON_SMS_COUNTRIES", "", "US,CA,GB", "ISO country codes SMS sign-ups are accepted from (empty: none)", func(c *Config, v string) error {
		var err error
		c.SMSCountries, err = settings.ParseCountries(v)
		return err
	}},
	// Every incident change reaches SMS subscribers unless the owner
	// chooses key moments only to save cost: Beacon exists to tell
	// subscribers about every change.
	{"BEACON_SMS_EVENTS", "", "all", "all (every incident change) or key (create, resolve, maintenance start and end: cheaper)", func(c *Config, v string) error {
		if v != "key" && v != "all" {
			return errors.New("must be key or all")
		}
		c.SMSAllUpdates = v == "all"
		return nil
	}},
	{"BEACON_WEBHOOK_ALLOW_PRIVATE", "", "false", "allow webhooks to addresses outside global unicast (loopback, private, link-local and the other special-purpose blocks)", func(c *Config, v string) error { return parseBool(&c.WebhookAllowPrivate, v) }},
	{"BEACON_EMAIL_RATE", "", "100", "emails per second", func(c *Config, v string) error { return c.channel("email").rate(v) }},
	{"BEACON_SMS_RATE", "", "1", "SMS per second (Twilio: about 1 per long code, 3 per toll-free number, 100 per short code)", func(c *Config, v string) error { return c.channel("sms").rate(v) }},
	{"BEACON_SMS_WORKERS", "", "1", "concurrent SMS senders", func(c *Config, v string) error { return positiveInt(&c.channel("sms").Workers, v) }},
	{"BEACON_WEBHOOK_RATE", "", "50", "webhook calls per second", func(c *Config, v string) error { return c.channel("webhook").rate(v) }},
	{"BEACON_WEBHOOK_WORKERS", "", "8", "concurrent webhook senders", func(c *Config, v string) error { return positiveInt(&c.channel("webhook").Workers, v) }},
	{"BEACON_DELIVERY_MAX_ATTEMPTS", "", "10", "attempts before a temporarily failing message is given up", func(c *Config, v string) error { return positiveInt(&c.MaxAttempts, v) }},
	{"BEACON_RETRY_BASE", "", "30s", "first retry delay (doubling up to an hour, with jitter)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("must be a positive duration such as 30s")
		}
		c.RetryBase = d
		return nil
	}},
}

func (c *Config) channel(name string) *channelSettings {
	if c.Delivery == nil {
		c.Delivery = map[string]*channelSettings{}
	}
	if c.Delivery[name] == nil {
		c.Delivery[name] = &channelSettings{Workers: 1}
	}
	return c.Delivery[name]
}

func (s *channelSettings) rate(v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return errors.New("must be a number of messages per second (0 for no limit)")
	}
	s.Rate = f
	return nil
}

func parseBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	*dst = b
	return nil
}

func positiveInt(dst *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return errors.New("must be a positive integer")
	}
	*dst = n
	return nil
}

// loadConfig reads the environment, then the flags in args, and reports
// every invalid value at once. It returns the arguments left after flags.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	values := map[string]string{}
	all := append(append([]setting{}, envSettings...), notificationSettings...)
	for _, s := range all {
		values[s.env] = s.def
		if v := getenv(s.env); v != "" {
			values[s.env] = v
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range envSettings {
		if s.flag == "" {
			continue
		}
		help := fmt.Sprintf("%s (env %s, default %q)", s.help, s.env, s.def)
		if s.def == "" {
			help = fmt.Sprintf("%s (env %s)", s.help, s.env)
		}
		fs.Func(s.flag, help, func(v string) error {
			values[s.env] = v
			return nil
		})
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	var c Config
	var problems []error
	for _, s := range all {
		if err := s.parse(&c, values[s.env]); err != nil {
			v := values[s.env]
			if s.env == "BEACON_DATABASE_URL" {
				v = redactURL(v)
			}
			problems = append(problems, fmt.Errorf("%s=%q: %w", s.env, v, err))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return Config{}, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if !c.BaseURLSet {
		c.BaseURL = baseURLFromAddr(c.Addr)
	}
	return c, fs.Args(), nil
}

// setDatabaseURL checks and sets a PostgreSQL URL ("" for SQLite).
func (c *Config) setDatabaseURL(v string) error {
	if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Opaque != "") {
		return errors.New("must be a postgres:// or postgresql:// URL, such as postgres://beacon:secret@db.example.com/beacon")
	}
	c.DatabaseURL = v
	return nil
}

// database names the database for messages: the file, or the URL without
// its password.
func (c Config) database() string {
	if c.DatabaseURL != "" {
		return redactURL(c.DatabaseURL)
	}
	return filepath.Join(c.DataDir, dbFile)
}

// redactURL is a database URL fit for a log or an error: the password, in
// the user part or the query, is replaced by xxxxx.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return "(not shown: not a URL, and it may hold a password)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// baseURLFromAddr is the base URL when none is configured: the listen
// address over http, with localhost for an address that listens on every
// interface, so that the links Beacon prints (the first admin's, `user
// create`'s) open on the machine it runs on.
func baseURLFromAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr) // checked by the BEACON_ADDR setting
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// baseURLElsewhere reports whether a configured base URL leads somewhere
// other than the listen address: over https (Beacon serves plain http), to
// another port, or to another host than the one it listens on. Behind a
// reverse proxy that is expected; otherwise links would not open.
func baseURLElsewhere(baseURL, addr string) bool {
	u, err := url.Parse(baseURL)
	lhost, lport, err2 := net.SplitHostPort(addr)
	if err != nil || err2 != nil || u.Scheme != "http" {
		return true
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	if port != lport && lport != "0" {
		return true
	}
	if lip := net.ParseIP(lhost); lhost == "" || (lip != nil && lip.IsUnspecified()) {
		return false // every interface, so every name of this machine
	}
	host := u.Hostname()
	return !strings.EqualFold(host, lhost) && !(isLoopback(host) && isLoopback(lhost))
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
}

// parseFrameAncestors checks a CSP frame-ancestors source list: source
// expressions separated by spaces, such as 'self' https://intranet.example.com.
// It goes into a response header as it is, so anything that would end the
// directive (;), start another policy (,) or the header (control
// characters) is refused, and so are quoted words other than 'self' and a
// lone 'none'.
func parseFrameAncestors(dst *string, v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) {
		return errors.New("control and non-ASCII characters are not allowed (write host names in punycode)")
	}
	sources := strings.Fields(v)
	if len(sources) == 0 {
		return errors.New("must name at least one source, such as 'self' or 'none'")
	}
	for _, src := range sources {
		switch {
		case strings.ContainsAny(src, ";,"):
			return fmt.Errorf("%q: sources are separated by spaces; ; and , are not allowed", src)
		case src == "'none'" && len(sources) > 1:
			return errors.New("'none' must be alone")
		case strings.Contains(src, "'") && src != "'self'" && src != "'none'":
			return fmt.Errorf("%q: the only quoted sources frame-ancestors takes are 'self' and 'none'", src)
		}
	}
	*dst = strings.Join(sources, " ")
	return nil
}
