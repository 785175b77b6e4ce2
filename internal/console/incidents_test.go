package console

import "testing"

func TestMaskAddress(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"john@example.com", "j***@example.com"},
		{"éva@example.com", "é***@example.com"},
		{"+14155550123", "+14*******23"},
		{"12345", "***"},
		{"", "***"},
	} {
		if got := maskAddress(tt.in); got != tt.want {
			t.Errorf("maskAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
