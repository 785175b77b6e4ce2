package emailaddr_test

import (
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/emailaddr"
)

func TestNormalise(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	for _, tc := range []struct {
		name, in, want string // want "" means refused
	}{
		{"plain", "alice@example.com", "alice@example.com"},
		{"upper case", "Alice@Example.COM", "alice@example.com"},
		{"spaces around", "  bob@example.org \t", "bob@example.org"},
		{"plus tag", "ops+status@example.com", "ops+status@example.com"},
		{"dots in the local part", "first.last@example.com", "first.last@example.com"},
		{"subdomain", "a@mail.eu.example.com", "a@mail.eu.example.com"},
		{"hyphen inside a label", "a@my-company.example", "a@my-company.example"},
		{"digits in labels", "a@123.example.com", "a@123.example.com"},
		{"unicode domain", "a@bücher.de", "a@xn--bcher-kva.de"},
		{"unicode domain in capitals", "a@BÜCHER.de", "a@xn--bcher-kva.de"},
		{"a-label domain", "a@xn--bcher-kva.de", "a@xn--bcher-kva.de"},
		{"label of 63", "a@" + long63 + ".com", "a@" + long63 + ".com"},
		{"new tld", "a@example.photography", "a@example.photography"},

		{"blank", "", ""},
		{"no at", "alice.example.com", ""},
		{"no local part", "@example.com", ""},
		{"no domain", "alice@", ""},
		{"no dot in the domain", "alice@localhost", ""},
		{"ipv4 domain literal", "a@[127.0.0.1]", ""},
		{"ipv6 domain literal", "a@[IPv6:::1]", ""},
		{"dotted ipv4 host", "a@127.0.0.1", ""},
		{"leading hyphen", "a@-b.com", ""},
		{"trailing hyphen", "a@b-.com", ""},
		{"hyphens in positions 3 and 4", "a@ab--cd.com", ""},
		{"underscore in the domain", "a@my_host.example.com", ""},
		{"label of 64", "a@" + long63 + "a.com", ""},
		{"domain over 253", "a@" + strings.Repeat(long63+".", 4) + "com", ""},
		{"empty label", "a@example..com", ""},
		{"trailing dot", "a@example.com.", ""},
		{"leading dot", "a@.example.com", ""},
		{"display name", "Alice <alice@example.com>", ""},
		{"two ats", "a@b@example.com", ""},
		{"space inside", "a b@example.com", ""},
		{"header injection", "a@example.com\r\nBcc: b@example.com", ""},
		{"local part over 64", strings.Repeat("x", 65) + "@example.com", ""},
		{"address over 254", strings.Repeat("x", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 10) + ".com", ""},
		{"non-ascii local part", "jörg@example.com", ""},
		{"invalid punycode", "a@xn--a.com", ""},
		{"comment", "a(comment)@example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := emailaddr.Normalise(tc.in)
			if tc.want == "" {
				if err == nil || got != "" {
					t.Errorf("Normalise(%q) = %q, %v; want an error", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Normalise(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
