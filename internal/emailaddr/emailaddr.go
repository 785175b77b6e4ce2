// Package emailaddr checks and normalises the email addresses Beacon is
// given: by the API, the sign-up form, the console and CSV files.
package emailaddr

import (
	"errors"
	"net/mail"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// domains checks and converts the domain of an email address: UTS 46
// mapping as for a lookup (so "Bücher.DE" is "bücher.de"), letters, digits
// and hyphens only (no underscore, no hyphen at either end of a label),
// labels of 1 to 63 octets and at most 253 in all, and the bidi rule.
// A Profile is immutable: sharing one is safe.
var domains = idna.New(idna.MapForLookup(), idna.VerifyDNSLength(true), idna.BidiRule())

// The reasons Normalise refuses an address. Their texts complete the
// sentence "email …", as the domain packages' validation messages do.
var (
	ErrBlank      = errors.New("can't be blank")
	ErrTooLong    = errors.New("is too long (maximum is 254 characters)")
	ErrInvalid    = errors.New("is not a valid email address")
	ErrLocalPart  = errors.New("must have a plain ASCII part before the @")
	ErrIPAddress  = errors.New("must name a domain after the @, not an IP address")
	ErrDomainName = errors.New("has an invalid domain name after the @")
	ErrNoDot      = errors.New("must have a domain with a dot after the @, such as example.com")
)

// Normalise validates an email address and returns the form Beacon
// stores: lower case, with its domain in ASCII (A-label, "xn--…") form so
// that any SMTP server can deliver to it and the Unicode and ASCII
// spellings of one domain are one subscriber. It refuses display names,
// domain literals ("a@[127.0.0.1]"), host names that are no domain name
// ("a@-b.com", "a@localhost", "a@127.0.0.1") and non-ASCII local parts
// (which need SMTPUTF8, which many servers lack). The error is one of the
// Err values above.
func Normalise(raw string) (string, error) {
	addr := strings.TrimSpace(raw)
	if addr == "" {
		return "", ErrBlank
	}
	if len(addr) > 254 {
		return "", ErrTooLong
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return "", ErrInvalid
	}
	at := strings.LastIndex(addr, "@")
	local, domain := addr[:at], addr[at+1:]
	if local == "" || len(local) > 64 {
		return "", ErrInvalid
	}
	for _, r := range local {
		if r > 0x7e || r < 0x21 {
			return "", ErrLocalPart
		}
	}
	if strings.HasPrefix(domain, "[") {
		return "", ErrIPAddress
	}
	ascii, err := domains.ToASCII(domain)
	if err != nil || ascii == "" {
		return "", ErrDomainName
	}
	ascii = strings.ToLower(ascii)
	labels := strings.Split(ascii, ".")
	if slices.Contains(labels, "") {
		return "", ErrDomainName
	}
	if len(labels) < 2 {
		return "", ErrNoDot
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		// No top-level domain is numeric: this is an IP address.
		return "", ErrIPAddress
	}
	return strings.ToLower(local) + "@" + ascii, nil
}
