package settings_test

import (
	"slices"
	"testing"

	"github.com/beacon-status/beacon/internal/settings"
)

func TestParseCountries(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"", []string{}, false},
		{"us, ca ,,FR", []string{"US", "CA", "FR"}, false},
		{"usa", nil, true},
		{"u1", nil, true},
	} {
		got, err := settings.ParseCountries(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("ParseCountries(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
