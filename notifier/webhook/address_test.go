package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// stubResolver answers lookups from a table, so that no query leaves the
// machine. A name with several answers gives them in turn, the last one
// from then on: a name that rebinds. Like DNS it ignores case and a
// trailing dot. It records every name it is asked.
type stubResolver struct {
	answers map[string][][]netip.Addr
	mu      sync.Mutex
	asked   []string
}

func (r *stubResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	if network != "ip" {
		return nil, errors.New("stub resolver: only network ip is served")
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.asked {
		if a == name {
			n++
		}
	}
	r.asked = append(r.asked, name)
	answers, ok := r.answers[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return answers[min(n, len(answers)-1)], nil
}

// addrs parses addresses for a stub answer.
func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// newStub returns a resolver that knows the names of TestAddressPolicy.
// The numeric names are answered as glibc's getaddrinfo answers them
// (inet_aton's octal, hex and short forms), which is what a cgo resolver
// hands back; Go's own resolver would send them to DNS instead.
func newStub() *stubResolver {
	return &stubResolver{answers: map[string][][]netip.Addr{
		"hooks.example.com":  {addrs("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")},
		"v4only.example.com": {addrs("8.8.8.8")},
		"mapped.example.com": {addrs("::ffff:8.8.8.8")},
		"localhost":          {addrs("127.0.0.1", "::1")},
		"mixed.example.com":  {addrs("93.184.216.34", "10.0.0.5")},
		"mixed6.example.com": {addrs("2606:4700:4700::1111", "fd00::5")},
		"metadata.internal":  {addrs("169.254.169.254")},
		"cgnat.example.com":  {addrs("100.64.1.1")},
		"nat64.example.com":  {addrs("64:ff9b::a00:1")},
		"dns64.example.com":  {addrs("64:ff9b::808:808")},
		"bench.example.com":  {addrs("198.18.0.1")},
		"zero.example.com":   {addrs("0.0.0.0")},
		"empty.example.com":  {{}},
		"2130706433":         {addrs("127.0.0.1")},
		"0x7f.1":             {addrs("127.0.0.1")},
		"127.1":              {addrs("127.0.0.1")},
		"0177.0.0.1":         {addrs("127.0.0.1")},
		"0x7f000001":         {addrs("127.0.0.1")},
		"010.0.0.1":          {addrs("8.0.0.1")},
		"proxy.example.com":  {addrs("93.184.216.99")},
	}}
}

// recorder is a dial func that records each address it is asked to
// connect to and connects to none.
type recorder struct {
	mu    sync.Mutex
	dials []string
}

var errNotConnecting = errors.New("recorder: not connecting")

func (r *recorder) dial(_ context.Context, network, address string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dials = append(r.dials, network+" "+address)
	return nil, errNotConnecting
}

func (r *recorder) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.dials)
}

// decision is what becomes of a webhook URL.
type decision string

const (
	allowed    decision = "allowed"
	forbidden  decision = "forbidden"  // ErrForbiddenAddress
	invalidURL decision = "invalid"    // ErrInvalidURL
	unresolved decision = "unresolved" // the resolver's error
)

// addressCases are the URLs every address test runs: each judged at
// sign-up (Policy.ValidateURL) and again as the sender connects, through
// the stub resolver. dial lists, for an allowed URL, every address the
// sender must hand its dialer, in order.
var addressCases = []struct {
	name         string
	url          string
	allowPrivate bool
	want         decision
	dial         []string
}{
	// Global unicast, allowed.
	{name: "public IPv4", url: "http://93.184.216.34/hook", want: allowed, dial: []string{"93.184.216.34:80"}},
	{name: "public IPv4 https with port", url: "https://8.8.8.8:8443/hook", want: allowed, dial: []string{"8.8.8.8:8443"}},
	{name: "public IPv6 bracketed", url: "https://[2606:4700:4700::1111]/hook", want: allowed, dial: []string{"[2606:4700:4700::1111]:443"}},
	{name: "just below shared space", url: "http://100.63.255.255/", want: allowed, dial: []string{"100.63.255.255:80"}},
	{name: "just above shared space", url: "http://100.128.0.0/", want: allowed, dial: []string{"100.128.0.0:80"}},
	{name: "just below 172.16/12", url: "http://172.15.255.255/", want: allowed, dial: []string{"172.15.255.255:80"}},
	{name: "just above 172.16/12", url: "http://172.32.0.0/", want: allowed, dial: []string{"172.32.0.0:80"}},
	{name: "just below benchmarking", url: "http://198.17.255.255/", want: allowed, dial: []string{"198.17.255.255:80"}},
	{name: "just above benchmarking", url: "http://198.20.0.0/", want: allowed, dial: []string{"198.20.0.0:80"}},
	{name: "last address below multicast", url: "http://223.255.255.255/", want: allowed, dial: []string{"223.255.255.255:80"}},
	{name: "next to 192.0.0.0/24", url: "http://192.0.1.1/", want: allowed, dial: []string{"192.0.1.1:80"}},
	{name: "IPv6 just past IETF protocol assignments", url: "http://[2001:200::1]/", want: allowed, dial: []string{"[2001:200::1]:80"}},
	{name: "IPv6 just past 3fff::/20", url: "http://[3fff:1000::1]/", want: allowed, dial: []string{"[3fff:1000::1]:80"}},
	{name: "IPv4-mapped public", url: "http://[::ffff:93.184.216.34]/", want: allowed, dial: []string{"93.184.216.34:80"}},
	{name: "NAT64 with public IPv4", url: "http://[64:ff9b::5db8:d822]/", want: allowed, dial: []string{"[64:ff9b::5db8:d822]:80"}},
	{name: "6to4 with public IPv4", url: "http://[2002:5db8:d822::1]/", want: allowed, dial: []string{"[2002:5db8:d822::1]:80"}},
	{name: "Teredo with public client", url: "http://[2001:0:4136:e378:8000:63bf:a247:27dd]/", want: allowed,
		dial: []string{"[2001:0:4136:e378:8000:63bf:a247:27dd]:80"}},
	{name: "name with public v4 and v6", url: "https://hooks.example.com/hook", want: allowed,
		dial: []string{"93.184.216.34:443", "[2606:2800:220:1:248:1893:25c8:1946]:443"}},
	{name: "trailing-dot name", url: "https://hooks.example.com./hook", want: allowed,
		dial: []string{"93.184.216.34:443", "[2606:2800:220:1:248:1893:25c8:1946]:443"}},
	{name: "upper-case name", url: "http://V4ONLY.Example.COM/", want: allowed, dial: []string{"8.8.8.8:80"}},
	{name: "name resolving to a mapped public address", url: "http://mapped.example.com/", want: allowed, dial: []string{"8.8.8.8:80"}},
	{name: "name resolving to a DNS64 public address", url: "http://dns64.example.com/", want: allowed, dial: []string{"[64:ff9b::808:808]:80"}},
	{name: "octal quad resolving to a public address", url: "http://010.0.0.1/", want: allowed, dial: []string{"8.0.0.1:80"}},

	// The holes issue 10 found: each was accepted and dialled.
	{name: "this network 0/8", url: "http://0.1.2.3/", want: forbidden},
	{name: "this host 0.0.0.0", url: "http://0.0.0.0/", want: forbidden},
	{name: "benchmarking 198.18/15", url: "http://198.18.0.1/", want: forbidden},
	{name: "benchmarking upper half", url: "http://198.19.255.254/", want: forbidden},
	{name: "reserved 240/4", url: "http://240.0.0.1/", want: forbidden},
	{name: "reserved near its top", url: "http://254.255.255.255/", want: forbidden},
	{name: "limited broadcast", url: "http://255.255.255.255/", want: forbidden},
	{name: "IPv4-compatible loopback", url: "http://[::127.0.0.1]/", want: forbidden},
	{name: "IPv4-compatible private", url: "http://[::10.0.0.1]/", want: forbidden},
	{name: "IPv4-compatible public, deprecated", url: "http://[::93.184.216.34]/", want: forbidden},
	{name: "NAT64 loopback", url: "http://[64:ff9b::127.0.0.1]/", want: forbidden},
	{name: "NAT64 private", url: "http://[64:ff9b::a00:1]/", want: forbidden},
	{name: "NAT64 metadata", url: "http://[64:ff9b::a9fe:a9fe]/", want: forbidden},
	{name: "6to4 private", url: "http://[2002:a00:1::1]/", want: forbidden},
	{name: "6to4 loopback", url: "http://[2002:7f00:1::]/", want: forbidden},
	{name: "6to4 192.168", url: "http://[2002:c0a8:101::1]/", want: forbidden},

	// The rest of the special-purpose registries.
	{name: "private 10/8", url: "http://10.0.0.1/", want: forbidden},
	{name: "private 172.16/12", url: "http://172.31.255.255/", want: forbidden},
	{name: "private 192.168/16", url: "http://192.168.1.1/", want: forbidden},
	{name: "shared address space", url: "http://100.64.0.1/", want: forbidden},
	{name: "loopback", url: "http://127.0.0.1/", want: forbidden},
	{name: "loopback elsewhere in 127/8", url: "http://127.1.2.3:8080/", want: forbidden},
	{name: "link local metadata", url: "http://169.254.169.254/latest/meta-data/", want: forbidden},
	{name: "IETF protocol assignments", url: "http://192.0.0.1/", want: forbidden},
	{name: "PCP anycast", url: "http://192.0.0.9/", want: forbidden},
	{name: "TURN anycast", url: "http://192.0.0.10/", want: forbidden},
	{name: "NAT64 discovery", url: "http://192.0.0.170/", want: forbidden},
	{name: "TEST-NET-1", url: "http://192.0.2.1/", want: forbidden},
	{name: "TEST-NET-2", url: "http://198.51.100.7/", want: forbidden},
	{name: "TEST-NET-3", url: "http://203.0.113.9/", want: forbidden},
	{name: "AS112-v4", url: "http://192.31.196.1/", want: forbidden},
	{name: "AMT", url: "http://192.52.193.1/", want: forbidden},
	{name: "6to4 relay anycast", url: "http://192.88.99.1/", want: forbidden},
	{name: "direct delegation AS112", url: "http://192.175.48.1/", want: forbidden},
	{name: "multicast", url: "http://224.0.0.1/", want: forbidden},
	{name: "multicast top", url: "http://239.255.255.250/", want: forbidden},
	{name: "IPv6 loopback", url: "http://[::1]/", want: forbidden},
	{name: "IPv6 unspecified", url: "http://[::]/", want: forbidden},
	{name: "IPv4-mapped loopback", url: "http://[::ffff:127.0.0.1]/", want: forbidden},
	{name: "IPv4-mapped loopback in hex", url: "http://[::ffff:7f00:1]/", want: forbidden},
	{name: "IPv4-mapped private", url: "http://[::ffff:10.1.2.3]/", want: forbidden},
	{name: "IPv4-mapped benchmarking", url: "http://[::ffff:198.18.0.1]/", want: forbidden},
	{name: "local-use NAT64 with public IPv4", url: "http://[64:ff9b:1::5db8:d822]/", want: forbidden},
	{name: "discard-only", url: "http://[100::1]/", want: forbidden},
	{name: "dummy IPv6 prefix", url: "http://[100:0:0:1::1]/", want: forbidden},
	{name: "Teredo with private client", url: "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", want: forbidden},
	{name: "Teredo with loopback client", url: "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", want: forbidden},
	{name: "IPv6 PCP anycast", url: "http://[2001:1::1]/", want: forbidden},
	{name: "IPv6 benchmarking", url: "http://[2001:2::1]/", want: forbidden},
	{name: "IPv6 AMT", url: "http://[2001:3::1]/", want: forbidden},
	{name: "AS112-v6", url: "http://[2001:4:112::1]/", want: forbidden},
	{name: "ORCHID", url: "http://[2001:10::1]/", want: forbidden},
	{name: "ORCHIDv2", url: "http://[2001:20::1]/", want: forbidden},
	{name: "drone entity tags", url: "http://[2001:30::1]/", want: forbidden},
	{name: "rest of IETF protocol assignments", url: "http://[2001:100::1]/", want: forbidden},
	{name: "IPv6 documentation", url: "http://[2001:db8::1]/", want: forbidden},
	{name: "IPv6 documentation 3fff::/20", url: "http://[3fff::1]/", want: forbidden},
	{name: "IPv6 direct delegation AS112", url: "http://[2620:4f:8000::1]/", want: forbidden},
	{name: "SRv6 SIDs", url: "http://[5f00::1]/", want: forbidden},
	{name: "unique local", url: "http://[fd00::1]/", want: forbidden},
	{name: "unique local fc", url: "http://[fc00::1]/", want: forbidden},
	{name: "IPv6 link-local", url: "http://[fe80::1]/", want: forbidden},
	{name: "IPv6 link-local with zone", url: "http://[fe80::1%25eth0]/", want: forbidden},
	{name: "public IPv6 with a zone", url: "http://[2606:4700:4700::1111%25eth0]/", want: forbidden},
	{name: "site-local", url: "http://[fec0::1]/", want: forbidden},
	{name: "IPv6 multicast", url: "http://[ff02::1]/", want: forbidden},
	{name: "outside global unicast", url: "http://[4000::1]/", want: forbidden},

	// Names, through the stub resolver.
	{name: "localhost", url: "http://localhost/hook", want: forbidden},
	{name: "localhost with trailing dot", url: "http://localhost./hook", want: forbidden},
	{name: "name with a public and a private address", url: "http://mixed.example.com/", want: forbidden},
	{name: "name with a public and a unique-local address", url: "http://mixed6.example.com/", want: forbidden},
	{name: "name resolving to metadata", url: "http://metadata.internal/", want: forbidden},
	{name: "name resolving to shared space", url: "http://cgnat.example.com/", want: forbidden},
	{name: "name resolving to private NAT64", url: "http://nat64.example.com/", want: forbidden},
	{name: "name resolving to benchmarking", url: "http://bench.example.com/", want: forbidden},
	{name: "name resolving to 0.0.0.0", url: "http://zero.example.com/", want: forbidden},
	{name: "decimal IPv4", url: "http://2130706433/", want: forbidden},
	{name: "short hex IPv4", url: "http://0x7f.1/", want: forbidden},
	{name: "short IPv4", url: "http://127.1/", want: forbidden},
	{name: "octal IPv4", url: "http://0177.0.0.1/", want: forbidden},
	{name: "hex IPv4", url: "http://0x7f000001/", want: forbidden},
	{name: "name with no addresses", url: "http://empty.example.com/", want: unresolved},
	{name: "unknown name", url: "http://nowhere.example.com/", want: unresolved},

	// Form.
	{name: "ftp", url: "ftp://93.184.216.34/", want: invalidURL},
	{name: "user info", url: "http://user@93.184.216.34/", want: invalidURL},
	{name: "no host", url: "http:///hook", want: invalidURL},
	{name: "unclosed bracket", url: "http://[::1/hook", want: invalidURL},
	{name: "bad zone escape", url: "http://[fe80::1%eth0]/", want: invalidURL},
	{name: "port zero", url: "http://93.184.216.34:0/", want: invalidURL},

	// BEACON_WEBHOOK_ALLOW_PRIVATE: nothing is judged, the dialer gets
	// the URL's own host.
	{name: "loopback allowed", url: "http://127.0.0.1:8080/", allowPrivate: true, want: allowed, dial: []string{"127.0.0.1:8080"}},
	{name: "localhost allowed", url: "http://localhost/", allowPrivate: true, want: allowed, dial: []string{"localhost:80"}},
	{name: "ftp still refused", url: "ftp://127.0.0.1/", allowPrivate: true, want: invalidURL},
}

// decide classifies err as one of the decisions.
func decide(err error) decision {
	switch {
	case err == nil:
		return allowed
	case errors.Is(err, ErrForbiddenAddress):
		return forbidden
	case errors.Is(err, ErrInvalidURL):
		return invalidURL
	}
	return unresolved
}

func TestAddressPolicyAtSignUp(t *testing.T) {
	if n := len(addressCases); n < 60 {
		t.Fatalf("%d cases, want at least 60", n)
	}
	for _, tt := range addressCases {
		t.Run(tt.name, func(t *testing.T) {
			stub := newStub()
			err := Policy{AllowPrivate: tt.allowPrivate, Resolver: stub}.ValidateURL(context.Background(), tt.url)
			if got := decide(err); got != tt.want {
				t.Errorf("ValidateURL(%s) = %v (%s), want %s", tt.url, err, got, tt.want)
			}
			u, perr := url.Parse(tt.url)
			if perr != nil {
				return
			}
			// An IP literal is judged as it is, with no lookup: the
			// literals of the table need no resolver.
			if _, lerr := netip.ParseAddr(u.Hostname()); lerr == nil && len(stub.asked) != 0 {
				t.Errorf("literal %s was looked up: %v", u.Hostname(), stub.asked)
			}
		})
	}
}

// TestAddressPolicyAtConnect sends to every URL of the table through a
// sender whose dialer records instead of connecting: a refused URL must
// reach the dialer with no address at all, an allowed one with exactly
// the addresses judged.
func TestAddressPolicyAtConnect(t *testing.T) {
	for _, tt := range addressCases {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := newWithDial(Config{AllowPrivate: tt.allowPrivate, Resolver: newStub(), Timeout: 5 * time.Second}, rec.dial)
			_, err := s.Send(context.Background(), notifier.Message{To: tt.url, Body: []byte("{}")})
			se := sendError(t, err)
			var want []string
			for _, d := range tt.dial {
				want = append(want, "tcp "+d)
			}
			if got := rec.recorded(); !slices.Equal(got, want) {
				t.Errorf("dialled %q, want %q", got, want)
			}
			switch tt.want {
			case allowed:
				if !errors.Is(err, errNotConnecting) {
					t.Errorf("err = %v, want the recorder's", err)
				}
			case forbidden, invalidURL:
				if got := decide(err); got != tt.want {
					t.Errorf("err = %v (%s), want %s", err, got, tt.want)
				}
				if !se.Permanent {
					t.Errorf("Permanent = false, want true (err %v)", err)
				}
			case unresolved:
				if got := decide(err); got != unresolved || se.Permanent {
					t.Errorf("err = %v (%s, permanent %v), want a temporary resolver error", err, got, se.Permanent)
				}
			}
		})
	}
}

// TestControl runs the dialer's last check on every literal of the table:
// it must agree with the sign-up decision.
func TestControl(t *testing.T) {
	for _, tt := range addressCases {
		u, err := url.Parse(tt.url)
		if err != nil || tt.allowPrivate || (tt.want != allowed && tt.want != forbidden) {
			continue
		}
		if _, err := netip.ParseAddr(u.Hostname()); err != nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			err := control("tcp", net.JoinHostPort(u.Hostname(), "443"), nil)
			if got := decide(err); got != tt.want {
				t.Errorf("control(%s) = %v (%s), want %s", u.Hostname(), err, got, tt.want)
			}
		})
	}
}

// TestRefusalNamesBlock checks that a refusal names the registry block,
// the narrowest one, and for the IPv4 spellings the IPv4 address carried.
func TestRefusalNamesBlock(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"0.0.0.0", `"This host on this network" 0.0.0.0/32`},
		{"0.1.2.3", `"This network" 0.0.0.0/8`},
		{"10.1.1.1", "Private-Use 10.0.0.0/8"},
		{"100.100.0.1", "Shared Address Space 100.64.0.0/10"},
		{"192.0.0.9", "Port Control Protocol Anycast 192.0.0.9/32"},
		{"192.0.0.200", "IETF Protocol Assignments 192.0.0.0/24"},
		{"198.18.7.7", "Benchmarking 198.18.0.0/15"},
		{"255.255.255.255", "Limited Broadcast 255.255.255.255/32"},
		{"240.1.1.1", "Reserved 240.0.0.0/4"},
		{"::ffff:192.168.0.1", "IPv4-mapped Address ::ffff:0.0.0.0/96 carrying 192.168.0.1: Private-Use 192.168.0.0/16"},
		{"::127.0.0.1", "IPv4-compatible Address (deprecated) ::/96 carrying 127.0.0.1: Loopback 127.0.0.0/8"},
		{"::8.8.8.8", "IPv4-compatible Address (deprecated) ::/96 carrying 8.8.8.8: refused whatever it carries"},
		{"64:ff9b::c000:201", "IPv4-IPv6 Translat. 64:ff9b::/96 carrying 192.0.2.1: Documentation (TEST-NET-1) 192.0.2.0/24"},
		{"2002:c612:1::", "6to4 2002::/16 carrying 198.18.0.1: Benchmarking 198.18.0.0/15"},
		// The server (65.54.227.120) is public; the client, XORed, is 10.0.0.1.
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", "TEREDO 2001::/32 carrying 10.0.0.1: Private-Use 10.0.0.0/8"},
		{"2001:20::1", "ORCHIDv2 2001:20::/28"},
		{"2001:1ff::1", "IETF Protocol Assignments 2001::/23"},
		{"fe80::1%eth0", `scoped to zone "eth0"`},
		{"8000::1", "outside Global Unicast 2000::/3"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			if got := refusal(ip); got != tt.want {
				t.Errorf("refusal(%s) = %q, want %q", tt.addr, got, tt.want)
			}
			err := checkAddr(ip)
			if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "refused: "+ip.String()+" is a private address") {
				t.Errorf("checkAddr(%s) = %v, want a refusal naming the address", tt.addr, err)
			}
		})
	}
}

// TestSendRefusesRebinding signs a name up while it resolves to a public
// address, then sends when it resolves to a forbidden one: the sender's
// own lookup is judged, and nothing is dialled.
func TestSendRefusesRebinding(t *testing.T) {
	tests := []struct {
		name  string
		later []netip.Addr
	}{
		{"to loopback", addrs("127.0.0.1")},
		{"to a public and a private address", addrs("93.184.216.34", "10.0.0.1")},
		{"to metadata through NAT64", addrs("64:ff9b::a9fe:a9fe")},
		{"to benchmarking", addrs("198.18.0.1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := &stubResolver{answers: map[string][][]netip.Addr{
				"rebind.example.com": {addrs("93.184.216.34"), tt.later},
			}}
			const hook = "https://rebind.example.com/hooks/SECRETTOKEN"
			if err := (Policy{Resolver: stub}).ValidateURL(context.Background(), hook); err != nil {
				t.Fatalf("ValidateURL at sign-up: %v, want nil", err)
			}
			rec := &recorder{}
			s := newWithDial(Config{Resolver: stub}, rec.dial)
			_, err := s.Send(context.Background(), notifier.Message{To: hook, Body: []byte("{}")})
			se := sendError(t, err)
			if !errors.Is(err, ErrForbiddenAddress) || !se.Permanent {
				t.Errorf("err = %v (permanent %v), want a permanent ErrForbiddenAddress", err, se.Permanent)
			}
			if strings.Contains(err.Error(), "SECRETTOKEN") {
				t.Errorf("err = %q, want it not to repeat the URL", err)
			}
			if got := rec.recorded(); len(got) != 0 {
				t.Errorf("dialled %q, want nothing", got)
			}
			if want := []string{"rebind.example.com", "rebind.example.com"}; !slices.Equal(stub.asked, want) {
				t.Errorf("lookups %q, want %q (sign-up, then connect)", stub.asked, want)
			}
		})
	}
}

// TestSendIgnoresProxyEnvironment sets a proxy in the environment: the
// sender must still dial the receiver itself, judged, and never the proxy.
func TestSendIgnoresProxyEnvironment(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(k, "http://proxy.example.com:3128")
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	rec := &recorder{}
	s := newWithDial(Config{Resolver: newStub()}, rec.dial)
	if tr, ok := s.strict.Transport.(*http.Transport); !ok || tr.Proxy != nil {
		t.Fatalf("transport %T with a Proxy func, want an *http.Transport without one", s.strict.Transport)
	}
	for _, tt := range []struct {
		url  string
		want decision
		dial []string
	}{
		{"http://10.0.0.1/hook", forbidden, nil},
		{"http://v4only.example.com/hook", allowed, []string{"tcp 8.8.8.8:80"}},
	} {
		rec.dials = nil
		_, err := s.Send(context.Background(), notifier.Message{To: tt.url, Body: []byte("{}")})
		if tt.want == forbidden && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("Send(%s) = %v, want ErrForbiddenAddress", tt.url, err)
		}
		if got := rec.recorded(); !slices.Equal(got, tt.dial) {
			t.Errorf("Send(%s) dialled %q, want %q (never the proxy)", tt.url, got, tt.dial)
		}
	}
}

// TestDialShareLeavesTimeForTheNext gives the first of two addresses a
// dialer that waits for its context: it must give up within its share of
// the deadline, and the second address must be tried.
func TestDialShareLeavesTimeForTheNext(t *testing.T) {
	stub := &stubResolver{answers: map[string][][]netip.Addr{
		"two.example.com": {addrs("2606:4700:4700::1111", "8.8.8.8")},
	}}
	var mu sync.Mutex
	var tried []string
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		mu.Lock()
		tried = append(tried, address)
		mu.Unlock()
		if strings.HasPrefix(address, "[") {
			<-ctx.Done() // a black hole
			return nil, ctx.Err()
		}
		return nil, errNotConnecting
	}
	d := guardedDial(false, stub, dial)
	ctx, cancel := context.WithTimeout(context.Background(), 2*minAttempt+time.Second)
	defer cancel()
	_, err := d(ctx, "tcp", "two.example.com:443")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the first address's timeout", err)
	}
	if want := []string{"[2606:4700:4700::1111]:443", "8.8.8.8:443"}; !slices.Equal(tried, want) {
		t.Errorf("tried %q, want %q", tried, want)
	}
	if ctx.Err() != nil {
		t.Errorf("the whole deadline was spent on the first address")
	}
}
