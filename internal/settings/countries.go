package settings

import (
	"fmt"
	"strings"
)

// ParseCountries reads a comma-separated list of two-letter ISO country
// codes, in any case, into upper case; blanks are skipped. It reads
// SMSCountries from the environment and from the console's form alike.
func ParseCountries(v string) ([]string, error) {
	out := []string{}
	for _, cc := range strings.Split(v, ",") {
		cc = strings.ToUpper(strings.TrimSpace(cc))
		if cc == "" {
			continue
		}
		if len(cc) != 2 || strings.Trim(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, fmt.Errorf("%q is not a two-letter country code", cc)
		}
		out = append(out, cc)
	}
	return out, nil
}
