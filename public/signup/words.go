package signup

import (
	"html"
	"html/template"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/emailaddr"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
)

// The domain (subscribers, the webhook address policy) words its refusals
// in English: that is what the API answers. A visitor reading the form in
// another language gets them from the [signup] table: field labels from
// signup.field, what is wrong from signup.problem, keyed here by the
// domain's English text. A text this table does not know shows in
// English (the test of the table lists those the form can reach).
var problems = map[string]string{
	"can't be blank":                "blank",
	emailaddr.ErrTooLong.Error():    "email_too_long",
	emailaddr.ErrInvalid.Error():    "email_invalid",
	emailaddr.ErrLocalPart.Error():  "email_local_part",
	emailaddr.ErrIPAddress.Error():  "email_ip",
	emailaddr.ErrDomainName.Error(): "email_domain",
	emailaddr.ErrNoDot.Error():      "email_no_dot",
	"is too long":                   "phone_too_long",
	"is not a valid phone number (use the international format, such as +14155550123)": "phone_invalid",
	"must be a mobile number that can receive SMS":                                     "phone_not_mobile",
	"may name at most 500 components":                                                  "too_many_components",
	"names only groups with no components":                                             "only_empty_groups",
	"must be one of the chat apps listed":                                              "chat_app",
}

// limits are the subscribers package's LimitError texts.
var limits = map[string]string{
	"Too many sign-ups from your network. Please try again later.":                                    "limit_network",
	"Too many sign-ups right now. Please try again later.":                                            "limit_busy",
	"Too many SMS sign-ups from your network. Please try again later.":                                "limit_sms_network",
	"Too many confirmation messages have been sent to this address today. Please try again tomorrow.": "limit_address",
	"Too many attempts from your network. Please try again later.":                                    "limit_attempts",
}

// english reports whether lang is English, whose words the domain's are.
func english(lang *i18n.Lang) bool { return lang.Code() == "en" }

// formMessage words a refusal for the person at the form, in lang: the
// field's label in place of the API's name for it ("Mobile number is not a
// valid phone number", not "phone_number is …").
func formMessage(lang *i18n.Lang, body web.ErrorBody) string {
	if id, ok := limits[body.Message]; ok && !english(lang) {
		return lang.T("signup." + id)
	}
	rest, ok := strings.CutPrefix(body.Message, body.Field+" ")
	if body.Field == "" || !ok || rest == "" {
		return body.Message
	}
	if !english(lang) {
		if msg, ok := translated(lang, body.Field, rest); ok {
			return msg
		}
	}
	label := map[string]string{"email": "Email address", "phone_number": "Mobile number", "endpoint": "Webhook URL",
		"chat_endpoint": "Incoming webhook URL", "platform": "Chat app", "component_ids": "Your choice of components"}[body.Field]
	if r, size := utf8.DecodeRuneInString(rest); label == "" || !unicode.IsLower(r) {
		// A sentence of its own ("SMS notifications are not available
		// …", `"x" is not a component`, "pigeon notifications are …").
		return string(unicode.ToUpper(r)) + rest[size:]
	}
	return label + " " + rest
}

// translated is the refusal of field for rest in lang, when the table
// knows it.
func translated(lang *i18n.Lang, field, rest string) (string, bool) {
	if region, ok := strings.CutPrefix(rest, "SMS notifications are not available for numbers in "); ok {
		return lang.F("signup.sms_region", "Region", region), true
	}
	if name, ok := strings.CutSuffix(rest, " is not a component"); ok && field == "component_ids" {
		return lang.F("signup.not_a_component", "Name", name), true
	}
	if mode, ok := strings.CutSuffix(rest, " notifications are not available on this page"); ok {
		return lang.F("signup.mode_unavailable", "Mode", mode), true
	}
	id, ok := problems[rest]
	switch {
	case field == "language":
		id, ok = "language", true
	case !ok && (field == "endpoint" || field == "chat_endpoint"):
		// The webhook address policy's reasons (notifier/webhook).
		id, ok = "url_invalid", true
		if strings.Contains(rest, "forbidden") || strings.Contains(rest, "private") {
			id = "url_forbidden"
		}
	}
	if !ok || !lang.Has("signup.field."+field) {
		return "", false
	}
	return lang.F("signup.field_problem", "Label", lang.T("signup.field."+field), "Problem", lang.T("signup.problem."+id)), true
}

// htmlF is the trusted catalogue sentence id with values kv: strings
// escaped, template.HTML as it is.
func htmlF(lang *i18n.Lang, id string, kv ...any) template.HTML {
	args := slices.Clone(kv)
	for i, v := range args {
		if s, ok := v.(string); ok && i%2 == 1 {
			args[i] = html.EscapeString(s)
		}
	}
	return template.HTML(lang.F(id, args...))
}

// strong is s in bold, escaped.
func strong(s string) template.HTML {
	return template.HTML("<strong>" + html.EscapeString(s) + "</strong>")
}
