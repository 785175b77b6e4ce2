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
	"time"
)

// MaxURLLength is the longest webhook URL accepted at sign-up.
const MaxURLLength = 2000

// ErrInvalidURL is wrapped by the errors ValidateURL and Send return for a
// URL that is not an acceptable webhook address whatever it resolves to.
var ErrInvalidURL = errors.New("invalid webhook url")

// ErrForbiddenAddress is wrapped by the errors returned when a webhook host
// is, or resolves to, an address Beacon refuses to reach: anything that is
// not global unicast, or that lies in a block of IANA's special-purpose
// address registries (loopback, private, link-local, shared, documentation,
// benchmarking, reserved, translation and tunnel prefixes and the like).
// Refusing them keeps a subscriber from using Beacon to probe the network
// it runs in.
var ErrForbiddenAddress = errors.New("forbidden address")

// Resolver looks up the addresses of a host name. *net.Resolver is one;
// tests use a stub so that no lookup leaves the machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Policy decides which webhook URLs a subscriber may sign up with.
type Policy struct {
	// AllowPrivate lets webhooks reach any address, global unicast or not
	// (BEACON_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// Resolver looks up host names; net.DefaultResolver when nil.
	Resolver Resolver
}

// ValidateURL checks a webhook URL when a subscriber signs up: http or
// https only, a host, no user information, at most MaxURLLength bytes.
// Unless p.AllowPrivate, it also resolves the host (bounded by ctx) and
// refuses it when any of its addresses may not be reached (see
// ErrForbiddenAddress); an IP literal is judged without any lookup. Errors
// wrap ErrInvalidURL or ErrForbiddenAddress, or are the resolver's.
//
// This check is advice for the subscriber, not the defence: a name can
// resolve differently later, so Sender checks every address again as it
// connects.
func (p Policy) ValidateURL(ctx context.Context, raw string) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	if p.AllowPrivate {
		return nil
	}
	_, err = resolve(ctx, p.Resolver, "ip", u.Hostname())
	return err
}

// ValidateURL is Policy{AllowPrivate: allowPrivate}.ValidateURL: it checks
// a webhook URL at sign-up, resolving its host with net.DefaultResolver.
func ValidateURL(ctx context.Context, raw string, allowPrivate bool) error {
	return Policy{AllowPrivate: allowPrivate}.ValidateURL(ctx, raw)
}

// block is one entry of an address registry: a prefix and the name the
// registry gives it.
type block struct {
	prefix netip.Prefix
	name   string
	// embedded, when set, extracts the IPv4 address that the addresses of
	// the block carry (the address the packets are delivered to), and the
	// block is judged as that IPv4 address instead of being refused.
	embedded func(a [16]byte) netip.Addr
	// always refuses the block even when the IPv4 address it carries is
	// reachable; the IPv4 address then only names the refusal.
	always bool
}

// v4From returns the IPv4 address held in b[i:i+4], each byte XORed with
// mask.
func v4From(b [16]byte, i int, mask byte) netip.Addr {
	return netip.AddrFrom4([4]byte{b[i] ^ mask, b[i+1] ^ mask, b[i+2] ^ mask, b[i+3] ^ mask})
}

// ipv4Blocks is the IANA IPv4 Special-Purpose Address Registry in full,
// with the registry's names, plus multicast. Every block in it is refused,
// whatever the registry says of its global reachability: the "globally
// reachable" ones (192.0.0.9/32 PCP anycast, 192.0.0.10/32 TURN anycast,
// AS112, AMT) are anycast services whose nearest instance is usually run
// by the local or upstream network, which is just what a subscriber must
// not reach through Beacon, and no webhook receiver lives on them. So the
// whole of 192.0.0.0/24 is refused. The more specific entries come first
// so that a refusal names the narrowest block.
//
// It is a function, not a package variable, so that nothing can change the
// table; building it costs microseconds beside a lookup and a connect.
func ipv4Blocks() []block {
	p := netip.MustParsePrefix
	return []block{
		{prefix: p("0.0.0.0/32"), name: `"This host on this network"`},
		{prefix: p("0.0.0.0/8"), name: `"This network"`},
		{prefix: p("10.0.0.0/8"), name: "Private-Use"},
		{prefix: p("100.64.0.0/10"), name: "Shared Address Space"},
		{prefix: p("127.0.0.0/8"), name: "Loopback"},
		{prefix: p("169.254.0.0/16"), name: "Link Local"},
		{prefix: p("172.16.0.0/12"), name: "Private-Use"},
		{prefix: p("192.0.0.0/29"), name: "IPv4 Service Continuity Prefix"},
		{prefix: p("192.0.0.8/32"), name: "IPv4 dummy address"},
		{prefix: p("192.0.0.9/32"), name: "Port Control Protocol Anycast"},
		{prefix: p("192.0.0.10/32"), name: "Traversal Using Relays around NAT Anycast"},
		{prefix: p("192.0.0.170/32"), name: "NAT64/DNS64 Discovery"},
		{prefix: p("192.0.0.171/32"), name: "NAT64/DNS64 Discovery"},
		{prefix: p("192.0.0.0/24"), name: "IETF Protocol Assignments"},
		{prefix: p("192.0.2.0/24"), name: "Documentation (TEST-NET-1)"},
		{prefix: p("192.31.196.0/24"), name: "AS112-v4"},
		{prefix: p("192.52.193.0/24"), name: "AMT"},
		{prefix: p("192.88.99.0/24"), name: "Deprecated (6to4 Relay Anycast)"},
		{prefix: p("192.168.0.0/16"), name: "Private-Use"},
		{prefix: p("192.175.48.0/24"), name: "Direct Delegation AS112 Service"},
		{prefix: p("198.18.0.0/15"), name: "Benchmarking"},
		{prefix: p("198.51.100.0/24"), name: "Documentation (TEST-NET-2)"},
		{prefix: p("203.0.113.0/24"), name: "Documentation (TEST-NET-3)"},
		// From the IPv4 Multicast Address Space Registry.
		{prefix: p("224.0.0.0/4"), name: "Multicast"},
		{prefix: p("255.255.255.255/32"), name: "Limited Broadcast"},
		{prefix: p("240.0.0.0/4"), name: "Reserved"},
	}
}

// ipv6Blocks is the IANA IPv6 Special-Purpose Address Registry in full,
// with the registry's names, plus the blocks of the IPv6 Address Space
// registry that lie outside global unicast but deserve a name in an error.
// As with ipv4Blocks every block is refused, globally reachable or not,
// and the narrowest comes first.
//
// Four kinds of address are other spellings of an IPv4 destination, and
// are judged as the IPv4 address they carry, so that a public IPv4 host
// stays reachable from an IPv6-only network but 64:ff9b::10.0.0.1 is as
// forbidden as 10.0.0.1:
//   - IPv4-mapped ::ffff:a.b.c.d: Go dials the IPv4 address itself.
//   - NAT64 64:ff9b::a.b.c.d (RFC 6052): DNS64 synthesises these for IPv4-
//     only names, and the translator sends to a.b.c.d. RFC 6052 forbids the
//     well-known prefix for non-global IPv4 addresses anyway.
//   - 6to4 2002:AABB:CCDD::/48 (RFC 3056): the relay encapsulates the
//     packet to AA.BB.CC.DD.
//   - Teredo 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC (RFC 4380): the relay
//     sends to the client's NAT address, the last 32 bits XOR 0xffffffff;
//     the server address in bits 32–63 is not where the packet goes.
//
// Refused whatever they carry:
//   - the deprecated IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1): no
//     stack should send to one, and those that still do tunnel it to
//     a.b.c.d through a sit device nobody means a webhook to use. The IPv4
//     address is extracted only to name it in the refusal.
//   - the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215): a network's
//     own translator, with a prefix length, and so an embedding, that only
//     that network knows.
func ipv6Blocks() []block {
	p := netip.MustParsePrefix
	last32 := func(a [16]byte) netip.Addr { return v4From(a, 12, 0) }
	return []block{
		{prefix: p("::1/128"), name: "Loopback Address"},
		{prefix: p("::/128"), name: "Unspecified Address"},
		{prefix: p("::ffff:0:0/96"), name: "IPv4-mapped Address", embedded: last32},
		// From RFC 4291, not the registry; after ::/128 and ::1/128,
		// which it contains.
		{prefix: p("::/96"), name: "IPv4-compatible Address (deprecated)", embedded: last32, always: true},
		{prefix: p("64:ff9b::/96"), name: "IPv4-IPv6 Translat.", embedded: last32},
		{prefix: p("64:ff9b:1::/48"), name: "IPv4-IPv6 Translat. (local use)"},
		{prefix: p("100::/64"), name: "Discard-Only Address Block"},
		{prefix: p("100:0:0:1::/64"), name: "Dummy IPv6 Prefix"},
		{prefix: p("2001::/32"), name: "TEREDO", embedded: func(a [16]byte) netip.Addr { return v4From(a, 12, 0xff) }},
		{prefix: p("2001:1::1/128"), name: "Port Control Protocol Anycast"},
		{prefix: p("2001:1::2/128"), name: "Traversal Using Relays around NAT Anycast"},
		{prefix: p("2001:1::3/128"), name: "DNS-SD Service Registration Protocol Anycast"},
		{prefix: p("2001:2::/48"), name: "Benchmarking"},
		{prefix: p("2001:3::/32"), name: "AMT"},
		{prefix: p("2001:4:112::/48"), name: "AS112-v6"},
		{prefix: p("2001:10::/28"), name: "Deprecated (previously ORCHID)"},
		{prefix: p("2001:20::/28"), name: "ORCHIDv2"},
		{prefix: p("2001:30::/28"), name: "Drone Remote ID Protocol Entity Tags (DETs) Prefix"},
		{prefix: p("2001::/23"), name: "IETF Protocol Assignments"},
		{prefix: p("2001:db8::/32"), name: "Documentation"},
		{prefix: p("2002::/16"), name: "6to4", embedded: func(a [16]byte) netip.Addr { return v4From(a, 2, 0) }},
		{prefix: p("2620:4f:8000::/48"), name: "Direct Delegation AS112 Service"},
		{prefix: p("3fff::/20"), name: "Documentation"},
		{prefix: p("5f00::/16"), name: "Segment Routing (SRv6) SIDs"},
		{prefix: p("fc00::/7"), name: "Unique-Local"},
		{prefix: p("fe80::/10"), name: "Link-Local Unicast"},
		// From the IPv6 Address Space registry.
		{prefix: p("fec0::/10"), name: "Site-Local (deprecated)"},
		{prefix: p("ff00::/8"), name: "Multicast"},
	}
}

// The tables refusal reads, built once: it runs for every address a
// delivery may dial. They are never changed after.
var (
	ipv4Table     = ipv4Blocks()
	ipv6Table     = ipv6Blocks()
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// refusal returns why ip must not be reached, or "" when it may. An address
// is reachable only when it is global unicast and in none of the blocks of
// ipv4Blocks and ipv6Blocks (IPv4 spellings judged by the IPv4 address).
func refusal(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.Zone() != "":
		// A zone scopes an address to one interface of this machine:
		// nothing a public receiver needs.
		return fmt.Sprintf("scoped to zone %q", ip.Zone())
	case ip.Is4():
		for _, b := range ipv4Table {
			if b.prefix.Contains(ip) {
				return fmt.Sprintf("%s %s", b.name, b.prefix)
			}
		}
		return ""
	}
	for _, b := range ipv6Table {
		if !b.prefix.Contains(ip) {
			continue
		}
		if b.embedded == nil {
			return fmt.Sprintf("%s %s", b.name, b.prefix)
		}
		v4 := b.embedded(ip.As16())
		r := refusal(v4)
		if r == "" && b.always {
			r = "refused whatever it carries"
		}
		if r != "" {
			return fmt.Sprintf("%s %s carrying %s: %s", b.name, b.prefix, v4, r)
		}
		return ""
	}
	// IPv6's global unicast space (IPv6 Address Space registry): nothing
	// outside it is reached but the IPv4 spellings above.
	if !globalUnicast.Contains(ip) {
		return "outside Global Unicast " + globalUnicast.String()
	}
	return ""
}

// addressError is a refusal to reach an address.
type addressError struct {
	ip     netip.Addr
	reason string
}

// Error keeps the words "private address", Beacon's name for everything
// BEACON_WEBHOOK_ALLOW_PRIVATE lets through, and then says exactly which
// block the address is in.
func (e *addressError) Error() string {
	return fmt.Sprintf("refused: %s is a private address (not global unicast: %s)", e.ip, e.reason)
}

func (e *addressError) Is(target error) bool { return target == ErrForbiddenAddress }

// checkAddr returns an *addressError when ip must not be reached.
func checkAddr(ip netip.Addr) error {
	if reason := refusal(ip); reason != "" {
		return &addressError{ip: ip, reason: reason}
	}
	return nil
}

// resolve returns the addresses of host, an IP literal (judged without a
// lookup) or a name looked up on network ("ip", "ip4" or "ip6") with r
// (net.DefaultResolver when nil). It refuses the host when any address is
// forbidden, not just the one that would be dialled first: a name whose
// addresses are mixed is refused at sign-up and at connect time alike, so
// that the answer does not depend on which address the dialler happens to
// pick. The error wraps ErrForbiddenAddress, or is the resolver's.
func resolve(ctx context.Context, r Resolver, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := checkAddr(ip); err != nil {
			return nil, err
		}
		return []netip.Addr{ip}, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, network, host)
	if err != nil {
		return nil, fmt.Errorf("webhook: resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("webhook: resolve %s: no addresses", host)
	}
	for _, ip := range ips {
		if err := checkAddr(ip); err != nil {
			return nil, fmt.Errorf("webhook: %s resolves to a forbidden address: %w", host, err)
		}
	}
	return ips, nil
}

// dialFunc connects to an address; (*net.Dialer).DialContext is one.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// minAttempt is the least time one address is given when a name has several
// and the deadline is shared between them, as net.Dialer does.
const minAttempt = 2 * time.Second

// guardedDial returns the DialContext of the webhook transport. Unless
// allowPrivate it resolves the host itself with r, judges every address,
// and hands dial only IP literals it has judged, one after another until
// one connects: what is dialled is exactly what was judged, with no second
// lookup in between for a rebinding name to change its answer. dial is
// expected to judge the address again (control) as a last line.
func guardedDial(allowPrivate bool, r Resolver, dial dialFunc) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if allowPrivate {
			return dial(ctx, network, address)
		}
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("refused: cannot parse dial address %q: %w", address, ErrForbiddenAddress)}
		}
		lookup := "ip"
		switch network {
		case "tcp4":
			lookup = "ip4"
		case "tcp6":
			lookup = "ip6"
		}
		ips, err := resolve(ctx, r, lookup, host)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		var first error
		for i, ip := range ips {
			// IPv4-mapped addresses were judged as IPv4 and are dialled
			// as IPv4, as Go would anyway.
			target := net.JoinHostPort(ip.Unmap().String(), port)
			c, err := dialShare(ctx, dial, network, target, len(ips)-i)
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		return nil, first
	}
}

// dialShare dials address with its share of the time ctx has left, when
// left addresses remain to be tried, so that one that never answers leaves
// time for the next; net.Dialer shares its deadline the same way.
func dialShare(ctx context.Context, dial dialFunc, network, address string, left int) (net.Conn, error) {
	if deadline, ok := ctx.Deadline(); ok && left > 1 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, max(time.Until(deadline)/time.Duration(left), minAttempt))
		// Ending the context after a connection is made leaves the
		// connection alone (net.Dialer's contract).
		defer cancel()
	}
	return dial(ctx, network, address)
}

// control is the net.Dialer Control func used when private addresses are
// not allowed. It runs before each socket connects, with the very address
// being dialled, for every address the dialer tries: a last check behind
// guardedDial, in case a name ever reaches the dialer unjudged.
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
