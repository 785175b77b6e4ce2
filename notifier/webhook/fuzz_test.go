package webhook

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
)

// FuzzValidateURLParse checks the form of arbitrary URLs with private
// addresses allowed, so nothing is looked up: ValidateURL never panics,
// refuses with ErrInvalidURL only, and what it accepts is an http or https
// URL with a host, no user information, a port in range and at most
// MaxURLLength bytes.
func FuzzValidateURLParse(f *testing.F) {
	for _, seed := range []string{
		"https://example.com/hook",
		"http://example.com:8080/a?b=c#d",
		"https://user:pass@example.com/",
		"ftp://example.com/",
		"https://:443/",
		"https://example.com:0/",
		"https://example.com:65536/",
		"http://[::1]:80/",
		"http://[fe80::1%25eth0]/",
		"https://example.com%2F@evil.example/",
		"//example.com/",
		"HTTPS://EXAMPLE.COM",
		"http://127.0.0.1:99999999999999999999/",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := ValidateURL(context.Background(), raw, true)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q): %v, want an error wrapping ErrInvalidURL", raw, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		switch {
		case perr != nil:
			t.Fatalf("ValidateURL accepted %q, which url.Parse refuses: %v", raw, perr)
		case len(raw) > MaxURLLength:
			t.Fatalf("ValidateURL accepted %d bytes, more than %d", len(raw), MaxURLLength)
		case u.Scheme != "http" && u.Scheme != "https":
			t.Fatalf("ValidateURL accepted %q with scheme %q", raw, u.Scheme)
		case u.Hostname() == "":
			t.Fatalf("ValidateURL accepted %q without a host", raw)
		case u.User != nil:
			t.Fatalf("ValidateURL accepted %q with user information", raw)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("ValidateURL accepted %q with port %q", raw, p)
			}
		}
	})
}

// cgnatPrefix is RFC 6598's shared address space.
var cgnatPrefix = netip.MustParsePrefix("100.64.0.0/10")

// FuzzValidateURLAddress checks webhook URLs whose host is an IP literal
// built from the fuzzer's bytes, with private addresses refused. Only IP
// literals reach ValidateURL, so nothing is looked up. An address it
// accepts must be global unicast (not unspecified, loopback, link-local,
// multicast or broadcast), and neither private nor shared (carrier-grade
// NAT), judged as the IPv4 address an IPv4-mapped one maps to.
func FuzzValidateURLAddress(f *testing.F) {
	for _, seed := range []struct {
		addr   []byte
		zone   string
		port   uint16
		scheme bool
	}{
		{[]byte{93, 184, 216, 34}, "", 443, true},
		{[]byte{127, 0, 0, 1}, "", 80, false},
		{[]byte{10, 1, 2, 3}, "", 0, true},
		{[]byte{169, 254, 169, 254}, "", 80, false},
		{[]byte{100, 64, 0, 1}, "", 0, true},
		{[]byte{192, 168, 0, 1}, "", 8080, false},
		{[]byte{0, 0, 0, 0}, "", 0, true},
		{[]byte{224, 0, 0, 1}, "", 0, true},
		{netip.MustParseAddr("::ffff:127.0.0.1").AsSlice(), "", 0, true},
		{netip.MustParseAddr("::1").AsSlice(), "", 0, true},
		{netip.MustParseAddr("fe80::1").AsSlice(), "eth0", 0, true},
		{netip.MustParseAddr("fc00::1").AsSlice(), "", 0, true},
		{netip.MustParseAddr("2606:4700::1111").AsSlice(), "", 443, true},
		{netip.MustParseAddr("ff02::1").AsSlice(), "", 0, true},
	} {
		f.Add(seed.addr, seed.zone, seed.port, seed.scheme)
	}
	f.Fuzz(func(t *testing.T, b []byte, zone string, port uint16, https bool) {
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		if ip.Is6() && zone != "" {
			ip = ip.WithZone(zone)
		}
		host := ip.String()
		if ip.Is6() {
			host = "[" + host + "]"
		}
		scheme := "http"
		if https {
			scheme = "https"
		}
		u := &url.URL{Scheme: scheme, Host: host, Path: "/hook"}
		if port != 0 {
			u.Host += ":" + strconv.Itoa(int(port))
		}
		raw := u.String()
		// Never let a name through: ValidateURL would look it up.
		parsed, err := url.Parse(raw)
		if err != nil {
			return
		}
		if _, err := netip.ParseAddr(parsed.Hostname()); err != nil {
			return
		}
		if err := ValidateURL(context.Background(), raw, false); err != nil {
			if !errors.Is(err, ErrForbiddenAddress) && !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q): %v, want ErrForbiddenAddress or ErrInvalidURL", raw, err)
			}
			return
		}
		a := ip.Unmap().WithZone("")
		switch {
		case !a.IsGlobalUnicast():
			t.Fatalf("ValidateURL accepted %q: %s is not global unicast", raw, a)
		case a.IsPrivate():
			t.Fatalf("ValidateURL accepted %q: %s is private", raw, a)
		case cgnatPrefix.Contains(a):
			t.Fatalf("ValidateURL accepted %q: %s is shared address space", raw, a)
		}
	})
}
