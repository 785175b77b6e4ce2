package sms

import (
	"strings"
	"unicode/utf16"
)

// The encodings Segments reports.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// gsmBasic is the GSM 03.38 default alphabet, less the escape character;
// gsmExtension holds the characters sent as escape plus one septet.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// Segments returns the encoding an SMS with this body is sent in, GSM7 when
// every character is in the GSM 03.38 alphabet and UCS2 otherwise, and the
// number of segments it is billed as: one for up to 160 septets (GSM-7, an
// extension character such as € or { counting two) or 70 UTF-16 units
// (UCS-2, an emoji counting two); beyond that, parts of 153 septets or 67
// units, where a character never straddles two parts. An empty body is 0
// segments.
func Segments(body string) (encoding string, segments int) {
	if body == "" {
		return GSM7, 0
	}
	for _, r := range body {
		if gsmSeptets(r) == 0 {
			return UCS2, count(body, 70, 67, ucs2Units)
		}
	}
	return GSM7, count(body, 160, 153, gsmSeptets)
}

// count returns how many segments body takes when one segment holds single
// units and each part of a longer message holds part units.
func count(body string, single, part int, width func(rune) int) int {
	total := 0
	for _, r := range body {
		total += width(r)
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, r := range body {
		w := width(r)
		if used+w > part {
			n++
			used = 0
		}
		used += w
	}
	return n
}

// gsmSeptets is the number of septets r takes in GSM-7, 0 when it has none.
func gsmSeptets(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

// ucs2Units is the number of UTF-16 code units r takes.
func ucs2Units(r rune) int {
	if utf16.RuneLen(r) == 2 {
		return 2
	}
	return 1
}
