package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting, read from BEACON_… environment variables and, for
// the common ones, flags (which win).
type Config struct {
	Addr            string        // BEACON_ADDR
	DataDir         string        // BEACON_DATA_DIR
	BaseURL         string        // BEACON_BASE_URL
	PageName        string        // BEACON_PAGE_NAME
	TimeZone        string        // BEACON_TIME_ZONE
	SupportURL      string        // BEACON_SUPPORT_URL
	LogLevel        slog.Level    // BEACON_LOG_LEVEL
	LogFormat       string        // BEACON_LOG_FORMAT
	APIRate         float64       // BEACON_API_RATE_LIMIT
	APIBurst        int           // BEACON_API_BURST
	BodyLimit       int           // BEACON_BODY_LIMIT
	ShutdownTimeout time.Duration // BEACON_SHUTDOWN_TIMEOUT
}

// setting is one row of the configuration table: the README lists the same.
type setting struct {
	env, flag, def, help string
	parse                func(c *Config, v string) error
}

var settings = []setting{
	{"BEACON_ADDR", "addr", ":8080", "listen address", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"BEACON_DATA_DIR", "data-dir", "./data", "directory holding the SQLite database", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"BEACON_BASE_URL", "base-url", "http://localhost:8080", "public URL of the page, used in links", func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("must be an http or https URL")
		}
		c.BaseURL = strings.TrimRight(v, "/")
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
	{"BEACON_SUPPORT_URL", "", "", "support URL on first start", func(c *Config, v string) error { c.SupportURL = v; return nil }},
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
	for _, s := range settings {
		values[s.env] = s.def
		if v := getenv(s.env); v != "" {
			values[s.env] = v
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings {
		if s.flag == "" {
			continue
		}
		fs.Func(s.flag, fmt.Sprintf("%s (env %s, default %q)", s.help, s.env, s.def), func(v string) error {
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
	for _, s := range settings {
		if err := s.parse(&c, values[s.env]); err != nil {
			problems = append(problems, fmt.Errorf("%s=%q: %w", s.env, values[s.env], err))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return Config{}, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, fs.Args(), nil
}
