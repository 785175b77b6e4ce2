package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
)

// MaxURLLength is the longest webhook URL accepted at sign-up.
const MaxURLLength = 2000

// ErrInvalidURL is wrapped by the errors ValidateURL and Send return for a
// URL that is not an acceptable webhook address whatever it resolves to.
var ErrInvalidURL = errors.New("invalid webhook url")

// ErrForbiddenAddress is wrapped by the errors returned when a webhook host
// is, or resolves to, an address Beacon refuses to reach: loopback, private,
// link-local and the like. Refusing them keeps a subscriber from using
// Beacon to probe the network it runs in.
var ErrForbiddenAddress = errors.New("forbidden address")

// cgnat is the shared address space of RFC 6598, used behind carrier-grade
// NAT and by some cloud providers for internal services.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// forbidden reports why ip must not be reached, or "" when it may.
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4
// address they map to, since that is where a dial to them goes.
func forbidden(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast():
		return "multicast"
	case cgnat.Contains(ip):
		return "carrier-grade NAT"
	}
	return ""
}

// addressError is a refusal to reach an address.
type addressError struct {
	ip     netip.Addr
	reason string
}

func (e *addressError) Error() string {
	return fmt.Sprintf("refused: %s is a private address (%s)", e.ip, e.reason)
}

func (e *addressError) Is(target error) bool { return target == ErrForbiddenAddress }

// checkAddr returns an *addressError when ip must not be reached.
func checkAddr(ip netip.Addr) error {
	if reason := forbidden(ip); reason != "" {
		return &addressError{ip: ip, reason: reason}
	}
	return nil
}

// control is the net.Dialer Control func used when private addresses are
// not allowed. It runs after the host name has been resolved and before
// the socket connects, with the very address being dialled, so a name
// that resolved to a public address at sign-up and to a private one now
// (DNS rebinding) is still refused.
func control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("refused: cannot parse dial address %q: %w", address, ErrForbiddenAddress)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("refused: cannot parse dial address %q: %w", address, ErrForbiddenAddress)
	}
	return checkAddr(ip)
}

// parseURL checks the form of a webhook URL: http or https, a host, no
// user information, a sensible length. It looks nothing up. Its errors do
// not repeat the URL, which may carry the receiver's secret token.
func parseURL(raw string) (*url.URL, error) {
	if len(raw) > MaxURLLength {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrInvalidURL, MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot be parsed", ErrInvalidURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: must not contain a user name or password", ErrInvalidURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: host is missing", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: port out of range", ErrInvalidURL)
		}
	}
	return u, nil
}

// ValidateURL checks a webhook URL when a subscriber signs up: http or
// https only, a host, no user information, at most MaxURLLength bytes.
// Unless allowPrivate, it also resolves the host (bounded by ctx) and
// refuses it when any of its addresses is loopback, private (RFC 1918,
// fc00::/7), link-local, unspecified, multicast, carrier-grade NAT
// (100.64.0.0/10) or an IPv4-mapped form of those; an IP literal is judged
// without any lookup. Errors wrap ErrInvalidURL or ErrForbiddenAddress, or
// are the resolver's.
//
// This check is advice for the subscriber, not the defence: a name can
// resolve differently later, so Sender checks the address again as it
// connects.
func ValidateURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkAddr(ip)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("webhook: resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return fmt.Errorf("webhook: resolve %s: no addresses", host)
	}
	for _, ip := range ips {
		if err := checkAddr(ip); err != nil {
			return fmt.Errorf("webhook: %s resolves to a forbidden address: %w", host, err)
		}
	}
	return nil
}
