package screen

import (
	"strings"

	"github.com/beacon-status/beacon/internal/i18n"
)

// refusals are the domain's refusals the console says in the user's
// language: the English text a domain package writes (a ValidationError's
// message, a sentinel error's text), longest first so that a text is not
// taken for the shorter one it starts with, and the id of its message.
// The domain writes English for the API; a refusal not listed here shows
// as written.
var refusals = []struct{ en, id string }{
	{"must be an IANA time zone name such as Etc/UTC or Europe/Paris", "console.refusal.time_zone"},
	{"Enter a valid email address, such as name@example.com.", "console.refusal.email"},
	{"must be an http or https URL, or a path on this site", "console.refusal.url_or_path"},
	{"must be a percentage above 0 and at most 100", "console.refusal.sla_range"},
	{"an account with this email address already exists", "console.refusal.exists"},
	{"the last admin cannot be removed or demoted", "console.refusal.last_admin"},
	{"Use a password of at least 10 characters.", "console.refusal.password_short"},
	{"is too long (maximum is 2000 characters)", "console.refusal.too_long_2000"},
	{"is too long (maximum is 255 characters)", "console.refusal.too_long_255"},
	{"Use a password of at most 72 bytes.", "console.refusal.password_long"},
	{"must be a date formatted YYYY-MM-DD", "console.refusal.start_date"},
	{"must be a percentage such as 99.9", "console.refusal.sla_format"},
	{"Choose a role: admin or responder.", "console.refusal.role"},
	{"is taken by another integration", "console.refusal.name_taken"},
	{"must be a colour such as #0969da", "console.refusal.accent"},
	{"must be greater than y_axis_min", "console.refusal.y_max"},
	{"must be an http or https URL", "console.refusal.url"},
	{"must be between 0 and 1000000", "console.refusal.position"},
	{"may have at most 3 decimals", "console.refusal.sla_decimals"},
	{"must be after scheduled_for", "console.refusal.until_after"},
	{"must be in the past", "console.refusal.backfill_past"},
	{"can't be blank", "console.refusal.blank"},
}

// translateRefusals writes the refusals text holds in l; English's text
// is left as it is.
func translateRefusals(l *i18n.Lang, text string) string {
	if text == "" || l.Code() == i18n.Source {
		return text
	}
	for _, r := range refusals {
		if strings.Contains(text, r.en) {
			text = strings.ReplaceAll(text, r.en, l.T(r.id))
		}
	}
	return text
}
