package sms_test

import (
	"strings"
	"testing"

	"github.com/beacon-status/beacon/notifier/sms"
)

func TestSegments(t *testing.T) {
	r := strings.Repeat
	tests := []struct {
		name         string
		body         string
		wantEncoding string
		wantSegments int
	}{
		{"empty", "", sms.GSM7, 0},
		{"short", "API degraded", sms.GSM7, 1},
		{"160 GSM characters", r("a", 160), sms.GSM7, 1},
		{"161 GSM characters", r("a", 161), sms.GSM7, 2},
		{"306 GSM characters", r("a", 306), sms.GSM7, 2},
		{"307 GSM characters", r("a", 307), sms.GSM7, 3},
		{"whole GSM alphabet, accents and Greek", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà\r\n", sms.GSM7, 1},
		{"80 euro signs are 160 septets", r("€", 80), sms.GSM7, 1},
		{"81 euro signs are 162 septets", r("€", 81), sms.GSM7, 2},
		{"extension characters count two", r("a", 158) + "{}", sms.GSM7, 2},
		{"159 septets and one extension character", r("a", 159) + "|", sms.GSM7, 2},
		// 306 septets would fit two parts of 153, but the euro sign cannot
		// straddle the first boundary.
		{"extension character not split across parts", r("a", 152) + "€" + r("a", 152), sms.GSM7, 3},
		{"70 Cyrillic characters", r("ж", 70), sms.UCS2, 1},
		{"71 Cyrillic characters", r("ж", 71), sms.UCS2, 2},
		{"134 Cyrillic characters", r("ж", 134), sms.UCS2, 2},
		{"135 Cyrillic characters", r("ж", 135), sms.UCS2, 3},
		{"one emoji turns GSM text into UCS-2", r("a", 70) + "👍", sms.UCS2, 2},
		{"35 emoji are 70 UTF-16 units", r("👍", 35), sms.UCS2, 1},
		{"36 emoji are 72 UTF-16 units", r("👍", 36), sms.UCS2, 2},
		{"emoji not split across parts", r("ж", 66) + "👍" + r("ж", 66), sms.UCS2, 3},
		{"lowercase c cedilla is not GSM", "façade", sms.UCS2, 1},
		{"curly quote is not GSM", "it’s down", sms.UCS2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, n := sms.Segments(tc.body)
			if enc != tc.wantEncoding || n != tc.wantSegments {
				t.Errorf("Segments: got %s, %d; want %s, %d", enc, n, tc.wantEncoding, tc.wantSegments)
			}
		})
	}
}
