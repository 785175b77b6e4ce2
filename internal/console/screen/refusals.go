package screen

import (
	"regexp"
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
	{"is not a valid phone number (use the international format, such as +14155550123)", "console.refusal.phone"},
	{"must be a label name (letters, digits and _, not starting with a digit)", "console.refusal.label_name"},
	{"and scheduled_until are both required for a scheduled maintenance", "console.refusal.window_required"},
	{"must be email, sms, webhook, slack, teams, discord, mattermost or google_chat", "console.refusal.mode_one_of"},
	{"must be an IANA time zone name such as Etc/UTC or Europe/Paris", "console.refusal.time_zone"},
	{"a postmortem is published once the incident is resolved", "console.refusal.postmortem_unresolved"},
	{"Enter a valid email address, such as name@example.com.", "console.refusal.email"},
	{"must be an http or https URL, or a path on this site", "console.refusal.url_or_path"},
	{"an account with this email address already exists", "console.refusal.exists"},
	{"must be a percentage above 0 and at most 100", "console.refusal.sla_range"},
	{"must be a mobile number that can receive SMS", "console.refusal.mobile"},
	{"a group holds at most 500 components", "console.refusal.group_size"},
	{"must be a language code such as de or pt-BR", "console.refusal.language_code"},
	{"the last admin cannot be removed or demoted", "console.refusal.last_admin"},
	{"must be a finite number from -1e15 to 1e15", "console.refusal.finite"},
	{"Use a password of at least 10 characters.", "console.refusal.password_short"},
	{"can't be blank for a backfilled incident", "console.refusal.blank_backfill"},
	{"is too long (maximum is 2000 characters)", "console.refusal.too_long_2000"},
	{"is too long (maximum is 255 characters)", "console.refusal.too_long_255"},
	{"Use a password of at most 72 bytes.", "console.refusal.password_long"},
	{"must be a date formatted YYYY-MM-DD", "console.refusal.start_date"},
	{"Choose a role: admin or responder.", "console.refusal.role"},
	{"must be a percentage such as 99.9", "console.refusal.sla_format"},
	{"must be a colour such as #0969da", "console.refusal.accent"},
	{"is only for webhook subscribers", "console.refusal.webhook_only"},
	{"is taken by another integration", "console.refusal.name_taken"},
	{"must be greater than y_axis_min", "console.refusal.y_max"},
	{"must be between 0 and 1000000", "console.refusal.position"},
	{"must be an http or https URL", "console.refusal.url"},
	{"may have at most 3 decimals", "console.refusal.sla_decimals"},
	{"must be after scheduled_for", "console.refusal.until_after"},
	{"must be in the past", "console.refusal.backfill_past"},
	{"is not published", "console.refusal.not_published"},
	{"can't be blank", "console.refusal.blank"},
}

// refusalPatterns are the refusals that hold values — a character found
// in a text, a limit, what was typed — matched by pattern after the
// refusals above, most often met first. The message of id reads each
// named group as {{.Name}}, its value kept as written; a pattern that
// another begins comes first (from_zero_to_seconds, not_group).
var refusalPatterns = []struct {
	re *regexp.Regexp
	id string
}{
	{regexp.MustCompile(`must be a single line without tabs \(found (?P<Char>U\+[0-9A-F]{4,6})\)`), "console.refusal.one_line_tab"},
	{regexp.MustCompile(`must be a single line \(found the separator (?P<Char>U\+[0-9A-F]{4,6})\)`), "console.refusal.one_line"},
	{regexp.MustCompile(`must not contain control characters \(found (?P<Char>U\+[0-9A-F]{4,6})\)`), "console.refusal.control"},
	{regexp.MustCompile(`is too long \(maximum is (?P<Max>\d+) characters\)`), "console.refusal.too_long"},
	{regexp.MustCompile(`must be at most (?P<Max>\d+) characters`), "console.refusal.at_most_chars"},
	{regexp.MustCompile(`"(?P<Zone>[^"\\]*)" is not a known IANA time zone`), "console.refusal.unknown_zone"},
	{regexp.MustCompile(`must be from 0 to (?P<Max>\d+) seconds`), "console.refusal.from_zero_to_seconds"},
	{regexp.MustCompile(`must be from 0 to (?P<Max>\d+)`), "console.refusal.from_zero_to"},
	{regexp.MustCompile(`must be 1 to (?P<Max>\d+) characters`), "console.refusal.name_length"},
	{regexp.MustCompile(`is too long \((?P<N>\d+) characters; the maximum is (?P<Max>\d+)\)`), "console.refusal.footer_long"},
	{regexp.MustCompile(`must be one of (?P<Codes>[A-Za-z-]+(?:, [A-Za-z-]+)*), or empty for the page's`), "console.refusal.language_one_of"},
	{regexp.MustCompile(`may have at most (?P<Max>\d+) entries`), "console.refusal.max_entries"},
	{regexp.MustCompile(`(?P<ID>"(?:[^"\\]|\\.)*") is not a component group`), "console.refusal.not_group"},
	{regexp.MustCompile(`(?P<ID>"(?:[^"\\]|\\.)*") is not a component`), "console.refusal.not_component"},
	{regexp.MustCompile(`(?P<Name>"(?:[^"\\]|\\.)*") is a group; groups cannot be nested`), "console.refusal.group_nested"},
	{regexp.MustCompile(`SMS notifications are not available for numbers in (?P<Region>[A-Z]{2})`), "console.refusal.sms_region"},
	{regexp.MustCompile(`must not contain bidirectional override or isolate characters \(found (?P<Char>U\+[0-9A-F]{4,6})\)`), "console.refusal.bidi"},
	{regexp.MustCompile(`must not contain Unicode noncharacters \(found (?P<Char>U\+[0-9A-F]{4,6})\)`), "console.refusal.nonchar"},
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
	for _, p := range refusalPatterns {
		text = p.re.ReplaceAllStringFunc(text, func(found string) string {
			m := p.re.FindStringSubmatch(found)
			var kv []any
			for i, name := range p.re.SubexpNames() {
				if name != "" {
					kv = append(kv, name, m[i])
				}
			}
			return l.F(p.id, kv...)
		})
	}
	return text
}
