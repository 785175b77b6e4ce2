package subscribers

import (
	"net/mail"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// emailDomains checks and converts the domain of an email address: UTS 46
// mapping as for a lookup (so "Bücher.DE" is "bücher.de"), letters, digits
// and hyphens only (no underscore, no hyphen at either end of a label),
// labels of 1 to 63 octets and at most 253 in all, and the bidi rule.
// A Profile is immutable: sharing one is safe.
var emailDomains = idna.New(idna.MapForLookup(), idna.VerifyDNSLength(true), idna.BidiRule())

// NormaliseEmail validates an email address typed into the API, the
// sign-up form, the console or a CSV file and returns the form Beacon
// stores: lower case, with its domain in ASCII (A-label, "xn--…") form so
// that any SMTP server can deliver to it and the Unicode and ASCII
// spellings of one domain are one subscriber. It refuses display names,
// domain literals ("a@[127.0.0.1]"), host names that are no domain name
// ("a@-b.com", "a@localhost", "a@127.0.0.1") and non-ASCII local parts
// (which need SMTPUTF8, which many servers lack). The error is a
// *ValidationError on "email".
func NormaliseEmail(raw string) (string, error) {
	addr := strings.TrimSpace(raw)
	if addr == "" {
		return "", invalid("email", "can't be blank")
	}
	if len(addr) > 254 {
		return "", invalid("email", "is too long (maximum is 254 characters)")
	}
	bad := invalid("email", "is not a valid email address")
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return "", bad
	}
	at := strings.LastIndex(addr, "@")
	local, domain := addr[:at], addr[at+1:]
	if local == "" || len(local) > 64 {
		return "", bad
	}
	for _, r := range local {
		if r > 0x7e || r < 0x21 {
			return "", invalid("email", "must have a plain ASCII part before the @")
		}
	}
	if strings.HasPrefix(domain, "[") {
		return "", invalid("email", "must name a domain after the @, not an IP address")
	}
	ascii, err := emailDomains.ToASCII(domain)
	if err != nil || ascii == "" {
		return "", invalid("email", "has an invalid domain name after the @")
	}
	ascii = strings.ToLower(ascii)
	labels := strings.Split(ascii, ".")
	if slices.Contains(labels, "") {
		return "", invalid("email", "has an invalid domain name after the @")
	}
	if len(labels) < 2 {
		return "", invalid("email", "must have a domain with a dot after the @, such as example.com")
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		// No top-level domain is numeric: this is an IP address.
		return "", invalid("email", "must name a domain after the @, not an IP address")
	}
	return strings.ToLower(local) + "@" + ascii, nil
}
