package web

import (
	"encoding/json"
	"unicode/utf8"
)

// checkJSONText refuses a JSON body whose text is not Unicode: bytes that
// are not UTF-8, or a \u escape of half a surrogate pair ("\ud800").
// encoding/json would take either silently as U+FFFD, so the domain's own
// checks (internal/chars) could never see it. The error names the field
// of obj (the resource object, unwrapped) that holds it, when one does.
func checkJSONText(raw, obj []byte) error {
	if utf8.Valid(raw) && !loneSurrogate(raw) {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(obj, &fields) == nil {
		for name, value := range fields {
			if !utf8.Valid(value) || loneSurrogate(value) {
				return Unprocessable(name, "must be valid UTF-8 text without unpaired surrogate escapes")
			}
		}
	}
	return badRequest("the body must be valid UTF-8 text without unpaired surrogate escapes")
}

// loneSurrogate reports whether JSON text b holds a \u escape of a
// surrogate that is not a high one followed by a low one. Backslashes
// occur only inside strings in JSON, so no tokenizing is needed.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character, which may itself be a backslash
		if i >= len(b) || b[i] != 'u' {
			continue
		}
		r := hex4(b[i+1:])
		switch {
		case r >= 0xd800 && r <= 0xdbff:
			if lo := b[i+5:]; len(lo) >= 6 && lo[0] == '\\' && lo[1] == 'u' {
				if r2 := hex4(lo[2:]); r2 >= 0xdc00 && r2 <= 0xdfff {
					i += 10
					continue
				}
			}
			return true
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		}
	}
	return false
}

// hex4 reads four hexadecimal digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}
