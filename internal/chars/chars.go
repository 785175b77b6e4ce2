// Package chars is Beacon's one rule for which characters staff-written text
// may hold. Names and other one-line values are refused (CheckLine) when they
// hold control characters, Unicode noncharacters, bidirectional formatting
// characters or bytes that are not UTF-8; multi-line plain text (CheckText)
// may also hold tabs and line breaks. Markdown bodies are cleaned rather than
// refused (Clean): a paste from a terminal should not lose an on-call
// engineer's update at 3 a.m.
//
// The writers of pages, feeds and messages clean what they write as well
// (Clean, CleanLine), whatever the database holds: rows written before
// these rules, or by hand. What the rules keep out is exactly what XML 1.0
// forbids (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; surrogates) and
// what HTML parses as an error (C0 and C1 controls, DEL, noncharacters), so
// cleaned text is valid in both.
package chars

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// class is why a character is refused or removed.
type class int

const (
	ok         class = iota
	lineBreak        // tab, LF, CR: allowed in multi-line text
	control          // other C0 controls, DEL, C1 controls
	nonchar          // Unicode noncharacters
	bidi             // bidirectional embeddings, overrides and isolates
	separator        // U+2028 and U+2029, line breaks a renderer may honour
	invalidUTF       // a byte that does not start a valid UTF-8 sequence
)

// classify sorts r, decoded with width bytes.
func classify(r rune, width int) class {
	switch {
	case r == utf8.RuneError && width == 1:
		return invalidUTF
	case r == '\t' || r == '\n' || r == '\r':
		return lineBreak
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return control
	case r < 0x2028:
		return ok
	case r == 0x2028 || r == 0x2029:
		return separator
	case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		// An unbalanced override in a name reverses whatever follows it
		// on the line: the rest of an email subject, a feed reader's row.
		// The marks (U+200E, U+200F, U+061C) affect no neighbour and stay.
		return bidi
	case (r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe:
		return nonchar
	}
	return ok
}

// plainASCII reports whether c is printable ASCII, which every rule lets
// through without decoding: the fast path for most text.
func plainASCII(c byte) bool { return c >= 0x20 && c < 0x7f }

// CheckLine returns an error saying why s cannot be a one-line value such
// as a name or a title, or nil. The error's text reads after the field's
// name ("name must not contain …").
func CheckLine(s string) error { return check(s, false) }

// CheckText is CheckLine for multi-line plain text such as a component's
// description: tabs and line breaks (LF, CR, CRLF) are allowed too.
func CheckText(s string) error { return check(s, true) }

func check(s string, multiLine bool) error {
	for i := 0; i < len(s); {
		if plainASCII(s[i]) {
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		c := classify(r, width)
		i += width
		switch c {
		case ok:
			continue
		case lineBreak:
			if multiLine {
				continue
			}
			return fmt.Errorf("must be a single line without tabs (found %U)", r)
		case separator:
			if multiLine {
				continue
			}
			return fmt.Errorf("must be a single line (found the separator %U)", r)
		case control:
			return fmt.Errorf("must not contain control characters (found %U)", r)
		case nonchar:
			return fmt.Errorf("must not contain Unicode noncharacters (found %U)", r)
		case bidi:
			if multiLine {
				continue
			}
			return fmt.Errorf("must not contain bidirectional override or isolate characters (found %U)", r)
		case invalidUTF:
			return fmt.Errorf("must be valid UTF-8 text (found the byte %#02x)", s[i-1])
		}
	}
	return nil
}

// Clean returns multi-line text, such as a Markdown body, with every
// character CheckText refuses removed (control characters but tab and LF,
// noncharacters, bytes that are not UTF-8) and every CRLF or lone CR turned
// into LF. Text that needs no change is returned as it is, without a copy.
func Clean(s string) string { return clean(s, false) }

// CleanLine returns s made fit for one line of output, such as an email
// subject or a feed entry's title: what CheckLine refuses is removed, and
// tabs, line breaks and line separators become spaces.
func CleanLine(s string) string { return clean(s, true) }

func clean(s string, line bool) string {
	i := firstChange(s, line)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	appendClean(&b, s[i:], line)
	return b.String()
}

// CleanBytes is Clean for a rendered document, such as an HTML page, in
// place: b itself is returned when it needs no change.
func CleanBytes(b []byte) []byte {
	i := firstChange(b, false)
	if i < 0 {
		return b
	}
	out := b[:i]
	for j := i; j < len(b); {
		if plainASCII(b[j]) || b[j] == '\t' || b[j] == '\n' {
			out = append(out, b[j])
			j++
			continue
		}
		r, width := utf8.DecodeRune(b[j:])
		switch classify(r, width) {
		case ok, bidi, separator:
			// The bytes already read are never overwritten: out is at
			// most j bytes long.
			out = append(out, b[j:j+width]...)
		case lineBreak: // a CR: CRLF and lone CR become LF
			if j+1 >= len(b) || b[j+1] != '\n' {
				out = append(out, '\n')
			}
		}
		j += width
	}
	return out
}

// firstChange returns the index of the first byte of s that Clean (or
// CleanLine, when line) would change, or -1.
func firstChange[T string | []byte](s T, line bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if plainASCII(c) || (!line && (c == '\t' || c == '\n')) {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return i
		}
		var r rune
		var width int
		switch v := any(s).(type) {
		case string:
			r, width = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, width = utf8.DecodeRune(v[i:])
		}
		switch classify(r, width) {
		case ok:
		case bidi, separator:
			if line {
				return i
			}
		default:
			return i
		}
		i += width
	}
	return -1
}

// appendClean writes s cleaned to b: for one line when line.
func appendClean(b *strings.Builder, s string, line bool) {
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		switch classify(r, width) {
		case ok:
			b.WriteString(s[i-width : i])
		case bidi:
			if !line {
				b.WriteRune(r)
			}
		case separator:
			if line {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		case lineBreak:
			switch {
			case line:
				b.WriteByte(' ')
				if r == '\r' && i < len(s) && s[i] == '\n' {
					i++
				}
			case r == '\r':
				if i >= len(s) || s[i] != '\n' {
					b.WriteByte('\n')
				}
			default:
				b.WriteRune(r)
			}
		}
	}
}
