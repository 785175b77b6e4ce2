// Package ids makes the short random identifiers Beacon gives its records.
package ids

import (
	"crypto/rand"
	"strconv"
	"strings"
)

// alphabet is lowercase Crockford base32: URL-safe, no i, l, o or u.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Length is the number of characters in an id, as Statuspage's (60 bits).
const Length = 12

// New returns a fresh random id of Length characters.
func New() string {
	var b [Length]byte
	rand.Read(b[:]) // never fails: see crypto/rand.Read
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b[:])
}

// Valid reports whether s has the shape of an id, so that handlers can
// answer 404 to garbage without a query.
func Valid(s string) bool {
	if len(s) != Length {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// OrEmpty returns s when it has the shape of an id, and "" otherwise: for
// a query's argument, where "" names no row either, so that the query
// finds nothing on both engines (PostgreSQL refuses some strings, NUL or
// not UTF-8, that SQLite merely finds no row for).
func OrEmpty(s string) string {
	if Valid(s) {
		return s
	}
	return ""
}

// EachOrEmpty is OrEmpty of each of list, in a new slice of its length.
func EachOrEmpty(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = OrEmpty(s)
	}
	return out
}

// Quote returns s quoted for a message about an id a caller sent: whole
// when it is short, otherwise cut after twice an id's length, so that a
// hostile caller cannot make an error echo kilobytes of its own input.
func Quote(s string) string {
	if len(s) > 2*Length {
		s = strings.ToValidUTF8(s[:2*Length], "") + "…"
	}
	return strconv.Quote(s)
}
