package email

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// The TLS modes of Config.TLS.
const (
	// TLSNone sends in clear text: only for a relay on the same host.
	TLSNone = "none"
	// TLSStartTLS connects in clear and requires STARTTLS before anything
	// else is sent (submission, usually port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit = "tls"
)

// Defaults for the zero values of Config.
const (
	DefaultPool    = 4
	DefaultTimeout = 15 * time.Second
	DefaultTLS     = TLSStartTLS
)

// Config is how to reach the SMTP relay. Zero values take the defaults:
// TLS "starttls", Port 25, 587 or 465 by TLS mode, Pool 4, Timeout 15s.
type Config struct {
	Host string // BEACON_SMTP_HOST
	Port int    // BEACON_SMTP_PORT
	// Username and Password, when set, are sent with SMTP AUTH (PLAIN or
	// LOGIN, whichever the server offers), never without TLS except to
	// localhost.
	Username string // BEACON_SMTP_USERNAME
	Password string // BEACON_SMTP_PASSWORD
	// TLS is "none", "starttls" or "tls".
	TLS string // BEACON_SMTP_TLS
	// From is the bare sender address; FromName its display name.
	From     string // BEACON_SMTP_FROM
	FromName string // BEACON_SMTP_FROM_NAME
	// Pool is the number of SMTP connections kept open, which is also the
	// number of messages in flight at once.
	Pool int // BEACON_SMTP_POOL
	// Timeout bounds connecting and each SMTP command.
	Timeout time.Duration // BEACON_SMTP_TIMEOUT
}

// Validate reports every problem with c at once, each naming its setting.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch {
	case c.Host == "":
		add("BEACON_SMTP_HOST is required")
	case strings.ContainsAny(c.Host, " /\r\n"):
		add("BEACON_SMTP_HOST %q is not a host name", c.Host)
	case strings.Contains(c.Host, ":") && net.ParseIP(c.Host) == nil:
		add("BEACON_SMTP_HOST %q must not include a port: set BEACON_SMTP_PORT", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		add("BEACON_SMTP_PORT must be between 1 and 65535, got %d", c.Port)
	}
	tlsMode := c.TLS
	switch tlsMode {
	case "":
		tlsMode = DefaultTLS
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		add("BEACON_SMTP_TLS must be one of none, starttls or tls, got %q", c.TLS)
	}

	if c.From == "" {
		add("BEACON_SMTP_FROM is required")
	} else if !ValidFrom(c.From) {
		add("BEACON_SMTP_FROM must be a bare address like status@example.com, got %q", c.From)
	}
	if !ValidFromName(c.FromName) {
		add("BEACON_SMTP_FROM_NAME must be a single line")
	}

	switch {
	case c.Username != "" && c.Password == "":
		add("BEACON_SMTP_PASSWORD is required when BEACON_SMTP_USERNAME is set")
	case c.Username == "" && c.Password != "":
		add("BEACON_SMTP_USERNAME is required when BEACON_SMTP_PASSWORD is set")
	}
	// go-mail refuses PLAIN and LOGIN over clear text except to localhost;
	// say so now rather than on the first message.
	if c.Username != "" && tlsMode == TLSNone && !isLocalhost(c.Host) {
		add("BEACON_SMTP_USERNAME is set but BEACON_SMTP_TLS is none: credentials are sent without TLS only to localhost")
	}

	if c.Pool < 0 {
		add("BEACON_SMTP_POOL must be at least 1, got %d", c.Pool)
	}
	if c.Timeout < 0 {
		add("BEACON_SMTP_TIMEOUT must be positive, got %s", c.Timeout)
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero values filled in.
func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = DefaultTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSNone:
			c.Port = 25
		case TLSStartTLS:
			c.Port = 587
		case TLSImplicit:
			c.Port = 465
		}
	}
	if c.Pool == 0 {
		c.Pool = DefaultPool
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// isLocalhost matches the names go-mail's PLAIN and LOGIN allow without TLS.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// ValidFrom reports whether addr can be the sender address: a bare address
// such as status@example.com, with no display name.
func ValidFrom(addr string) bool {
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Address == addr && a.Name == ""
}

// ValidFromName reports whether name can be the sender's display name: one
// line.
func ValidFromName(name string) bool { return !strings.ContainsAny(name, "\r\n") }
